/* The 1x1-conv passes (passes/fuse_conv1x1.c): merge-1x1, fold-1x1-chain,
 * fuse-dw-pw. Each test builds a small model, checks the rewritten graph
 * (the pass run alone after sort + infer), and checks the numbers by
 * running the real dlcc at -O0 and -O3 on the same input. The
 * DepthwisePointwiseConv kernel is also checked against a naive
 * reference written here. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#include "ir/ops/op.h"
#include "kernels/fused_conv.h"
#define SCRATCH_TAG "conv1x1"
#include "scratch_dir.h"
#include "model_builder.h"
#include "pass_checks.h"
#include "passes/passes.h"

/* ------------------------------------------------------- structure checks */

typedef struct pass_run {
    dl_graph *g;
    dl_diag diag;
    char log[1024];
} pass_run;

/* Loads the model, sorts, infers, and runs `pass` alone; the log line goes to r->log. */
static void run_pass(pass_run *r, const char *model, int (*pass)(dl_graph *, dl_pass_context *))
{
    dl_pass_context ctx;
    FILE *log = fmemopen(r->log, sizeof r->log, "w");
    memset(&ctx, 0, sizeof ctx);
    dl_diag_init(&r->diag, model);
    ctx.diag = &r->diag;
    ctx.opt_level = 3;
    ctx.fold_limit_bytes = 1 << 20;
    r->g = dl_load_onnx(model, NULL, &r->diag);
    ck_assert_ptr_nonnull(r->g);
    ck_assert_int_eq(dl_graph_sort(r->g, &r->diag), 0);
    ck_assert_int_eq(dl_infer_and_fold(r->g, &ctx), 0);
    ctx.log = log;
    ck_assert_int_eq(pass(r->g, &ctx), 0);
    fclose(log);
    ck_assert_int_eq(dl_graph_verify(r->g, &r->diag), 0);
}

static void finish_pass(pass_run *r)
{
    dl_graph_free(r->g);
    dl_diag_free(&r->diag);
}

static int count_live(const dl_graph *g, const char *op_type)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op_type) == 0;
    return n;
}

static dl_node *find_live(const dl_graph *g, const char *op_type, int nth)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op_type) == 0 && nth-- == 0)
            return g->nodes[i];
    return NULL;
}

/* --------------------------------------------------------- number checks */

/* Runs `dlcc run -OL MODEL --input x=x.npy` into out_L/ (at -O3 with the
 * opt-in fuse-dw-pw too, so its kernel is checked); returns the output y. */
static float *run_dlcc(const char *model, int level, int64_t *count)
{
    char cmd[2048], out[300], err[256];
    dlrt_tensor y;
    snprintf(out, sizeof out, "%s/out_%d", dir, level);
    snprintf(cmd, sizeof cmd, "'%s' run -O%d %s '%s' --input x='%s' --output-dir '%s' 2>'%s/stderr.txt'",
             DLCC_BIN, level, level == 3 ? "--enable-pass=fuse-dw-pw" : "", model, path("x.npy"), out, dir);
    int status = system(cmd);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dlcc run -O%d failed", level);
    snprintf(cmd, sizeof cmd, "%s/y.npy", out);
    ck_assert_int_eq(dlrt_read_npy(cmd, &y, err, sizeof err), 0);
    *count = (int64_t)dlrt_tensor_count(&y);
    return y.data;
}

/* -O0 (no rewrites) and -O3 agree within 1e-5 relative (of the largest |y|). */
static void check_levels_agree(const char *model, int rank, const int64_t *x_dims)
{
    int64_t n0, n3;
    pc_write_random_input(path("x.npy"), rank, x_dims, 7u);
    float *y0 = run_dlcc(model, 0, &n0), *y3 = run_dlcc(model, 3, &n3);
    pc_expect_close(y0, n0, y3, n3, 1e-5, "y");
    free(y0);
    free(y3);
}

/* ------------------------------------------------------------ merge-1x1 */

/* x[1,4,5,5] read by four 1x1 convs: a (2 out, bias) -> Relu, b (3 out,
 * no bias) -> Relu, c (2 out, stride 2) -> Relu, and a 3x3 conv d. a and b
 * merge (the Relus too); c has another stride; d is not 1x1. The four
 * results are summed into y by a Concat of a, b and a Conv-free path. */
static const int64_t merge_x[4] = {1, 4, 5, 5};

