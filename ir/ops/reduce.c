/* ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare share one
 * op body and one kernel (kernels/reduce.h), the combine step picked by
 * DLK_RED_*. The axes are an attribute before opset 18 (13 for ReduceSum)
 * and an optional constant input from then on; no axes means every axis,
 * unless noop_with_empty_axes makes it the identity. keepdims (default 1)
 * keeps reduced dims as 1s. ArgMax/ArgMin and CumSum/CumProd are at the end. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/reduce.h"
#include "kernels/copy.h"

typedef struct reduce_params {
    int n_axes;                     /* -1: none given */
    int64_t axes[DL_MAX_RANK];
    bool keepdims;
    bool noop_with_empty_axes;
    bool axes_input;                /* opset >= 18 (13 for ReduceSum): axes are input 1 */
    bool reduced[DL_MAX_RANK];      /* infer's result, per input dim */
    bool identity;                  /* ... or nothing to do */
    int op;                         /* DLK_RED_* */
} reduce_params;

/* The first opset whose axes are an input. */
static int axes_input_opset(int op)
{
    return op == DLK_RED_SUM ? 13 : 18;
}

/* Kernel name suffix of a dtype the reductions take; NULL if none. */
static const char *reduce_suffix(dl_dtype t, int op)
{
    switch (t) {
    case DL_FLOAT: return "f32";
    case DL_DOUBLE: return "f64";
    case DL_INT32: return "i32";
    case DL_INT64: return "i64";
    case DL_INT8: return "i8";
    case DL_UINT8: return "u8";
    case DL_BOOL: return op == DLK_RED_MAX || op == DLK_RED_MIN ? "bool" : NULL;
    default: return NULL;
    }
}

static int reduce_setup(dl_graph *g, dl_node *n, dl_diag *d, int op)
{
    reduce_params *rp = dl_node_params(g, n, sizeof *rp);
    const int64_t *axes;
    if (!rp)
        return dl_error(d, n, "out of memory");
    rp->keepdims = dl_attr_int(n, "keepdims", 1) != 0;
    rp->noop_with_empty_axes = dl_attr_int(n, "noop_with_empty_axes", 0) != 0;
    rp->op = op;
    rp->axes_input = n->opset >= axes_input_opset(op);
    rp->n_axes = -1;
    if (!rp->axes_input) {
        rp->n_axes = dl_attr_ints(n, "axes", &axes);
        if (rp->n_axes > DL_MAX_RANK)
            return dl_error(d, n, "attribute axes lists %d axes; at most %d fit a tensor of dlcc",
                            rp->n_axes, DL_MAX_RANK);
        if (rp->n_axes > 0)
            memcpy(rp->axes, axes, (size_t)rp->n_axes * sizeof axes[0]);
    }
    return 0;
}

/* Which input dims are reduced. */
static int reduce_mask(dl_diag *d, const dl_node *n, reduce_params *rp, int rank)
{
    int i, k;
    memset(rp->reduced, 0, sizeof rp->reduced);
    rp->identity = false;
    if (rp->n_axes <= 0) {
        rp->identity = rp->noop_with_empty_axes;
        for (k = 0; k < rank; k++)
            rp->reduced[k] = !rp->identity;
        return 0;
    }
    for (i = 0; i < rp->n_axes; i++) {
        if (dl_norm_axis(d, n, rp->axes[i], rank, &k) != 0)
            return -1;
        if (rp->reduced[k])
            return dl_error(d, n, "axes names dim %d twice (as %lld); each axis may appear once",
                            k, (long long)rp->axes[i]);
        rp->reduced[k] = true;
    }
    return 0;
}

