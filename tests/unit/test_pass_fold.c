/* The simplify and bn-fold passes on small graphs: the rewritten structure
 * (node counts and op types after the passes, run through the library with
 * only these two optional passes enabled), and the numbers (the real dlcc
 * `run` at -O0 against -O2 and against -O0 plus these passes: equal within
 * 1e-5 relative; the MatMul+Add -> Gemm rewrite bit-exactly). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#define SCRATCH_TAG "fold"
#include "scratch_dir.h"
#include "model_builder.h"
#include "passes/passes.h"

static char err_text[8192];

static int run_dlcc(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s/stderr.txt' >/dev/null", DLCC_BIN, args, dir);
    int status = system(cmd);
    FILE *f = fopen(path("stderr.txt"), "r");
    size_t n = f ? fread(err_text, 1, sizeof err_text - 1, f) : 0;
    err_text[n] = 0;
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ------------------------------------------------------------ model data */

/* Deterministic values in [lo, hi). */
static float *rnd(int64_t count, unsigned seed, float lo, float hi)
{
    float *v = mb_alloc(sizeof(float) * (size_t)count);
    unsigned s = seed * 2654435761u + 1;
    for (int64_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = lo + (hi - lo) * (float)((s >> 8) & 0xFFFF) / 65536.0f;
    }
    return v;
}

static void init_rnd(mb_model *m, const char *name, int rank, const int64_t *dims, unsigned seed, float lo, float hi)
{
    mb_init_f32(m, name, rank, dims, rnd(mb_count(rank, dims), seed, lo, hi));
}

/* BN statistics NAME_{g,b,m,v} for c channels (var > 0). */
static void bn_stats(mb_model *m, const char *name, int64_t c, unsigned seed)
{
    char buf[64];
    const char *suffix[4] = {"g", "b", "m", "v"};
    const float lo[4] = {0.5f, -1, -1, 0.2f}, hi[4] = {2, 1, 1, 3};
    for (int k = 0; k < 4; k++) {
        snprintf(buf, sizeof buf, "%s_%s", name, suffix[k]);
        init_rnd(m, buf, 1, &c, seed + (unsigned)k, lo[k], hi[k]);
    }
}

static Onnx__NodeProto *bn_node(mb_model *m, const char *name, const char *x, const char *y)
{
    char in[256];
    snprintf(in, sizeof in, "%s,%s_g,%s_b,%s_m,%s_v", x, name, name, name, name);
    return mb_node(m, "BatchNormalization", name, in, y);
}

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

static void attr_pads1(Onnx__NodeProto *n, int spatial)
{
    static const int64_t ones[6] = {1, 1, 1, 1, 1, 1};
    mb_attr_ints(n, "pads", 2 * spatial, ones);
}

/* ------------------------------------------------------------- structure */

typedef struct pass_result {
    dl_graph *g;
    char log[2048];
} pass_result;

/* Loads the saved model and runs the pipeline at -O0 plus simplify and bn-fold only. */
static void run_fold_passes(const char *model, pass_result *r)
{
    static const char *const enabled[2] = {"simplify", "bn-fold"};
    dl_diag d;
    dl_diag_init(&d, model);
    r->g = dl_load_onnx(model, NULL, &d);
    ck_assert_msg(r->g != NULL, "load: %s", d.n_messages ? d.messages[0] : "?");
    FILE *log = fmemopen(r->log, sizeof r->log - 1, "w");
    memset(r->log, 0, sizeof r->log);
    dl_pass_context ctx = {&d, log, NULL, NULL, false, 1 << 20, 0, enabled, NULL, 2, 0, NULL, 0};
    int rc = dl_run_passes(r->g, &ctx);
    fclose(log);
    ck_assert_msg(rc == 0, "passes: %s", d.n_messages ? d.messages[0] : "?");
    dl_diag_free(&d);
}

static int count_op(const dl_graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op) == 0;
    return n;
}

static int live_nodes(const dl_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead;
    return n;
}

static const dl_node *first_op(const dl_graph *g, const char *op)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op) == 0)
            return g->nodes[i];
    return NULL;
}

/* --------------------------------------------------------------- numbers */

/* Runs `dlcc run MODEL --input x=X.npy` with extra args into out-dir sub;
 * returns y's data (count floats checked). */
