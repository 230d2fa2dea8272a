/* fuse-epilogue: the rewritten structure (which nodes a Conv/Gemm/MatMul
 * absorbs, its `fused` list and residual input) and the numbers: each model
 * is also compiled and run by the real dlcc at -O0 (no fusion) and -O2, and
 * the outputs must agree within 1e-5 relative; small cases are checked
 * against hand-computed values too. Also fuse-shuffle (a channel shuffle
 * stored by the grouped conv before it), fuse-mean (a GlobalAveragePool
 * taken by the depthwise conv before it) and fuse-pool (a stem's MaxPool
 * taken by the conv), in the same file as their passes. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#include "ir/ops/epilogue.h"
#include "kernels/pool.h"
#define SCRATCH_TAG "epilogue"
#include "scratch_dir.h"
#include "model_builder.h"
#include "passes/passes.h"


static void attr_float(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = mb_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a->has_f = 1;
    a->f = v;
    n->attribute[n->n_attribute++] = a;
}

/* ------------------------------------------------------------ structure */

/* Loads m and runs the whole pipeline at -O2 (or with fuse-epilogue disabled)
 * for a target whose widest vectors have `bits` (512: conv-tiles runs; 0:
 * generic C, as compile_graph). */
static dl_graph *compile_graph_for(mb_model *m, dl_diag *d, bool fuse, int bits)
{
    static const char *const off[1] = {"fuse-epilogue"};
    dl_pass_context ctx;
    dl_graph *g;
    ck_assert_int_eq(mb_save(m, path("g.onnx")), 0);
    dl_diag_init(d, path("g.onnx"));
    g = dl_load_onnx(path("g.onnx"), NULL, d);
    ck_assert_ptr_nonnull(g);
    memset(&ctx, 0, sizeof ctx);
    ctx.diag = d;
    ctx.fold_limit_bytes = 1 << 20;
    ctx.opt_level = 2;
    ctx.disabled = off;
    ctx.n_disabled = fuse ? 0 : 1;
    ctx.vector_bits = bits;
    ck_assert_msg(dl_run_passes(g, &ctx) == 0, "%s", d->n_messages ? d->messages[0] : "");
    return g;
}

static dl_graph *compile_graph(mb_model *m, dl_diag *d, bool fuse)
{
    return compile_graph_for(m, d, fuse, 0);
}

static int live_nodes(const dl_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead;
    return n;
}

static dl_node *find_op(const dl_graph *g, const char *op)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op) == 0)
            return g->nodes[i];
    return NULL;
}

/* The graph after fusion is one node of op `op`, fusing `fused`, with the
 * residual named `residual` (NULL: none). */
static void expect_one_fused(mb_model *m, const char *op, const char *fused, const char *residual,
                             int64_t act, int64_t where)
{
    dl_diag d;
    dl_graph *g = compile_graph(m, &d, true);
    dl_node *n = find_op(g, op);
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(live_nodes(g), 1);
    ck_assert_ptr_nonnull(n->fused);
    ck_assert_str_eq(n->fused, fused);
    ck_assert_ptr_eq(n->outputs[0], g->outputs[0]);
    ck_assert_str_eq(n->outputs[0]->name, "out");
    dlk_epilogue *e = dl_node_epilogue(n);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->act, act);
    ck_assert_int_eq(e->residual, where);
    if (residual) {
        ck_assert_ptr_nonnull(dl_epilogue_residual(n));
        ck_assert_str_eq(dl_epilogue_residual(n)->name, residual);
    } else {
        ck_assert_ptr_null(dl_epilogue_residual(n));
    }
    dl_graph_free(g);
    dl_diag_free(&d);
}

/* -------------------------------------------------------------- numbers */

static int run_dlcc(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s/stderr.txt' >/dev/null", DLCC_BIN, args, dir);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs model.onnx at level (e.g. "-O0") on input x; output "out" into *y. */
static void run_model(const char *level, const float *x, int rank, const int64_t *dims, int64_t n,
                      dlrt_tensor *y)
{
    char args[1536], err[256], out[64];
    dlrt_tensor in = {1, rank, {0}, (void *)x, (size_t)n * sizeof(float)};
    memcpy(in.dims, dims, sizeof(int64_t) * (size_t)rank);
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &in, err, sizeof err), 0);
    snprintf(out, sizeof out, "out%s", level);
    snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' %s", path("model.onnx"),
             path("x.npy"), path(out), level);
    ck_assert_msg(run_dlcc(args) == 0, "dlcc %s failed", level);
    snprintf(out, sizeof out, "out%s/out.npy", level);
    ck_assert_int_eq(dlrt_read_npy(path(out), y, err, sizeof err), 0);
}

/* The same with a second input x2. */
static void run_model2(const char *level, const float *x, const int64_t *xd, int64_t n, const float *x2,
                       const int64_t *x2d, int64_t n2, dlrt_tensor *y)
{
    char args[1536], err[256], out[64];
    dlrt_tensor a = {1, 4, {0}, (void *)x, (size_t)n * sizeof(float)}, b = {1, 4, {0}, (void *)x2, (size_t)n2 * sizeof(float)};
    memcpy(a.dims, xd, sizeof(int64_t) * 4);
    memcpy(b.dims, x2d, sizeof(int64_t) * 4);
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &a, err, sizeof err), 0);
    ck_assert_int_eq(dlrt_write_npy(path("x2.npy"), &b, err, sizeof err), 0);
    snprintf(out, sizeof out, "out%s", level);
    snprintf(args, sizeof args, "run '%s' --input x='%s' --input x2='%s' --output-dir '%s' %s", path("model.onnx"),
             path("x.npy"), path("x2.npy"), path(out), level);
    ck_assert_msg(run_dlcc(args) == 0, "dlcc %s failed", level);
    snprintf(out, sizeof out, "out%s/out.npy", level);
    ck_assert_int_eq(dlrt_read_npy(path(out), y, err, sizeof err), 0);
}