static int reduce_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    reduce_params *rp = n->params;
    const dl_value *x;
    int64_t dims[DL_MAX_RANK];
    int k, rank = 0;
    (void)g;
    if (dl_check_inputs(d, n, 1, rp->axes_input ? 2 : 1) != 0)
        return -1;
    x = n->inputs[0];
    if (!x)
        return dl_error(d, n, "input 0 is missing; %s needs it", n->op_type);
    if (x->rank < 0)
        return dl_error(d, n, "input 0 ('%s') has no known shape", x->name);
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (!reduce_suffix(x->dtype, rp->op))
        return dl_error(d, n, "input 0 ('%s') has type %s; %s supports float32, float64, int32, int64, "
                        "int8, uint8%s", x->name, dl_dtype_name(x->dtype), n->op_type,
                        rp->op == DLK_RED_MAX || rp->op == DLK_RED_MIN ? ", bool" : "");
    if (rp->axes_input && n->n_inputs > 1 && n->inputs[1]) {
        rp->n_axes = dl_const_ints(d, n, n->inputs[1], "input 1 (axes)", rp->axes, DL_MAX_RANK);
        if (rp->n_axes < 0)
            return -1;
        if (rp->n_axes > DL_MAX_RANK)
            return dl_error(d, n, "input 1 (axes) lists %d axes; at most %d fit a tensor of dlcc",
                            rp->n_axes, DL_MAX_RANK);
    }
    if (reduce_mask(d, n, rp, x->rank) != 0)
        return -1;
    for (k = 0; k < x->rank; k++) {
        if (!rp->reduced[k])
            dims[rank++] = x->dims[k];
        else if (rp->keepdims)
            dims[rank++] = 1;
    }
    dl_value_set_shape(n->outputs[0], x->dtype, rank, dims);
    return 0;
}

/* Size-1 dims dropped, neighbours both reduced or both kept merged; kept
 * dims step through y contiguously. */
static void make_reduce_params(const dl_node *n, dlk_reduce_params *kp)
{
    const reduce_params *rp = n->params;
    const dl_value *x = n->inputs[0];
    bool red[DL_MAX_RANK];
    int64_t step = 1;
    int k, m = 0;
    memset(kp, 0, sizeof *kp);
    kp->count = 1;
    for (k = 0; k < x->rank; k++) {
        if (rp->reduced[k])
            kp->count *= x->dims[k];
        if (x->dims[k] == 1)
            continue;
        if (m > 0 && red[m - 1] == rp->reduced[k]) {
            kp->dims[m - 1] *= x->dims[k];
        } else {
            kp->dims[m] = x->dims[k];
            red[m++] = rp->reduced[k];
        }
    }
    if (m == 0) {
        kp->dims[0] = 1;
        red[m++] = false;
    }
    kp->rank = m;
    for (k = m - 1; k >= 0; k--) {
        kp->out_strides[k] = red[k] ? 0 : step;
        step *= red[k] ? 1 : kp->dims[k];
    }
    kp->out_size = step;
}

/* Float ReduceMean keeps its tuned kernel; everything else is generic. */
static void reduce_kernel_name(const dl_node *n, char *name, size_t size)
{
    const reduce_params *rp = n->params;
    if (rp->op == DLK_RED_MEAN && n->inputs[0]->dtype == DL_FLOAT)
        snprintf(name, size, "dlk_reduce_mean_f32");
    else
        snprintf(name, size, "dlk_reduce_%s", reduce_suffix(n->inputs[0]->dtype, rp->op));
}

static void reduce_run(const dl_node *n, const dlk_reduce_params *kp, const void *x, void *y)
{
    const reduce_params *rp = n->params;
    switch (n->inputs[0]->dtype) {
    case DL_FLOAT:
        if (rp->op == DLK_RED_MEAN)
            dlk_reduce_mean_f32(kp, x, y);
        else
            dlk_reduce_f32(kp, rp->op, x, y);
        break;
    case DL_DOUBLE: dlk_reduce_f64(kp, rp->op, x, y); break;
    case DL_INT32: dlk_reduce_i32(kp, rp->op, x, y); break;
    case DL_INT64: dlk_reduce_i64(kp, rp->op, x, y); break;
    case DL_INT8: dlk_reduce_i8(kp, rp->op, x, y); break;
    case DL_UINT8: dlk_reduce_u8(kp, rp->op, x, y); break;
    default: dlk_reduce_bool(kp, rp->op, x, y); break;
    }
}