static float *run_model(const char *model, const char *x_npy, const char *sub, const char *extra, int64_t count)
{
    char args[2048], out_path[600], err[256];
    snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' %s", model, x_npy, path(sub), extra);
    ck_assert_msg(run_dlcc(args) == 0, "dlcc %s: %s", args, err_text);
    snprintf(out_path, sizeof out_path, "%s/y.npy", path(sub));
    dlrt_tensor y;
    ck_assert_msg(dlrt_read_npy(out_path, &y, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq((int64_t)y.bytes, count * (int64_t)sizeof(float));
    return y.data;
}

/* want vs got within rtol relative to the element or to want's largest
 * magnitude, whichever is larger (the criterion of the model tests: folded
 * weights round differently, and a sum that cancels to near zero keeps the
 * absolute error of its large terms); rtol 0 means bit-exact. */
static void expect_close(const float *want, const float *got, int64_t count, double rtol, const char *what)
{
    double top = 0;
    for (int64_t i = 0; i < count; i++)
        top = fmax(top, fabs((double)want[i]));
    for (int64_t i = 0; i < count; i++) {
        double tol = rtol * fmax(fabs((double)want[i]), top);
        ck_assert_msg(fabs((double)want[i] - (double)got[i]) <= tol, "%s: y[%lld] = %.9g, -O0 gives %.9g", what,
                      (long long)i, (double)got[i], (double)want[i]);
    }
}

/* Saves m, writes a random x, and compares -O0 with -O2 and with
 * -O0 + simplify + bn-fold (rtol; 0 means bit-exact). */
static void check_numbers(mb_model *m, const char *name, int x_rank, const int64_t *x_dims, int64_t y_count,
                          double rtol)
{
    char model[64], err[256];
    snprintf(model, sizeof model, "%s.onnx", name);
    ck_assert_int_eq(mb_save(m, path(model)), 0);
    int64_t xn = mb_count(x_rank, x_dims);
    dlrt_tensor x = {1, x_rank, {0}, rnd(xn, 99, -2, 2), (size_t)xn * sizeof(float)};
    memcpy(x.dims, x_dims, sizeof(int64_t) * (size_t)x_rank);
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &x, err, sizeof err), 0);
    char *model_path = strdup(path(model)), *x_path = strdup(path("x.npy"));
    float *y0 = run_model(model_path, x_path, "o0", "-O0", y_count);
    float *y2 = run_model(model_path, x_path, "o2", "-O2", y_count);
    float *yf = run_model(model_path, x_path, "of", "-O0 --enable-pass=simplify --enable-pass=bn-fold", y_count);
    expect_close(y0, y2, y_count, rtol, "-O2");
    expect_close(y0, yf, y_count, rtol, "-O0 + simplify + bn-fold");
    free(model_path);
    free(x_path);
    free(y0);
    free(y2);
    free(yf);
}

/* ------------------------------------------------------------------ tests */

static const int64_t x4[4] = {2, 4, 6, 6};

/* x[2,4,6,6] -> Conv(w[5,4,3,3], b, pads 1) -> BN -> Relu -> y */
static mb_model *conv_bn_model(bool bias)
{
    static const int64_t wd[4] = {5, 4, 3, 3}, bd[1] = {5};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "w", 4, wd, 1, -1, 1);
    if (bias)
        init_rnd(m, "b", 1, bd, 2, -1, 1);
    attr_pads1(mb_node(m, "Conv", "conv", bias ? "x,w,b" : "x,w", "c"), 2);
    bn_stats(m, "bn", 5, 10);
    bn_node(m, "bn", "c", "n");
    mb_node(m, "Relu", "relu", "n", "y");
    mb_output(m, "y");
    return m;
}

