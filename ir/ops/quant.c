/* Quantization ops: QuantizeLinear / DequantizeLinear (opsets 10..23: per
 * tensor, per axis from 13, blocked and 16-bit types from 21, output_dtype),
 * DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger and
 * QLinearConv. Float side float32 only (float16 scales are refused);
 * integer side uint8/int8/uint16/int16 (int32 where the op allows it);
 * float8 / int4 / int2 types never reach here (the IR has no dtype for them). */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/window.h"
#include "kernels/conv.h"
#include "kernels/quant.h"

typedef struct quant_attrs {
    int64_t axis, block_size, output_dtype;
    dl_window_attrs win;   /* ConvInteger / QLinearConv */
    int64_t group;
} quant_attrs;

static const dl_value *opt_input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

static const void *opt_data(const dl_node *n, int i)
{
    const dl_value *v = opt_input(n, i);
    return v != NULL ? v->data : NULL;
}

static bool is_qtype(dl_dtype t, bool allow_16, bool allow_32)
{
    return t == DL_UINT8 || t == DL_INT8 || (allow_16 && (t == DL_UINT16 || t == DL_INT16)) ||
           (allow_32 && t == DL_INT32);
}

static int check_known(dl_diag *d, const dl_node *n, int i, const char *what)
{
    const dl_value *v = n->inputs[i];
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' ('%s') has an unknown shape; give it with --shape", what, v->name);
    return 0;
}

static int check_int_input(dl_diag *d, const dl_node *n, int i, const char *what, bool allow_16,
                           bool allow_32)
{
    const dl_value *v = n->inputs[i];
    if (check_known(d, n, i, what) < 0)
        return -1;
    if (!is_qtype(v->dtype, allow_16, allow_32))
        return dl_error(d, n, "input '%s' has type %s; that type is not supported here (uint8, int8%s%s)",
                        what, dl_dtype_name(v->dtype), allow_16 ? ", uint16, int16" : "",
                        allow_32 ? ", int32" : "");
    return 0;
}

static int check_float_input(dl_diag *d, const dl_node *n, int i, const char *what)
{
    const dl_value *v = n->inputs[i];
    if (check_known(d, n, i, what) < 0)
        return -1;
    if (v->dtype != DL_FLOAT)
        return dl_error(d, n, "input '%s' has type %s; only float32 is supported", what,
                        dl_dtype_name(v->dtype));
    return 0;
}

static quant_attrs *new_attrs(dl_graph *g, dl_node *n, dl_diag *d)
{
    quant_attrs *a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        dl_error(d, n, "out of memory");
    return a;
}

/* ------------------------------------------------ Quantize / Dequantize */

static int qdq_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    quant_attrs *a;
    if (dl_check_inputs(d, n, 2, 3) < 0 || (a = new_attrs(g, n, d)) == NULL)
        return -1;
    a->axis = n->opset >= 13 ? dl_attr_int(n, "axis", 1) : 1;
    a->block_size = n->opset >= 21 ? dl_attr_int(n, "block_size", 0) : 0;
    a->output_dtype = n->opset >= 21 ? dl_attr_int(n, "output_dtype", 0) : 0;
    if (a->block_size < 0)
        return dl_error(d, n, "attribute 'block_size' is %" PRId64 "; expected >= 0", a->block_size);
    return 0;
}