static void build_merge(const char *file, bool relu)
{
    static const int64_t wa[4] = {2, 4, 1, 1}, wb[4] = {3, 4, 1, 1}, wc[4] = {2, 4, 1, 1},
                         wd[4] = {5, 4, 3, 3}, b2[1] = {2}, b5[1] = {5}, s2[2] = {2, 2},
                         p1[4] = {1, 1, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, merge_x);
    mb_init_random(m, "wa", 4, wa, 1);
    mb_init_random(m, "ba", 1, b2, 2);
    mb_init_random(m, "wb", 4, wb, 3);
    mb_init_random(m, "wc", 4, wc, 4);
    mb_init_random(m, "wd", 4, wd, 5);
    mb_init_random(m, "bd", 1, b5, 6);
    mb_node(m, "Conv", "a", "x,wa,ba", relu ? "ya" : "ra");
    mb_node(m, "Conv", "b", "x,wb", relu ? "yb" : "rb");
    mb_attr_ints(mb_node(m, "Conv", "c", "x,wc", "yc"), "strides", 2, s2);
    mb_attr_ints(mb_node(m, "Conv", "d", "x,wd,bd", "yd"), "pads", 4, p1);
    if (relu) {
        mb_node(m, "Relu", "relu_a", "ya", "ra");
        mb_node(m, "Relu", "relu_b", "yb", "rb");
    }
    mb_node(m, "Relu", "relu_c", "yc", "rc");
    mb_attr_int(mb_node(m, "Concat", "cat", "ra,rb,yd", "y"), "axis", 1);
    mb_output(m, "y");
    mb_output(m, "rc");
    ck_assert_int_eq(mb_save(m, file), 0);
}

START_TEST(test_merge_structure)
{
    make_dir();
    for (int relu = 0; relu < 2; relu++) {
        pass_run r;
        build_merge(path("merge.onnx"), relu);
        run_pass(&r, path("merge.onnx"), dl_merge_1x1);
        ck_assert_str_eq(r.log, "merge-1x1: 1 groups, 2 convs merged\n");
        /* a+b merged, c and d untouched */
        ck_assert_int_eq(count_live(r.g, "Conv"), 3);
        dl_node *merged = NULL, *split = find_live(r.g, "Split", 0);
        for (int i = 0; i < r.g->n_nodes; i++)
            if (!r.g->nodes[i]->dead && r.g->nodes[i]->fused)
                merged = r.g->nodes[i];
        ck_assert_ptr_nonnull(merged);
        ck_assert_ptr_nonnull(split);
        ck_assert_str_eq(merged->fused, "Conv,Conv");
        /* weights 5x4x1x1 (2 + 3 out channels), bias a's 2 values then b's 2..4 zero */
        ck_assert_int_eq((int)merged->inputs[1]->dims[0], 5);
        ck_assert_int_eq((int)merged->inputs[2]->dims[0], 5);
        const float *ba = ((const float *)dl_graph_find_value(r.g, "ba")->data);
        const float *mb = merged->inputs[2]->data;
        ck_assert(mb[0] == ba[0] && mb[1] == ba[1] && mb[2] == 0 && mb[3] == 0 && mb[4] == 0);
        const float *wb = dl_graph_find_value(r.g, "wb")->data, *mw = merged->inputs[1]->data;
        ck_assert(memcmp(mw + 2 * 4, wb, 3 * 4 * sizeof(float)) == 0);
        /* the Split's outputs are the old values, so the readers are unchanged */
        ck_assert_int_eq(split->n_outputs, 2);
        ck_assert_str_eq(split->outputs[0]->name, "ra");
        ck_assert_str_eq(split->outputs[1]->name, "rb");
        ck_assert_int_eq((int)split->outputs[1]->dims[1], 3);
        /* with Relus after both: one Relu between the merged conv and the Split */
        ck_assert_int_eq(count_live(r.g, "Relu"), relu ? 2 : 1);
        if (relu)
            ck_assert_ptr_eq(split->inputs[0]->producer->inputs[0]->producer, merged);
        else
            ck_assert_ptr_eq(split->inputs[0]->producer, merged);
        finish_pass(&r);
        check_levels_agree(path("merge.onnx"), 4, merge_x);
    }
    remove_dir();
}
END_TEST

/* ------------------------------------------------------- fold-1x1-chain */

