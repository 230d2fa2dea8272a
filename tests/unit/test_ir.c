/* The IR core and the passes: construction, topological order, cycles, the
 * verifier, dead code, memory planning, printing, and allocation failure. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlcc/dlcc.h"
#include "ir/ops/op.h"
#include "model_builder.h"
#include "passes/passes.h"

static const int64_t dims4[4] = {1, 4, 8, 8}; /* 256 floats = 1024 bytes */

/* x -> Relu -> a -> Relu -> b -> Relu -> c -> Relu -> y, built out of file order when shuffled. */
static dl_graph *relu_chain(bool shuffled)
{
    dl_graph *g = dl_graph_new("chain.onnx");
    dl_value *x = dl_graph_add_value(g, "x", DL_FLOAT, 4, dims4);
    dl_graph_add_input(g, x);
    const char *names[5] = {"x", "a", "b", "c", "y"};
    dl_value *v[5] = {x};
    for (int i = 1; i < 5; i++)
        v[i] = dl_graph_add_value(g, names[i], DL_FLOAT, -1, NULL);
    int order[4] = {0, 1, 2, 3};
    if (shuffled) {
        order[0] = 3;
        order[1] = 1;
        order[2] = 0;
        order[3] = 2;
    }
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        char name[16];
        snprintf(name, sizeof name, "relu%d", i);
        dl_node *n = dl_graph_add_node(g, name, "Relu", 1, 1);
        n->op = dl_op_find("Relu");
        dl_node_set_input(g, n, 0, v[i]);
        dl_node_set_output(n, 0, v[i + 1]);
    }
    dl_graph_add_output(g, v[4]);
    return g;
}

START_TEST(test_sort_restores_order)
{
    dl_graph *g = relu_chain(true);
    dl_diag d;
    dl_diag_init(&d, "chain.onnx");
    ck_assert_int_eq(dl_graph_sort(g, &d), 0);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "relu%d", i);
        ck_assert_str_eq(g->nodes[i]->name, name);
    }
    ck_assert_int_eq(dl_graph_verify(g, &d), 0);
    dl_diag_free(&d);
    dl_graph_free(g);
}
END_TEST

START_TEST(test_cycle_is_reported)
{
    dl_graph *g = dl_graph_new("cycle.onnx");
    dl_value *a = dl_graph_add_value(g, "a", DL_FLOAT, 4, dims4);
    dl_value *b = dl_graph_add_value(g, "b", DL_FLOAT, 4, dims4);
    dl_node *n1 = dl_graph_add_node(g, "first", "Relu", 1, 1);
    dl_node *n2 = dl_graph_add_node(g, "second", "Relu", 1, 1);
    dl_node_set_input(g, n1, 0, b);
    dl_node_set_output(n1, 0, a);
    dl_node_set_input(g, n2, 0, a);
    dl_node_set_output(n2, 0, b);
    dl_diag d;
    dl_diag_init(&d, "cycle.onnx");
    ck_assert_int_eq(dl_graph_sort(g, &d), -1);
    ck_assert_int_eq(d.n_messages, 1);
    ck_assert_ptr_nonnull(strstr(d.messages[0], "cycle"));
    ck_assert_ptr_nonnull(strstr(d.messages[0], "cycle.onnx: node '"));
    dl_diag_free(&d);
    dl_graph_free(g);
}
END_TEST

static int run_pipeline(dl_graph *g, dl_diag *d)
{
    dl_pass_context ctx = {d, NULL, NULL, NULL, false, 1 << 20, 0, NULL, NULL, 0, 0, NULL, 0}; /* -O0: the plain plan */
    return dl_run_passes(g, &ctx);
}

START_TEST(test_memory_plan_reuses_buffers)
{
    /* Four Relus in a chain: a, b, c live in the arena, y is the caller's.
       a and b overlap in time (b = relu(a)), so do b and c; a and c do not:
       two 1024-byte buffers suffice. */
    dl_graph *g = relu_chain(false);
    dl_diag d;
    dl_diag_init(&d, "chain.onnx");
    ck_assert_int_eq(run_pipeline(g, &d), 0);
    ck_assert_int_eq(g->arena_bytes, 2048);
    const dl_value *a = dl_graph_find_value(g, "a"), *b = dl_graph_find_value(g, "b"), *c = dl_graph_find_value(g, "c");
    ck_assert_int_ne(a->offset, b->offset);
    ck_assert_int_ne(b->offset, c->offset);
    ck_assert_int_eq(a->offset, c->offset);
    ck_assert_int_eq(dl_graph_find_value(g, "y")->offset, -1);
    dl_diag_free(&d);
    dl_graph_free(g);
}
END_TEST

START_TEST(test_dead_code_removed)
{
    /* y = relu(x); an unused branch z = relu(x) disappears. */
    dl_graph *g = dl_graph_new("dead.onnx");
    dl_value *x = dl_graph_add_value(g, "x", DL_FLOAT, 4, dims4);
    dl_graph_add_input(g, x);
    dl_value *y = dl_graph_add_value(g, "y", DL_FLOAT, -1, NULL);
    dl_value *z = dl_graph_add_value(g, "z", DL_FLOAT, -1, NULL);
    dl_node *n1 = dl_graph_add_node(g, "used", "Relu", 1, 1);
    dl_node *n2 = dl_graph_add_node(g, "unused", "Relu", 1, 1);
    n1->op = n2->op = dl_op_find("Relu");
    dl_node_set_input(g, n1, 0, x);
    dl_node_set_output(n1, 0, y);
    dl_node_set_input(g, n2, 0, x);
    dl_node_set_output(n2, 0, z);
    dl_graph_add_output(g, y);
    dl_diag d;
    dl_diag_init(&d, "dead.onnx");
    ck_assert_int_eq(run_pipeline(g, &d), 0);
    ck_assert_int_eq(g->n_nodes, 1);
    ck_assert_str_eq(g->nodes[0]->name, "used");
    ck_assert_int_eq(x->n_users, 1);
    dl_diag_free(&d);
    dl_graph_free(g);
}
END_TEST

