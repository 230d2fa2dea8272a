/* The layout pass (passes/layout.c) and the NCHW16c ops (ir/ops/blocked.c).
 * A small model whose convs the pass must tell apart: the graph after
 * fuse-epilogue + layout is checked (which convs went blocked, the
 * reorders at the region's edges, the reordered weights, the epilogue and
 * residual kept, the -v line), --cpu=avx2 keeps NCHW, and the real dlcc
 * runs it at -O0 and at -O2, where the pass runs (portable C and
 * -march=native, 1 and 2 threads): the numbers must agree. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#include "ir/ops/epilogue.h"
#include "ir/ops/op.h"
#define SCRATCH_TAG "layout"
#include "scratch_dir.h"
#include "model_builder.h"
#include "pass_checks.h"
#include "passes/passes.h"

/* x[1,64,14,14]:
 *   a: 1x1, 64 -> 512, bias, Clip(0, 6)            -> blocked (+Clip)
 *   b: 3x3 depthwise (group 512) pads 1 on a, Relu  -> blocked (+Relu), with its output's
 *      GlobalAveragePool taken as a second output (fuse-mean; plain)
 *   squeeze-excitation: Sigmoid of that mean scales b's output by channel (a Mul that c takes
 *      as its prologue, conv-prologue)
 *   c: 1x1 on b x scale, 512 -> 64, + x             -> blocked (+Add; residual x, reordered once with a's input;
 *                                                      the scale a plain input)
 *   y (c's output) is a graph output and d's input  -> a FromNCHW16c for the output
 *   d: 3x3 depthwise stride 2 pads 1 on y           -> blocked, output yd (7 x 7)
 *   e: 1x1 on x, 64 -> 32                           -> a region of its own that does not pay: stays NCHW
 *   f: 1x1 on x, 64 -> 8                            -> too few output channels: stays NCHW
 *   g: 3x3 on x, 64 -> 32                           -> neither pointwise nor depthwise: stays NCHW
 *   h: 3x3 group 2 on x                             -> grouped, not depthwise: stays NCHW
 * One region {a, b, c, d}; reorders: x in, y and yd out. */
static const int64_t x_dims[4] = {1, 64, 14, 14};

static void build_model(const char *file)
{
    static const int64_t wa[4] = {512, 64, 1, 1}, ba[1] = {512}, wb[4] = {512, 1, 3, 3}, wc[4] = {64, 512, 1, 1},
                         wd[4] = {64, 1, 3, 3}, we[4] = {32, 64, 1, 1}, wf[4] = {8, 64, 1, 1}, wg[4] = {32, 64, 3, 3},
                         wh[4] = {32, 32, 3, 3}, s2[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_init_random(m, "wa", 4, wa, 1);
    mb_init_random(m, "ba", 1, ba, 2);
    mb_init_random(m, "wb", 4, wb, 3);
    mb_init_random(m, "wc", 4, wc, 4);
    mb_init_random(m, "wd", 4, wd, 5);
    mb_init_random(m, "we", 4, we, 6);
    mb_init_random(m, "wf", 4, wf, 7);
    mb_init_random(m, "wg", 4, wg, 8);
    mb_init_random(m, "wh", 4, wh, 9);
    mb_init_f32(m, "clip_lo", 0, NULL, (const float[]){0.0f});
    mb_init_f32(m, "clip_hi", 0, NULL, (const float[]){6.0f});
    mb_node(m, "Conv", "a", "x,wa,ba", "ya");
    mb_node(m, "Clip", "clip_a", "ya,clip_lo,clip_hi", "ra");
    Onnx__NodeProto *b = mb_node(m, "Conv", "b", "ra,wb", "yb");
    mb_attr_int(b, "group", 512);
    mb_attr_ints(b, "pads", 4, p1);
    mb_node(m, "Relu", "relu_b", "yb", "rb");
    mb_node(m, "GlobalAveragePool", "mean_b", "rb", "mb");
    mb_node(m, "Sigmoid", "se", "mb", "sb");
    mb_node(m, "Mul", "excite", "rb,sb", "eb");
    mb_node(m, "Conv", "c", "eb,wc", "yc");
    mb_node(m, "Add", "add_c", "yc,x", "y");
    Onnx__NodeProto *d = mb_node(m, "Conv", "d", "y,wd", "yd");
    mb_attr_int(d, "group", 64);
    mb_attr_ints(d, "strides", 2, s2);
    mb_attr_ints(d, "pads", 4, p1);
    mb_node(m, "Conv", "e", "x,we", "ye");
    mb_node(m, "Conv", "f", "x,wf", "yf");
    mb_attr_ints(mb_node(m, "Conv", "g", "x,wg", "yg"), "pads", 4, p1);
    Onnx__NodeProto *h = mb_node(m, "Conv", "h", "x,wh", "yh");
    mb_attr_int(h, "group", 2);
    mb_attr_ints(h, "pads", 4, p1);
    mb_output(m, "y");
    mb_output(m, "yd");
    mb_output(m, "ye");
    mb_output(m, "yf");
    mb_output(m, "yg");
    mb_output(m, "yh");
    ck_assert_int_eq(mb_save(m, file), 0);
}

static int count_op(const dl_graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op) == 0;
    return n;
}