/* The layout of scale (input 1) and zero point (input 2) over x. */
static int qdq_layout(dl_diag *d, const dl_node *n, dlk_quant_params *kp)
{
    const quant_attrs *a = n->params;
    const dl_value *x = n->inputs[0], *s = n->inputs[1], *z = opt_input(n, 2);
    char shape[64];
    int axis;
    memset(kp, 0, sizeof *kp);
    kp->outer = kp->inner = kp->block = 1;
    kp->axis_len = dl_value_numel(x);
    if (z != NULL && (z->rank != s->rank || dl_value_numel(z) != dl_value_numel(s)))
        return dl_error(d, n, "input 'zero_point' has shape [%s]; it must have the scale's shape",
                        dl_shape_str(z, shape, sizeof shape));
    if (a->block_size == 0 && s->rank <= 1 && dl_value_numel(s) == 1)
        return 0;                                   /* per tensor */
    if (dl_norm_axis(d, n, a->axis, x->rank, &axis) < 0)
        return -1;
    kp->axis_len = x->dims[axis];
    for (int i = 0; i < axis; i++)
        kp->outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        kp->inner *= x->dims[i];
    if (a->block_size == 0) {
        if (s->rank != 1 || s->dims[0] != kp->axis_len)
            return dl_error(d, n, "input 'scale' has shape [%s]; expected a scalar or [%" PRId64 "] (axis %d)",
                            dl_shape_str(s, shape, sizeof shape), kp->axis_len, axis);
        kp->s_axis = 1;
        return 0;
    }
    if (s->rank != x->rank)
        return dl_error(d, n, "input 'scale' has rank %d; blocked quantization needs rank %d", s->rank, x->rank);
    for (int i = 0; i < x->rank; i++) {
        int64_t want = i == axis ? (x->dims[i] + a->block_size - 1) / a->block_size : x->dims[i];
        if (s->dims[i] != want)
            return dl_error(d, n, "input 'scale' has shape [%s]; with block_size %" PRId64
                            " axis %d must be %" PRId64 " and the others as input 'x'",
                            dl_shape_str(s, shape, sizeof shape), a->block_size, i, want);
    }
    kp->block = a->block_size;
    kp->s_inner = 1;
    kp->s_axis = kp->inner;
    kp->s_outer = kp->inner * s->dims[axis];
    return 0;
}

static int quantize_make_params(dl_diag *d, const dl_node *n, dlk_quant_params *kp)
{
    const quant_attrs *a = n->params;
    const dl_value *z = opt_input(n, 2);
    if (check_float_input(d, n, 0, "x") < 0 || check_float_input(d, n, 1, "y_scale") < 0 ||
        (z != NULL && check_int_input(d, n, 2, "y_zero_point", true, false) < 0) ||
        qdq_layout(d, n, kp) < 0)
        return -1;
    kp->q_type = z != NULL ? z->dtype : a->output_dtype != 0 ? a->output_dtype : DL_UINT8;
    if (z != NULL && a->output_dtype != 0 && a->output_dtype != z->dtype)
        return dl_error(d, n, "attribute 'output_dtype' (%" PRId64 ") differs from input 'y_zero_point''s type %s",
                        a->output_dtype, dl_dtype_name(z->dtype));
    if (!is_qtype((dl_dtype)kp->q_type, true, false))
        return dl_error(d, n, "output type %" PRId64 " is not supported (uint8, int8, uint16, int16)",
                        kp->q_type);
    return 0;
}

static int dequantize_make_params(dl_diag *d, const dl_node *n, dlk_quant_params *kp)
{
    const quant_attrs *a = n->params;
    const dl_value *z = opt_input(n, 2);
    if (check_int_input(d, n, 0, "x", true, true) < 0 || check_float_input(d, n, 1, "x_scale") < 0 ||
        (z != NULL && check_int_input(d, n, 2, "x_zero_point", true, true) < 0) ||
        qdq_layout(d, n, kp) < 0)
        return -1;
    if (z != NULL && z->dtype != n->inputs[0]->dtype)
        return dl_error(d, n, "input 'x_zero_point' has type %s but input 'x' has %s; they must agree",
                        dl_dtype_name(z->dtype), dl_dtype_name(n->inputs[0]->dtype));
    if (a->output_dtype != 0 && a->output_dtype != DL_FLOAT)
        return dl_error(d, n, "attribute 'output_dtype' %" PRId64 " is not supported (float32 only)",
                        a->output_dtype);
    kp->q_type = n->inputs[0]->dtype;
    return 0;
}

static int quantize_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (quantize_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], (dl_dtype)kp.q_type, n->inputs[0]->rank, n->inputs[0]->dims);
    return 0;
}

static int dequantize_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (dequantize_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, n->inputs[0]->rank, n->inputs[0]->dims);
    return 0;
}

static int quantize_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (quantize_make_params(d, n, &kp) < 0)
        return -1;
    dlk_quantize_f32(&kp, n->inputs[0]->data, n->inputs[1]->data, opt_data(n, 2), n->outputs[0]->data);
    return 0;
}

static int dequantize_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (dequantize_make_params(d, n, &kp) < 0)
        return -1;
    dlk_dequantize_f32(&kp, n->inputs[0]->data, n->inputs[1]->data, opt_data(n, 2), n->outputs[0]->data);
    return 0;
}

