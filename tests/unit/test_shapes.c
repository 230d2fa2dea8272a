/* Shape inference against the worked examples of SEED-NOTES §5 (T1-T6,
 * T15, T17, T35), each recomputed by hand there. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

typedef struct builder {
    dl_graph *g;
    dl_value *cur;
    int count;
} builder;

static void attr_ints(builder *b, dl_node *n, const char *name, int count, const int64_t *v)
{
    dl_attr *a = &n->attrs[n->n_attrs++];
    a->name = name;
    a->kind = DL_ATTR_INTS;
    a->n = count;
    a->ints = dl_arena_alloc(&b->g->arena, sizeof(int64_t) * (size_t)count);
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
}

static void attr_int(dl_node *n, const char *name, int64_t v)
{
    dl_attr *a = &n->attrs[n->n_attrs++];
    a->name = name;
    a->kind = DL_ATTR_INT;
    a->i = v;
}

static builder start(int64_t n, int64_t c, int64_t h, int64_t w)
{
    builder b = {dl_graph_new("shapes.onnx"), NULL, 0};
    b.g->opset = 13;
    int64_t dims[4] = {n, c, h, w};
    b.cur = dl_graph_add_value(b.g, "x", DL_FLOAT, 4, dims);
    dl_graph_add_input(b.g, b.cur);
    return b;
}

static dl_node *add_node(builder *b, const char *op, int n_inputs)
{
    char name[32];
    snprintf(name, sizeof name, "n%d", b->count++);
    dl_node *n = dl_graph_add_node(b->g, name, op, n_inputs, 1);
    n->op = dl_op_find(op);
    ck_assert_ptr_nonnull(n->op);
    n->attrs = dl_arena_alloc(&b->g->arena, sizeof(dl_attr) * 8);
    dl_node_set_input(b->g, n, 0, b->cur);
    b->cur = dl_graph_add_value(b->g, NULL, DL_FLOAT, -1, NULL);
    dl_node_set_output(n, 0, b->cur);
    return n;
}

/* A constant weight of the given shape (zeros: only shapes matter here). */
static dl_value *weight(builder *b, int rank, const int64_t *dims)
{
    dl_value *w = dl_graph_add_value(b->g, NULL, DL_FLOAT, rank, dims);
    dl_value_alloc_data(b->g, w);
    return w;
}

static dl_node *conv(builder *b, int64_t c_out, int64_t c_in, int64_t kh, int64_t kw)
{
    dl_node *n = add_node(b, "Conv", 2);
    int64_t wd[4] = {c_out, c_in, kh, kw};
    dl_node_set_input(b->g, n, 1, weight(b, 4, wd));
    return n;
}

static dl_node *conv_transpose(builder *b, int64_t c_in, int64_t c_out, int64_t k)
{
    dl_node *n = add_node(b, "ConvTranspose", 2);
    int64_t wd[4] = {c_in, c_out, k, k};
    dl_node_set_input(b->g, n, 1, weight(b, 4, wd));
    return n;
}

static dl_node *pool(builder *b, const char *op, int64_t k, int64_t s, int64_t p, bool ceil_mode)
{
    dl_node *n = add_node(b, op, 1);
    int64_t ks[2] = {k, k}, ss[2] = {s, s}, ps[4] = {p, p, p, p};
    attr_ints(b, n, "kernel_shape", 2, ks);
    attr_ints(b, n, "strides", 2, ss);
    attr_ints(b, n, "pads", 4, ps);
    if (ceil_mode)
        attr_int(n, "ceil_mode", 1);
    return n;
}

/* Runs shape inference; returns the final value's dims. */
static const int64_t *infer(builder *b)
{
    dl_graph_add_output(b->g, b->cur);
    dl_diag d;
    dl_diag_init(&d, "shapes.onnx");
    dl_pass_context ctx = {&d, NULL, NULL, NULL, false, 1 << 16, 2, NULL, NULL, 0, 0, NULL, 0};
    int rc = dl_graph_sort(b->g, &d) || dl_infer_and_fold(b->g, &ctx);
    ck_assert_msg(rc == 0, "inference failed: %s", d.n_messages ? d.messages[0] : "?");
    dl_diag_free(&d);
    return b->cur->dims;
}

