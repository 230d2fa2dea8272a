/* If, Loop and Scan expanded at load time (frontend/control_flow.c), and
 * FlexAttention (frontend/flex_attention.c): small
 * models built with protobuf-c (model_builder.h), loaded, then inferred and
 * folded (every input is a constant, so the outputs fold); expected values
 * are computed by hand in the comments. */
#include <check.h>
#include <stdio.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "model_builder.h"
#include "passes/passes.h"

static Onnx__TensorProto *init_i64(mb_model *m, const char *name, int64_t v, int type)
{
    Onnx__TensorProto *t = mb_alloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(name);
    t->has_data_type = 1;
    t->data_type = type;
    t->dims = mb_alloc(sizeof(int64_t));
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        t->n_int64_data = 1;
        t->int64_data = mb_alloc(sizeof(int64_t));
        t->int64_data[0] = v;
    } else {
        t->n_int32_data = 1;
        t->int32_data = mb_alloc(sizeof(int32_t));
        t->int32_data[0] = (int32_t)v;
    }
    m->inits[m->graph.n_initializer++] = t;
    return t;
}

static void attr_graph(Onnx__NodeProto *n, const char *name, mb_model *body)
{
    Onnx__AttributeProto *a = mb_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = &body->graph;
    n->attribute[n->n_attribute++] = a;
}

/* mb_node drops empty names; an omitted optional input needs one. */
static Onnx__NodeProto *with_inputs(Onnx__NodeProto *n, int count, const char *const *names)
{
    n->n_input = (size_t)count;
    for (int i = 0; i < count; i++)
        n->input[i] = mb_str(names[i]);
    return n;
}

static char path[256];

static dl_graph *load_and_fold(mb_model *m, dl_diag *d)
{
    snprintf(path, sizeof path, "/tmp/dlcc_test_cf_%d.onnx", (int)getpid());
    ck_assert_int_eq(mb_save(m, path), 0);
    dl_diag_init(d, path);
    dl_graph *g = dl_load_onnx(path, NULL, d);
    unlink(path);
    if (!g)
        return NULL;
    dl_pass_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.diag = d;
    ctx.fold_limit_bytes = 1 << 20;
    ck_assert_int_eq(dl_graph_sort(g, d), 0);
    ck_assert_int_eq(dl_infer_and_fold(g, &ctx), 0);
    return g;
}

static void expect_floats(const dl_value *v, int rank, const int64_t *dims, const float *want, int n)
{
    ck_assert_ptr_nonnull(v->data);
    ck_assert_int_eq(v->rank, rank);
    for (int i = 0; i < rank; i++)
        ck_assert_int_eq(v->dims[i], dims[i]);
    for (int i = 0; i < n; i++)
        ck_assert_float_eq(((const float *)v->data)[i], want[i]);
}

/* Loop M=3 over acc += x, x = [1, 2], acc0 = [10, 20]: the iterations give
 * [11, 22], [12, 24], [13, 26]; the scan output stacks them. */