static int reduce_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const reduce_params *rp = n->params;
    dlk_reduce_params kp;
    (void)g;
    (void)d;
    if (rp->identity) {
        dlk_copy(n->inputs[0]->data, n->outputs[0]->data, (size_t)dl_value_bytes(n->outputs[0]));
        return 0;
    }
    make_reduce_params(n, &kp);
    reduce_run(n, &kp, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int reduce_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const reduce_params *rp = n->params;
    dlk_reduce_params kp;
    char name[64];
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    if (rp->identity) {
        dl_lower_copy(l, n->inputs[0], n->outputs[0]);
        return 0;
    }
    make_reduce_params(n, &kp);
    reduce_kernel_name(n, name, sizeof name);
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_reduce_params");
    dl_lower_param_int(l, "rank", kp.rank);
    dl_lower_param_ints(l, "dims", kp.dims, (int)kp.rank);
    dl_lower_param_ints(l, "out_strides", kp.out_strides, (int)kp.rank);
    dl_lower_param_int(l, "out_size", kp.out_size);
    dl_lower_param_int(l, "count", kp.count);
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    if (strcmp(name, "dlk_reduce_mean_f32") != 0)
        dl_lower_arg_int(l, rp->op);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

#define REDUCE_OP(NAME, OP)                                                       \
    static int NAME##_setup(dl_graph *g, dl_node *n, dl_diag *d)                  \
    {                                                                             \
        return reduce_setup(g, n, d, OP);                                         \
    }                                                                             \
    const dl_op dl_op_##NAME = {#NAME, 0, NAME##_setup, reduce_infer, reduce_eval, reduce_lower};

REDUCE_OP(ReduceSum, DLK_RED_SUM)
REDUCE_OP(ReduceMean, DLK_RED_MEAN)
REDUCE_OP(ReduceMax, DLK_RED_MAX)
REDUCE_OP(ReduceMin, DLK_RED_MIN)
REDUCE_OP(ReduceProd, DLK_RED_PROD)
REDUCE_OP(ReduceL1, DLK_RED_L1)
REDUCE_OP(ReduceL2, DLK_RED_L2)
REDUCE_OP(ReduceLogSum, DLK_RED_LOGSUM)
REDUCE_OP(ReduceLogSumExp, DLK_RED_LOGSUMEXP)
REDUCE_OP(ReduceSumSquare, DLK_RED_SUMSQUARE)


/* ------------------------------------------------------------ ArgMax/ArgMin */

typedef struct arg_params {
    int64_t axis;
    bool keepdims, select_last, is_min;
    int k;                          /* axis, normalised by infer */
} arg_params;

/* Kernel name suffix of a dtype ArgMax/ArgMin and CumSum take; NULL if none. */
static const char *arg_suffix(dl_dtype t, bool narrow)
{
    switch (t) {
    case DL_FLOAT: return "f32";
    case DL_DOUBLE: return "f64";
    case DL_INT32: return "i32";
    case DL_INT64: return "i64";
    case DL_INT8: return narrow ? "i8" : NULL;
    case DL_UINT8: return narrow ? "u8" : NULL;
    default: return NULL;
    }
}

static int arg_setup(dl_graph *g, dl_node *n, dl_diag *d, bool is_min)
{
    arg_params *ap = dl_node_params(g, n, sizeof *ap);
    if (!ap)
        return dl_error(d, n, "out of memory");
    ap->axis = dl_attr_int(n, "axis", 0);
    ap->keepdims = dl_attr_int(n, "keepdims", 1) != 0;
    ap->select_last = dl_attr_int(n, "select_last_index", 0) != 0;
    ap->is_min = is_min;
    return 0;
}

static int argmax_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return arg_setup(g, n, d, false);
}

static int argmin_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return arg_setup(g, n, d, true);
}

