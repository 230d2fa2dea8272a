/* Element-wise unary ops: activations (Relu LeakyRelu Clip Sigmoid
 * HardSigmoid HardSwish Tanh Elu Selu Softplus Gelu Celu Mish Shrink
 * ThresholdedRelu Softsign Swish) and math (Erf Exp Log Sqrt Reciprocal Neg
 * Abs Floor Ceil Round and the trigonometric and hyperbolic functions). Each lowers to one kernel call over the
 * contiguous elements; attribute values become float arguments. */
#include <float.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/unary.h"

typedef void (*un_f32_fn)(const float *x, float *y, int64_t n);
typedef void (*un_f32_1_fn)(const float *x, float *y, int64_t n, float a0);
typedef void (*un_f32_2_fn)(const float *x, float *y, int64_t n, float a0, float a1);
typedef void (*un_i64_fn)(const int64_t *x, int64_t *y, int64_t n);
typedef void (*un_f64_fn)(const double *x, double *y, int64_t n);
typedef void (*un_i32_fn)(const int32_t *x, int32_t *y, int64_t n);

/* One op: its kernels per element type and the float attributes they take. */
typedef struct un_op {
    const char *op_type;
    int n_args;                 /* float arguments after n: 0, 1 or 2 */
    const char *attrs[2];       /* attribute names of the arguments */
    float defaults[2];          /* ... and their ONNX defaults */
    const char *f32_name;
    un_f32_fn f32;
    un_f32_1_fn f32_1;
    un_f32_2_fn f32_2;
    const char *i64_name;
    un_i64_fn i64;
    const char *i32_name;
    un_i32_fn i32;
    const char *f64_name;       /* float64, only for attribute-free ops */
    un_f64_fn f64;
} un_op;

#define F32(fn) .f32_name = #fn, .f32 = fn
#define F32_1(fn, attr, dflt) .n_args = 1, .attrs = {attr}, .defaults = {dflt}, .f32_name = #fn, .f32_1 = fn
#define F32_2(fn, at0, df0, at1, df1) \
    .n_args = 2, .attrs = {at0, at1}, .defaults = {df0, df1}, .f32_name = #fn, .f32_2 = fn
#define F64(fn) .f64_name = #fn, .f64 = fn
#define INTS(fn64, fn32) .i64_name = #fn64, .i64 = fn64, .i32_name = #fn32, .i32 = fn32

static const un_op un_ops[] = {
    {"Relu", F32(dlk_relu_f32), F64(dlk_relu_f64)},
    {"LeakyRelu", F32_1(dlk_leaky_relu_f32, "alpha", 0.01f)},
    /* Clip-6's attributes; Clip-11 reads inputs instead (see clip_bounds).
     * Absent bounds are the type's lowest and max, as the spec says. */
    {"Clip", F32_2(dlk_clip_f32, "min", -FLT_MAX, "max", FLT_MAX)},
    {"Sigmoid", F32(dlk_sigmoid_f32), F64(dlk_sigmoid_f64)},
    {"HardSigmoid", F32_2(dlk_hard_sigmoid_f32, "alpha", 0.2f, "beta", 0.5f)},
    {"HardSwish", F32(dlk_hard_swish_f32)},
    {"Tanh", F32(dlk_tanh_f32), F64(dlk_tanh_f64)},
    {"Elu", F32_1(dlk_elu_f32, "alpha", 1.0f)},
    {"Selu", F32_2(dlk_selu_f32, "alpha", 1.67326319217681884765625f, "gamma", 1.05070102214813232421875f)},
    {"Softplus", F32(dlk_softplus_f32)},
    {"Gelu", F32(dlk_gelu_f32)},
    {"Erf", F32(dlk_erf_f32), F64(dlk_erf_f64)},
    {"Exp", F32(dlk_exp_f32), F64(dlk_exp_f64)},
    {"Log", F32(dlk_log_f32), F64(dlk_log_f64)},
    {"Sqrt", F32(dlk_sqrt_f32), F64(dlk_sqrt_f64)},
    {"Reciprocal", F32(dlk_reciprocal_f32), F64(dlk_reciprocal_f64)},
    {"Neg", F32(dlk_neg_f32), INTS(dlk_neg_i64, dlk_neg_i32), F64(dlk_neg_f64)},
    {"Abs", F32(dlk_abs_f32), INTS(dlk_abs_i64, dlk_abs_i32), F64(dlk_abs_f64)},
    {"Floor", F32(dlk_floor_f32), F64(dlk_floor_f64)},
    {"Ceil", F32(dlk_ceil_f32), F64(dlk_ceil_f64)},
    {"Round", F32(dlk_round_f32), F64(dlk_round_f64)},
    {"Sin", F32(dlk_sin_f32), F64(dlk_sin_f64)},
    {"Cos", F32(dlk_cos_f32), F64(dlk_cos_f64)},
    {"Tan", F32(dlk_tan_f32)},
    {"Asin", F32(dlk_asin_f32)},
    {"Acos", F32(dlk_acos_f32)},
    {"Atan", F32(dlk_atan_f32)},
    {"Sinh", F32(dlk_sinh_f32)},
    {"Cosh", F32(dlk_cosh_f32)},
    {"Asinh", F32(dlk_asinh_f32)},
    {"Acosh", F32(dlk_acosh_f32)},
    {"Atanh", F32(dlk_atanh_f32)},
    {"Softsign", F32(dlk_softsign_f32)},
    {"Mish", F32(dlk_mish_f32)},
    {"Celu", F32_1(dlk_celu_f32, "alpha", 1.0f)},
    {"ThresholdedRelu", F32_1(dlk_thresholded_relu_f32, "alpha", 1.0f)},
    {"Swish", F32_1(dlk_swish_f32, "alpha", 1.0f)},
    {"Shrink", F32_2(dlk_shrink_f32, "bias", 0.0f, "lambd", 0.5f)},
};