static void qdq_emit(dl_lower *l, const dl_node *n, const dlk_quant_params *kp, const char *kernel)
{
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_quant_params");
    dl_lower_param_int(l, "outer", kp->outer);
    dl_lower_param_int(l, "axis_len", kp->axis_len);
    dl_lower_param_int(l, "inner", kp->inner);
    dl_lower_param_int(l, "block", kp->block);
    dl_lower_param_int(l, "s_outer", kp->s_outer);
    dl_lower_param_int(l, "s_axis", kp->s_axis);
    dl_lower_param_int(l, "s_inner", kp->s_inner);
    dl_lower_param_int(l, "q_type", kp->q_type);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, opt_input(n, 2));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
}

static int quantize_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (quantize_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) > 0)
        qdq_emit(l, n, &kp, "dlk_quantize_f32");
    return 0;
}

static int dequantize_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_quant_params kp;
    (void)g;
    if (dequantize_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) > 0)
        qdq_emit(l, n, &kp, "dlk_dequantize_f32");
    return 0;
}

/* ------------------------------------------------ DynamicQuantizeLinear */

static int dynq_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (n->n_outputs != 3)
        return dl_error(d, n, "has %d outputs; expected 3 (y, y_scale, y_zero_point)", n->n_outputs);
    return 0;
}

static int dynq_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    if (check_float_input(d, n, 0, "x") < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_UINT8, n->inputs[0]->rank, n->inputs[0]->dims);
    dl_value_set_shape(n->outputs[1], DL_FLOAT, 0, NULL);
    dl_value_set_shape(n->outputs[2], DL_UINT8, 0, NULL);
    return 0;
}

static int dynq_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_dynamic_quantize_f32(dl_value_numel(n->inputs[0]), n->inputs[0]->data, n->outputs[0]->data,
                             n->outputs[1]->data, n->outputs[2]->data);
    return 0;
}