/* The graph after infer, fuse-epilogue and layout for --cpu=cpu; the -v line in log. */
static dl_graph *run_layout(const char *cpu, char *log, size_t size, dl_diag *diag)
{
    dl_pass_context ctx;
    dl_graph *g;
    FILE *f;
    make_dir();
    build_model(path("ly.onnx"));
    memset(&ctx, 0, sizeof ctx);
    dl_diag_init(diag, "ly.onnx");
    ctx.diag = diag;
    ctx.opt_level = 2;
    ctx.fold_limit_bytes = 1 << 20;
    ctx.cpu = cpu;
    ctx.vector_bits = strcmp(cpu, "avx512") == 0 ? 512 : 256;
    g = dl_load_onnx(path("ly.onnx"), NULL, diag);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(dl_graph_sort(g, diag), 0);
    ck_assert_int_eq(dl_infer_and_fold(g, &ctx), 0);
    ck_assert_int_eq(dl_fuse_epilogue(g, &ctx), 0);
    ck_assert_int_eq(dl_fuse_mean(g, &ctx), 0);
    ck_assert_int_eq(dl_fold_conv_prologue(g, &ctx), 0);
    f = fmemopen(log, size, "w");
    ctx.log = f;
    ck_assert_int_eq(dl_select_layout(g, &ctx), 0);
    fclose(f);
    ck_assert_int_eq(dl_graph_verify(g, diag), 0);
    return g;
}

