/* GatherElements, GatherND, ScatterElements (and its old name Scatter),
 * ScatterND and OneHot (kernels in scatter.h). Indices may be computed at
 * run time; element data of any type is moved as bytes; reductions work on
 * every numeric type but float16. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/scatter.h"

static int check_index_type(dl_diag *d, const dl_node *n, const dl_value *v, const char *what)
{
    if (v->dtype != DL_INT64 && v->dtype != DL_INT32)
        return dl_error(d, n, "input '%s' has type %s, expected int64 or int32", what, dl_dtype_name(v->dtype));
    return 0;
}

static int check_data_type(dl_diag *d, const dl_node *n, const dl_value *v, const char *what)
{
    if (dl_dtype_size(v->dtype) == 0)
        return dl_error(d, n, "input '%s' has type %s, which is not supported", what, dl_dtype_name(v->dtype));
    return 0;
}

static int check_required(dl_diag *d, const dl_node *n, int count)
{
    int i;
    if (dl_check_inputs(d, n, count, count) < 0)
        return -1;
    for (i = 0; i < count; i++)
        if (n->inputs[i] == NULL)
            return dl_error(d, n, "input %d is required", i);
    return 0;
}

/* reduction attribute (opset 16+) as dlk_scatter_combine's code. */
static int read_reduction(dl_diag *d, const dl_node *n, int64_t *out)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const char *r = dl_attr_string(n, "reduction", "none");
    int i;
    for (i = 0; i < 5; i++)
        if (strcmp(r, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return dl_error(d, n, "attribute 'reduction' is '%s'; expected none, add, mul, max or min", r);
}

static int check_reduction_type(dl_diag *d, const dl_node *n, int64_t reduction, dl_dtype t)
{
    if (reduction != 0 && (t == DL_FLOAT16 || t == DL_BOOL))
        return dl_error(d, n, "reduction on %s data is not supported", dl_dtype_name(t));
    return 0;
}

/* ------------------------------------------- GatherElements, ScatterElements */

typedef struct elements_params_t {
    int64_t axis;
    bool scatter;
    dlk_elements_params k;      /* filled by infer */
} elements_params_t;

static int elements_setup(dl_graph *g, dl_node *n, dl_diag *d, bool scatter)
{
    elements_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (check_required(d, n, scatter ? 3 : 2) < 0)
        return -1;
    p->axis = dl_attr_int(n, "axis", 0);
    p->scatter = scatter;
    return scatter ? read_reduction(d, n, &p->k.reduction) : 0;
}

static int gather_elements_setup(dl_graph *g, dl_node *n, dl_diag *d) { return elements_setup(g, n, d, false); }
static int scatter_elements_setup(dl_graph *g, dl_node *n, dl_diag *d) { return elements_setup(g, n, d, true); }

static int elements_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    elements_params_t *p = n->params;
    const dl_value *data = n->inputs[0], *idx = n->inputs[1];
    int axis, i;
    (void)g;
    if (check_data_type(d, n, data, "data") < 0 || check_index_type(d, n, idx, "indices") < 0)
        return -1;
    if (data->rank < 1 || idx->rank != data->rank)
        return dl_error(d, n, "input 'indices' has rank %d; expected the data's rank %d (>= 1)", idx->rank,
                        data->rank);
    if (dl_norm_axis(d, n, p->axis, data->rank, &axis) < 0)
        return -1;
    if (p->scatter) {
        const dl_value *upd = n->inputs[2];
        if (upd->dtype != data->dtype || upd->rank != idx->rank ||
            memcmp(upd->dims, idx->dims, sizeof(int64_t) * (size_t)idx->rank) != 0)
            return dl_error(d, n, "input 'updates' must have the data's type and the indices' shape");
        if (check_reduction_type(d, n, p->k.reduction, data->dtype) < 0)
            return -1;
    }
    p->k.rank = data->rank;
    p->k.axis = axis;
    for (i = 0; i < data->rank; i++) {
        p->k.dims[i] = idx->dims[i];
        p->k.data_dims[i] = data->dims[i];
    }
    p->k.elem_size = (int64_t)dl_dtype_size(data->dtype);
    p->k.idx_dtype = idx->dtype;
    p->k.dtype = data->dtype;
    if (p->scatter)
        dl_value_set_shape(n->outputs[0], data->dtype, data->rank, data->dims);
    else
        dl_value_set_shape(n->outputs[0], data->dtype, idx->rank, idx->dims);
    return 0;
}