/* -O0 and -O2 agree within 1e-5 relative; returns the -O2 output (caller frees). */
static dlrt_tensor run_both(mb_model *m, const float *x, int rank, const int64_t *dims, int64_t n)
{
    dlrt_tensor y0, y2;
    ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
    run_model("-O0", x, rank, dims, n, &y0);
    run_model("-O2", x, rank, dims, n, &y2);
    ck_assert_int_eq((int)y0.bytes, (int)y2.bytes);
    for (size_t i = 0; i < y0.bytes / sizeof(float); i++) {
        float a = ((float *)y0.data)[i], b = ((float *)y2.data)[i];
        ck_assert_msg(fabsf(a - b) <= 1e-5f * fmaxf(fabsf(a), 1e-3f), "y[%d]: -O0 %g, -O2 %g", (int)i,
                      (double)a, (double)b);
    }
    dlrt_tensor_free(&y0);
    return y2;
}

static float lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 9) & 0xffff) / 32768.0f - 1.0f;
}

static void fill(float *v, int n, unsigned seed)
{
    for (int i = 0; i < n; i++)
        v[i] = lcg(&seed);
}

/* ----------------------------------------------------------------- tests */

/* ResNet's Conv -> Add(skip) -> Relu. x: 1x2x1x2 = [[1, -2], [3, -4]];
 * 1x1 conv W = [[1, 1], [0, -1]], B = [0.5, 0]:
 *   y0 = x0 + x1 + 0.5 = [1+3+0.5, -2-4+0.5] = [4.5, -5.5]
 *   y1 = -x1           = [-3, 4]
 * + x: [5.5, -7.5, 0, 0]; Relu: [5.5, 0, 0, 0]. */
START_TEST(conv_add_relu)
{
    static const int64_t xd[4] = {1, 2, 1, 2}, wd[4] = {2, 2, 1, 1}, bd[1] = {2};
    static const float w[4] = {1, 1, 0, -1}, b[2] = {0.5f, 0}, x[4] = {1, -2, 3, -4};
    static const float want[4] = {5.5f, 0, 0, 0};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w", 4, wd, w);
    mb_init_f32(m, "b", 1, bd, b);
    mb_node(m, "Conv", "conv", "x,w,b", "y");
    mb_node(m, "Add", "add", "y,x", "z");
    mb_node(m, "Relu", "relu", "z", "out");
    mb_output(m, "out");
    expect_one_fused(m, "Conv", "Add,Relu", "x", DLK_ACT_RELU, DLK_RES_BEFORE_ACT);
    dlrt_tensor y = run_both(m, x, 4, xd, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(((float *)y.data)[i], want[i]);
    dlrt_tensor_free(&y);
    remove_dir();
}
END_TEST

/* Conv (3x3, padded, the im2col path) -> Relu -> Add(skip): act then add;
 * the skip is the other operand of the Add (first here). */
START_TEST(conv_relu_then_add)
{
    static const int64_t xd[4] = {1, 3, 5, 6}, wd[4] = {3, 3, 3, 3}, pads[4] = {1, 1, 1, 1};
    float w[81], x[90];
    make_dir();
    fill(w, 81, 1);
    fill(x, 90, 2);
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w", 4, wd, w);
    mb_attr_ints(mb_node(m, "Conv", "conv", "x,w", "y"), "pads", 4, pads);
    mb_node(m, "Relu", "relu", "y", "r");
    mb_node(m, "Add", "add", "x,r", "out");
    mb_output(m, "out");
    expect_one_fused(m, "Conv", "Relu,Add", "x", DLK_ACT_RELU, DLK_RES_AFTER_ACT);
    dlrt_tensor y = run_both(m, x, 4, xd, 90);
    dlrt_tensor_free(&y);
    remove_dir();
}
END_TEST

/* Gemm followed by each one-node activation. Hand check for Relu:
 * x = [[1, -1]], B = [[2, 0, 1], [1, 1, 1]] -> x B = [1, -1, 0]; Relu [1, 0, 0]. */
START_TEST(gemm_activations)
{
    static const int64_t xd[2] = {1, 2}, bd[2] = {2, 3};
    static const float bw[6] = {2, 0, 1, 1, 1, 1}, x[2] = {1, -1};
    static const struct { const char *op; int64_t act; } acts[] = {
        {"Relu", DLK_ACT_RELU}, {"Sigmoid", DLK_ACT_SIGMOID}, {"Tanh", DLK_ACT_TANH},
        {"LeakyRelu", DLK_ACT_LEAKY}, {"HardSigmoid", DLK_ACT_HARD_SIGMOID},
        {"HardSwish", DLK_ACT_HARD_SWISH}, {"Clip", DLK_ACT_CLIP},
    };
    make_dir();
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        mb_model *m = mb_new(14);
        mb_input(m, "x", 2, xd);
        mb_init_f32(m, "b", 2, bd, bw);
        mb_node(m, "Gemm", "gemm", "x,b", "y");
        if (strcmp(acts[k].op, "Clip") == 0) {
            static const float lo = 0.0f, hi = 0.5f;
            mb_init_f32(m, "lo", 0, NULL, &lo);
            mb_init_f32(m, "hi", 0, NULL, &hi);
            mb_node(m, "Clip", "act", "y,lo,hi", "out");
        } else {
            Onnx__NodeProto *a = mb_node(m, acts[k].op, "act", "y", "out");
            if (strcmp(acts[k].op, "LeakyRelu") == 0)
                attr_float(a, "alpha", 0.25f);
        }
        mb_output(m, "out");
        expect_one_fused(m, "Gemm", acts[k].op, NULL, acts[k].act, DLK_RES_NONE);
        dlrt_tensor y = run_both(m, x, 2, xd, 2);
        float *v = y.data;
        if (k == 0) {
            ck_assert_float_eq(v[0], 1.0f);
            ck_assert_float_eq(v[1], 0.0f);
            ck_assert_float_eq(v[2], 0.0f);
        } else if (strcmp(acts[k].op, "LeakyRelu") == 0) {
            ck_assert_float_eq(v[1], -0.25f);   /* 0.25 * -1 */
        } else if (strcmp(acts[k].op, "Clip") == 0) {
            ck_assert_float_eq(v[0], 0.5f);     /* min(max(1, 0), 0.5) */
            ck_assert_float_eq(v[1], 0.0f);
        }
        dlrt_tensor_free(&y);
    }
    remove_dir();
}
END_TEST