/* x[1,3,2,2] -> conv1 (2 out) -> conv2 (3 out) -> y, small integer weights:
 *   W1 = [[1, 2, 0], [0, 1, -1]], b1 = [1, 2]
 *   W2 = [[1, 0], [2, 1], [0, -1]], b2 = [0, 1, 2]
 * W = W2*W1 = [[1, 2, 0], [2, 5, -1], [0, -1, 1]]
 *   (row 2: 2*[1,2,0] + 1*[0,1,-1] = [2,5,-1]; row 3: -[0,1,-1] = [0,-1,1])
 * b = W2*b1 + b2 = [1+0, 2+2+1, -2+2] = [1, 5, 0]. */
START_TEST(test_fold_chain)
{
    static const int64_t xd[4] = {1, 3, 2, 2}, w1d[4] = {2, 3, 1, 1}, w2d[4] = {3, 2, 1, 1}, b1d[1] = {2},
                         b2d[1] = {3};
    static const float w1[6] = {1, 2, 0, 0, 1, -1}, b1[2] = {1, 2}, w2[6] = {1, 0, 2, 1, 0, -1},
                       b2[3] = {0, 1, 2};
    static const float want_w[9] = {1, 2, 0, 2, 5, -1, 0, -1, 1}, want_b[3] = {1, 5, 0};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w1", 4, w1d, w1);
    mb_init_f32(m, "b1", 1, b1d, b1);
    mb_init_f32(m, "w2", 4, w2d, w2);
    mb_init_f32(m, "b2", 1, b2d, b2);
    mb_node(m, "Conv", "c1", "x,w1,b1", "t");
    mb_node(m, "Conv", "c2", "t,w2,b2", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("chain.onnx")), 0);
    pass_run r;
    run_pass(&r, path("chain.onnx"), dl_fold_1x1_chain);
    ck_assert_str_eq(r.log, "fold-1x1-chain: 1 pairs of 1x1 convs folded into one, 0 left (folding would cost more)\n");
    ck_assert_int_eq(count_live(r.g, "Conv"), 1);
    dl_node *c = find_live(r.g, "Conv", 0);
    ck_assert_str_eq(c->outputs[0]->name, "y");
    ck_assert_str_eq(c->fused, "Conv");
    ck_assert_int_eq((int)c->inputs[1]->dims[0], 3);
    ck_assert_int_eq((int)c->inputs[1]->dims[1], 3);
    for (int i = 0; i < 9; i++)
        ck_assert_float_eq(((float *)c->inputs[1]->data)[i], want_w[i]);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(((float *)c->inputs[2]->data)[i], want_b[i]);
    finish_pass(&r);
    check_levels_agree(path("chain.onnx"), 4, xd);
    remove_dir();
}
END_TEST

/* A bottleneck 8 -> 1 -> 8 costs 8 + 8 multiply-adds per pixel; folded it
 * would cost 64: left alone. A chain with a Relu between is no chain. */
START_TEST(test_fold_chain_declined)
{
    static const int64_t xd[4] = {1, 8, 3, 3}, w1d[4] = {1, 8, 1, 1}, w2d[4] = {8, 1, 1, 1},
                         w3d[4] = {4, 8, 1, 1};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "w1", 4, w1d, 11);
    mb_init_random(m, "w2", 4, w2d, 12);
    mb_init_random(m, "w3", 4, w3d, 13);
    mb_node(m, "Conv", "c1", "x,w1", "t");
    mb_node(m, "Conv", "c2", "t,w2", "u");
    mb_node(m, "Relu", "r", "u", "v");
    mb_node(m, "Conv", "c3", "v,w3", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("bottleneck.onnx")), 0);
    pass_run r;
    run_pass(&r, path("bottleneck.onnx"), dl_fold_1x1_chain);
    ck_assert_str_eq(r.log, "fold-1x1-chain: 0 pairs of 1x1 convs folded into one, 1 left (folding would cost more)\n");
    ck_assert_int_eq(count_live(r.g, "Conv"), 3);
    finish_pass(&r);
    remove_dir();
}
END_TEST

/* ----------------------------------------------------------- fuse-dw-pw */

/* x[1,C,H,W] -> depthwise 3x3 (stride s, pad 1, bias) -> Clip(0, 6) ->
 * 1x1 conv (Co out, bias) -> Relu -> y. Clip-11 bounds as inputs. */