/* kernel(&params, data, indices, [updates,] out[, data bytes]): the call both
 * families emit after their params (the scatters copy data, then update). */
static void lower_call(dl_lower *l, const dl_node *n, const char *kernel, bool scatter)
{
    dl_lower_call(l, kernel);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    if (scatter)
        dl_lower_arg_value(l, n->inputs[2]);
    dl_lower_arg_value(l, n->outputs[0]);
    if (scatter)
        dl_lower_arg_int(l, dl_value_bytes(n->inputs[0]));
    dl_lower_call_end(l);
}

static int elements_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const elements_params_t *p = n->params;
    (void)g;
    (void)d;
    if (p->scatter)
        dlk_scatter_elements(&p->k, n->inputs[0]->data, n->inputs[1]->data, n->inputs[2]->data,
                             n->outputs[0]->data, dl_value_bytes(n->inputs[0]));
    else
        dlk_gather_elements(&p->k, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int elements_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const elements_params_t *p = n->params;
    const char *kernel = p->scatter ? "dlk_scatter_elements" : "dlk_gather_elements";
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_elements_params");
    dl_lower_param_int(l, "rank", p->k.rank);
    dl_lower_param_int(l, "axis", p->k.axis);
    dl_lower_param_ints(l, "dims", p->k.dims, (int)p->k.rank);
    dl_lower_param_ints(l, "data_dims", p->k.data_dims, (int)p->k.rank);
    dl_lower_param_int(l, "elem_size", p->k.elem_size);
    dl_lower_param_int(l, "idx_dtype", p->k.idx_dtype);
    dl_lower_param_int(l, "dtype", p->k.dtype);
    dl_lower_param_int(l, "reduction", p->k.reduction);
    dl_lower_params_end(l);
    lower_call(l, n, kernel, p->scatter);
    return 0;
}

const dl_op dl_op_GatherElements = {"GatherElements", 0, gather_elements_setup, elements_infer, elements_eval,
                                    elements_lower};
const dl_op dl_op_ScatterElements = {"ScatterElements", 0, scatter_elements_setup, elements_infer, elements_eval,
                                     elements_lower};
const dl_op dl_op_Scatter = {"Scatter", 0, scatter_elements_setup, elements_infer, elements_eval, elements_lower};

/* ------------------------------------------------------ GatherND, ScatterND */

typedef struct nd_params_t {
    int64_t batch_dims;
    bool scatter;
    dlk_nd_params k;            /* filled by infer */
} nd_params_t;

static int nd_setup(dl_graph *g, dl_node *n, dl_diag *d, bool scatter)
{
    nd_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (check_required(d, n, scatter ? 3 : 2) < 0)
        return -1;
    p->batch_dims = scatter ? 0 : dl_attr_int(n, "batch_dims", 0);
    p->scatter = scatter;
    return scatter ? read_reduction(d, n, &p->k.reduction) : 0;
}

static int gathernd_setup(dl_graph *g, dl_node *n, dl_diag *d) { return nd_setup(g, n, d, false); }
static int scatternd_setup(dl_graph *g, dl_node *n, dl_diag *d) { return nd_setup(g, n, d, true); }

