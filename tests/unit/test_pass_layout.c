/* The layout pass (passes/layout.c) and the NCHW16c ops (ir/ops/blocked.c).
 * A small model whose convs the pass must tell apart: the graph after
 * fuse-epilogue + layout is checked (which convs went blocked, the
 * reorders at the region's edges, the reordered weights, the epilogue and
 * residual kept, the -v line), --cpu=avx2 keeps NCHW, and the real dlcc
 * runs it at -O0 and with the pass (portable C and -march=native, 1 and 2
 * threads): the numbers must agree. */
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

/* x[1,64,28,28]:
 *   a: 3x3 pads 1, 64 -> 96, bias, Relu            -> blocked (+Relu)
 *   b: 1x1 on a's output, 96 -> 64, + x, Relu      -> blocked (+Add,Relu; residual x, reordered once with a's input)
 *   y (b's output) is a graph output and c's input -> blocked, and a FromNCHW16c for the output
 *   c: 3x3 stride 2 pads 1 on y, 64 -> 40          -> blocked (40: a ragged last block), output yc
 *   d: 1x1 on x, 64 -> 8                           -> too few output channels: stays NCHW
 *   e: 3x3 group 2 on x                            -> grouped: stays NCHW
 * One region {a, b, c}; reorders: x in, y and yc out. */
static const int64_t x_dims[4] = {1, 64, 28, 28};

