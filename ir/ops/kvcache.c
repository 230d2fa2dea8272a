/* TensorScatter-24: a KV-cache update. present = past_cache with update
 * written along `axis` (not 0) at write_indices[b] + s (0 when absent);
 * mode "circular" wraps positions modulo the cache length. Any element
 * type: the kernel copies bytes. write_indices is a run-time input (it
 * decides positions, not shapes). Kernel: runtime/kernels/transformer.h. */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/transformer.h"

typedef struct tensor_scatter_attrs {
    int64_t axis, circular;
} tensor_scatter_attrs;

static int tensor_scatter_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    tensor_scatter_attrs *a;
    const char *mode = dl_attr_string(n, "mode", "linear");
    if (dl_check_inputs(d, n, 2, 3) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (!a)
        return dl_error(d, n, "out of memory");
    a->axis = dl_attr_int(n, "axis", -2);
    if (strcmp(mode, "linear") != 0 && strcmp(mode, "circular") != 0)
        return dl_error(d, n, "attribute 'mode' is '%s'; expected 'linear' or 'circular'", mode);
    a->circular = strcmp(mode, "circular") == 0;
    return 0;
}

static int tensor_scatter_make_params(dl_diag *d, const dl_node *n, dlk_tensor_scatter_params *kp)
{
    const tensor_scatter_attrs *a = n->params;
    const dl_value *past = n->inputs[0], *upd = n->inputs[1];
    const dl_value *idx = n->n_inputs > 2 ? n->inputs[2] : NULL;
    int axis;
    if (past->rank < 0 || upd->rank < 0)
        return dl_error(d, n, "inputs 'past_cache' and 'update' need known shapes; give them with --shape");
    if (!dl_dtype_ctype(past->dtype) || dl_dtype_size(past->dtype) == 0)
        return dl_error(d, n, "input 'past_cache' has type %s, not supported", dl_dtype_name(past->dtype));
    if (dl_check_dtype(d, n, upd, "update", past->dtype) < 0)
        return -1;
    if (past->rank < 2 || upd->rank != past->rank)
        return dl_error(d, n, "inputs 'past_cache' (rank %d) and 'update' (rank %d) must have the same rank >= 2",
                        past->rank, upd->rank);
    if (dl_norm_axis(d, n, a->axis, past->rank, &axis) < 0)
        return -1;
    if (axis == 0)
        return dl_error(d, n, "attribute 'axis' is the batch dim 0; the sequence axis must be another");
    memset(kp, 0, sizeof *kp);
    kp->batch = past->dims[0];
    kp->outer = 1, kp->inner = 1;
    for (int i = 0; i < past->rank; i++) {
        if (i != axis && past->dims[i] != upd->dims[i])
            return dl_error(d, n, "inputs 'past_cache' and 'update' differ in dim %d (%" PRId64 " vs %" PRId64
                            "); only the axis dim may differ", i, past->dims[i], upd->dims[i]);
        if (i < axis)
            kp->outer *= past->dims[i];
        else if (i > axis)
            kp->inner *= past->dims[i];
    }
    kp->max_len = past->dims[axis], kp->upd_len = upd->dims[axis];
    if (kp->upd_len > kp->max_len)
        return dl_error(d, n, "input 'update' has %" PRId64 " positions on the axis; the cache holds only %" PRId64,
                        kp->upd_len, kp->max_len);
    kp->elem = (int64_t)dl_dtype_size(past->dtype);
    kp->circular = a->circular;
    if (idx) {
        if (idx->rank < 0 || dl_check_dtype(d, n, idx, "write_indices", DL_INT64) < 0)
            return idx->rank < 0 ? dl_error(d, n, "input 'write_indices' has an unknown shape") : -1;
        if (idx->rank != 1 || idx->dims[0] != kp->batch)
            return dl_error(d, n, "input 'write_indices' must have shape [%" PRId64 "]", kp->batch);
    }
    return 0;
}

static int tensor_scatter_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_tensor_scatter_params kp;
    (void)g;
    if (tensor_scatter_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], n->inputs[0]->dtype, n->inputs[0]->rank, n->inputs[0]->dims);
    return 0;
}

static const dl_value *ts_idx(const dl_node *n)
{
    return n->n_inputs > 2 ? n->inputs[2] : NULL;
}

static int tensor_scatter_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_tensor_scatter_params kp;
    const dl_value *idx = ts_idx(n);
    (void)g;
    if (tensor_scatter_make_params(d, n, &kp) < 0)
        return -1;
    dlk_tensor_scatter(&kp, n->inputs[0]->data, n->inputs[1]->data, idx ? idx->data : NULL, n->outputs[0]->data);
    return 0;
}

static int tensor_scatter_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_tensor_scatter_params kp;
    (void)g;
    if (tensor_scatter_make_params(d, n, &kp) < 0)
        return -1;
    dl_lower_need(l, "dlk_tensor_scatter");
    dl_lower_params_begin(l, "dlk_tensor_scatter_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "outer", kp.outer);
    dl_lower_param_int(l, "max_len", kp.max_len);
    dl_lower_param_int(l, "upd_len", kp.upd_len);
    dl_lower_param_int(l, "inner", kp.inner);
    dl_lower_param_int(l, "elem", kp.elem);
    dl_lower_param_int(l, "circular", kp.circular);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_tensor_scatter");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, ts_idx(n));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_TensorScatter = {"TensorScatter", 0, tensor_scatter_setup, tensor_scatter_infer,
                                   tensor_scatter_eval, tensor_scatter_lower};