/* The kernel parameters from the data and indices shapes. */
static int nd_fill(dl_diag *d, const dl_node *n, nd_params_t *p)
{
    const dl_value *data = n->inputs[0], *idx = n->inputs[1];
    const int b = (int)p->batch_dims;
    int i, m;
    if (idx->rank < 1 || b < 0 || b >= idx->rank || b >= data->rank)
        return dl_error(d, n, "batch_dims %d does not fit indices of rank %d and data of rank %d", b, idx->rank,
                        data->rank);
    m = (int)idx->dims[idx->rank - 1];
    if (m < 1 || m > data->rank - b)
        return dl_error(d, n, "the indices' last dim is %d; expected 1..%d", m, data->rank - b);
    for (i = 0; i < b; i++)
        if (idx->dims[i] != data->dims[i])
            return dl_error(d, n, "indices dim %d (%lld) differs from data dim %d (%lld) within batch_dims", i,
                            (long long)idx->dims[i], i, (long long)data->dims[i]);
    p->k.m = m;
    p->k.batch = 1;
    for (i = 0; i < b; i++)
        p->k.batch *= data->dims[i];
    p->k.per_batch = 1;
    for (i = b; i < idx->rank - 1; i++)
        p->k.per_batch *= idx->dims[i];
    p->k.slice_elems = 1;
    for (i = b + m; i < data->rank; i++)
        p->k.slice_elems *= data->dims[i];
    p->k.batch_elems = p->k.slice_elems;
    for (i = b + m - 1; i >= b; i--) {
        p->k.dims[i - b] = data->dims[i];
        p->k.strides[i - b] = p->k.batch_elems;
        p->k.batch_elems *= data->dims[i];
    }
    p->k.elem_size = (int64_t)dl_dtype_size(data->dtype);
    p->k.idx_dtype = idx->dtype;
    p->k.dtype = data->dtype;
    return 0;
}

static int nd_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    nd_params_t *p = n->params;
    const dl_value *data = n->inputs[0], *idx = n->inputs[1];
    int64_t dims[2 * DL_MAX_RANK];
    int rank = 0, i;
    (void)g;
    if (check_data_type(d, n, data, "data") < 0 || check_index_type(d, n, idx, "indices") < 0)
        return -1;
    if (nd_fill(d, n, p) < 0)
        return -1;
    for (i = 0; i < idx->rank - 1; i++)
        dims[rank++] = idx->dims[i];
    for (i = (int)(p->batch_dims + p->k.m); i < data->rank; i++)
        dims[rank++] = data->dims[i];
    if (p->scatter) {
        const dl_value *upd = n->inputs[2];
        if (upd->dtype != data->dtype || upd->rank != rank ||
            memcmp(upd->dims, dims, sizeof(int64_t) * (size_t)rank) != 0)
            return dl_error(d, n, "input 'updates' must have the data's type and shape "
                            "indices.shape[:-1] + data.shape[m:]");
        if (check_reduction_type(d, n, p->k.reduction, data->dtype) < 0)
            return -1;
        dl_value_set_shape(n->outputs[0], data->dtype, data->rank, data->dims);
        return 0;
    }
    if (rank > DL_MAX_RANK)
        return dl_error(d, n, "the output would have rank %d; at most %d is supported", rank, DL_MAX_RANK);
    dl_value_set_shape(n->outputs[0], data->dtype, rank, dims);
    return 0;
}

static int nd_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const nd_params_t *p = n->params;
    (void)g;
    (void)d;
    if (p->scatter)
        dlk_scatternd(&p->k, n->inputs[0]->data, n->inputs[1]->data, n->inputs[2]->data, n->outputs[0]->data,
                      dl_value_bytes(n->inputs[0]));
    else
        dlk_gathernd(&p->k, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int nd_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const nd_params_t *p = n->params;
    const char *kernel = p->scatter ? "dlk_scatternd" : "dlk_gathernd";
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_nd_params");
    dl_lower_param_int(l, "batch", p->k.batch);
    dl_lower_param_int(l, "per_batch", p->k.per_batch);
    dl_lower_param_int(l, "m", p->k.m);
    dl_lower_param_ints(l, "dims", p->k.dims, (int)p->k.m);
    dl_lower_param_ints(l, "strides", p->k.strides, (int)p->k.m);
    dl_lower_param_int(l, "batch_elems", p->k.batch_elems);
    dl_lower_param_int(l, "slice_elems", p->k.slice_elems);
    dl_lower_param_int(l, "elem_size", p->k.elem_size);
    dl_lower_param_int(l, "idx_dtype", p->k.idx_dtype);
    dl_lower_param_int(l, "dtype", p->k.dtype);
    dl_lower_param_int(l, "reduction", p->k.reduction);
    dl_lower_params_end(l);
    lower_call(l, n, kernel, p->scatter);
    return 0;
}