/* Gelu with approximate="tanh". */
static const un_op gelu_tanh = {"Gelu", F32(dlk_gelu_tanh_f32)};

typedef struct unary_params {
    const un_op *op;
    float args[2];
} unary_params;

static const un_op *find_un_op(const char *op_type)
{
    size_t i;
    for (i = 0; i < sizeof un_ops / sizeof un_ops[0]; i++)
        if (strcmp(un_ops[i].op_type, op_type) == 0)
            return &un_ops[i];
    return NULL;
}

static bool is_clip11(const dl_node *n)
{
    return strcmp(n->op_type, "Clip") == 0 && n->opset >= 11;
}

static int unary_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    const un_op *op = find_un_op(n->op_type);
    unary_params *up;
    int i;
    if (!op)
        return dl_error(d, n, "unary.c has no op type '%s'", n->op_type);
    up = dl_node_params(g, n, sizeof *up);
    if (!up)
        return dl_error(d, n, "out of memory");
    if (strcmp(n->op_type, "Gelu") == 0) {
        const char *approx = dl_attr_string(n, "approximate", "none");
        if (strcmp(approx, "tanh") == 0)
            op = &gelu_tanh;
        else if (strcmp(approx, "none") != 0)
            return dl_error(d, n, "attribute approximate is '%s'; expected 'none' or 'tanh'", approx);
    }
    up->op = op;
    for (i = 0; i < op->n_args; i++)
        up->args[i] = is_clip11(n) ? op->defaults[i] : dl_attr_float(n, op->attrs[i], op->defaults[i]);
    return 0;
}

/* Clip-11 and later: min and max are optional one-element inputs of x's
 * type, constant or computed at run time; the kernel takes them as pointers
 * (NULL when absent), so the shape never depends on them. */
typedef void (*clip_rt_fn)(const void *x, const void *lo, const void *hi, void *y, int64_t n);

typedef struct clip_rt_kernel {
    dl_dtype dtype;
    const char *name;
    clip_rt_fn fn;
} clip_rt_kernel;

#define CLIP_RT(dt, fn) {dt, #fn, (clip_rt_fn)(void (*)(void))fn}
static const clip_rt_kernel clip_rt_kernels[] = {
    CLIP_RT(DL_FLOAT, dlk_clip_rt_f32), CLIP_RT(DL_DOUBLE, dlk_clip_rt_f64),
    CLIP_RT(DL_INT8, dlk_clip_rt_i8),   CLIP_RT(DL_INT16, dlk_clip_rt_i16),
    CLIP_RT(DL_INT32, dlk_clip_rt_i32), CLIP_RT(DL_INT64, dlk_clip_rt_i64),
    CLIP_RT(DL_UINT8, dlk_clip_rt_u8),  CLIP_RT(DL_UINT16, dlk_clip_rt_u16),
    CLIP_RT(DL_UINT32, dlk_clip_rt_u32), CLIP_RT(DL_UINT64, dlk_clip_rt_u64),
};

static const clip_rt_kernel *find_clip_rt(dl_dtype t)
{
    size_t i;
    for (i = 0; i < sizeof clip_rt_kernels / sizeof clip_rt_kernels[0]; i++)
        if (clip_rt_kernels[i].dtype == t)
            return &clip_rt_kernels[i];
    return NULL;
}

static const dl_value *clip_bound(const dl_node *n, int i)
{
    return i + 1 < n->n_inputs ? n->inputs[i + 1] : NULL;
}

static int clip11_infer(dl_diag *d, dl_node *n)
{
    static const char *const names[2] = {"min", "max"};
    const dl_value *x = n->inputs[0];
    int i;
    if (!find_clip_rt(x->dtype))
        return dl_error(d, n, "input 0 ('%s') is %s, not supported; Clip supports float32, float64 and the "
                        "8- to 64-bit integer types", x->name, dl_dtype_name(x->dtype));
    for (i = 0; i < 2; i++) {
        const dl_value *v = clip_bound(n, i);
        if (!v)
            continue;
        if (v->dtype != x->dtype || v->rank < 0 || dl_value_numel(v) != 1)
            return dl_error(d, n, "input %d ('%s', the %s bound) must be one %s; found %s with %lld elements",
                            i + 1, v->name, names[i], dl_dtype_name(x->dtype), dl_dtype_name(v->dtype),
                            (long long)(v->rank < 0 ? -1 : dl_value_numel(v)));
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

static void clip11_eval(const dl_node *n)
{
    const dl_value *lo = clip_bound(n, 0), *hi = clip_bound(n, 1);
    find_clip_rt(n->inputs[0]->dtype)->fn(n->inputs[0]->data, lo ? lo->data : NULL, hi ? hi->data : NULL,
                                          n->outputs[0]->data, dl_value_numel(n->inputs[0]));
}

static void clip11_lower(const dl_node *n, dl_lower *l)
{
    const char *kernel = find_clip_rt(n->inputs[0]->dtype)->name;
    if (dl_value_numel(n->inputs[0]) == 0)
        return;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, clip_bound(n, 0));
    dl_lower_arg_value(l, clip_bound(n, 1));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, dl_value_numel(n->inputs[0]));
    dl_lower_call_end(l);
}