static void build_model(const char *file)
{
    static const int64_t wa[4] = {96, 64, 3, 3}, ba[1] = {96}, wb[4] = {64, 96, 1, 1}, wc[4] = {40, 64, 3, 3},
                         wd[4] = {8, 64, 1, 1}, we[4] = {32, 32, 3, 3}, s2[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_init_random(m, "wa", 4, wa, 1);
    mb_init_random(m, "ba", 1, ba, 2);
    mb_init_random(m, "wb", 4, wb, 3);
    mb_init_random(m, "wc", 4, wc, 4);
    mb_init_random(m, "wd", 4, wd, 5);
    mb_init_random(m, "we", 4, we, 6);
    mb_attr_ints(mb_node(m, "Conv", "a", "x,wa,ba", "ya"), "pads", 4, p1);
    mb_node(m, "Relu", "relu_a", "ya", "ra");
    mb_node(m, "Conv", "b", "ra,wb", "yb");
    mb_node(m, "Add", "add_b", "yb,x", "sb");
    mb_node(m, "Relu", "relu_b", "sb", "y");
    Onnx__NodeProto *c = mb_node(m, "Conv", "c", "y,wc", "yc");
    mb_attr_ints(c, "strides", 2, s2);
    mb_attr_ints(c, "pads", 4, p1);
    mb_node(m, "Conv", "d", "x,wd", "yd");
    Onnx__NodeProto *e = mb_node(m, "Conv", "e", "x,we", "ye");
    mb_attr_int(e, "group", 2);
    mb_attr_ints(e, "pads", 4, p1);
    mb_output(m, "y");
    mb_output(m, "yc");
    mb_output(m, "yd");
    mb_output(m, "ye");
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
    dl_node *a = pc_find_named(g, "a"), *b = pc_find_named(g, "b"), *c = pc_find_named(g, "c"), *d = pc_find_named(g, "d"),
            *e = pc_find_named(g, "e");
    ck_assert_str_eq(log, "layout: 3 convs in 1 regions -> NCHW16c, 3 reorders; 0 regions (0 convs) stay NCHW: their "
                          "reorders would cost more than the direct kernel saves; 2 other convs stay NCHW (grouped, "
                          "under 16 channels, row stride > 2, an input prologue)\n");
    ck_assert_str_eq(a->op_type, "ConvNCHW16c");
    ck_assert_str_eq(b->op_type, "ConvNCHW16c");
    ck_assert_str_eq(c->op_type, "ConvNCHW16c");
    ck_assert_str_eq(d->op_type, "Conv");
    ck_assert_str_eq(e->op_type, "Conv");
    ck_assert_int_eq(count_op(g, "ToNCHW16c"), 1);
    ck_assert_int_eq(count_op(g, "FromNCHW16c"), 2);
    /* a reads x through the one reorder; b reads it again as its residual */
    ck_assert_str_eq(a->inputs[0]->producer->op_type, "ToNCHW16c");
    ck_assert_ptr_eq(a->inputs[0]->producer->inputs[0], pc_find_named(g, "d")->inputs[0]);
    ck_assert_ptr_eq(b->inputs[3], a->inputs[0]);
    ck_assert_int_eq((int)dl_node_epilogue(b)->residual, DLK_RES_BEFORE_ACT);
    ck_assert_int_eq((int)dl_node_epilogue(b)->act, DLK_ACT_RELU);
    ck_assert_int_eq((int)dl_node_epilogue(a)->act, DLK_ACT_RELU);
    /* blocked shapes: a's output 1 x 6 x 28 x 28 x 16, stored as such */
    ck_assert_int_eq(a->outputs[0]->rank, 5);
    ck_assert_int_eq((int)a->outputs[0]->dims[1], 6);
    ck_assert_int_eq((int)a->outputs[0]->dims[4], 16);
    ck_assert_int_eq(a->outputs[0]->layout, DL_LAYOUT_NCHW16C);
    /* weights 6 x 4 x 3 x 3 x 16 x 16, w[o][i][0][0] at [o/16][i/16][0][0][i%16][o%16]; bias padded to 96 */
    ck_assert_int_eq(a->inputs[1]->rank, 6);
    ck_assert_int_eq((int)a->inputs[1]->dims[0], 6);
    ck_assert_int_eq((int)a->inputs[1]->dims[1], 4);
    {
        const float *w = a->inputs[1]->data, *w0 = mb_random_floats(96 * 64 * 9, 1);
        const int64_t o = 37, i = 21;   /* block 2 lane 5, block 1 lane 5 */
        ck_assert(w[((((2 * 4 + 1) * 3 + 0) * 3 + 0) * 16 + 5) * 16 + 5] == w0[(o * 64 + i) * 9]);
    }
    ck_assert_int_eq((int)dl_value_numel(a->inputs[2]), 96);
    /* y: blocked for c, and a FromNCHW16c writes the graph output */
    ck_assert_ptr_eq(c->inputs[0], b->outputs[0]);
    ck_assert_str_eq(pc_find_named(g, "y_nchw")->op_type, "FromNCHW16c");
    ck_assert_str_eq(pc_find_named(g, "y_nchw")->outputs[0]->name, "y");
    /* c: 40 channels in 3 blocks, 14 x 14 */
    ck_assert_int_eq((int)c->outputs[0]->dims[1], 3);
    ck_assert_int_eq((int)c->outputs[0]->dims[2], 14);
    ck_assert_str_eq(pc_find_named(g, "yc_nchw")->outputs[0]->name, "yc");
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
    ck_assert_int_eq(count_op(g, "Conv"), 5);
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

/* -O0 (plain Conv) and -O2 with the layout pass agree within 1e-4 of the
 * largest |y|, with the generated C built portable and -march=native, on 1
 * and 2 threads (the -O0 run: portable, one thread); the generated C
 * compiles without a warning (-Wall -Wextra -pedantic -Werror). */
START_TEST(test_levels_agree)
{
    static const char *const outs[] = {"y", "yc", "yd", "ye"};
    static const char *const flags[] = {
        "-v --cpu=avx512 --enable-pass=layout --disable-pass=winograd",
        "-v --cpu=avx512 --enable-pass=layout --disable-pass=winograd --threads 2"};
    make_dir();
    build_model(path("ly.onnx"));
    pc_write_random_input(path("x.npy"), 4, x_dims, 7u);
    run_dlcc("-O0", "O0");
    for (int native = 0; native < 2; native++) {
        setenv("CFLAGS", native ? "-march=native -Wall -Wextra -pedantic -Werror" : "-Wall -Wextra -pedantic -Werror", 1);
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
                    seen = seen || strncmp(line, "layout: 3 convs in 1 regions -> NCHW16c", 39) == 0;
                fclose(log);
                ck_assert_msg(seen, "dlcc %s: the layout pass did not make the region", flags[f]);
            }
            for (int k = 0; k < 4; k++) {
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