static int dynq_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_dynamic_quantize_f32");
    dl_lower_call(l, "dlk_dynamic_quantize_f32");
    dl_lower_arg_int(l, dl_value_numel(n->inputs[0]));
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_arg_value(l, n->outputs[2]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_QuantizeLinear = {"QuantizeLinear", 0, qdq_setup, quantize_infer, quantize_eval,
                                    quantize_lower};
const dl_op dl_op_DequantizeLinear = {"DequantizeLinear", 0, qdq_setup, dequantize_infer,
                                      dequantize_eval, dequantize_lower};
const dl_op dl_op_DynamicQuantizeLinear = {"DynamicQuantizeLinear", 0, dynq_setup, dynq_infer,
                                           dynq_eval, dynq_lower};

/* ------------------------------------- MatMulInteger and QLinearMatMul */

/* Inputs ia (A) and ib (B) and their zero points iza, izb: numpy matmul
 * geometry; y's shape into rank, dims. */
static int qmm_make_params(dl_diag *d, const dl_node *n, int ia, int iza, int ib, int izb,
                           dlk_qmatmul_params *kp, int *rank, int64_t *dims)
{
    const dl_value *A = n->inputs[ia], *B = n->inputs[ib], *za = opt_input(n, iza), *zb = opt_input(n, izb);
    dl_matmul_geometry geo;
    if (check_int_input(d, n, ia, "a", false, false) < 0 || check_int_input(d, n, ib, "b", false, false) < 0)
        return -1;
    if (dl_matmul_geometry_of(d, n, A, "a", B, "b", &geo) < 0)
        return -1;
    memset(kp, 0, sizeof *kp);
    kp->m = geo.m;
    kp->k = geo.k;
    kp->n = geo.n;
    kp->a_type = A->dtype;
    kp->b_type = B->dtype;
    if (za != NULL) {
        if (za->dtype != A->dtype || (dl_value_numel(za) != 1 && dl_value_numel(za) != kp->m))
            return dl_error(d, n, "input 'a_zero_point' must be a scalar or per row of 'a', of its type; "
                            "other layouts are not supported");
        kp->a_zp_rows = dl_value_numel(za) != 1;
    }
    if (zb != NULL) {
        if (zb->dtype != B->dtype || (dl_value_numel(zb) != 1 && dl_value_numel(zb) != kp->n))
            return dl_error(d, n, "input 'b_zero_point' must be a scalar or per column of 'b', of its type; "
                            "other layouts are not supported");
        kp->b_zp_cols = dl_value_numel(zb) != 1;
    }
    kp->batch_rank = geo.batch_rank;
    for (int i = 0; i < geo.batch_rank; i++) {
        kp->batch[i] = geo.batch[i];
        kp->a_stride[i] = geo.a_stride[i];
        kp->b_stride[i] = geo.b_stride[i];
    }
    *rank = geo.out_rank;
    memcpy(dims, geo.out_dims, (size_t)geo.out_rank * sizeof *dims);
    return 0;
}

static int scalar_float(dl_diag *d, const dl_node *n, int i, const char *what)
{
    if (check_float_input(d, n, i, what) < 0)
        return -1;
    if (dl_value_numel(n->inputs[i]) != 1)
        return dl_error(d, n, "input '%s' has %" PRId64 " elements; only a per-tensor scale is supported",
                        what, dl_value_numel(n->inputs[i]));
    return 0;
}

static int mmi_params(dl_diag *d, const dl_node *n, dlk_qmatmul_params *kp, int *rank, int64_t *dims)
{
    kp->y_type = DL_INT32;
    if (dl_check_inputs(d, n, 2, 4) < 0 || qmm_make_params(d, n, 0, 2, 1, 3, kp, rank, dims) < 0)
        return -1;
    kp->y_type = DL_INT32;
    return 0;
}

static int qlmm_params(dl_diag *d, const dl_node *n, dlk_qmatmul_params *kp, int *rank, int64_t *dims)
{
    const dl_value *yz;
    if (dl_check_inputs(d, n, 8, 8) < 0 || qmm_make_params(d, n, 0, 2, 3, 5, kp, rank, dims) < 0 ||
        scalar_float(d, n, 1, "a_scale") < 0 || scalar_float(d, n, 4, "b_scale") < 0 ||
        scalar_float(d, n, 6, "y_scale") < 0)
        return -1;
    yz = opt_input(n, 7);
    if (yz != NULL && (check_int_input(d, n, 7, "y_zero_point", false, false) < 0 || dl_value_numel(yz) != 1))
        return dl_error(d, n, "input 'y_zero_point' must be a uint8/int8 scalar");
    kp->y_type = yz != NULL ? yz->dtype : kp->a_type;
    return 0;
}

static int mmi_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_qmatmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank;
    bool ql = strcmp(n->op->name, "QLinearMatMul") == 0;
    (void)g;
    if ((ql ? qlmm_params(d, n, &kp, &rank, dims) : mmi_params(d, n, &kp, &rank, dims)) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], (dl_dtype)kp.y_type, rank, dims);
    return 0;
}

static int mmi_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_qmatmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank;
    (void)g;
    if (strcmp(n->op->name, "QLinearMatMul") == 0) {
        if (qlmm_params(d, n, &kp, &rank, dims) < 0)
            return -1;
        dlk_qlinear_matmul_f32(&kp, opt_data(n, 0), opt_data(n, 1), opt_data(n, 2), opt_data(n, 3),
                               opt_data(n, 4), opt_data(n, 5), opt_data(n, 6), opt_data(n, 7),
                               n->outputs[0]->data);
        return 0;
    }
    if (mmi_params(d, n, &kp, &rank, dims) < 0)
        return -1;
    dlk_matmul_integer(&kp, opt_data(n, 0), opt_data(n, 1), opt_data(n, 2), opt_data(n, 3),
                       n->outputs[0]->data);
    return 0;
}