static const char *supported_types(const un_op *op)
{
    if (op->i64)
        return op->f64 ? "float32, float64, int64 and int32" : "float32, int64 and int32";
    return op->f64 ? "float32 and float64" : "float32";
}

static int unary_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    unary_params *up = n->params;
    const dl_value *x;
    bool ok;
    (void)g;
    if (dl_check_inputs(d, n, 1, is_clip11(n) ? 3 : 1) != 0)
        return -1;
    x = n->inputs[0];
    if (!x)
        return dl_error(d, n, "input 0 is missing; %s needs it", n->op_type);
    if (x->rank < 0)
        return dl_error(d, n, "input 0 ('%s') has no known shape", x->name);
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (is_clip11(n))
        return clip11_infer(d, n);
    ok = x->dtype == DL_FLOAT || (up->op->f64 && x->dtype == DL_DOUBLE) || (up->op->i64 && (x->dtype == DL_INT64 || x->dtype == DL_INT32));
    if (!ok)
        return dl_error(d, n, "input 0 ('%s') is %s, not supported; %s supports %s", x->name, dl_dtype_name(x->dtype),
                        n->op_type, supported_types(up->op));
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

static int unary_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const unary_params *up = n->params;
    const un_op *op = up->op;
    const dl_value *x = n->inputs[0];
    dl_value *y = n->outputs[0];
    int64_t count = dl_value_numel(x);
    (void)g;
    (void)d;
    if (is_clip11(n)) {
        clip11_eval(n);
        return 0;
    }
    if (x->dtype == DL_INT64)
        op->i64(x->data, y->data, count);
    else if (x->dtype == DL_DOUBLE)
        op->f64(x->data, y->data, count);
    else if (x->dtype == DL_INT32)
        op->i32(x->data, y->data, count);
    else if (op->n_args == 0)
        op->f32(x->data, y->data, count);
    else if (op->n_args == 1)
        op->f32_1(x->data, y->data, count, up->args[0]);
    else
        op->f32_2(x->data, y->data, count, up->args[0], up->args[1]);
    return 0;
}

static int unary_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const unary_params *up = n->params;
    const dl_value *x = n->inputs[0];
    const char *kernel = x->dtype == DL_INT64 ? up->op->i64_name
                         : x->dtype == DL_DOUBLE ? up->op->f64_name
                         : x->dtype == DL_INT32 ? up->op->i32_name : up->op->f32_name;
    int i;
    (void)g;
    (void)d;
    if (is_clip11(n)) {
        clip11_lower(n, l);
        return 0;
    }
    if (dl_value_numel(x) == 0)
        return 0;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, dl_value_numel(x));
    for (i = 0; x->dtype == DL_FLOAT && i < up->op->n_args; i++)
        dl_lower_arg_float(l, up->args[i]);
    dl_lower_call_end(l);
    return 0;
}

#define UNARY_OP(name) const dl_op dl_op_##name = {#name, 0, unary_setup, unary_infer, unary_eval, unary_lower};
UNARY_OP(Relu)
UNARY_OP(LeakyRelu)
UNARY_OP(Clip)
UNARY_OP(Sigmoid)
UNARY_OP(HardSigmoid)
UNARY_OP(HardSwish)
UNARY_OP(Tanh)
UNARY_OP(Elu)
UNARY_OP(Selu)
UNARY_OP(Softplus)
UNARY_OP(Gelu)
UNARY_OP(Erf)
UNARY_OP(Exp)
UNARY_OP(Log)
UNARY_OP(Sqrt)
UNARY_OP(Reciprocal)
UNARY_OP(Neg)
UNARY_OP(Abs)
UNARY_OP(Floor)
UNARY_OP(Ceil)
UNARY_OP(Round)
UNARY_OP(Sin)
UNARY_OP(Cos)
UNARY_OP(Tan)
UNARY_OP(Asin)
UNARY_OP(Acos)
UNARY_OP(Atan)
UNARY_OP(Sinh)
UNARY_OP(Cosh)
UNARY_OP(Asinh)
UNARY_OP(Acosh)
UNARY_OP(Atanh)
UNARY_OP(Softsign)
UNARY_OP(Mish)
UNARY_OP(Celu)
UNARY_OP(ThresholdedRelu)
UNARY_OP(Swish)
UNARY_OP(Shrink)