START_TEST(test_conv_bn_folds)
{
    make_dir();
    for (int bias = 0; bias < 2; bias++) {
        pass_result r;
        ck_assert_int_eq(mb_save(conv_bn_model(bias), path("m.onnx")), 0);
        run_fold_passes(path("m.onnx"), &r);
        ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 0);
        ck_assert_int_eq(count_op(r.g, "Conv"), 1);
        ck_assert_int_eq(live_nodes(r.g), 2);
        const dl_node *conv = first_op(r.g, "Conv");
        ck_assert_int_eq(conv->n_inputs, 3);
        ck_assert_str_eq(conv->fused, "BatchNormalization");
        ck_assert_str_eq(conv->outputs[0]->name, "n");   /* the BN's output keeps its name */
        ck_assert_msg(strstr(r.log, "bn-fold: 1 BatchNormalization folded into Conv, 0 into Gemm"), "%s", r.log);
        dl_graph_free(r.g);
        check_numbers(conv_bn_model(bias), bias ? "conv_bn_b" : "conv_bn", 4, x4, 2 * 5 * 6 * 6, 1e-5);
    }
    remove_dir();
}
END_TEST

/* Two convs share w; only the first is followed by a BN. The second must
 * still see the original weights (numbers) while the first folds. */
START_TEST(test_shared_weight_is_cloned)
{
    static const int64_t wd[4] = {4, 4, 1, 1};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "w", 4, wd, 3, -1, 1);
    mb_node(m, "Conv", "c1", "x,w", "a");
    bn_stats(m, "bn", 4, 20);
    bn_node(m, "bn", "a", "an");
    mb_node(m, "Conv", "c2", "an,w", "b");
    mb_node(m, "Add", "add", "b,an", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
    pass_result r;
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 0);
    ck_assert_int_eq(count_op(r.g, "Conv"), 2);
    const dl_node *c1 = first_op(r.g, "Conv");
    ck_assert_str_eq(c1->name, "c1");
    ck_assert_str_eq(c1->inputs[1] == dl_graph_find_value(r.g, "w") ? "shared" : "cloned", "cloned");
    dl_graph_free(r.g);
    check_numbers(m, "shared", 4, x4, 2 * 4 * 6 * 6, 1e-5);
    remove_dir();
}
END_TEST

/* BN -> Conv: folds forward when the conv pads nothing (grouped conv,
 * 3x3 valid), stays when the conv pads (the border would differ). */
static mb_model *bn_conv_model(bool padded)
{
    static const int64_t wd[4] = {6, 2, 3, 3};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    bn_stats(m, "bn", 4, 30);
    bn_node(m, "bn", "x", "n");
    init_rnd(m, "w", 4, wd, 4, -1, 1);
    Onnx__NodeProto *c = mb_node(m, "Conv", "conv", "n,w", "y");
    mb_attr_int(c, "group", 2);
    if (padded)
        attr_pads1(c, 2);
    mb_output(m, "y");
    return m;
}

START_TEST(test_bn_conv_forward)
{
    make_dir();
    for (int padded = 0; padded < 2; padded++) {
        pass_result r;
        ck_assert_int_eq(mb_save(bn_conv_model(padded), path("m.onnx")), 0);
        run_fold_passes(path("m.onnx"), &r);
        ck_assert_int_eq(count_op(r.g, "BatchNormalization"), padded ? 1 : 0);
        ck_assert_int_eq(count_op(r.g, "Conv"), 1);
        if (!padded)
            ck_assert_str_eq(first_op(r.g, "Conv")->fused, "BatchNormalization");
        else
            ck_assert_msg(strstr(r.log, "1 BatchNormalization left"), "%s", r.log);
        dl_graph_free(r.g);
        int64_t out_hw = padded ? 6 : 4;
        check_numbers(bn_conv_model(padded), padded ? "bn_conv_pad" : "bn_conv", 4, x4, 2 * 6 * out_hw * out_hw,
                      1e-5);
    }
    remove_dir();
}
END_TEST

/* Conv -> Mul([C,1,1]) -> Add([1,C,1,1]) folds into the conv; the same
 * with the conv output read twice does not. */
static mb_model *conv_muladd_model(bool second_reader)
{
    static const int64_t wd[4] = {5, 4, 3, 3}, kd3[3] = {5, 1, 1}, kd4[4] = {1, 5, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "w", 4, wd, 5, -1, 1);
    init_rnd(m, "k_mul", 3, kd3, 6, 0.5f, 2);
    init_rnd(m, "k_add", 4, kd4, 7, -1, 1);
    mb_node(m, "Conv", "conv", "x,w", "c");
    mb_node(m, "Mul", "mul", "c,k_mul", "p");
    mb_node(m, "Add", "add", "k_add,p", second_reader ? "q" : "y");
    if (second_reader)
        mb_node(m, "Add", "add2", "q,c", "y");
    mb_output(m, "y");
    return m;
}