/* Conv -> x * Sigmoid(x) (SiLU as exported by PyTorch). */
START_TEST(conv_silu)
{
    static const int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {4, 2, 1, 1};
    float w[8], x[32];
    make_dir();
    fill(w, 8, 3);
    fill(x, 32, 4);
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w", 4, wd, w);
    mb_node(m, "Conv", "conv", "x,w", "y");
    mb_node(m, "Sigmoid", "sig", "y", "s");
    mb_node(m, "Mul", "mul", "s,y", "out");
    mb_output(m, "out");
    expect_one_fused(m, "Conv", "Sigmoid,Mul", NULL, DLK_ACT_SILU, DLK_RES_NONE);
    dlrt_tensor y = run_both(m, x, 4, xd, 32);
    dlrt_tensor_free(&y);
    remove_dir();
}
END_TEST

/* MatMul -> Div(sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5): the Erf GELU
 * in PyTorch's export order, and the (x * 0.5) * (1 + erf) order. */
START_TEST(matmul_gelu)
{
    static const int64_t xd[3] = {2, 3, 4}, wd[2] = {4, 5};
    static const float sqrt2 = 1.41421356f, one = 1.0f, half = 0.5f;
    float w[20], x[24];
    make_dir();
    fill(w, 20, 5);
    fill(x, 24, 6);
    for (int form = 0; form < 2; form++) {
        mb_model *m = mb_new(13);
        mb_input(m, "x", 3, xd);
        mb_init_f32(m, "w", 2, wd, w);
        mb_init_f32(m, "sqrt2", 0, NULL, &sqrt2);
        mb_init_f32(m, "one", 0, NULL, &one);
        mb_init_f32(m, "half", 0, NULL, &half);
        mb_node(m, "MatMul", "mm", "x,w", "y");
        mb_node(m, "Div", "div", "y,sqrt2", "d");
        mb_node(m, "Erf", "erf", "d", "e");
        mb_node(m, "Add", "add", "e,one", "e1");
        if (form == 0) {
            mb_node(m, "Mul", "mul", "y,e1", "p");
            mb_node(m, "Mul", "mul2", "p,half", "out");
        } else {
            mb_node(m, "Mul", "mul", "half,y", "h");
            mb_node(m, "Mul", "mul2", "h,e1", "out");
        }
        mb_output(m, "out");
        expect_one_fused(m, "MatMul", "Div,Erf,Add,Mul,Mul", NULL, DLK_ACT_GELU, DLK_RES_NONE);
        dlrt_tensor y = run_both(m, x, 3, xd, 24);
        dlrt_tensor_free(&y);
    }
    remove_dir();
}
END_TEST

/* A Conv whose output has another consumer (here: it is also a graph
 * output) keeps its Relu; and a 1x1 Conv not followed by anything fusable
 * still lowers (to the plain GEMM kernel) and computes the same. */
START_TEST(not_fused_when_shared)
{
    static const int64_t xd[4] = {1, 2, 3, 3}, wd[4] = {2, 2, 1, 1};
    float w[4], x[18];
    dl_diag d;
    make_dir();
    fill(w, 4, 7);
    fill(x, 18, 8);
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w", 4, wd, w);
    mb_node(m, "Conv", "conv", "x,w", "y");
    mb_node(m, "Relu", "relu", "y", "out");
    mb_output(m, "out");
    mb_output(m, "y");
    dl_graph *g = compile_graph(m, &d, true);
    ck_assert_int_eq(live_nodes(g), 2);
    ck_assert_ptr_null(find_op(g, "Conv")->fused);
    ck_assert_int_eq(dl_node_epilogue(find_op(g, "Conv"))->act, DLK_ACT_NONE);
    dl_graph_free(g);
    dl_diag_free(&d);
    dlrt_tensor y = run_both(m, x, 4, xd, 18);
    dlrt_tensor_free(&y);
    remove_dir();
}
END_TEST