START_TEST(test_text_printer)
{
    dl_graph *g = relu_chain(false);
    dl_diag d;
    dl_diag_init(&d, "chain.onnx");
    ck_assert_int_eq(run_pipeline(g, &d), 0);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    dl_graph_print(g, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "input %x: float32[1x4x8x8]"));
    ck_assert_ptr_nonnull(strstr(buf, "%a: float32[1x4x8x8] = Relu \"relu0\" (%x)"));
    ck_assert_ptr_nonnull(strstr(buf, "output %y"));
    free(buf);
    f = open_memstream(&buf, &size);
    dl_graph_print_dot(g, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "digraph"));
    ck_assert_ptr_nonnull(strstr(buf, "n0 -> n1"));
    free(buf);
    dl_diag_free(&d);
    dl_graph_free(g);
}
END_TEST

/* Schema versions from ir/ops/schema_versions.def (generated from onnx). */
START_TEST(test_schema_versions)
{
    ck_assert_int_eq(dl_schema_version("Relu", 28), 14);       /* Relu: 1, 6, 13, 14 */
    ck_assert_int_eq(dl_schema_version("Relu", 12), 6);
    ck_assert_int_eq(dl_semantic_version("Relu", 28), 6);      /* 13 and 14 added types only */
    ck_assert_int_eq(dl_schema_version("Reshape", 28), 25);
    ck_assert_int_eq(dl_semantic_version("Reshape", 28), 14);  /* 14 added allowzero */
    ck_assert_int_eq(dl_semantic_version("ReduceMean", 18), 18); /* axes became an input */
    ck_assert_int_eq(dl_semantic_version("Cast", 24), 24);     /* round_mode */
    ck_assert_int_eq(dl_schema_implemented("Cast"), 28);
    ck_assert_int_eq(dl_schema_implemented("Relu"), DL_IMPLEMENTED_OPSET);
    ck_assert_int_eq(dl_schema_version("NoSuchOp", 13), 0);
    ck_assert_int_ge(dl_schema_newest_opset(), 23);
}
END_TEST

/* --------------------------------------------------- allocation failure */

typedef struct counting_allocator {
    long calls, fail_at; /* fail the fail_at-th call (1-based); 0: never */
    long live_bytes;
} counting_allocator;

static void *counting_alloc(void *ctx, void *old, size_t old_size, size_t new_size)
{
    counting_allocator *c = ctx;
    if (new_size == 0) {
        c->live_bytes -= (long)old_size;
        free(old);
        return NULL;
    }
    if (++c->calls == c->fail_at)
        return NULL;
    void *p = realloc(old, new_size);
    if (p)
        c->live_bytes += (long)new_size - (long)(old ? old_size : 0);
    return p;
}

START_TEST(test_allocation_failures_are_reported_without_leaks)
{
    char dir[] = "/tmp/dlcc-test-ir-XXXXXX", model[128], out[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(model, sizeof model, "%s/m.onnx", dir);
    snprintf(out, sizeof out, "%s/m.c", dir);
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, dims4);
    static const int64_t bd[1] = {8};
    mb_init_f32(m, "bias", 1, bd, NULL);
    mb_node(m, "Relu", "r", "x", "a");
    mb_node(m, "Add", "add", "a,bias", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, model), 0);

    dlcc_options opt;
    memset(&opt, 0, sizeof opt);
    opt.model_path = model;
    opt.output_path = out;
    counting_allocator c = {0, 0, 0};
    dl_set_allocator(counting_alloc, &c);
    dl_diag d;
    dl_diag_init(&d, model);
    ck_assert_int_eq(dlcc_compile(&opt, &d), 0); /* count the allocations of a good run */
    dl_diag_free(&d);
    long total = c.calls;
    ck_assert_int_eq(c.live_bytes, 0);
    ck_assert_int_gt(total, 5);
    for (long k = 1; k <= total; k++) {
        c.calls = 0;
        c.fail_at = k;
        unlink(out);
        dl_diag_init(&d, model);
        int rc = dlcc_compile(&opt, &d);
        ck_assert_msg(rc == -1, "allocation %ld of %ld failed but compile succeeded", k, total);
        ck_assert_msg(d.n_messages > 0 || d.out_of_memory, "allocation %ld failed silently", k);
        ck_assert_msg(access(out, F_OK) != 0, "allocation %ld failed but %s was written", k, out);
        dl_diag_free(&d);
        ck_assert_msg(c.live_bytes == 0, "allocation %ld failed: %ld bytes leaked", k, c.live_bytes);
    }
    dl_set_allocator(NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ir");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_sort_restores_order);
    tcase_add_test(t, test_cycle_is_reported);
    tcase_add_test(t, test_memory_plan_reuses_buffers);
    tcase_add_test(t, test_dead_code_removed);
    tcase_add_test(t, test_text_printer);
    tcase_add_test(t, test_schema_versions);
    tcase_add_test(t, test_allocation_failures_are_reported_without_leaks);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