static int arg_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    arg_params *ap = n->params;
    const dl_value *x;
    int64_t dims[DL_MAX_RANK];
    int k, rank = 0;
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    if (x->rank < 1)
        return dl_error(d, n, "input 0 ('%s') has rank %d; %s needs rank >= 1", x->name, x->rank, n->op_type);
    if (n->n_outputs < 1 || !n->outputs[0])
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (!arg_suffix(x->dtype, true))
        return dl_error(d, n, "input 0 ('%s') has type %s; %s supports float32, float64, int32, int64, int8, uint8",
                        x->name, dl_dtype_name(x->dtype), n->op_type);
    if (dl_norm_axis(d, n, ap->axis, x->rank, &ap->k) != 0)
        return -1;
    if (x->dims[ap->k] == 0)
        return dl_error(d, n, "attribute axis (%lld) names dim %d of '%s', which is empty; %s needs an element",
                        (long long)ap->axis, ap->k, x->name, n->op_type);
    for (k = 0; k < x->rank; k++) {
        if (k != ap->k)
            dims[rank++] = x->dims[k];
        else if (ap->keepdims)
            dims[rank++] = 1;
    }
    dl_value_set_shape(n->outputs[0], DL_INT64, rank, dims);
    return 0;
}

static void make_arg_params(const dl_node *n, dlk_arg_params *kp)
{
    const arg_params *ap = n->params;
    const dl_value *x = n->inputs[0];
    int k;
    memset(kp, 0, sizeof *kp);
    kp->outer = kp->inner = 1;
    for (k = 0; k < x->rank; k++) {
        if (k < ap->k)
            kp->outer *= x->dims[k];
        else if (k > ap->k)
            kp->inner *= x->dims[k];
    }
    kp->n = x->dims[ap->k];
    kp->is_min = ap->is_min;
    kp->select_last = ap->select_last;
}

static int arg_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_arg_params kp;
    const void *x = n->inputs[0]->data;
    int64_t *y = n->outputs[0]->data;
    (void)g;
    (void)d;
    make_arg_params(n, &kp);
    switch (n->inputs[0]->dtype) {
    case DL_FLOAT: dlk_arg_f32(&kp, x, y); break;
    case DL_DOUBLE: dlk_arg_f64(&kp, x, y); break;
    case DL_INT32: dlk_arg_i32(&kp, x, y); break;
    case DL_INT64: dlk_arg_i64(&kp, x, y); break;
    case DL_INT8: dlk_arg_i8(&kp, x, y); break;
    default: dlk_arg_u8(&kp, x, y); break;
    }
    return 0;
}

static int arg_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_arg_params kp;
    char name[32];
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    make_arg_params(n, &kp);
    snprintf(name, sizeof name, "dlk_arg_%s", arg_suffix(n->inputs[0]->dtype, true));
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_arg_params");
    dl_lower_param_int(l, "outer", kp.outer);
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "inner", kp.inner);
    dl_lower_param_int(l, "is_min", kp.is_min);
    dl_lower_param_int(l, "select_last", kp.select_last);
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_ArgMax = {"ArgMax", 0, argmax_setup, arg_infer, arg_eval, arg_lower};
const dl_op dl_op_ArgMin = {"ArgMin", 0, argmin_setup, arg_infer, arg_eval, arg_lower};

/* --------------------------------------------------------- CumSum, CumProd */

/* CumProd (opset 26) is CumSum with * for +: same inputs and attributes. */
static bool is_cumprod(const dl_node *n)
{
    return strcmp(n->op_type, "CumProd") == 0;
}

/* The axis input does not change the shape, so a run-time axis is read by
 * the kernel; a constant one is folded into the params. */
