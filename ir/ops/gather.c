/* Gather (opsets 1-13): output = data[:axis] + indices.shape + data[axis+1:].
 * Indices are int64 or int32, constant or computed at run time; negative
 * ones count from the end. The kernel copies slices, so any data type works. */
#include "ir/ops/op.h"
#include "kernels/gather.h"

typedef struct gather_params_t {
    int64_t axis;       /* as given; normalised against the data's rank in infer */
    int norm_axis;
} gather_params_t;

static int gather_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    gather_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    if (n->inputs[0] == NULL || n->inputs[1] == NULL)
        return dl_error(d, n, "inputs 'data' and 'indices' are both required");
    p->axis = dl_attr_int(n, "axis", 0);
    return 0;
}

static int64_t gather_index(const dl_value *indices, int64_t j)
{
    if (indices->dtype == DL_INT64)
        return ((const int64_t *)indices->data)[j];
    return ((const int32_t *)indices->data)[j];
}

/* Constant indices are checked here, where the error can name them. */
static int gather_check_indices(dl_node *n, dl_diag *d, int64_t axis_dim)
{
    const dl_value *indices = n->inputs[1];
    const int64_t count = dl_value_numel(indices);
    int64_t j;
    if (indices->data == NULL)
        return 0;
    for (j = 0; j < count; j++) {
        const int64_t i = gather_index(indices, j);
        if (i < -axis_dim || i >= axis_dim)
            return dl_error(d, n, "indices[%lld] is %lld, outside [%lld, %lld] for an axis of size %lld",
                            (long long)j, (long long)i, (long long)-axis_dim, (long long)(axis_dim - 1),
                            (long long)axis_dim);
    }
    return 0;
}

static int gather_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    gather_params_t *p = n->params;
    const dl_value *data = n->inputs[0], *indices = n->inputs[1];
    int64_t dims[DL_MAX_RANK];
    int rank = 0, i;
    (void)g;
    if (dl_dtype_size(data->dtype) == 0)
        return dl_error(d, n, "input 'data' has unsupported type %s", dl_dtype_name(data->dtype));
    if (indices->dtype != DL_INT64 && indices->dtype != DL_INT32)
        return dl_error(d, n, "input 'indices' is %s; expected int64 or int32", dl_dtype_name(indices->dtype));
    if (data->rank < 1)
        return dl_error(d, n, "input 'data' is a scalar; Gather needs rank >= 1");
    if (dl_norm_axis(d, n, p->axis, data->rank, &p->norm_axis) < 0)
        return -1;
    if (data->rank - 1 + indices->rank > DL_MAX_RANK)
        return dl_error(d, n, "the output would have rank %d; at most %d is supported",
                        data->rank - 1 + indices->rank, DL_MAX_RANK);
    if (gather_check_indices(n, d, data->dims[p->norm_axis]) < 0)
        return -1;
    for (i = 0; i < p->norm_axis; i++)
        dims[rank++] = data->dims[i];
    for (i = 0; i < indices->rank; i++)
        dims[rank++] = indices->dims[i];
    for (i = p->norm_axis + 1; i < data->rank; i++)
        dims[rank++] = data->dims[i];
    dl_value_set_shape(n->outputs[0], data->dtype, rank, dims);
    return 0;
}

static void gather_make_params(const dl_node *n, dlk_gather_params *k)
{
    const gather_params_t *p = n->params;
    const dl_value *data = n->inputs[0];
    int i;
    k->outer = 1;
    k->inner_bytes = (int64_t)dl_dtype_size(data->dtype);
    for (i = 0; i < p->norm_axis; i++)
        k->outer *= data->dims[i];
    for (i = p->norm_axis + 1; i < data->rank; i++)
        k->inner_bytes *= data->dims[i];
    k->axis_dim = data->dims[p->norm_axis];
    k->n_indices = dl_value_numel(n->inputs[1]);
}

static const char *gather_kernel(const dl_node *n)
{
    return n->inputs[1]->dtype == DL_INT64 ? "dlk_gather_i64" : "dlk_gather_i32";
}

static int gather_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *indices = n->inputs[1];
    dlk_gather_params k;
    (void)g;
    (void)d;
    gather_make_params(n, &k);
    if (indices->dtype == DL_INT64)
        dlk_gather_i64(&k, n->inputs[0]->data, indices->data, n->outputs[0]->data);
    else
        dlk_gather_i32(&k, n->inputs[0]->data, indices->data, n->outputs[0]->data);
    return 0;
}

static int gather_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_gather_params k;
    (void)g;
    (void)d;
    gather_make_params(n, &k);
    dl_lower_need(l, gather_kernel(n));
    dl_lower_params_begin(l, "dlk_gather_params");
    dl_lower_param_int(l, "outer", k.outer);
    dl_lower_param_int(l, "axis_dim", k.axis_dim);
    dl_lower_param_int(l, "inner_bytes", k.inner_bytes);
    dl_lower_param_int(l, "n_indices", k.n_indices);
    dl_lower_params_end(l);
    dl_lower_call(l, gather_kernel(n));
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Gather = {"Gather", 0, gather_setup, gather_infer, gather_eval, gather_lower};