START_TEST(test_structure)
{
    char log[1024];
    dl_diag diag;
    dl_graph *g = run_layout("avx512", log, sizeof log, &diag);
    dl_node *a = pc_find_named(g, "a"), *b = pc_find_named(g, "b"), *c = pc_find_named(g, "c"), *d = pc_find_named(g, "d");
    ck_assert_str_eq(log, "layout: 4 convs in 1 regions -> NCHW16c, 3 reorders; 1 regions (1 convs) stay NCHW: their "
                          "reorders would cost more than the blocked kernels save; 3 other convs stay NCHW (neither "
                          "pointwise nor depthwise, under 16 channels, planes over 28x28, an input prologue)\n");
    ck_assert_str_eq(a->op_type, "ConvNCHW16c");
    ck_assert_str_eq(b->op_type, "ConvNCHW16c");
    ck_assert_str_eq(c->op_type, "ConvNCHW16c");
    ck_assert_str_eq(d->op_type, "ConvNCHW16c");
    ck_assert_str_eq(pc_find_named(g, "e")->op_type, "Conv");
    ck_assert_str_eq(pc_find_named(g, "f")->op_type, "Conv");
    ck_assert_str_eq(pc_find_named(g, "g")->op_type, "Conv");
    ck_assert_str_eq(pc_find_named(g, "h")->op_type, "Conv");
    ck_assert_int_eq(count_op(g, "ToNCHW16c"), 1);
    ck_assert_int_eq(count_op(g, "FromNCHW16c"), 2);
    /* a reads x through the one reorder; c reads it again as its residual */
    ck_assert_str_eq(a->inputs[0]->producer->op_type, "ToNCHW16c");
    ck_assert_ptr_eq(a->inputs[0]->producer->inputs[0], pc_find_named(g, "e")->inputs[0]);
    ck_assert_ptr_eq(c->inputs[3], a->inputs[0]);
    ck_assert_int_eq((int)dl_node_epilogue(c)->residual, DLK_RES_BEFORE_ACT);
    ck_assert_int_eq((int)dl_node_epilogue(a)->act, DLK_ACT_CLIP);
    ck_assert_int_eq((int)dl_node_epilogue(b)->act, DLK_ACT_RELU);
    /* blocked shapes: a's output 1 x 32 x 14 x 14 x 16, stored as such */
    ck_assert_int_eq(a->outputs[0]->rank, 5);
    ck_assert_int_eq((int)a->outputs[0]->dims[1], 32);
    ck_assert_int_eq((int)a->outputs[0]->dims[4], 16);
    ck_assert_int_eq(a->outputs[0]->layout, DL_LAYOUT_NCHW16C);
    /* a's weights 32 x 4 x 1 x 1 x 16 x 16, w[o][i] at [o/16][i/16][0][0][i%16][o%16]; bias 512 */
    ck_assert_int_eq(a->inputs[1]->rank, 6);
    ck_assert_int_eq((int)a->inputs[1]->dims[0], 32);
    ck_assert_int_eq((int)a->inputs[1]->dims[1], 4);
    {
        const float *w = a->inputs[1]->data, *w0 = mb_random_floats(512 * 64, 1);
        const int64_t o = 37, i = 21;   /* block 2 lane 5, block 1 lane 5 */
        ck_assert(w[((2 * 4 + 1) * 16 + 5) * 16 + 5] == w0[o * 64 + i]);
    }
    ck_assert_int_eq((int)dl_value_numel(a->inputs[2]), 512);
    /* b depthwise: weights 32 x 3 x 3 x 16, w[ch][0][r][s] at [ch/16][r][s][ch%16]; attribute group */
    ck_assert_int_eq(b->inputs[1]->rank, 4);
    ck_assert_int_eq((int)b->inputs[1]->dims[0], 32);
    ck_assert_int_eq((int)b->inputs[1]->dims[3], 16);
    {
        const float *w = b->inputs[1]->data, *w0 = mb_random_floats(512 * 9, 3);
        const int64_t ch = 100, r = 2, t = 1;   /* block 6 lane 4 */
        ck_assert(w[((6 * 3 + r) * 3 + t) * 16 + 4] == w0[(ch * 3 + r) * 3 + t]);
    }
    ck_assert_int_eq((int)dl_attr_int(b, "group", 1), 512);
    /* b's second output, the means, stays plain for the Sigmoid; c scales its input by the Sigmoid's output */
    ck_assert_int_eq(b->n_outputs, 2);
    ck_assert_int_eq(b->outputs[1]->rank, 4);
    ck_assert_int_eq(b->outputs[1]->layout, DL_LAYOUT_PLAIN);
    ck_assert_str_eq(b->outputs[1]->users[0]->op_type, "Sigmoid");
    ck_assert_int_eq(c->n_inputs, 5);
    ck_assert_ptr_eq(c->inputs[0], b->outputs[0]);
    ck_assert_str_eq(c->inputs[4]->producer->op_type, "Sigmoid");
    /* y: blocked for d, and a FromNCHW16c writes the graph output */
    ck_assert_ptr_eq(d->inputs[0], c->outputs[0]);
    ck_assert_str_eq(pc_find_named(g, "y_nchw")->op_type, "FromNCHW16c");
    ck_assert_str_eq(pc_find_named(g, "y_nchw")->outputs[0]->name, "y");
    /* d: 64 channels in 4 blocks, 7 x 7 */
    ck_assert_int_eq((int)d->outputs[0]->dims[1], 4);
    ck_assert_int_eq((int)d->outputs[0]->dims[2], 7);
    ck_assert_str_eq(pc_find_named(g, "yd_nchw")->outputs[0]->name, "yd");
    dl_graph_free(g);
    dl_diag_free(&diag);
}
END_TEST