static char *read_text(const char *file)
{
    static char buf[1 << 20];
    FILE *f = fopen(file, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* (d) Every Conv but a depthwise one lowers to the packed matrix product
 * (dlk_conv_gemm_f32); for a 1x1, stride-1, unpadded conv the kernel packs
 * x's rows as they are (no im2col), for a strided one it gathers. Both give
 * the hand-checked numbers, x = 1x2x1x2 [[1, 2], [3, 4]], W = [[1, 2], [-1, 0.5]]:
 * y0 = [1+6, 2+8] = [7, 10], y1 = [-1+1.5, -2+2] = [0.5, 0]; stride 2 keeps
 * the first column: [7, 0.5]. */
START_TEST(conv1x1_lowers_to_gemm)
{
    static const int64_t xd[4] = {1, 2, 1, 2}, wd[4] = {2, 2, 1, 1}, two[2] = {1, 2};
    static const float w[4] = {1, 2, -1, 0.5f}, x[4] = {1, 2, 3, 4}, want[4] = {7, 10, 0.5f, 0};
    static const float want_strided[2] = {7, 0.5f};
    char args[1024];
    make_dir();
    for (int strided = 0; strided < 2; strided++) {
        mb_model *m = mb_new(13);
        mb_input(m, "x", 4, xd);
        mb_init_f32(m, "w", 4, wd, w);
        Onnx__NodeProto *c = mb_node(m, "Conv", "conv", "x,w", "out");
        if (strided)
            mb_attr_ints(c, "strides", 2, two);
        mb_output(m, "out");
        ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
        snprintf(args, sizeof args, "'%s' -o '%s'", path("model.onnx"), path("m.c"));
        ck_assert_int_eq(run_dlcc(args), 0);
        const char *code = read_text(path("m.c"));
        ck_assert_ptr_nonnull(strstr(code, "dlk_conv_gemm_f32(par, &"));
        ck_assert_ptr_null(strstr(code, "dlk_conv_f32(&"));
        dlrt_tensor y = run_both(m, x, 4, xd, 4);   /* n: the input count */
        for (int i = 0; i < (strided ? 2 : 4); i++)
            ck_assert_float_eq(((float *)y.data)[i], strided ? want_strided[i] : want[i]);
        dlrt_tensor_free(&y);
    }
    remove_dir();
}
END_TEST

/* --disable-pass=fuse-epilogue leaves the graph as it was. */
START_TEST(disabled_pass_leaves_graph)
{
    static const int64_t xd[2] = {1, 2}, bd[2] = {2, 3};
    static const float bw[6] = {2, 0, 1, 1, 1, 1};
    dl_diag d;
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 2, xd);
    mb_init_f32(m, "b", 2, bd, bw);
    mb_node(m, "Gemm", "gemm", "x,b", "y");
    mb_node(m, "Relu", "relu", "y", "out");
    mb_output(m, "out");
    dl_graph *g = compile_graph(m, &d, false);
    ck_assert_int_eq(live_nodes(g), 2);
    ck_assert_ptr_nonnull(find_op(g, "Relu"));
    dl_graph_free(g);
    dl_diag_free(&d);
    remove_dir();
}
END_TEST

/* ------------------------------------------------------------ fuse-shuffle */

/* Conv (group G) [-> Add(skip)] -> Relu -> Reshape [N, G, C/G, rest] ->
 * Transpose [0, 2, 1, 3...] -> Reshape [N, C, H, W]: ShuffleNet's channel
 * shuffle. rank5: rest is H, W (else H*W); groups_seen: the G of the
 * Reshape (the conv's group or not); perm_ok: the Transpose swaps axes 1, 2. */
static mb_model *shuffle_model(const int64_t *xd, int64_t c_out, int64_t group, int64_t groups_seen, bool rank5,
                               bool residual, bool perm_ok, unsigned seed)
{
    const int64_t wd[4] = {c_out, xd[1] / group, 3, 3}, bd[1] = {c_out}, pads[4] = {1, 1, 1, 1};
    const int64_t s1[5] = {xd[0], groups_seen, c_out / groups_seen, xd[2], xd[3]};
    const int64_t s1f[4] = {xd[0], groups_seen, c_out / groups_seen, xd[2] * xd[3]};
    const int64_t s2[4] = {xd[0], c_out, xd[2], xd[3]};
    const int64_t perm5[5] = {0, 2, 1, 3, 4}, perm4[4] = {0, 2, 1, 3}, same5[5] = {0, 1, 2, 4, 3};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "w", 4, wd, seed);
    mb_init_random(m, "b", 1, bd, seed + 1);
    mb_init_i64(m, "s1", rank5 ? 5 : 4, rank5 ? s1 : s1f);
    mb_init_i64(m, "s2", 4, s2);
    Onnx__NodeProto *cv = mb_node(m, "Conv", "conv", "x,w,b", "y");
    mb_attr_ints(cv, "pads", 4, pads);
    mb_attr_int(cv, "group", group);
    if (residual) {
        mb_node(m, "Add", "add", "y,x", "z");   /* x has c_out channels here */
        mb_node(m, "Relu", "relu", "z", "r");
    } else {
        mb_node(m, "Relu", "relu", "y", "r");
    }
    mb_node(m, "Reshape", "split", "r,s1", "g");
    mb_attr_ints(mb_node(m, "Transpose", "shuffle", "g", "t"), "perm", rank5 ? 5 : 4,
                 !perm_ok ? same5 : rank5 ? perm5 : perm4);
    mb_node(m, "Reshape", "join", "t,s2", "out");
    mb_output(m, "out");
    return m;
}

/* -O0 (the conv, then the Transpose kernel's copy), -O2 and -O2 on two
 * threads (the grouped conv's items split over (group, pixels)) agree. */
static void check_shuffle_numbers(mb_model *m, const int64_t *xd, unsigned seed)
{
    const int64_t n = mb_count(4, xd);
    float *x = mb_random_floats(n, seed);
    dlrt_tensor y2 = run_both(m, x, 4, xd, n), yt;
    run_model("-O2 --threads 2", x, 4, xd, n, &yt);
    ck_assert_int_eq((int)yt.bytes, (int)y2.bytes);
    for (size_t i = 0; i < y2.bytes / sizeof(float); i++)
        ck_assert_float_eq(((float *)yt.data)[i], ((float *)y2.data)[i]);
    dlrt_tensor_free(&y2);
    dlrt_tensor_free(&yt);
    free(x);
}

/* m compiled at -O2: the conv took the shuffle, fusing `fused`, and is the
 * only node left, or (fused NULL) it did not and the Transpose stays; then
 * the numbers. */
static void expect_shuffle(mb_model *m, const int64_t *xd, const char *fused, unsigned seed)
{
    dl_diag d;
    dl_graph *g = compile_graph(m, &d, true);
    dl_node *cv = find_op(g, "Conv");
    ck_assert_ptr_nonnull(cv);
    ck_assert_int_eq(*dl_conv_shuffle(cv), fused != NULL);
    if (fused != NULL) {
        ck_assert_int_eq(live_nodes(g), 1);
        ck_assert_str_eq(cv->fused, fused);
        ck_assert_ptr_eq(cv->outputs[0], g->outputs[0]);
    } else {
        ck_assert_ptr_nonnull(find_op(g, "Transpose"));
    }
    dl_graph_free(g);
    dl_diag_free(&d);
    check_shuffle_numbers(m, xd, seed);
}

/* The three nodes go into the conv, which stores its output shuffled.
 * Hand check, 1x1 conv of 2 groups, x = [1, 2, 3, 4] (1x4x1x1), W
 * diagonal (o + 1): conv [1, 4, 9, 16], groups [1, 4] [9, 16], shuffled
 * [1, 9, 4, 16]. Then 3x3 convs of 4 groups, batch 1 and 2, the shuffle
 * split as [N, G, C/G, H, W] or [N, G, C/G, H*W], with a fused residual. */