static int cumsum_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x, *axis;
    (void)g;
    if (dl_check_inputs(d, n, 2, 2) != 0)
        return -1;
    x = n->inputs[0];
    axis = n->inputs[1];
    if (x->rank < 1)
        return dl_error(d, n, "input 0 ('%s') has rank %d; %s needs rank >= 1", x->name, x->rank, n->op_type);
    if (n->n_outputs < 1 || !n->outputs[0])
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (!arg_suffix(x->dtype, false))
        return dl_error(d, n, "input 0 ('%s') has type %s, not supported; %s supports float32, float64, "
                        "int32, int64", x->name, dl_dtype_name(x->dtype), n->op_type);
    if (axis->dtype != DL_INT64 && axis->dtype != DL_INT32)
        return dl_error(d, n, "input 1 (axis) '%s' has type %s, expected int64 or int32", axis->name,
                        dl_dtype_name(axis->dtype));
    if (dl_value_numel(axis) != 1)
        return dl_error(d, n, "input 1 (axis) '%s' has %lld elements, expected 1", axis->name,
                        (long long)dl_value_numel(axis));
    if (axis->data) {
        int64_t a;
        int k;
        if (dl_const_ints(d, n, axis, "input 1 (axis)", &a, 1) < 0 || dl_norm_axis(d, n, a, x->rank, &k) != 0)
            return -1;
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

static void make_cumsum_params(const dl_node *n, dlk_cumsum_params *kp)
{
    const dl_value *x = n->inputs[0], *axis = n->inputs[1];
    int k;
    memset(kp, 0, sizeof *kp);
    kp->rank = x->rank;
    for (k = 0; k < x->rank; k++)
        kp->dims[k] = x->dims[k];
    if (axis->data)
        kp->axis = axis->dtype == DL_INT64 ? ((const int64_t *)axis->data)[0] : ((const int32_t *)axis->data)[0];
    kp->exclusive = dl_attr_int(n, "exclusive", 0) != 0;
    kp->reverse = dl_attr_int(n, "reverse", 0) != 0;
}

static int cumsum_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_cumsum_params kp;
    const void *x = n->inputs[0]->data;
    void *y = n->outputs[0]->data;
    (void)g;
    (void)d;
    make_cumsum_params(n, &kp);
    if (is_cumprod(n)) {
        switch (n->inputs[0]->dtype) {
        case DL_FLOAT: dlk_cumprod_f32(&kp, x, NULL, NULL, y); break;
        case DL_DOUBLE: dlk_cumprod_f64(&kp, x, NULL, NULL, y); break;
        case DL_INT32: dlk_cumprod_i32(&kp, x, NULL, NULL, y); break;
        default: dlk_cumprod_i64(&kp, x, NULL, NULL, y); break;
        }
        return 0;
    }
    switch (n->inputs[0]->dtype) {
    case DL_FLOAT: dlk_cumsum_f32(&kp, x, NULL, NULL, y); break;
    case DL_DOUBLE: dlk_cumsum_f64(&kp, x, NULL, NULL, y); break;
    case DL_INT32: dlk_cumsum_i32(&kp, x, NULL, NULL, y); break;
    default: dlk_cumsum_i64(&kp, x, NULL, NULL, y); break;
    }
    return 0;
}

static int cumsum_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *axis = n->inputs[1];
    dlk_cumsum_params kp;
    char name[32];
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    make_cumsum_params(n, &kp);
    snprintf(name, sizeof name, "dlk_%s_%s", is_cumprod(n) ? "cumprod" : "cumsum", arg_suffix(n->inputs[0]->dtype, false));
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_cumsum_params");
    dl_lower_param_int(l, "rank", kp.rank);
    dl_lower_param_ints(l, "dims", kp.dims, (int)kp.rank);
    dl_lower_param_int(l, "axis", kp.axis);
    dl_lower_param_int(l, "exclusive", kp.exclusive);
    dl_lower_param_int(l, "reverse", kp.reverse);
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, !axis->data && axis->dtype == DL_INT64 ? axis : NULL);
    dl_lower_arg_value(l, !axis->data && axis->dtype == DL_INT32 ? axis : NULL);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_CumSum = {"CumSum", 0, NULL, cumsum_infer, cumsum_eval, cumsum_lower};
const dl_op dl_op_CumProd = {"CumProd", 0, NULL, cumsum_infer, cumsum_eval, cumsum_lower};
