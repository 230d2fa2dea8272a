/* The winograd pass (passes/winograd.c) and its WinogradConv op
 * (ir/ops/winograd.c). A small model with 3x3 convs of every kind the pass
 * must tell apart: the graph after fuse-epilogue + winograd is checked
 * (which convs were rewritten, the transformed weights, the epilogue and
 * residual kept, the scratch output), then the real dlcc runs it at -O0
 * (no rewrite) and -O3 and the numbers must agree. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#include "ir/ops/epilogue.h"
#include "ir/ops/op.h"
#define SCRATCH_TAG "winograd"
#include "scratch_dir.h"
#include "model_builder.h"
#include "pass_checks.h"
#include "passes/passes.h"

/* x[1,16,24,24] (6 x 6 = 36 output tiles):
 *   a: 3x3 pads 1, 16 -> 16, bias, then Relu          -> rewritten (+Relu)
 *   b: 3x3 pads 1 on a's output, no bias, + x, Relu   -> rewritten (+Add,Relu, residual x)
 *   c: 3x3 stride 2 on x                              -> not a candidate
 *   d: 3x3 no pads, 16 -> 8                           -> too few output channels
 *   e: 3x3 pads (0,1,1,0) asymmetric, 16 -> 16        -> rewritten
 *   f: 3x3 pads 1, bias, on a 2x2 max pool of x (12 x 12: 3 x 3 = 9 4x4
 *      tiles, 6 x 6 = 36 2x2 tiles)                   -> rewritten as F(2x2)
 * Outputs y (from b), yc, yd, ye, yf. */
static const int64_t x_dims[4] = {1, 16, 24, 24};

static void build_model(const char *file)
{
    static const int64_t w16[4] = {16, 16, 3, 3}, w8[4] = {8, 16, 3, 3}, b16[1] = {16}, s2[2] = {2, 2},
                         p1[4] = {1, 1, 1, 1}, pe[4] = {0, 1, 1, 0}, k2[2] = {2, 2};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_init_random(m, "wa", 4, w16, 1);
    mb_init_random(m, "ba", 1, b16, 2);
    mb_init_random(m, "wb", 4, w16, 3);
    mb_init_random(m, "wc", 4, w16, 4);
    mb_init_random(m, "wd", 4, w8, 5);
    mb_init_random(m, "we", 4, w16, 6);
    mb_init_random(m, "wf", 4, w16, 8);
    mb_init_random(m, "bf", 1, b16, 9);
    mb_attr_ints(mb_node(m, "Conv", "a", "x,wa,ba", "ya"), "pads", 4, p1);
    mb_node(m, "Relu", "relu_a", "ya", "ra");
    mb_attr_ints(mb_node(m, "Conv", "b", "ra,wb", "yb"), "pads", 4, p1);
    mb_node(m, "Add", "add_b", "yb,x", "sb");
    mb_node(m, "Relu", "relu_b", "sb", "y");
    Onnx__NodeProto *c = mb_node(m, "Conv", "c", "x,wc", "yc");
    mb_attr_ints(c, "strides", 2, s2);
    mb_attr_ints(c, "pads", 4, p1);
    mb_node(m, "Conv", "d", "x,wd", "yd");
    mb_attr_ints(mb_node(m, "Conv", "e", "x,we", "ye"), "pads", 4, pe);
    Onnx__NodeProto *pool = mb_node(m, "MaxPool", "pool", "x", "xp");
    mb_attr_ints(pool, "kernel_shape", 2, k2);
    mb_attr_ints(pool, "strides", 2, k2);
    mb_attr_ints(mb_node(m, "Conv", "f", "xp,wf,bf", "yf"), "pads", 4, p1);
    mb_output(m, "y");
    mb_output(m, "yc");
    mb_output(m, "yd");
    mb_output(m, "ye");
    mb_output(m, "yf");
    ck_assert_int_eq(mb_save(m, file), 0);
}