START_TEST(conv_channel_shuffle)
{
    static const int64_t xd[4] = {1, 4, 1, 1}, wd[4] = {4, 2, 1, 1}, s1[5] = {1, 2, 2, 1, 1}, s2[4] = {1, 4, 1, 1};
    static const int64_t perm[5] = {0, 2, 1, 3, 4};
    static const float w[8] = {1, 0, 0, 2, 3, 0, 0, 4}, x[4] = {1, 2, 3, 4}, want[4] = {1, 9, 4, 16};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "w", 4, wd, w);
    mb_init_i64(m, "s1", 5, s1);
    mb_init_i64(m, "s2", 4, s2);
    mb_attr_int(mb_node(m, "Conv", "conv", "x,w", "y"), "group", 2);
    mb_node(m, "Reshape", "split", "y,s1", "g");
    mb_attr_ints(mb_node(m, "Transpose", "shuffle", "g", "t"), "perm", 5, perm);
    mb_node(m, "Reshape", "join", "t,s2", "out");
    mb_output(m, "out");
    expect_shuffle(m, xd, "Reshape,Transpose,Reshape", 5u);
    dlrt_tensor y = run_both(m, x, 4, xd, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(((float *)y.data)[i], want[i]);
    dlrt_tensor_free(&y);

    for (int k = 0; k < 4; k++) {
        const int64_t xs[4] = {k == 3 ? 2 : 1, 12, 5, 7};
        const bool rank5 = k != 1, residual = k >= 2;
        m = shuffle_model(xs, 12, 4, 4, rank5, residual, true, 10u + (unsigned)k);
        expect_shuffle(m, xs, residual ? "Add,Relu,Reshape,Transpose,Reshape" : "Relu,Reshape,Transpose,Reshape",
                       20u + (unsigned)k);
    }
    remove_dir();
}
END_TEST

/* Not a shuffle the conv can store: the Reshape's groups differ from the
 * conv's, the Transpose swaps other axes, the conv is depthwise (its own
 * kernel) or group 1. The nodes stay and the numbers hold. */
START_TEST(shuffle_not_fused)
{
    static const int64_t xd[4] = {1, 12, 4, 5};
    static const struct { int64_t group, seen; bool perm_ok; } cases[] = {
        {4, 2, true}, {4, 4, false}, {12, 4, true}, {1, 4, true},
    };
    make_dir();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mb_model *m = shuffle_model(xd, 12, cases[k].group, cases[k].seen, true, false, cases[k].perm_ok,
                                    30u + (unsigned)k);
        expect_shuffle(m, xd, NULL, 40u + (unsigned)k);
    }
    remove_dir();
}
END_TEST

/* ------------------------------------------------------------- fuse-mean */

/* Squeeze-excitation after a conv (EfficientNet): conv [-> SiLU] = a;
 * GlobalAveragePool(a) -> 1x1 conv -> Relu -> 1x1 conv -> Sigmoid = s;
 * out = a * s. group: the first conv's (c: depthwise). */
static mb_model *se_model(const int64_t *xd, int64_t group, unsigned seed)
{
    const int64_t c = xd[1], wd[4] = {c, c / group, 3, 3}, bd[1] = {c}, pads[4] = {1, 1, 1, 1};
    const int64_t w1d[4] = {4, c, 1, 1}, w2d[4] = {c, 4, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "w", 4, wd, seed);
    mb_init_random(m, "b", 1, bd, seed + 1);
    mb_init_random(m, "w1", 4, w1d, seed + 2);
    mb_init_random(m, "w2", 4, w2d, seed + 3);
    Onnx__NodeProto *cv = mb_node(m, "Conv", "dw", "x,w,b", "y");
    mb_attr_ints(cv, "pads", 4, pads);
    mb_attr_int(cv, "group", group);
    mb_node(m, "Sigmoid", "sig", "y", "ys");
    mb_node(m, "Mul", "silu", "y,ys", "a");
    mb_node(m, "GlobalAveragePool", "squeeze", "a", "m");
    mb_node(m, "Conv", "reduce", "m,w1", "r");
    mb_node(m, "Relu", "relu", "r", "rr");
    mb_node(m, "Conv", "expand", "rr,w2", "e");
    mb_node(m, "Sigmoid", "gate", "e", "s");
    mb_node(m, "Mul", "scale", "a,s", "out");
    mb_output(m, "out");
    return m;
}

/* The depthwise conv takes the pool (a second output) and keeps its SiLU;
 * -O0, -O2 and -O2 on two threads agree. A conv of group 1 keeps its pool. */
START_TEST(depthwise_takes_global_average_pool)
{
    static const int64_t xds[2][4] = {{1, 16, 13, 11}, {2, 24, 40, 37}};
    make_dir();
    for (int k = 0; k < 3; k++) {
        const int64_t *xd = xds[k == 1];
        const int64_t group = k == 2 ? 1 : xd[1];
        mb_model *m = se_model(xd, group, 50u + (unsigned)k);
        dl_diag d;
        dl_graph *g = compile_graph(m, &d, true);
        dl_node *pool = find_op(g, "GlobalAveragePool");
        if (group > 1) {
            dl_node *dw = NULL;
            ck_assert_ptr_null(pool);
            for (int i = 0; i < g->n_nodes; i++)
                if (!g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, "Conv") == 0 && g->nodes[i]->n_outputs == 2)
                    dw = g->nodes[i];
            ck_assert_ptr_nonnull(dw);
            ck_assert_ptr_nonnull(dw->fused);
            ck_assert_str_eq(dw->fused, "Sigmoid,Mul,GlobalAveragePool");
            ck_assert_str_eq(dw->outputs[1]->name, "m");
            ck_assert_int_eq(dw->outputs[1]->rank, 4);
            ck_assert_int_eq(dw->outputs[1]->dims[1], xd[1]);
            ck_assert_int_eq(dw->outputs[1]->dims[2] * dw->outputs[1]->dims[3], 1);
        } else {
            ck_assert_ptr_nonnull(pool);
        }
        dl_graph_free(g);
        dl_diag_free(&d);
        {   /* fuse-mean changes no bit (the pool's own summation), at 1 and 2 threads; against
             * -O0 the fused SiLU's exp (3e-7) is what differs, through the gate */
            static const char *const levels[3] = {"-O2 --disable-pass=fuse-mean", "-O2 --threads 2", "-O0"};
            const int64_t n = mb_count(4, xd);
            float *x = mb_random_floats(n, 60u + (unsigned)k);
            dlrt_tensor y2, yl;
            ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
            run_model("-O2", x, 4, xd, n, &y2);
            for (int l = 0; l < 3; l++) {
                run_model(levels[l], x, 4, xd, n, &yl);
                ck_assert_int_eq((int)yl.bytes, (int)y2.bytes);
                for (size_t i = 0; i < y2.bytes / sizeof(float); i++) {
                    const float a = ((float *)yl.data)[i], b = ((float *)y2.data)[i];
                    if (l < 2)
                        ck_assert_msg(a == b, "%s: y[%d] = %.9g, -O2 %.9g", levels[l], (int)i, (double)a, (double)b);
                    else
                        ck_assert_msg(fabsf(a - b) <= 1e-4f * fmaxf(fabsf(a), 1e-2f), "-O0: y[%d] = %g, -O2 %g",
                                      (int)i, (double)a, (double)b);
                }
                dlrt_tensor_free(&yl);
            }
            dlrt_tensor_free(&y2);
            free(x);
        }
    }
    remove_dir();
}
END_TEST