static void build_dwpw(const char *file, const int64_t *xd, int64_t co, int64_t stride)
{
    const int64_t dwd[4] = {xd[1], 1, 3, 3}, dbd[1] = {xd[1]}, pwd[4] = {co, xd[1], 1, 1}, pbd[1] = {co},
                  s[2] = {stride, stride}, p1[4] = {1, 1, 1, 1};
    static const float lo = 0, hi = 6;
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "dw", 4, dwd, 21);
    mb_init_random(m, "db", 1, dbd, 22);
    mb_init_random(m, "pw", 4, pwd, 23);
    mb_init_random(m, "pb", 1, pbd, 24);
    mb_init_f32(m, "lo", 0, NULL, &lo);
    mb_init_f32(m, "hi", 0, NULL, &hi);
    Onnx__NodeProto *dw = mb_node(m, "Conv", "dwconv", "x,dw,db", "t");
    mb_attr_int(dw, "group", xd[1]);
    mb_attr_ints(dw, "strides", 2, s);
    mb_attr_ints(dw, "pads", 4, p1);
    mb_node(m, "Clip", "relu6", "t,lo,hi", "u");
    mb_node(m, "Conv", "pwconv", "u,pw,pb", "v");
    mb_node(m, "Relu", "relu", "v", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, file), 0);
}

START_TEST(test_dwpw_structure)
{
    static const int64_t xd[4] = {1, 5, 9, 7};
    make_dir();
    build_dwpw(path("dwpw.onnx"), xd, 6, 2);
    pass_run r;
    run_pass(&r, path("dwpw.onnx"), dl_fuse_dw_pw);
    ck_assert_str_eq(r.log, "fuse-dw-pw: 1 depthwise+pointwise conv pairs fused (1 with an activation between, 1 with one after)\n");
    ck_assert_int_eq(count_live(r.g, "Conv") + count_live(r.g, "Clip") + count_live(r.g, "Relu"), 0);
    dl_node *f = find_live(r.g, "DepthwisePointwiseConv", 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->fused, "Conv,Clip,Conv,Relu");
    ck_assert_str_eq(f->outputs[0]->name, "y");
    /* 9x7 padded by 1, 3x3 window, stride 2: (9+2-3)/2+1 = 5, (7+2-3)/2+1 = 4 */
    ck_assert_int_eq((int)f->outputs[0]->dims[1], 6);
    ck_assert_int_eq((int)f->outputs[0]->dims[2], 5);
    ck_assert_int_eq((int)f->outputs[0]->dims[3], 4);
    finish_pass(&r);
    check_levels_agree(path("dwpw.onnx"), 4, xd);
    /* more than one tile of channels (70 > 64) and of pixels (10x10 > 64) */
    static const int64_t big[4] = {1, 70, 10, 10};
    build_dwpw(path("dwpw_big.onnx"), big, 9, 1);
    check_levels_agree(path("dwpw_big.onnx"), 4, big);
    remove_dir();
}
END_TEST

/* The dw output read by two nodes: not fused. */
START_TEST(test_dwpw_shared_not_fused)
{
    static const int64_t xd[4] = {1, 4, 6, 6}, dwd[4] = {4, 1, 3, 3}, pwd[4] = {3, 4, 1, 1};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "dw", 4, dwd, 31);
    mb_init_random(m, "pw", 4, pwd, 32);
    mb_attr_int(mb_node(m, "Conv", "dwconv", "x,dw", "t"), "group", 4);
    mb_node(m, "Conv", "pwconv", "t,pw", "y");
    mb_output(m, "y");
    mb_output(m, "t");
    ck_assert_int_eq(mb_save(m, path("shared.onnx")), 0);
    pass_run r;
    run_pass(&r, path("shared.onnx"), dl_fuse_dw_pw);
    ck_assert_int_eq(count_live(r.g, "DepthwisePointwiseConv"), 0);
    ck_assert_int_eq(count_live(r.g, "Conv"), 2);
    finish_pass(&r);
    remove_dir();
}
END_TEST

/* ------------------------------------------------- the kernel, directly */