static int mmi_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_qmatmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank, r;
    bool ql = strcmp(n->op->name, "QLinearMatMul") == 0;
    const char *kernel = ql ? "dlk_qlinear_matmul_f32" : "dlk_matmul_integer";
    (void)g;
    if ((ql ? qlmm_params(d, n, &kp, &rank, dims) : mmi_params(d, n, &kp, &rank, dims)) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    r = (int)kp.batch_rank;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_qmatmul_params");
    dl_lower_param_int(l, "m", kp.m);
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "k", kp.k);
    dl_lower_param_int(l, "batch_rank", kp.batch_rank);
    dl_lower_param_ints(l, "batch", kp.batch, r);
    dl_lower_param_ints(l, "a_stride", kp.a_stride, r);
    dl_lower_param_ints(l, "b_stride", kp.b_stride, r);
    dl_lower_param_int(l, "a_type", kp.a_type);
    dl_lower_param_int(l, "b_type", kp.b_type);
    dl_lower_param_int(l, "y_type", kp.y_type);
    dl_lower_param_int(l, "a_zp_rows", kp.a_zp_rows);
    dl_lower_param_int(l, "b_zp_cols", kp.b_zp_cols);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_params(l);
    for (int i = 0; i < (ql ? 8 : 4); i++)
        dl_lower_arg_value(l, opt_input(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

/* --------------------------------------- ConvInteger and QLinearConv */

static int qconv_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    quant_attrs *a;
    bool ql = strcmp(n->op->name, "QLinearConv") == 0;
    if (dl_check_inputs(d, n, ql ? 8 : 2, ql ? 9 : 4) < 0 || (a = new_attrs(g, n, d)) == NULL)
        return -1;
    a->group = dl_attr_int(n, "group", 1);
    if (a->group < 1)
        return dl_error(d, n, "attribute 'group' is %" PRId64 "; expected >= 1", a->group);
    return dl_window_read_attrs(d, n, &a->win);
}

/* Inputs of x, w and their zero points by op. */
static void qconv_slots(const dl_node *n, int *ix, int *ixz, int *iw, int *iwz)
{
    bool ql = strcmp(n->op->name, "QLinearConv") == 0;
    *ix = 0;
    *ixz = 2;
    *iw = ql ? 3 : 1;
    *iwz = ql ? 5 : 3;
}

static int qconv_geometry(dl_diag *d, const dl_node *n, int ix, int iw, dlk_qconv_params *kp)
{
    const quant_attrs *a = n->params;
    const dl_value *x = n->inputs[ix], *w = n->inputs[iw];
    int r;
    if (x->rank < 3 || w->rank != x->rank)
        return dl_error(d, n, "inputs 'x' and 'w' must have the same rank >= 3; they have %d and %d",
                        x->rank, w->rank);
    r = x->rank - 2;
    kp->rank = r;
    kp->n = x->dims[0];
    kp->c_in = x->dims[1];
    kp->c_out = w->dims[0];
    kp->group = a->group;
    if (kp->c_in != w->dims[1] * a->group || kp->c_out % a->group != 0)
        return dl_error(d, n, "input 'x' has %" PRId64 " channels; input 'w' [%" PRId64 ", %" PRId64
                        ", ...] does not match group %" PRId64, kp->c_in, w->dims[0], w->dims[1], a->group);
    for (int i = 0; i < r; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->kernel[i] = w->dims[2 + i];
    }
    if (dl_window_axes(d, n, &a->win, r, kp->strides, kp->dilations, kp->pads) < 0)
        return -1;
    for (int i = 0; i < r; i++) {
        int64_t *pb = &kp->pads[i], *pe = &kp->pads[r + i];
        dl_window_auto_pads(a->win.auto_pad, kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i], pb, pe);
        if (dl_window_check_fits(d, n, i, kp->in[i], *pb, *pe,
                                 dl_window_extent(kp->kernel[i], kp->dilations[i])) < 0)
            return -1;
        kp->out[i] = dlk_conv_out_dim(kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i], *pb, *pe);
    }
    return 0;
}