/* x -> 1x1 Conv (c_out, bias) -> act -> GlobalAveragePool -> out; the
 * conv's activated output also a graph output when both_out. */
static mb_model *mean_model(const int64_t *xd, int64_t c_out, const char *act, bool both_out, unsigned seed)
{
    const int64_t wd[4] = {c_out, xd[1], 1, 1}, bd[1] = {c_out};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "w", 4, wd, seed);
    mb_init_random(m, "b", 1, bd, seed + 1);
    mb_node(m, "Conv", "classifier", "x,w,b", "y");
    mb_node(m, act, "act", "y", "a");
    mb_node(m, "GlobalAveragePool", "pool", "a", "out");
    mb_output(m, "out");
    if (both_out)
        mb_output(m, "a");
    return m;
}

/* On an AVX-512 target a pointwise conv whose output only the pool reads
 * gives the pool's output (SqueezeNet's classifier: channels not in whole
 * blocks of 16); not when the blocked kernel would take it (channels in
 * whole blocks on a 7x7 plane), when its output is also a graph output, or
 * for a generic target. The outputs match -O2 without the pass within
 * rounding (another order of the sums), portable and -march=native, on 1
 * and 2 threads, and -O0. */
START_TEST(pointwise_conv_gives_its_mean)
{
    static const struct {
        int64_t xd[4], c_out;
        const char *act;
        bool both_out;
        int bits;
        bool fuses;
    } cases[5] = {
        {{1, 24, 13, 11}, 40, "Relu", false, 512, true},      /* 143 pixels: 10 tiles of 14 and 3 */
        {{2, 32, 9, 9}, 72, "Sigmoid", false, 512, true},     /* last block of 8 channels */
        {{1, 32, 7, 7}, 48, "Relu", false, 512, false},       /* the blocked kernel's */
        {{1, 24, 13, 11}, 40, "Relu", true, 512, false},      /* the conv's output read too */
        {{1, 24, 13, 11}, 40, "Relu", false, 0, false},       /* generic C */
    };
    make_dir();
    for (int k = 0; k < 5; k++) {
        const int64_t *xd = cases[k].xd;
        mb_model *m = mean_model(xd, cases[k].c_out, cases[k].act, cases[k].both_out, 90u + (unsigned)k);
        dl_diag d;
        dl_graph *g = compile_graph_for(m, &d, true, cases[k].bits);
        dl_node *pool = find_op(g, "GlobalAveragePool"), *conv = find_op(g, "Conv");
        ck_assert_ptr_nonnull(conv);
        ck_assert_int_eq(*dl_conv_mean_only(conv), cases[k].fuses);
        if (cases[k].fuses) {
            ck_assert_ptr_null(pool);
            ck_assert_int_eq(live_nodes(g), 1);
            ck_assert_str_eq(conv->fused, k == 1 ? "Sigmoid,GlobalAveragePool" : "Relu,GlobalAveragePool");
            ck_assert_ptr_eq(conv->outputs[0], g->outputs[0]);
            ck_assert_int_eq(conv->outputs[0]->dims[1], cases[k].c_out);
            ck_assert_int_eq(conv->outputs[0]->dims[2] * conv->outputs[0]->dims[3], 1);
        } else {
            ck_assert_ptr_nonnull(pool);
        }
        dl_graph_free(g);
        dl_diag_free(&d);
        if (k == 0 || k == 1) {
            static const char *const levels[4] = {"-O2", "-O2 --threads 2", "-O0", "-O2 --cpu=generic"};
            const int64_t n = mb_count(4, xd);
            float *x = mb_random_floats(n, 100u + (unsigned)k);
            dlrt_tensor want, yl;
            ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
            run_model("-O2 --disable-pass=fuse-mean", x, 4, xd, n, &want);
            for (int l = 0; l < 8; l++) {
                if (l >= 4)
                    setenv("CFLAGS", "-march=native", 1);
                run_model(levels[l % 4], x, 4, xd, n, &yl);
                unsetenv("CFLAGS");
                ck_assert_int_eq((int)yl.bytes, (int)want.bytes);
                for (size_t i = 0; i < want.bytes / sizeof(float); i++) {
                    const float a = ((float *)yl.data)[i], b = ((float *)want.data)[i];
                    ck_assert_msg(fabsf(a - b) <= 1e-5f * fmaxf(fabsf(b), 1.0f),
                                  "%s%s: y[%d] = %.9g, without fuse-mean %.9g", levels[l % 4],
                                  l >= 4 ? " -march=native" : "", (int)i, (double)a, (double)b);
                }
                dlrt_tensor_free(&yl);
            }
            dlrt_tensor_free(&want);
            free(x);
        }
    }
    remove_dir();
}
END_TEST

/* ------------------------------------------------------------- fuse-pool */

