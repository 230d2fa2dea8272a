/* Ops whose output 0 is input 0's bytes under another shape: Reshape,
 * Flatten, Squeeze, Unsqueeze, Identity and (at inference) Dropout. They are
 * views (DL_OP_VIEW): the memory planner lets the output share the input's
 * bytes, and only when it cannot (a graph input returned as an output, say)
 * does lowering emit a dlk_copy. Every dtype is accepted. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/copy.h"

typedef struct reshape_params {
    int64_t shape[DL_MAX_RANK];     /* opset < 5: the `shape` attribute */
    int rank;                       /* its length; -1: shape comes from input 1 */
    bool allowzero;                 /* opset >= 14: a 0 in shape is a real 0 */
} reshape_params;

typedef struct flatten_params {
    int64_t axis;
} flatten_params;

typedef struct axes_params {        /* Squeeze, Unsqueeze */
    int64_t axes[DL_MAX_RANK];      /* opset < 13: the `axes` attribute */
    int n_axes;                     /* -1: absent (or from input 1) */
} axes_params;

/* ------------------------------------------------------------ helpers */

static const dl_value *opt_input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

/* Views move bytes, so any dtype with a size will do. */
static int need_shape(dl_diag *d, const dl_node *n, const dl_value *v, const char *what)
{
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' has an unknown shape; give it with --shape", what);
    if (dl_dtype_size(v->dtype) == 0)
        return dl_error(d, n, "input '%s' has type %s, which dlcc does not support", what,
                        dl_dtype_name(v->dtype));
    return 0;
}

/* "2x-1x0" for a shape that may still hold Reshape's -1 and 0 codes. */
static const char *dims_str(const int64_t *dims, int rank, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, size, "scalar");
    for (int i = 0; i < rank && len < size; i++) {
        int k = snprintf(buf + len, size - len, "%s%" PRId64, i ? "x" : "", dims[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return buf;
}

/* A constant integer input of at most DL_MAX_RANK elements (axes, shape);
 * what reads "input shape". */
static int read_small_ints(dl_diag *d, const dl_node *n, const dl_value *v, const char *what,
                           int64_t *out)
{
    if (v == NULL)
        return dl_error(d, n, "%s is missing", what);
    return dl_const_ints(d, n, v, what, out, DL_MAX_RANK);
}

/* Axis lists: negative values count from the end. The spec allows them from opset 11,
 * but older exporters wrote them and onnxruntime reads them at every opset. */
static int norm_axis_opset(dl_diag *d, const dl_node *n, int64_t axis, int rank, int *out)
{
    return dl_norm_axis(d, n, axis, rank, out);
}

/* Read a list of axes: the attribute before opset 13, the optional constant
 * input 1 from 13 on. Returns the count, or -1 (absent) via *present. */
static int read_axes(dl_diag *d, const dl_node *n, const axes_params *p, int64_t *axes, bool *present)
{
    const dl_value *v = opt_input(n, 1);
    *present = true;
    if (n->opset < 13) {
        if (p->n_axes < 0) {
            *present = false;
            return 0;
        }
        memcpy(axes, p->axes, (size_t)p->n_axes * sizeof *axes);
        return p->n_axes;
    }
    if (v == NULL) {
        *present = false;
        return 0;
    }
    return read_small_ints(d, n, v, "input axes", axes);
}

static int view_output(dl_node *n, const int64_t *dims, int rank)
{
    dl_value_set_shape(n->outputs[0], n->inputs[0]->dtype, rank, dims);
    return 0;
}

/* The folded constant and the generated code both copy with dlk_copy. */
static int view_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_copy(n->inputs[0]->data, n->outputs[0]->data, (size_t)dl_value_bytes(n->outputs[0]));
    return 0;
}

static int view_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *y = n->outputs[0];
    (void)g;
    (void)d;
    if (y->alias_of != NULL)
        return 0;   /* the planner made it a view: no code */
    dl_lower_copy(l, n->inputs[0], y);
    return 0;
}

/* ------------------------------------------------------------ Reshape */