START_TEST(loop_unrolled)
{
    static const int64_t two[1] = {2};
    mb_model *body = mb_new(13), *m = mb_new(13);
    mb_input(body, "i", 0, NULL);
    mb_input(body, "c_in", 0, NULL);
    mb_input(body, "acc_in", 1, two);
    mb_node(body, "Identity", "c", "c_in", "c_out");
    mb_node(body, "Add", "add", "acc_in,x", "acc_out");
    mb_node(body, "Identity", "s", "acc_out", "scan_out");
    mb_output(body, "c_out");
    mb_output(body, "acc_out");
    mb_output(body, "scan_out");
    mb_init_f32(m, "x", 1, two, (const float[]){1, 2});
    mb_init_f32(m, "acc0", 1, two, (const float[]){10, 20});
    init_i64(m, "M", 3, ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    Onnx__NodeProto *n = mb_node(m, "Loop", "loop", "M,acc0", "acc,scans");
    attr_graph(with_inputs(n, 3, (const char *const[]){"M", "", "acc0"}), "body", body);
    mb_output(m, "acc");
    mb_output(m, "scans");
    dl_diag d;
    dl_graph *g = load_and_fold(m, &d);
    ck_assert_msg(g, "load failed: %s", d.n_messages ? d.messages[0] : "?");
    expect_floats(g->outputs[0], 1, two, (const float[]){13, 26}, 2);
    expect_floats(g->outputs[1], 2, (const int64_t[]){3, 2}, (const float[]){11, 22, 12, 24, 13, 26}, 6);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* Scan-9 over x = [[1,2],[3,4],[5,6]] read in reverse: running sums
 * [5,6], [5+3,6+4] = [8,10], [8+1,10+2] = [9,12]. */
START_TEST(scan_reverse_input)
{
    static const int64_t two[1] = {2}, x_dims[2] = {3, 2};
    mb_model *body = mb_new(13), *m = mb_new(13);
    mb_input(body, "sum_in", 1, two);
    mb_input(body, "next", 1, two);
    mb_node(body, "Add", "add", "sum_in,next", "sum_out");
    mb_node(body, "Identity", "id", "sum_out", "scan_out");
    mb_output(body, "sum_out");
    mb_output(body, "scan_out");
    mb_init_f32(m, "init", 1, two, (const float[]){0, 0});
    mb_init_f32(m, "x", 2, x_dims, (const float[]){1, 2, 3, 4, 5, 6});
    Onnx__NodeProto *n = mb_node(m, "Scan", "scan", "init,x", "y,z");
    mb_attr_int(n, "num_scan_inputs", 1);
    mb_attr_ints(n, "scan_input_directions", 1, (const int64_t[]){1});
    attr_graph(n, "body", body);
    mb_output(m, "y");
    mb_output(m, "z");
    dl_diag d;
    dl_graph *g = load_and_fold(m, &d);
    ck_assert_msg(g, "load failed: %s", d.n_messages ? d.messages[0] : "?");
    expect_floats(g->outputs[0], 1, two, (const float[]){9, 12}, 2);
    expect_floats(g->outputs[1], 2, x_dims, (const float[]){5, 6, 8, 10, 9, 12}, 6);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* A constant false condition keeps only the else branch: a + a = [2, 4]. */
START_TEST(if_constant_condition)
{
    static const int64_t two[1] = {2};
    mb_model *then_b = mb_new(13), *else_b = mb_new(13), *m = mb_new(13);
    mb_node(then_b, "Identity", "t", "a", "t_out");
    mb_output(then_b, "t_out");
    mb_node(else_b, "Add", "e", "a,a", "e_out");
    mb_output(else_b, "e_out");
    mb_init_f32(m, "a", 1, two, (const float[]){1, 2});
    init_i64(m, "cond", 0, ONNX__TENSOR_PROTO__DATA_TYPE__BOOL);
    Onnx__NodeProto *n = mb_node(m, "If", "if", "cond", "res");
    attr_graph(n, "then_branch", then_b);
    attr_graph(n, "else_branch", else_b);
    mb_output(m, "res");
    dl_diag d;
    dl_graph *g = load_and_fold(m, &d);
    ck_assert_msg(g, "load failed: %s", d.n_messages ? d.messages[0] : "?");
    expect_floats(g->outputs[0], 1, two, (const float[]){2, 4}, 2);
    for (int i = 0; i < g->n_nodes; i++)
        ck_assert_str_ne(g->nodes[i]->op_type, "Where");
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* A trip count that is a run-time input is refused, naming --bind. */
START_TEST(loop_runtime_trip_count)
{
    mb_model *body = mb_new(13), *m = mb_new(13);
    mb_input(body, "i", 0, NULL);
    mb_input(body, "c_in", 0, NULL);
    mb_node(body, "Identity", "c", "c_in", "c_out");
    mb_output(body, "c_out");
    mb_input(m, "M", 0, NULL);
    m->inputs[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    Onnx__NodeProto *n = mb_node(m, "Loop", "loop", "M", "unused");
    attr_graph(with_inputs(n, 2, (const char *const[]){"M", ""}), "body", body);
    mb_node(m, "Identity", "id", "M", "out");
    mb_output(m, "out");
    snprintf(path, sizeof path, "/tmp/dlcc_test_cf_%d.onnx", (int)getpid());
    ck_assert_int_eq(mb_save(m, path), 0);
    dl_diag d;
    dl_diag_init(&d, path);
    dl_graph *g = dl_load_onnx(path, NULL, &d);
    unlink(path);
    ck_assert_ptr_null(g);
    ck_assert_int_gt(d.n_messages, 0);
    ck_assert_msg(strstr(d.messages[0], "node 'loop' (Loop)") && strstr(d.messages[0], "not supported") &&
                      strstr(d.messages[0], "--bind M=FILE"),
                  "message: %s", d.messages[0]);
    dl_diag_free(&d);
}
END_TEST

/* FlexAttention (ai.onnx.preview) over Q = K = identity rows, V = [[1,2],[3,4]],
 * one batch, one head, seq 2, dim 2; the default scale is s = 1/sqrt(2).
 * Scores = Q Kt * s = [[s, 0], [0, s]]; row 0's softmax gives
 * p1 = e^-s / (1 + e^-s) = 0.4930687 / 1.4930687 = 0.3302385, p0 = 0.6697615;
 * Y row 0 = p0 [1,2] + p1 [3,4] = [1 + 2 p1, 2 + 2 p1] = [1.660477, 2.660477],
 * row 1 (p swapped) = [1 + 2 p0, 2 + 2 p0] = [2.339523, 3.339523]. */
static mb_model *flex_model(void)
{
    static const int64_t dims[4] = {1, 1, 2, 2};
    mb_model *m = mb_new(13);
    Onnx__OperatorSetIdProto *preview = mb_alloc(sizeof *preview);
    Onnx__OperatorSetIdProto **opsets = mb_alloc(2 * sizeof *opsets);
    onnx__operator_set_id_proto__init(preview);
    preview->domain = mb_str("ai.onnx.preview");
    preview->has_version = 1;
    preview->version = 1;
    opsets[0] = &m->opset;
    opsets[1] = preview;
    m->model.opset_import = opsets;
    m->model.n_opset_import = 2;
    mb_init_f32(m, "q", 4, dims, (const float[]){1, 0, 0, 1});
    mb_init_f32(m, "k", 4, dims, (const float[]){1, 0, 0, 1});
    mb_init_f32(m, "v", 4, dims, (const float[]){1, 2, 3, 4});
    Onnx__NodeProto *n = mb_node(m, "FlexAttention", "flex", "q,k,v", "y");
    n->domain = mb_str("ai.onnx.preview");
    mb_output(m, "y");
    return m;
}

static void expect_near(const dl_value *v, const float *want, int n)
{
    ck_assert_ptr_nonnull(v->data);
    ck_assert_int_eq(v->rank, 4);
    ck_assert_int_eq(dl_value_numel(v), n);
    for (int i = 0; i < n; i++)
        ck_assert_float_eq_tol(((const float *)v->data)[i], want[i], 1e-5f);
}

START_TEST(flex_attention_plain)
{
    dl_diag d;
    dl_graph *g = load_and_fold(flex_model(), &d);
    ck_assert_msg(g, "load failed: %s", d.n_messages ? d.messages[0] : "?");
    expect_near(g->outputs[0], (const float[]){1.660477f, 2.660477f, 2.339523f, 3.339523f}, 4);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* score_mod = scores * zero (a body initializer): every score is 0, so each
 * row's probabilities are [0.5, 0.5] and Y rows are the mean of V's rows,
 * ([1,2] + [3,4]) / 2 = [2, 3]. */
START_TEST(flex_attention_score_mod)
{
    static const int64_t dims[4] = {1, 1, 2, 2};
    mb_model *m = flex_model(), *body = mb_new(13);
    mb_input(body, "scores", 4, dims);
    mb_init_f32(body, "zero", 0, NULL, (const float[]){0});
    mb_node(body, "Mul", "mul", "scores,zero", "scores_out");
    mb_output(body, "scores_out");
    attr_graph(m->nodes[0], "score_mod", body);
    dl_diag d;
    dl_graph *g = load_and_fold(m, &d);
    ck_assert_msg(g, "load failed: %s", d.n_messages ? d.messages[0] : "?");
    expect_near(g->outputs[0], (const float[]){2, 3, 2, 3}, 4);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("control_flow");
    TCase *tc = tcase_create("expand");
    tcase_add_test(tc, loop_unrolled);
    tcase_add_test(tc, scan_reverse_input);
    tcase_add_test(tc, if_constant_condition);
    tcase_add_test(tc, loop_runtime_trip_count);
    tcase_add_test(tc, flex_attention_plain);
    tcase_add_test(tc, flex_attention_score_mod);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