/* A stem: x (n x 3 x h x w) -> Conv (c_out, 7x7/2, pads 3) -> Relu [-> also
 * a graph output] -> MaxPool 3x3/2 (pads 1, ceil_mode) -> out. */
static mb_model *stem_model(const int64_t *xd, int64_t c_out, int ceil_mode, bool relu_out, unsigned seed)
{
    const int64_t wd[4] = {c_out, xd[1], 7, 7}, bd[1] = {c_out}, pads[4] = {3, 3, 3, 3}, s2[2] = {2, 2};
    const int64_t k3[2] = {3, 3}, p1[4] = {1, 1, 1, 1};
    mb_model *m = mb_new(13);
    Onnx__NodeProto *cv, *mp;
    mb_input(m, "x", 4, xd);
    mb_init_random(m, "w", 4, wd, seed);
    mb_init_random(m, "b", 1, bd, seed + 1);
    cv = mb_node(m, "Conv", "stem", "x,w,b", "y");
    mb_attr_ints(cv, "pads", 4, pads);
    mb_attr_ints(cv, "strides", 2, s2);
    mb_node(m, "Relu", "relu", "y", "r");
    mp = mb_node(m, "MaxPool", "pool", "r", "out");
    mb_attr_ints(mp, "kernel_shape", 2, k3);
    mb_attr_ints(mp, "strides", 2, s2);
    mb_attr_ints(mp, "pads", 4, p1);
    mb_attr_int(mp, "ceil_mode", ceil_mode);
    mb_output(m, "out");
    if (relu_out)
        mb_output(m, "r");
    return m;
}

/* The stem conv takes the MaxPool (its output the pool's, a scratch second
 * output, `fused` "Relu,MaxPool") for 16 and 32 output channels; not for
 * 24 (the channel tiles take whole blocks of 16) nor when the conv's
 * output is also a graph output. The outputs are bit for bit those of
 * -O2 without the pass, on 1 and 2 threads, built portable and for this
 * machine (CFLAGS -march=native: the fused AVX-512 path where it has
 * AVX-512); -O0 within 1e-5 of the largest output. */
START_TEST(stem_takes_max_pool)
{
    static const int64_t xds[2][4] = {{1, 3, 40, 37}, {2, 3, 45, 50}};
    make_dir();
    for (int k = 0; k < 4; k++) {
        const int64_t *xd = xds[k % 2], c_out = k == 2 ? 24 : 16 * (1 + k % 2);
        const bool fuses = k < 2;
        mb_model *m = stem_model(xd, c_out, k % 2, k == 3, 70u + (unsigned)k);
        dl_diag d;
        dl_graph *g = compile_graph(m, &d, true);
        dl_node *pool = find_op(g, "MaxPool"), *conv = find_op(g, "Conv");
        ck_assert_ptr_nonnull(conv);
        if (fuses) {
            ck_assert_ptr_null(pool);
            ck_assert_int_eq(live_nodes(g), 1);
            ck_assert_int_eq(conv->n_outputs, 2);
            ck_assert_str_eq(conv->fused, "Relu,MaxPool");
            ck_assert_ptr_eq(conv->outputs[0], g->outputs[0]);
            ck_assert_int_eq(conv->outputs[1]->rank, 1);
            ck_assert_int_eq(conv->outputs[1]->dims[0], xd[0] * c_out * ((xd[2] - 1) / 2 + 1) * ((xd[3] - 1) / 2 + 1));
            ck_assert_int_eq(dl_conv_pool(conv)->rank, 2);
        } else {
            ck_assert_ptr_nonnull(pool);
            ck_assert_int_eq(conv->n_outputs, 1);
        }
        dl_graph_free(g);
        dl_diag_free(&d);
        {   /* each run against the first of its build (portable, then -march=native): the same bits */
            static const char *const levels[7] = {"-O2 --disable-pass=fuse-pool", "-O2", "-O2 --threads 2",
                                                  "-O2 --disable-pass=fuse-pool", "-O2", "-O2 --threads 2", "-O0"};
            const int64_t n = mb_count(4, xd);
            float *x = mb_random_floats(n, 80u + (unsigned)k), top = 0.0f;
            dlrt_tensor ref[2], yl;
            ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
            for (int l = 0; l < 7; l++) {
                const int native = l >= 3 && l < 6;
                dlrt_tensor *want = &ref[l == 6 ? 0 : native];
                if (native)
                    setenv("CFLAGS", "-march=native", 1);
                run_model(levels[l], x, 4, xd, n, l % 3 == 0 && l < 6 ? want : &yl);
                unsetenv("CFLAGS");
                if (l % 3 == 0 && l < 6) {
                    for (size_t i = 0; i < want->bytes / sizeof(float); i++)
                        top = fmaxf(top, fabsf(((float *)want->data)[i]));
                    continue;
                }
                ck_assert_int_eq((int)yl.bytes, (int)want->bytes);
                for (size_t i = 0; i < want->bytes / sizeof(float); i++) {
                    const float a = ((float *)yl.data)[i], b = ((float *)want->data)[i];
                    if (l < 6)
                        ck_assert_msg(a == b, "%s%s: y[%d] = %.9g, without fuse-pool %.9g", levels[l],
                                      native ? " -march=native" : "", (int)i, (double)a, (double)b);
                    else
                        ck_assert_msg(fabsf(a - b) <= 1e-5f * top, "-O0: y[%d] = %g, -O2 %g (max |y| %g)", (int)i,
                                      (double)a, (double)b, (double)top);
                }
                dlrt_tensor_free(&yl);
            }
            dlrt_tensor_free(&ref[0]);
            dlrt_tensor_free(&ref[1]);
            free(x);
        }
    }
    remove_dir();
}
END_TEST

/* x -> Conv 3x3/2 (c1 outputs) -> Relu -> Conv 3x3 pad 1 (c2 outputs) + x2
 * (a residual) -> out: the first conv reads a 20-channel image, the second
 * the first's small plane. */