static int reshape_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    reshape_params *p;
    if (dl_check_inputs(d, n, n->opset < 5 ? 1 : 2, n->opset < 5 ? 1 : 2) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    p->rank = -1;
    p->allowzero = n->opset >= 14 && dl_attr_int(n, "allowzero", 0) != 0;
    if (n->opset < 5) {
        const int64_t *shape;
        int count = dl_attr_ints(n, "shape", &shape);
        if (count < 0)
            return dl_error(d, n, "attribute 'shape' is missing (required before opset 5)");
        if (count > DL_MAX_RANK)
            return dl_error(d, n, "attribute 'shape' has %d dims; at most %d are supported",
                            count, DL_MAX_RANK);
        memcpy(p->shape, shape, (size_t)count * sizeof *shape);
        p->rank = count;
    }
    return 0;
}

/* ONNX Reshape: 0 copies the input dim at the same index (unless
 * allowzero), one -1 takes whatever the element count leaves. */
static int reshape_resolve(dl_diag *d, const dl_node *n, const int64_t *shape, int rank,
                           bool allowzero, int64_t *dims)
{
    const dl_value *x = n->inputs[0];
    int64_t known = 1, numel = dl_value_numel(x);
    int infer_at = -1;
    bool has_zero = false;
    char from[128], to[128];

    for (int i = 0; i < rank; i++) {
        int64_t s = shape[i];
        if (s == -1) {
            if (infer_at >= 0)
                return dl_error(d, n, "input 'shape' (%s) has more than one -1",
                                dims_str(shape, rank, to, sizeof to));
            infer_at = i;
            dims[i] = 1;
            continue;
        }
        if (s < -1)
            return dl_error(d, n, "input 'shape'[%d] is %" PRId64 "; expected >= -1", i, s);
        if (s == 0 && !allowzero) {
            if (i >= x->rank)
                return dl_error(d, n, "input 'shape'[%d] is 0 (copy the input dim) but input "
                                "'data' has only %d dims", i, x->rank);
            s = x->dims[i];
        }
        has_zero |= s == 0;
        if (s > 0 && known > INT64_MAX / s)
            return dl_error(d, n, "input 'shape' (%s) has more than 2^63 elements",
                            dims_str(shape, rank, to, sizeof to));
        dims[i] = s;
        known *= s;
    }
    if (allowzero && has_zero && infer_at >= 0)
        return dl_error(d, n, "input 'shape' (%s) has both 0 and -1, which allowzero=1 forbids",
                        dims_str(shape, rank, to, sizeof to));
    dims_str(x->dims, x->rank, from, sizeof from);
    dims_str(shape, rank, to, sizeof to);
    if (infer_at >= 0) {
        if (known == 0 || numel % known != 0)
            return dl_error(d, n, "cannot reshape input 'data' of shape %s (%" PRId64 " elements) "
                            "to %s: no size for the -1 gives that many elements", from, numel, to);
        dims[infer_at] = numel / known;
    } else if (known != numel) {
        return dl_error(d, n, "cannot reshape input 'data' of shape %s (%" PRId64 " elements) "
                        "to %s (%" PRId64 " elements)", from, numel, to, known);
    }
    return 0;
}

static int reshape_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const reshape_params *p = n->params;
    int64_t shape[DL_MAX_RANK], dims[DL_MAX_RANK];
    int rank = p->rank;
    (void)g;
    if (need_shape(d, n, n->inputs[0], "data") < 0)
        return -1;
    if (rank >= 0)
        memcpy(shape, p->shape, (size_t)rank * sizeof *shape);
    else if ((rank = read_small_ints(d, n, n->inputs[1], "input shape", shape)) < 0)
        return -1;
    if (reshape_resolve(d, n, shape, rank, p->allowzero, dims) < 0)
        return -1;
    return view_output(n, dims, rank);
}

/* ------------------------------------------------------------ Flatten */

static int flatten_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    flatten_params *p;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    p->axis = dl_attr_int(n, "axis", 1);
    return 0;
}