START_TEST(test_conv_mul_add_fold)
{
    make_dir();
    for (int second = 0; second < 2; second++) {
        pass_result r;
        ck_assert_int_eq(mb_save(conv_muladd_model(second), path("m.onnx")), 0);
        run_fold_passes(path("m.onnx"), &r);
        ck_assert_int_eq(count_op(r.g, "Mul"), second ? 1 : 0);
        ck_assert_int_eq(count_op(r.g, "Add"), second ? 2 : 0);
        if (!second) {
            ck_assert_int_eq(live_nodes(r.g), 1);
            ck_assert_str_eq(first_op(r.g, "Conv")->fused, "Mul,Add");
            ck_assert_str_eq(first_op(r.g, "Conv")->outputs[0]->name, "y");
            ck_assert_msg(strstr(r.log, "2 Mul/Add folded"), "%s", r.log);
        }
        dl_graph_free(r.g);
        check_numbers(conv_muladd_model(second), second ? "muladd2" : "muladd", 4, x4, 2 * 5 * 4 * 4, 1e-5);
    }
    remove_dir();
}
END_TEST

/* ConvTranspose (group 2) -> BN folds per output channel. */
START_TEST(test_conv_transpose_bn)
{
    static const int64_t wd[4] = {4, 3, 2, 2};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "w", 4, wd, 8, -1, 1);
    Onnx__NodeProto *c = mb_node(m, "ConvTranspose", "ct", "x,w", "c");
    mb_attr_int(c, "group", 2);
    bn_stats(m, "bn", 6, 40);
    bn_node(m, "bn", "c", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
    pass_result r;
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 0);
    ck_assert_int_eq(live_nodes(r.g), 1);
    ck_assert_str_eq(first_op(r.g, "ConvTranspose")->outputs[0]->name, "y");
    dl_graph_free(r.g);
    check_numbers(m, "convt", 4, x4, 2 * 6 * 7 * 7, 1e-5);
    remove_dir();
}
END_TEST

/* Weights made at run time (as in the light model-zoo nets: a
 * ConstantOfShape too large to fold, here plus a small constant so they
 * differ along the input channels), Conv -> BN -> Mul -> Add: the BN and the
 * per-channel Mul scale the weights through one Mul node, the shift goes into
 * the bias, and nothing is left after the conv. */
static const int64_t x_wide[4] = {1, 128, 5, 5};

static mb_model *runtime_weight_model(void)
{
    static const int64_t shape[4] = {256, 128, 3, 3}, kd[4] = {1, 128, 3, 3}, cd[4] = {1, 256, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_wide);
    mb_init_i64(m, "w_shape", 4, shape);
    init_rnd(m, "w_k", 4, kd, 14, -0.1f, 0.1f);
    init_rnd(m, "k_mul", 4, cd, 15, 0.5f, 2);
    init_rnd(m, "k_add", 4, cd, 16, -1, 1);
    mb_node(m, "ConstantOfShape", "fill", "w_shape", "w0");   /* 1.2 MB of zeros */
    mb_node(m, "Add", "make_w", "w0,w_k", "w");
    attr_pads1(mb_node(m, "Conv", "conv", "x,w", "c"), 2);
    bn_stats(m, "bn", 256, 60);
    bn_node(m, "bn", "c", "n");
    mb_node(m, "Mul", "mul", "n,k_mul", "p");
    mb_node(m, "Add", "add", "p,k_add", "y");
    mb_output(m, "y");
    return m;
}

START_TEST(test_runtime_weights_bn)
{
    make_dir();
    pass_result r;
    ck_assert_int_eq(mb_save(runtime_weight_model(), path("m.onnx")), 0);
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 0);
    ck_assert_int_eq(count_op(r.g, "ConstantOfShape"), 1);   /* not folded: over the limit */
    ck_assert_int_eq(count_op(r.g, "Mul"), 1);               /* BN and Mul share one weight scale */
    ck_assert_int_eq(count_op(r.g, "Add"), 1);               /* the one that makes w */
    const dl_node *conv = first_op(r.g, "Conv");
    ck_assert_str_eq(conv->fused, "BatchNormalization,Mul,Add");
    ck_assert_str_eq(conv->outputs[0]->name, "y");
    ck_assert_ptr_eq(conv->inputs[1]->producer, first_op(r.g, "Mul"));
    ck_assert_ptr_nonnull(conv->inputs[2]->data);
    ck_assert_msg(strstr(r.log, "1 BatchNormalization folded into Conv, 0 into Gemm, 2 Mul/Add folded (3 of these "
                                "folds scale run-time weights)"), "%s", r.log);
    dl_graph_free(r.g);
    check_numbers(runtime_weight_model(), "rt_w", 4, x_wide, 256 * 5 * 5, 1e-5);
    remove_dir();
}
END_TEST