START_TEST(test_structure)
{
    char log[1024];
    dl_pass_context ctx;
    dl_diag diag;
    dl_graph *g;
    FILE *f;
    make_dir();
    build_model(path("wg.onnx"));
    memset(&ctx, 0, sizeof ctx);
    dl_diag_init(&diag, "wg.onnx");
    ctx.diag = &diag;
    ctx.opt_level = 3;
    ctx.fold_limit_bytes = 1 << 20;
    g = dl_load_onnx(path("wg.onnx"), NULL, &diag);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(dl_graph_sort(g, &diag), 0);
    ck_assert_int_eq(dl_infer_and_fold(g, &ctx), 0);
    ck_assert_int_eq(dl_fuse_epilogue(g, &ctx), 0);
    f = fmemopen(log, sizeof log, "w");
    ctx.log = f;
    ck_assert_int_eq(dl_winograd(g, &ctx), 0);
    fclose(f);
    ck_assert_int_eq(dl_graph_verify(g, &diag), 0);
    ck_assert_str_eq(log, "winograd: 4 3x3 stride-1 convs -> WinogradConv (3 F(4x4), 1 F(2x2)), 1 left (too few "
                          "tiles or channels)\n");

    dl_node *a = pc_find_named(g, "a"), *b = pc_find_named(g, "b"), *c = pc_find_named(g, "c"), *d = pc_find_named(g, "d"),
            *e = pc_find_named(g, "e"), *fc = pc_find_named(g, "f");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(a->op_type, "WinogradConv");
    ck_assert_str_eq(b->op_type, "WinogradConv");
    ck_assert_str_eq(e->op_type, "WinogradConv");
    ck_assert_str_eq(c->op_type, "Conv");
    ck_assert_str_eq(d->op_type, "Conv");
    /* a: X, U (36 x 16 x 16), bias; its Relu kept; output 'ra' (the Relu's) */
    ck_assert_int_eq(a->n_inputs, 3);
    ck_assert_int_eq(a->inputs[1]->rank, 3);
    ck_assert_int_eq((int)a->inputs[1]->dims[0], 36);
    ck_assert_int_eq((int)a->inputs[1]->dims[1], 16);
    ck_assert_ptr_nonnull(a->inputs[1]->data);
    ck_assert_str_eq(a->inputs[2]->name, "ba");
    ck_assert_str_eq(a->outputs[0]->name, "ra");
    ck_assert_int_eq((int)dl_node_epilogue(a)->act, DLK_ACT_RELU);
    /* the scratch: 36 x columns x (16 + 16) floats, columns = 6 tile rows x (6 + 1) */
    ck_assert_int_eq(a->n_outputs, 2);
    ck_assert_int_eq(a->outputs[1]->rank, 1);
    ck_assert_int_eq((int)a->outputs[1]->dims[0], 36 * 6 * 7 * 32);
    /* b: residual x in slot 3, Add before Relu */
    ck_assert_int_eq(b->n_inputs, 4);
    ck_assert_ptr_null(b->inputs[2]);
    ck_assert_str_eq(b->inputs[3]->name, "x");
    ck_assert_int_eq((int)dl_node_epilogue(b)->residual, DLK_RES_BEFORE_ACT);
    ck_assert_str_eq(b->outputs[0]->name, "y");
    /* e: asymmetric pads give a 23 x 23 output */
    ck_assert_int_eq((int)e->outputs[0]->dims[2], 23);
    ck_assert_int_eq((int)e->outputs[0]->dims[3], 23);
    /* f: F(2x2): U 16 x 16 x 16; scratch 16 x columns x (16 + 16), columns =
     * 6 tile rows x (6 + 1) */
    ck_assert_ptr_nonnull(fc);
    ck_assert_str_eq(fc->op_type, "WinogradConv");
    ck_assert_int_eq((int)fc->inputs[1]->dims[0], 16);
    ck_assert_int_eq((int)fc->inputs[1]->dims[1], 16);
    ck_assert_str_eq(fc->inputs[2]->name, "bf");
    ck_assert_int_eq((int)fc->outputs[1]->dims[0], 16 * 6 * 7 * 32);
    dl_graph_free(g);
    dl_diag_free(&diag);
}
END_TEST

/* Runs `dlcc run FLAGS MODEL --input x=x.npy` into out_TAG/; returns output NAME. */
static float *run_dlcc(const char *flags, const char *tag, const char *name, int64_t *count)
{
    char cmd[2048], out[300], err[256];
    dlrt_tensor y;
    snprintf(out, sizeof out, "%s/out_%s", dir, tag);
    snprintf(cmd, sizeof cmd, "'%s' run %s '%s' --input x='%s' --output-dir '%s' 2>'%s/stderr.txt'", DLCC_BIN,
             flags, path("wg.onnx"), path("x.npy"), out, dir);
    int status = system(cmd);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dlcc run %s failed", flags);
    snprintf(cmd, sizeof cmd, "%s/%s.npy", out, name);
    ck_assert_int_eq(dlrt_read_npy(cmd, &y, err, sizeof err), 0);
    *count = (int64_t)dlrt_tensor_count(&y);
    return y.data;
}

/* -O0 (plain Conv) and -O3 (WinogradConv, 1 and 2 threads) agree within
 * 1e-4 of the largest |y| (F(4,3)'s rounding: see test_kernels_winograd.c). */
START_TEST(test_levels_agree)
{
    static const char *const outs[] = {"y", "ye", "yf"};
    make_dir();
    build_model(path("wg.onnx"));
    pc_write_random_input(path("x.npy"), 4, x_dims, 7u);
    for (int k = 0; k < 3; k++)
        for (int threads = 1; threads <= 2; threads++) {
            int64_t n0, n3;
            float *y0 = run_dlcc("-O0", "O0", outs[k], &n0);
            float *y3 = run_dlcc(threads == 1 ? "-O3" : "-O3 --threads 2", "O3", outs[k], &n3);
            pc_expect_close(y0, n0, y3, n3, 1e-4, outs[k]);
            free(y0);
            free(y3);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pass_winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_structure);
    tcase_add_test(tc, test_levels_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