static int flatten_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const flatten_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t axis = p->axis, dims[2] = {1, 1};
    (void)g;
    if (need_shape(d, n, x, "input") < 0)
        return -1;
    if (axis < 0) /* from opset 11; older exporters wrote them too */
        axis += x->rank;
    /* Unlike most axes, axis == rank is valid: the output is (numel, 1). */
    if (axis < 0 || axis > x->rank)
        return dl_error(d, n, "attribute 'axis' is %" PRId64 "; expected in [%d, %d] for an "
                        "input of rank %d", p->axis, -x->rank, x->rank, x->rank);
    for (int i = 0; i < x->rank; i++)
        dims[i < axis ? 0 : 1] *= x->dims[i];
    return view_output(n, dims, 2);
}

/* ---------------------------------------------------- Squeeze, Unsqueeze */

static int axes_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    axes_params *p;
    if (dl_check_inputs(d, n, 1, n->opset < 13 ? 1 : 2) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    p->n_axes = -1;
    if (n->opset < 13) {
        const int64_t *axes;
        int count = dl_attr_ints(n, "axes", &axes);
        if (count > DL_MAX_RANK)
            return dl_error(d, n, "attribute 'axes' has %d entries; at most %d are supported",
                            count, DL_MAX_RANK);
        if (count >= 0)
            memcpy(p->axes, axes, (size_t)count * sizeof *axes);
        p->n_axes = count;
    }
    return 0;
}

/* Normalise axes against rank into a mask; duplicates are an error. */
static int axes_mask(dl_diag *d, const dl_node *n, const int64_t *axes, int count, int rank,
                     bool *mask)
{
    for (int i = 0; i < rank; i++)
        mask[i] = false;
    if (rank == 0 && count > 0)
        return dl_error(d, n, "'axes' names axis %" PRId64 " of a scalar", axes[0]);
    for (int i = 0; i < count; i++) {
        int a;
        if (norm_axis_opset(d, n, axes[i], rank, &a) < 0)
            return -1;
        if (mask[a])
            return dl_error(d, n, "'axes' names axis %d twice", a);
        mask[a] = true;
    }
    return 0;
}

static int squeeze_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    int64_t axes[DL_MAX_RANK], dims[DL_MAX_RANK];
    bool mask[DL_MAX_RANK], present;
    int count, rank = 0;
    (void)g;
    if (need_shape(d, n, x, "data") < 0)
        return -1;
    if ((count = read_axes(d, n, n->params, axes, &present)) < 0)
        return -1;
    if (axes_mask(d, n, axes, count, x->rank, mask) < 0)
        return -1;
    for (int i = 0; i < x->rank; i++) {
        bool squeeze = present ? mask[i] : x->dims[i] == 1;
        if (squeeze && x->dims[i] != 1)
            return dl_error(d, n, "cannot squeeze axis %d of input 'data': its size is %" PRId64
                            ", expected 1", i, x->dims[i]);
        if (!squeeze)
            dims[rank++] = x->dims[i];
    }
    return view_output(n, dims, rank);
}

static int unsqueeze_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    int64_t axes[DL_MAX_RANK], dims[DL_MAX_RANK];
    bool mask[DL_MAX_RANK], present;
    int count, out_rank, j = 0;
    (void)g;
    if (need_shape(d, n, x, "data") < 0)
        return -1;
    if ((count = read_axes(d, n, n->params, axes, &present)) < 0)
        return -1;
    if (!present)
        return dl_error(d, n, "%s 'axes' is missing", n->opset < 13 ? "attribute" : "input");
    out_rank = x->rank + count;
    if (out_rank > DL_MAX_RANK)
        return dl_error(d, n, "output rank would be %d; at most %d is supported",
                        out_rank, DL_MAX_RANK);
    /* Axes index the output (ONNX): [-out_rank, out_rank - 1]. */
    if (axes_mask(d, n, axes, count, out_rank, mask) < 0)
        return -1;
    for (int i = 0; i < out_rank; i++)
        dims[i] = mask[i] ? 1 : x->dims[j++];
    return view_output(n, dims, out_rank);
}

/* ----------------------------------------------------- Identity, Dropout */