START_TEST(test_avx2_keeps_nchw)
{
    char log[1024];
    dl_diag diag;
    dl_graph *g = run_layout("avx2", log, sizeof log, &diag);
    ck_assert_str_eq(log, "layout: NCHW everywhere: the target (--cpu=avx2) has no 512-bit vectors; only the "
                          "AVX-512 blocked conv kernel beats the packed GEMM\n");
    ck_assert_int_eq(count_op(g, "ConvNCHW16c") + count_op(g, "ToNCHW16c") + count_op(g, "FromNCHW16c"), 0);
    ck_assert_int_eq(count_op(g, "Conv"), 8);
    dl_graph_free(g);
    dl_diag_free(&diag);
}
END_TEST

/* Runs `dlcc run FLAGS MODEL --input x=x.npy` into out_TAG/. */
static void run_dlcc(const char *flags, const char *tag)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' run %s '%s' --input x='%s' --output-dir '%s/out_%s' 2>'%s/stderr.txt'", DLCC_BIN,
             flags, path("ly.onnx"), path("x.npy"), dir, tag, dir);
    int status = system(cmd);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dlcc run %s failed", flags);
}

/* Output NAME of the run into out_TAG/. */
static float *read_output(const char *tag, const char *name, int64_t *count)
{
    char file[400], err[256];
    dlrt_tensor y;
    snprintf(file, sizeof file, "%s/out_%s/%s.npy", dir, tag, name);
    ck_assert_int_eq(dlrt_read_npy(file, &y, err, sizeof err), 0);
    *count = (int64_t)dlrt_tensor_count(&y);
    return y.data;
}

/* -O0 (plain Conv) and -O2 (with the layout pass) agree within 1e-4 of the
 * largest |y|, with the generated C built portable and -march=native, on 1
 * and 2 threads (the -O0 run: portable, one thread); the generated C
 * compiles without a warning (-Wall -Wextra -pedantic -Werror). */
START_TEST(test_levels_agree)
{
    static const char *const outs[] = {"y", "yd", "ye", "yf", "yg", "yh"};
    /* merge-1x1 would make a, e and f one conv of 552 channels */
    static const char *const flags[] = {"-v --cpu=avx512 --disable-pass=merge-1x1",
                                        "-v --cpu=avx512 --disable-pass=merge-1x1 --threads 2"};
    make_dir();
    build_model(path("ly.onnx"));
    pc_write_random_input(path("x.npy"), 4, x_dims, 7u);
    run_dlcc("-O0", "O0");
    for (int native = 0; native < 2; native++) {
        setenv("CFLAGS", native ? "-O3 -march=native -Wall -Wextra -pedantic -Werror" : "-Wall -Wextra -pedantic -Werror", 1);
        for (int f = 0; f < 2; f++) {
            run_dlcc(flags[f], "layout");
            {
                char file[400], line[1024];
                bool seen = false;
                FILE *log;
                snprintf(file, sizeof file, "%s/stderr.txt", dir);
                log = fopen(file, "r");
                ck_assert_ptr_nonnull(log);
                while (fgets(line, sizeof line, log))
                    seen = seen || strncmp(line, "layout: 4 convs in 1 regions -> NCHW16c", 39) == 0;
                fclose(log);
                ck_assert_msg(seen, "dlcc %s: the layout pass did not make the region", flags[f]);
            }
            for (int k = 0; k < 6; k++) {
                int64_t n0, n2;
                float *y0 = read_output("O0", outs[k], &n0), *y2 = read_output("layout", outs[k], &n2);
                char what[512];
                snprintf(what, sizeof what, "%s (%s, CFLAGS %s)", outs[k], flags[f], getenv("CFLAGS"));
                pc_expect_close(y0, n0, y2, n2, 1e-4, what);
                free(y0);
                free(y2);
            }
        }
    }
    unsetenv("CFLAGS");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pass_layout");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_structure);
    tcase_add_test(tc, test_avx2_keeps_nchw);
    tcase_add_test(tc, test_levels_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