/* Naive dw conv + act1 + pw conv + act2, in double. */
static void reference_dwpw(const dlk_dwpw_params *p, const float *x, const float *dw, const float *db,
                           const float *pw, const float *pb, float *y)
{
    int64_t oh_n = p->out[0], ow_n = p->out[1], plane = oh_n * ow_n;
    double *t = mb_alloc(sizeof(double) * (size_t)(p->c * plane));
    for (int64_t img = 0; img < p->n; img++) {
        for (int64_t c = 0; c < p->c; c++)
            for (int64_t oh = 0; oh < oh_n; oh++)
                for (int64_t ow = 0; ow < ow_n; ow++) {
                    double s = db ? db[c] : 0;
                    for (int64_t kh = 0; kh < p->kernel[0]; kh++)
                        for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
                            int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                            int64_t iw = ow * p->strides[1] - p->pads[1] + kw * p->dilations[1];
                            if (ih >= 0 && ih < p->in[0] && iw >= 0 && iw < p->in[1])
                                s += (double)dw[(c * p->kernel[0] + kh) * p->kernel[1] + kw] *
                                     x[((img * p->c + c) * p->in[0] + ih) * p->in[1] + iw];
                        }
                    if (p->act1 == 1)
                        s = s > 0 ? s : 0;
                    else if (p->act1 == 2)
                        s = fmin(fmax(s, p->lo1), p->hi1);
                    t[c * plane + oh * ow_n + ow] = s;
                }
        for (int64_t o = 0; o < p->c_out; o++)
            for (int64_t q = 0; q < plane; q++) {
                double s = pb ? pb[o] : 0;
                for (int64_t c = 0; c < p->c; c++)
                    s += pw[o * p->c + c] * t[c * plane + q];
                if (p->act2 == 1)
                    s = s > 0 ? s : 0;
                else if (p->act2 == 2)
                    s = fmin(fmax(s, p->lo2), p->hi2);
                y[(img * p->c_out + o) * plane + q] = (float)s;
            }
    }
    free(t);
}

static void check_kernel(int64_t n, int64_t c, int64_t co, int64_t h, int64_t w, int64_t k, int64_t s,
                         int64_t dil, int64_t pad, int act1, int act2, bool biases)
{
    dlk_dwpw_params p;
    memset(&p, 0, sizeof p);
    p.n = n, p.c = c, p.c_out = co;
    p.in[0] = h, p.in[1] = w;
    for (int i = 0; i < 2; i++) {
        p.kernel[i] = k, p.strides[i] = s, p.dilations[i] = dil;
        p.pads[i] = pad, p.pads[2 + i] = pad;
        p.out[i] = (p.in[i] + 2 * pad - dil * (k - 1) - 1) / s + 1;
    }
    p.act1 = act1, p.act2 = act2;
    p.lo1 = -0.25f, p.hi1 = 0.5f, p.lo2 = -FLT_MAX, p.hi2 = 0.75f;
    int64_t ny = n * co * p.out[0] * p.out[1];
    float *x = mb_random_floats(n * c * h * w, 41), *dw = mb_random_floats(c * k * k, 42),
          *db = biases ? mb_random_floats(c, 43) : NULL, *pw = mb_random_floats(co * c, 44),
          *pb = biases ? mb_random_floats(co, 45) : NULL;
    float *y = mb_alloc(sizeof(float) * (size_t)ny), *want = mb_alloc(sizeof(float) * (size_t)ny);
    dlk_dwpw_conv_f32(&p, x, dw, db, pw, pb, y);
    reference_dwpw(&p, x, dw, db, pw, pb, want);
    for (int64_t i = 0; i < ny; i++)
        ck_assert_msg(fabs(y[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])),
                      "c=%d k=%d s=%d d=%d pad=%d: y[%d] = %g, expected %g", (int)c, (int)k, (int)s,
                      (int)dil, (int)pad, (int)i, (double)y[i], (double)want[i]);
    free(x), free(dw), free(db), free(pw), free(pb), free(y), free(want);
}

START_TEST(test_dwpw_kernel)
{
    check_kernel(1, 3, 4, 6, 5, 3, 1, 1, 1, 0, 0, true);
    check_kernel(2, 5, 3, 9, 8, 3, 2, 1, 1, 1, 2, true);
    check_kernel(1, 70, 9, 11, 13, 5, 1, 2, 3, 2, 1, false);   /* 2 channel tiles, 3 pixel tiles */
    check_kernel(1, 8, 16, 7, 7, 3, 3, 1, 0, 1, 1, true);      /* no padding, stride 3 */
    check_kernel(1, 4, 2, 4, 4, 1, 1, 1, 0, 0, 0, false);      /* 1x1 depthwise */
    check_kernel(1, 130, 7, 3, 3, 3, 1, 1, 1, 2, 0, true);     /* channels not a multiple of 4 */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pass_conv1x1");
    TCase *tc = tcase_create("conv1x1");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_merge_structure);
    tcase_add_test(tc, test_fold_chain);
    tcase_add_test(tc, test_fold_chain_declined);
    tcase_add_test(tc, test_dwpw_structure);
    tcase_add_test(tc, test_dwpw_shared_not_fused);
    tcase_add_test(tc, test_dwpw_kernel);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