static int identity_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    return dl_check_inputs(d, n, 1, 1);
}

static int identity_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    (void)g;
    if (need_shape(d, n, x, "input") < 0)
        return -1;
    return view_output(n, x->dims, x->rank);
}

/* Dropout compiles for inference only; training_mode (opset >= 12) must be
 * absent or a constant false. ratio does not matter at inference. */
static int dropout_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *mode = opt_input(n, 2);
    (void)g;
    if (dl_check_inputs(d, n, 1, n->opset < 12 ? 1 : 3) < 0)
        return -1;
    if (mode == NULL)
        return 0;
    if (mode->data == NULL)
        return dl_error_not_constant(d, n, mode, "input",
                                     "dlcc compiles inference only: training_mode must be absent or false");
    if (dl_value_numel(mode) != 1 || dl_dtype_size(mode->dtype) == 0)
        return dl_error(d, n, "input 'training_mode' must be one bool");
    for (size_t b = 0; b < dl_dtype_size(mode->dtype); b++)
        if (((const unsigned char *)mode->data)[b] != 0)
            return dl_error(d, n, "input 'training_mode' is true; dlcc compiles inference only "
                            "(Dropout is an identity there)");
    return 0;
}

/* The mask of an inference Dropout keeps everything: all ones. */
static void fill_ones(dl_value *v)
{
    unsigned char one[8] = {0};
    size_t es = dl_dtype_size(v->dtype);
    int64_t count = dl_value_numel(v);
    float f = 1.0f;
    double g = 1.0;
    uint16_t half = 0x3C00; /* 1.0 in IEEE binary16 */
    int16_t i16 = 1;
    int32_t i32 = 1;
    int64_t i64 = 1;

    switch (v->dtype) {
    case DL_FLOAT: memcpy(one, &f, 4); break;
    case DL_DOUBLE: memcpy(one, &g, 8); break;
    case DL_FLOAT16: memcpy(one, &half, 2); break;
    default:
        if (es == 2)
            memcpy(one, &i16, 2);
        else if (es == 4)
            memcpy(one, &i32, 4);
        else if (es == 8)
            memcpy(one, &i64, 8);
        else
            one[0] = 1;
    }
    for (int64_t i = 0; i < count; i++)
        memcpy((unsigned char *)v->data + (size_t)i * es, one, es);
}

static int dropout_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    dl_value *mask = n->n_outputs > 1 ? n->outputs[1] : NULL;
    if (identity_infer(g, n, d) < 0)
        return -1;
    if (mask == NULL)
        return 0;
    /* bool from opset 10; the input's type before. A constant, so the
     * mask never needs code. */
    dl_value_set_shape(mask, n->opset >= 10 ? DL_BOOL : x->dtype, x->rank, x->dims);
    if (mask->data == NULL && dl_value_alloc_data(g, mask) == NULL)
        return dl_error(d, n, "out of memory");
    fill_ones(mask);
    return 0;
}

static int dropout_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    if (n->n_outputs > 1 && n->outputs[1] != NULL && n->outputs[1]->data != NULL)
        fill_ones(n->outputs[1]);
    return view_eval(g, n, d);
}

const dl_op dl_op_Reshape = {"Reshape", DL_OP_VIEW, reshape_setup, reshape_infer, view_eval, view_lower};
const dl_op dl_op_Flatten = {"Flatten", DL_OP_VIEW, flatten_setup, flatten_infer, view_eval, view_lower};
const dl_op dl_op_Squeeze = {"Squeeze", DL_OP_VIEW, axes_setup, squeeze_infer, view_eval, view_lower};
const dl_op dl_op_Unsqueeze = {"Unsqueeze", DL_OP_VIEW, axes_setup, unsqueeze_infer, view_eval, view_lower};
const dl_op dl_op_Identity = {"Identity", DL_OP_VIEW, identity_setup, identity_infer, view_eval, view_lower};
const dl_op dl_op_Dropout = {"Dropout", DL_OP_VIEW, dropout_setup, dropout_infer, dropout_eval, view_lower};