/* A BN with no conv neighbour (after an Add, before a padded conv) absorbs
 * the per-channel Mul and Add after it into its scale and bias (DenseNet's
 * Caffe2 export), and at -O2 the Relu runs inside it. */
static mb_model *lone_bn_model(void)
{
    static const int64_t cd[3] = {4, 1, 1}, wd[4] = {3, 4, 3, 3};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "k_mul", 3, cd, 17, -2, 2);
    init_rnd(m, "k_add", 3, cd, 18, -1, 1);
    init_rnd(m, "w", 4, wd, 19, -1, 1);
    mb_node(m, "Add", "twice", "x,x", "a");
    bn_stats(m, "bn", 4, 70);
    bn_node(m, "bn", "a", "n");
    mb_node(m, "Mul", "mul", "n,k_mul", "p");
    mb_node(m, "Add", "add", "k_add,p", "q");
    mb_node(m, "Relu", "relu", "q", "r");
    attr_pads1(mb_node(m, "Conv", "conv", "r,w", "y"), 2);
    mb_output(m, "y");
    return m;
}

START_TEST(test_lone_bn_scale_shift)
{
    make_dir();
    pass_result r;
    ck_assert_int_eq(mb_save(lone_bn_model(), path("m.onnx")), 0);
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 1);
    ck_assert_int_eq(count_op(r.g, "Mul"), 0);
    ck_assert_int_eq(count_op(r.g, "Add"), 1);   /* x + x */
    ck_assert_str_eq(first_op(r.g, "BatchNormalization")->fused, "Mul,Add");
    ck_assert_str_eq(first_op(r.g, "BatchNormalization")->outputs[0]->name, "q");
    ck_assert_msg(strstr(r.log, "2 Mul/Add folded (0 of these folds scale run-time weights), 1 BatchNormalization "
                                "left"), "%s", r.log);
    dl_graph_free(r.g);
    /* At -O2 the Relu is the BN's epilogue. */
    char args[1024], *model = strdup(path("m.onnx"));
    snprintf(args, sizeof args, "'%s' -O2 -v -o '%s'", model, path("m.c"));
    free(model);
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    ck_assert_msg(strstr(err_text, "fuse-epilogue: 1 epilogues fused into Conv/Gemm/MatMul/BatchNormalization (0 "
                                   "residual adds, 1 activations)"), "%s", err_text);
    check_numbers(lone_bn_model(), "lone_bn", 4, x4, 2 * 3 * 6 * 6, 1e-5);
    remove_dir();
}
END_TEST

/* Pre-activation (DenseNet): x -> BN -> Relu -> 1x1 Conv (bias) -> y, and
 * the same with a second reader of the BN output, which keeps the BN. */
static mb_model *bn_relu_conv_model(bool second_reader)
{
    static const int64_t wd[4] = {5, 4, 1, 1}, bd[1] = {5};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x4);
    init_rnd(m, "w", 4, wd, 21, -1, 1);
    init_rnd(m, "b", 1, bd, 22, -1, 1);
    bn_stats(m, "bn", 4, 80);
    bn_node(m, "bn", "x", "n");
    mb_node(m, "Relu", "relu", "n", "r");
    mb_node(m, "Conv", "conv", "r,w,b", second_reader ? "c" : "y");
    if (second_reader) {
        mb_node(m, "ReduceSum", "sum", "r", "s");   /* keepdims: [1,1,1,1], broadcast over c */
        mb_node(m, "Add", "add", "c,s", "y");
    }
    mb_output(m, "y");
    return m;
}