static void expect_dims(const int64_t *got, int64_t n, int64_t c, int64_t h, int64_t w)
{
    ck_assert_msg(got[0] == n && got[1] == c && got[2] == h && got[3] == w, "got [%lld,%lld,%lld,%lld], expected [%lld,%lld,%lld,%lld]",
                  (long long)got[0], (long long)got[1], (long long)got[2], (long long)got[3], (long long)n,
                  (long long)c, (long long)h, (long long)w);
}

START_TEST(t1_conv_stride2)
{
    builder b = start(20, 16, 50, 100);
    dl_node *n = conv(&b, 33, 16, 3, 3);
    int64_t s[2] = {2, 2};
    attr_ints(&b, n, "strides", 2, s);
    expect_dims(infer(&b), 20, 33, 24, 49);
    dl_graph_free(b.g);
}
END_TEST

START_TEST(t2_t3_conv_per_axis)
{
    for (int dilated = 0; dilated < 2; dilated++) {
        builder b = start(20, 16, 50, 100);
        dl_node *n = conv(&b, 33, 16, 3, 5);
        int64_t s[2] = {2, 1}, p[4] = {4, 2, 4, 2}, dl[2] = {3, 1};
        attr_ints(&b, n, "strides", 2, s);
        attr_ints(&b, n, "pads", 4, p);
        if (dilated)
            attr_ints(&b, n, "dilations", 2, dl);
        expect_dims(infer(&b), 20, 33, dilated ? 26 : 28, 100);
        dl_graph_free(b.g);
    }
}
END_TEST

START_TEST(t4_maxpool_floor_and_ceil)
{
    builder b = start(20, 16, 50, 32);
    pool(&b, "MaxPool", 3, 2, 1, false);
    expect_dims(infer(&b), 20, 16, 25, 16);
    dl_graph_free(b.g);
    b = start(20, 16, 50, 32);
    pool(&b, "MaxPool", 3, 2, 1, true);
    expect_dims(infer(&b), 20, 16, 26, 17);
    dl_graph_free(b.g);
}
END_TEST