const dl_op dl_op_GatherND = {"GatherND", 0, gathernd_setup, nd_infer, nd_eval, nd_lower};
const dl_op dl_op_ScatterND = {"ScatterND", 0, scatternd_setup, nd_infer, nd_eval, nd_lower};

/* ----------------------------------------------------------------- OneHot */

typedef struct onehot_params_t {
    int64_t axis;
    dlk_onehot_params k;        /* filled by infer */
} onehot_params_t;

static int onehot_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    onehot_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (check_required(d, n, 3) < 0)
        return -1;
    p->axis = dl_attr_int(n, "axis", -1);
    return 0;
}

/* depth: a constant scalar (or one-element tensor) of any numeric type. */
static int onehot_depth(dl_diag *d, const dl_node *n, int64_t *depth)
{
    const dl_value *v = n->inputs[1];
    if (v->data == NULL)
        return dl_error_not_constant(d, n, n->inputs[1], "input", "it decides the output shape");
    if (dl_value_numel(v) != 1 || dl_dtype_size(v->dtype) == 0 || v->dtype == DL_FLOAT16)
        return dl_error(d, n, "input 'depth' must be one number; found %lld elements of %s",
                        (long long)dl_value_numel(v), dl_dtype_name(v->dtype));
    *depth = dlk_read_index(v->data, 0, v->dtype);
    if (*depth < 1)
        return dl_error(d, n, "input 'depth' is %lld; expected >= 1", (long long)*depth);
    return 0;
}

static int onehot_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    onehot_params_t *p = n->params;
    const dl_value *idx = n->inputs[0], *values = n->inputs[2];
    int64_t dims[DL_MAX_RANK], depth = 0;
    int axis, i, rank = idx->rank + 1;
    (void)g;
    if (dl_dtype_size(idx->dtype) == 0 || idx->dtype == DL_FLOAT16 || idx->dtype == DL_BOOL)
        return dl_error(d, n, "input 'indices' has type %s, which is not supported", dl_dtype_name(idx->dtype));
    if (check_data_type(d, n, values, "values") < 0)
        return -1;
    if (dl_value_numel(values) != 2)
        return dl_error(d, n, "input 'values' has %lld elements; expected 2 (off, on)",
                        (long long)dl_value_numel(values));
    if (rank > DL_MAX_RANK)
        return dl_error(d, n, "the output would have rank %d; at most %d is supported", rank, DL_MAX_RANK);
    if (onehot_depth(d, n, &depth) < 0 || dl_norm_axis(d, n, p->axis, rank, &axis) < 0)
        return -1;
    p->k.outer = 1;
    p->k.inner = 1;
    for (i = 0; i < idx->rank; i++) {
        if (i < axis)
            p->k.outer *= idx->dims[i];
        else
            p->k.inner *= idx->dims[i];
        dims[i < axis ? i : i + 1] = idx->dims[i];
    }
    dims[axis] = depth;
    p->k.depth = depth;
    p->k.elem_size = (int64_t)dl_dtype_size(values->dtype);
    p->k.idx_dtype = idx->dtype;
    dl_value_set_shape(n->outputs[0], values->dtype, rank, dims);
    return 0;
}

static int onehot_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const onehot_params_t *p = n->params;
    (void)g;
    (void)d;
    dlk_onehot(&p->k, n->inputs[0]->data, n->inputs[2]->data, n->outputs[0]->data);
    return 0;
}

static int onehot_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const onehot_params_t *p = n->params;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_onehot");
    dl_lower_params_begin(l, "dlk_onehot_params");
    dl_lower_param_int(l, "outer", p->k.outer);
    dl_lower_param_int(l, "depth", p->k.depth);
    dl_lower_param_int(l, "inner", p->k.inner);
    dl_lower_param_int(l, "elem_size", p->k.elem_size);
    dl_lower_param_int(l, "idx_dtype", p->k.idx_dtype);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_onehot");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[2]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_OneHot = {"OneHot", 0, onehot_setup, onehot_infer, onehot_eval, onehot_lower};