START_TEST(test_bn_relu_into_conv_prologue)
{
    make_dir();
    for (int second = 0; second < 2; second++) {
        char args[1024], *model;
        ck_assert_int_eq(mb_save(bn_relu_conv_model(second), path("m.onnx")), 0);
        model = strdup(path("m.onnx"));
        snprintf(args, sizeof args, "'%s' -O2 -v -o '%s'", model, path("m.c"));
        free(model);
        ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
        ck_assert_msg(strstr(err_text, second ? "conv-prologue: 0 BatchNormalization [+ Relu] and 0 per-channel Mul"
                                              : "conv-prologue: 1 BatchNormalization [+ Relu] and 0 per-channel Mul"),
                      "%s", err_text);
        check_numbers(bn_relu_conv_model(second), second ? "bn_relu_conv2" : "bn_relu_conv", 4, x4,
                      2 * 5 * 6 * 6, 1e-5);
    }
    remove_dir();
}
END_TEST

/* Squeeze-excitation (EfficientNet): x [1,4,6,6], s = Sigmoid(Conv1x1(
 * GlobalAveragePool(x))) [1,4,1,1], Mul(x, s) -> 1x1 Conv -> y; the Mul
 * becomes the conv's scale prologue. */
static const int64_t x1img[4] = {1, 4, 6, 6};

static mb_model *se_conv_model(void)
{
    static const int64_t wd[4] = {5, 4, 1, 1}, sd[4] = {4, 4, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x1img);
    init_rnd(m, "w", 4, wd, 23, -1, 1);
    init_rnd(m, "ws", 4, sd, 24, -1, 1);
    mb_node(m, "GlobalAveragePool", "gap", "x", "g");
    mb_node(m, "Conv", "squeeze", "g,ws", "z");
    mb_node(m, "Sigmoid", "sig", "z", "s");
    mb_node(m, "Mul", "scale", "x,s", "xs");
    mb_node(m, "Conv", "conv", "xs,w", "y");
    mb_output(m, "y");
    return m;
}

START_TEST(test_se_mul_into_conv_prologue)
{
    char args[1024], *model;
    make_dir();
    ck_assert_int_eq(mb_save(se_conv_model(), path("m.onnx")), 0);
    model = strdup(path("m.onnx"));
    snprintf(args, sizeof args, "'%s' -O2 -v -o '%s'", model, path("m.c"));
    free(model);
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    ck_assert_msg(strstr(err_text, "conv-prologue: 0 BatchNormalization [+ Relu] and 1 per-channel Mul"), "%s",
                  err_text);
    check_numbers(se_conv_model(), "se_conv", 4, x1img, 5 * 6 * 6, 1e-5);
    remove_dir();
}
END_TEST

/* Gemm (transB, alpha, beta, C [N]) -> BN and MatMul -> BN, on 2-D x. */
static const int64_t x2[2] = {3, 8};

START_TEST(test_gemm_and_matmul_bn)
{
    static const int64_t bt[2] = {5, 8}, b[2] = {8, 5}, cd[1] = {5};
    make_dir();
    for (int kind = 0; kind < 2; kind++) {
        mb_model *m = mb_new(13);
        mb_input(m, "x", 2, x2);
        if (kind == 0) {
            init_rnd(m, "w", 2, bt, 9, -1, 1);
            init_rnd(m, "c", 1, cd, 10, -1, 1);
            Onnx__NodeProto *n = mb_node(m, "Gemm", "gemm", "x,w,c", "g");
            mb_attr_int(n, "transB", 1);
            attr_float(n, "alpha", 0.75f);
            attr_float(n, "beta", 1.5f);
        } else {
            init_rnd(m, "w", 2, b, 11, -1, 1);
            mb_node(m, "MatMul", "mm", "x,w", "g");
        }
        bn_stats(m, "bn", 5, 50);
        bn_node(m, "bn", "g", "y");
        mb_output(m, "y");
        ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
        pass_result r;
        run_fold_passes(path("m.onnx"), &r);
        ck_assert_int_eq(count_op(r.g, "BatchNormalization"), 0);
        ck_assert_int_eq(count_op(r.g, "Gemm"), 1);
        ck_assert_int_eq(live_nodes(r.g), 1);
        ck_assert_msg(strstr(r.log, "0 BatchNormalization folded into Conv, 1 into Gemm"), "%s", r.log);
        dl_graph_free(r.g);
        check_numbers(m, kind ? "mm_bn" : "gemm_bn", 2, x2, 3 * 5, 1e-5);
    }
    remove_dir();
}
END_TEST