START_TEST(t5_t6_conv_transpose)
{
    builder b = start(1, 1, 2, 2);
    dl_node *n = conv_transpose(&b, 1, 1, 4);
    int64_t s3[2] = {3, 3};
    attr_ints(&b, n, "strides", 2, s3);
    expect_dims(infer(&b), 1, 1, 7, 7);
    dl_graph_free(b.g);

    b = start(1, 1, 2, 2);
    conv_transpose(&b, 1, 1, 3);
    expect_dims(infer(&b), 1, 1, 4, 4);
    dl_graph_free(b.g);

    b = start(1, 1, 3, 3);
    n = conv_transpose(&b, 1, 1, 3);
    int64_t s2[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
    attr_ints(&b, n, "strides", 2, s2);
    attr_ints(&b, n, "pads", 4, p1);
    expect_dims(infer(&b), 1, 1, 5, 5);
    dl_graph_free(b.g);
}
END_TEST

START_TEST(t15_vgg16_feature_sizes)
{
    /* Blocks of 2,2,3,3,3 3x3/p1 convs, each followed by a 2x2/s2 pool: 224 -> 112 -> 56 -> 28 -> 14 -> 7. */
    static const int convs[5] = {2, 2, 3, 3, 3};
    static const int64_t after_pool[5] = {112, 56, 28, 14, 7};
    builder b = start(1, 1, 224, 224);
    for (int block = 0; block < 5; block++) {
        for (int i = 0; i < convs[block]; i++) {
            dl_node *n = conv(&b, 1, 1, 3, 3);
            int64_t p[4] = {1, 1, 1, 1};
            attr_ints(&b, n, "pads", 4, p);
        }
        pool(&b, "MaxPool", 2, 2, 0, false);
    }
    infer(&b);
    int block = 0;
    for (int i = 0; i < b.g->n_nodes; i++) {
        dl_node *n = b.g->nodes[i];
        if (strcmp(n->op_type, "MaxPool") == 0) {
            ck_assert_int_eq(n->outputs[0]->dims[2], after_pool[block]);
            ck_assert_int_eq(n->outputs[0]->dims[3], after_pool[block]);
            block++;
        } else {
            ck_assert_int_eq(n->outputs[0]->dims[2], n->inputs[0]->dims[2]); /* T35: k3 p1 s1 keeps the size */
        }
    }
    ck_assert_int_eq(block, 5);
    dl_graph_free(b.g);
}
END_TEST

/* AlexNet at 224: conv1 11/4, pool 3/2, conv2 5/p2, pool 3/2, conv3-5 3/p1, pool 3/2.
   Floor pools: 54, 26, 26, 12, 12, 12, 12, 5.  Caffe ceil-mode pools: 54, 27, 27, 13, 13, 13, 13, 6. */
static void alexnet(bool ceil_mode, const int64_t *expected)
{
    builder b = start(1, 3, 224, 224);
    dl_node *n = conv(&b, 1, 3, 11, 11);
    int64_t s4[2] = {4, 4};
    attr_ints(&b, n, "strides", 2, s4);
    pool(&b, "MaxPool", 3, 2, 0, ceil_mode);
    n = conv(&b, 1, 1, 5, 5);
    int64_t p2[4] = {2, 2, 2, 2}, p1[4] = {1, 1, 1, 1};
    attr_ints(&b, n, "pads", 4, p2);
    pool(&b, "MaxPool", 3, 2, 0, ceil_mode);
    for (int i = 0; i < 3; i++) {
        n = conv(&b, 1, 1, 3, 3);
        attr_ints(&b, n, "pads", 4, p1);
    }
    pool(&b, "MaxPool", 3, 2, 0, ceil_mode);
    infer(&b);
    ck_assert_int_eq(b.g->n_nodes, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(b.g->nodes[i]->outputs[0]->dims[2] == expected[i], "layer %d: %lld, expected %lld", i,
                      (long long)b.g->nodes[i]->outputs[0]->dims[2], (long long)expected[i]);
    dl_graph_free(b.g);
}

START_TEST(t17_alexnet_sizes)
{
    static const int64_t floor_sizes[8] = {54, 26, 26, 12, 12, 12, 12, 5};
    static const int64_t ceil_sizes[8] = {54, 27, 27, 13, 13, 13, 13, 6};
    alexnet(false, floor_sizes);
    alexnet(true, ceil_sizes);
}
END_TEST

START_TEST(t35_same_size_5x5)
{
    builder b = start(1, 2, 17, 9);
    dl_node *n = conv(&b, 4, 2, 5, 5);
    int64_t p[4] = {2, 2, 2, 2};
    attr_ints(&b, n, "pads", 4, p);
    expect_dims(infer(&b), 1, 4, 17, 9);
    dl_graph_free(b.g);
}
END_TEST

START_TEST(conv_channel_mismatch_is_an_error)
{
    builder b = start(1, 3, 8, 8);
    conv(&b, 4, 2, 3, 3);
    dl_graph_add_output(b.g, b.cur);
    dl_diag d;
    dl_diag_init(&d, "shapes.onnx");
    dl_pass_context ctx = {&d, NULL, NULL, NULL, false, 1 << 16, 2, NULL, NULL, 0, 0, NULL, 0};
    ck_assert_int_eq(dl_infer_and_fold(b.g, &ctx), -1);
    ck_assert_int_eq(d.n_messages, 1);
    ck_assert_ptr_nonnull(strstr(d.messages[0], "shapes.onnx: node 'n0' (Conv): "));
    dl_diag_free(&d);
    dl_graph_free(b.g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shapes");
    TCase *t = tcase_create("seed-notes");
    tcase_add_test(t, t1_conv_stride2);
    tcase_add_test(t, t2_t3_conv_per_axis);
    tcase_add_test(t, t4_maxpool_floor_and_ceil);
    tcase_add_test(t, t5_t6_conv_transpose);
    tcase_add_test(t, t15_vgg16_feature_sizes);
    tcase_add_test(t, t17_alexnet_sizes);
    tcase_add_test(t, t35_same_size_5x5);
    tcase_add_test(t, conv_channel_mismatch_is_an_error);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