static int qconv_params(dl_diag *d, const dl_node *n, dlk_qconv_params *kp)
{
    bool ql = strcmp(n->op->name, "QLinearConv") == 0;
    const dl_value *xz, *wz, *ws, *b;
    int ix, ixz, iw, iwz;
    memset(kp, 0, sizeof *kp);
    qconv_slots(n, &ix, &ixz, &iw, &iwz);
    xz = opt_input(n, ixz);
    wz = opt_input(n, iwz);
    if (check_int_input(d, n, ix, "x", false, false) < 0 || check_int_input(d, n, iw, "w", false, false) < 0 ||
        qconv_geometry(d, n, ix, iw, kp) < 0)
        return -1;
    kp->x_type = n->inputs[ix]->dtype;
    kp->w_type = n->inputs[iw]->dtype;
    kp->y_type = DL_INT32;
    if (xz != NULL && (xz->dtype != kp->x_type || dl_value_numel(xz) != 1))
        return dl_error(d, n, "input 'x_zero_point' must be a scalar of the type of 'x'");
    if (wz != NULL && (wz->dtype != kp->w_type || (dl_value_numel(wz) != 1 && dl_value_numel(wz) != kp->c_out)))
        return dl_error(d, n, "input 'w_zero_point' must be a scalar or per output channel, of the type of 'w'");
    kp->w_zp_per_channel = wz != NULL && dl_value_numel(wz) != 1;
    if (!ql)
        return 0;
    ws = n->inputs[4];
    if (scalar_float(d, n, 1, "x_scale") < 0 || scalar_float(d, n, 6, "y_scale") < 0 ||
        check_float_input(d, n, 4, "w_scale") < 0)
        return -1;
    if (dl_value_numel(ws) != 1 && dl_value_numel(ws) != kp->c_out)
        return dl_error(d, n, "input 'w_scale' must be a scalar or per output channel");
    kp->w_scale_per_channel = dl_value_numel(ws) != 1;
    xz = opt_input(n, 7);
    if (xz != NULL && (check_int_input(d, n, 7, "y_zero_point", false, false) < 0 || dl_value_numel(xz) != 1))
        return dl_error(d, n, "input 'y_zero_point' must be a uint8/int8 scalar");
    kp->y_type = xz != NULL ? xz->dtype : kp->x_type;
    b = opt_input(n, 8);
    if (b != NULL && (b->dtype != DL_INT32 || dl_value_numel(b) != kp->c_out))
        return dl_error(d, n, "input 'B' must be int32 with one value per output channel");
    return 0;
}

static int qconv_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_qconv_params kp;
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (qconv_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.n;
    dims[1] = kp.c_out;
    for (int i = 0; i < kp.rank; i++)
        dims[2 + i] = kp.out[i];
    dl_value_set_shape(n->outputs[0], (dl_dtype)kp.y_type, (int)kp.rank + 2, dims);
    return 0;
}

static int qconv_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_qconv_params kp;
    (void)g;
    if (qconv_params(d, n, &kp) < 0)
        return -1;
    if (strcmp(n->op->name, "QLinearConv") == 0)
        dlk_qlinear_conv_f32(&kp, opt_data(n, 0), opt_data(n, 1), opt_data(n, 2), opt_data(n, 3),
                             opt_data(n, 4), opt_data(n, 5), opt_data(n, 6), opt_data(n, 7),
                             opt_data(n, 8), n->outputs[0]->data);
    else
        dlk_conv_integer(&kp, opt_data(n, 0), opt_data(n, 1), opt_data(n, 2), opt_data(n, 3),
                         n->outputs[0]->data);
    return 0;
}

static int qconv_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    bool ql = strcmp(n->op->name, "QLinearConv") == 0;
    const char *kernel = ql ? "dlk_qlinear_conv_f32" : "dlk_conv_integer";
    dlk_qconv_params kp;
    int r;
    (void)g;
    if (qconv_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    r = (int)kp.rank;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_qconv_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c_in", kp.c_in);
    dl_lower_param_int(l, "c_out", kp.c_out);
    dl_lower_param_int(l, "group", kp.group);
    dl_lower_param_int(l, "rank", kp.rank);
    dl_window_lower_geometry(l, r, kp.in, kp.out, kp.kernel, kp.strides, kp.dilations, kp.pads);
    dl_lower_param_int(l, "x_type", kp.x_type);
    dl_lower_param_int(l, "w_type", kp.w_type);
    dl_lower_param_int(l, "y_type", kp.y_type);
    dl_lower_param_int(l, "w_zp_per_channel", kp.w_zp_per_channel);
    dl_lower_param_int(l, "w_scale_per_channel", kp.w_scale_per_channel);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_params(l);
    for (int i = 0; i < (ql ? 9 : 4); i++)
        dl_lower_arg_value(l, opt_input(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_MatMulInteger = {"MatMulInteger", 0, NULL, mmi_infer, mmi_eval, mmi_lower};
const dl_op dl_op_QLinearMatMul = {"QLinearMatMul", 0, NULL, mmi_infer, mmi_eval, mmi_lower};
const dl_op dl_op_ConvInteger = {"ConvInteger", 0, qconv_setup, qconv_infer, qconv_eval, qconv_lower};
const dl_op dl_op_QLinearConv = {"QLinearConv", 0, qconv_setup, qconv_infer, qconv_eval, qconv_lower};