static mb_model *tiles_model(const int64_t *xd, int64_t c1, int64_t c2, unsigned seed)
{
    const int64_t w1d[4] = {c1, xd[1], 3, 3}, w2d[4] = {c2, c1, 3, 3}, b1d[1] = {c1}, b2d[1] = {c2};
    const int64_t p1[4] = {1, 1, 1, 1}, s2[2] = {2, 2}, p0[4] = {0, 1, 2, 1};
    const int64_t rd[4] = {xd[0], c2, (xd[2] - 1) / 2 + 1, (xd[3] - 1) / 2 + 1};
    mb_model *m = mb_new(13);
    Onnx__NodeProto *a, *b;
    mb_input(m, "x", 4, xd);
    mb_input(m, "x2", 4, rd);
    mb_init_random(m, "w1", 4, w1d, seed);
    mb_init_random(m, "b1", 1, b1d, seed + 1);
    mb_init_random(m, "w2", 4, w2d, seed + 2);
    mb_init_random(m, "b2", 1, b2d, seed + 3);
    a = mb_node(m, "Conv", "down", "x,w1,b1", "y1");
    mb_attr_ints(a, "pads", 4, p0);
    mb_attr_ints(a, "strides", 2, s2);
    mb_node(m, "Relu", "relu", "y1", "r1");
    b = mb_node(m, "Conv", "small", "r1,w2,b2", "y2");
    mb_attr_ints(b, "pads", 4, p1);
    mb_node(m, "Add", "res", "y2,x2", "out");
    mb_output(m, "out");
    return m;
}

/* conv-tiles takes both convs on an AVX-512 target (weights reordered, a
 * scratch second output of one padded image; the Relu and the residual
 * stay fused), only the 64-channel one of (64, 48), neither without
 * AVX-512; dlcc's outputs against --disable-pass=conv-tiles (the packed
 * product), built portable and for this machine, on 1 and 2 threads,
 * within 1e-5 of the largest output. */
START_TEST(convs_take_channel_tiles)
{
    static const int64_t xds[2][4] = {{1, 20, 13, 15}, {2, 20, 9, 29}};
    make_dir();
    for (int k = 0; k < 3; k++) {
        const int64_t *xd = xds[k % 2], c2 = k == 2 ? 48 : 32 * (1 + k);
        const int64_t rd[4] = {xd[0], c2, (xd[2] - 1) / 2 + 1, (xd[3] - 1) / 2 + 1};
        mb_model *m = tiles_model(xd, 64, c2, 90u + (unsigned)k);
        for (int bits = 0; bits <= 512; bits += 512) {
            dl_diag d;
            dl_graph *g = compile_graph_for(m, &d, true, bits);
            int taken = 0;
            for (int i = 0; i < g->n_nodes; i++) {
                dl_node *n = g->nodes[i];
                if (n->dead || strcmp(n->op_type, "Conv") != 0 || !*dl_conv_tiles(n))
                    continue;
                taken++;
                ck_assert_int_eq(n->n_outputs, 2);
                ck_assert_int_eq(n->outputs[1]->rank, 1);
                ck_assert_ptr_nonnull(n->fused);
                if (n->inputs[0] == g->inputs[0])   /* one padded image: pads (0, 1, 2, 1) */
                    ck_assert_int_eq(n->outputs[1]->dims[0], 20 * (xd[2] + 2) * (xd[3] + 2));
            }
            ck_assert_int_eq(taken, bits == 0 ? 0 : k == 2 ? 1 : 2);
            ck_assert_int_eq(live_nodes(g), 2);
            dl_graph_free(g);
            dl_diag_free(&d);
        }
        {
            static const char *const levels[3] = {"-O2 --disable-pass=conv-tiles", "-O2", "-O2 --threads 2"};
            const int64_t n = mb_count(4, xd), nr = mb_count(4, rd);
            float *x = mb_random_floats(n, 100u + (unsigned)k), *x2 = mb_random_floats(nr, 110u + (unsigned)k);
            for (int native = 0; native < 2; native++) {
                dlrt_tensor want, yl;
                float top = 0.0f;
                if (native)
                    setenv("CFLAGS", "-march=native", 1);
                ck_assert_int_eq(mb_save(m, path("model.onnx")), 0);
                for (int l = 0; l < 3; l++) {
                    run_model2(levels[l], x, xd, n, x2, rd, nr, l == 0 ? &want : &yl);
                    if (l == 0) {
                        for (size_t i = 0; i < want.bytes / sizeof(float); i++)
                            top = fmaxf(top, fabsf(((float *)want.data)[i]));
                        continue;
                    }
                    ck_assert_int_eq((int)yl.bytes, (int)want.bytes);
                    for (size_t i = 0; i < want.bytes / sizeof(float); i++) {
                        const float a = ((float *)yl.data)[i], b = ((float *)want.data)[i];
                        ck_assert_msg(fabsf(a - b) <= 1e-5f * top, "%s%s: y[%d] = %g, the packed product %g (max %g)",
                                      levels[l], native ? " -march=native" : "", (int)i, (double)a, (double)b,
                                      (double)top);
                    }
                    dlrt_tensor_free(&yl);
                }
                unsetenv("CFLAGS");
                dlrt_tensor_free(&want);
            }
            free(x);
            free(x2);
        }
    }
    remove_dir();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pass_epilogue");
    TCase *tc = tcase_create("fuse");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv_add_relu);
    tcase_add_test(tc, conv_relu_then_add);
    tcase_add_test(tc, gemm_activations);
    tcase_add_test(tc, conv_silu);
    tcase_add_test(tc, depthwise_takes_global_average_pool);
    tcase_add_test(tc, pointwise_conv_gives_its_mean);
    tcase_add_test(tc, stem_takes_max_pool);
    tcase_add_test(tc, convs_take_channel_tiles);
    tcase_add_test(tc, matmul_gelu);
    tcase_add_test(tc, not_fused_when_shared);
    tcase_add_test(tc, disabled_pass_leaves_graph);
    tcase_add_test(tc, conv1x1_lowers_to_gemm);
    tcase_add_test(tc, conv_channel_shuffle);
    tcase_add_test(tc, shuffle_not_fused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