/* MatMul(x, W) + b -> Gemm, bit-exact; with a run-time B or a bias that
 * grows the output it stays. */
START_TEST(test_matmul_add_to_gemm)
{
    static const int64_t b[2] = {8, 5}, cd[2] = {1, 5};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 2, x2);
    init_rnd(m, "w", 2, b, 12, -1, 1);
    init_rnd(m, "bias", 2, cd, 13, -1, 1);
    mb_node(m, "MatMul", "mm", "x,w", "p");
    mb_node(m, "Add", "add", "bias,p", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
    pass_result r;
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "MatMul"), 0);
    ck_assert_int_eq(count_op(r.g, "Add"), 0);
    ck_assert_int_eq(count_op(r.g, "Gemm"), 1);
    ck_assert_str_eq(first_op(r.g, "Gemm")->outputs[0]->name, "y");
    ck_assert_msg(strstr(r.log, "1 MatMul+Add -> Gemm"), "%s", r.log);
    dl_graph_free(r.g);
    check_numbers(m, "mm_add", 2, x2, 15, 0);

    /* An Add that reads no constant leaves the MatMul alone. */
    mb_model *m2 = mb_new(13);
    mb_input(m2, "x", 2, x2);
    init_rnd(m2, "w", 2, b, 12, -1, 1);
    mb_node(m2, "MatMul", "mm", "x,w", "p");
    mb_node(m2, "Add", "add", "p,p", "y");
    mb_output(m2, "y");
    ck_assert_int_eq(mb_save(m2, path("m2.onnx")), 0);
    run_fold_passes(path("m2.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "MatMul"), 1);   /* the Add reads no constant */
    ck_assert_int_eq(count_op(r.g, "Gemm"), 0);
    dl_graph_free(r.g);
    remove_dir();
}
END_TEST

/* Identity and Dropout go; the graph output keeps its name; an Identity
 * from a graph input straight to an output stays. */
START_TEST(test_identity_dropout_removed)
{
    static const int64_t d2[2] = {3, 8};
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 2, d2);
    mb_node(m, "Identity", "i1", "x", "a");
    mb_node(m, "Relu", "relu", "a", "b");
    mb_node(m, "Dropout", "drop", "b", "c,mask");
    mb_node(m, "Neg", "neg", "c", "d");
    mb_node(m, "Identity", "i2", "d", "y");
    mb_node(m, "Identity", "i3", "x", "z");
    mb_output(m, "y");
    mb_output(m, "z");
    ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
    pass_result r;
    run_fold_passes(path("m.onnx"), &r);
    ck_assert_int_eq(count_op(r.g, "Dropout"), 0);
    ck_assert_int_eq(count_op(r.g, "Identity"), 1);   /* i3: x is a graph input */
    ck_assert_int_eq(live_nodes(r.g), 3);
    ck_assert_str_eq(first_op(r.g, "Neg")->outputs[0]->name, "y");
    ck_assert_str_eq(r.g->outputs[0]->name, "y");
    ck_assert_str_eq(r.g->outputs[1]->name, "z");
    ck_assert_msg(strstr(r.log, "simplify: 3 Identity/Dropout removed (1 kept"), "%s", r.log);
    dl_graph_free(r.g);
    check_numbers(m, "ident", 2, d2, 24, 0);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pass_fold");
    TCase *tc = tcase_create("fold");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_conv_bn_folds);
    tcase_add_test(tc, test_shared_weight_is_cloned);
    tcase_add_test(tc, test_bn_conv_forward);
    tcase_add_test(tc, test_conv_mul_add_fold);
    tcase_add_test(tc, test_conv_transpose_bn);
    tcase_add_test(tc, test_runtime_weights_bn);
    tcase_add_test(tc, test_lone_bn_scale_shift);
    tcase_add_test(tc, test_bn_relu_into_conv_prologue);
    tcase_add_test(tc, test_se_mul_into_conv_prologue);
    tcase_add_test(tc, test_gemm_and_matmul_bn);
    tcase_add_test(tc, test_matmul_add_to_gemm);
    tcase_add_test(tc, test_identity_dropout_removed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
