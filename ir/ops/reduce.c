/* ReduceMean. The axes are an attribute before opset 18 and an optional
 * constant input from 18 on; no axes means every axis, unless
 * noop_with_empty_axes (18) makes it the identity. keepdims (default 1)
 * keeps reduced dims as 1s. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/reduce.h"
#include "kernels/copy.h"

typedef struct reduce_params {
    int n_axes;                     /* -1: none given */
    int64_t axes[DL_MAX_RANK];
    bool keepdims;
    bool noop_with_empty_axes;
    bool axes_input;                /* opset >= 18: axes come from input 1 */
    bool reduced[DL_MAX_RANK];      /* infer's result, per input dim */
    bool identity;                  /* ... or nothing to do */
} reduce_params;

static int reduce_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    reduce_params *rp = dl_node_params(g, n, sizeof *rp);
    const int64_t *axes;
    if (!rp)
        return dl_error(d, n, "out of memory");
    rp->keepdims = dl_attr_int(n, "keepdims", 1) != 0;
    rp->noop_with_empty_axes = dl_attr_int(n, "noop_with_empty_axes", 0) != 0;
    rp->axes_input = n->opset >= 18;
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
    if (dl_check_dtype(d, n, x, "input 0", DL_FLOAT) != 0)
        return -1;
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
    dl_value_set_shape(n->outputs[0], DL_FLOAT, rank, dims);
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
    dlk_reduce_mean_f32(&kp, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int reduce_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const reduce_params *rp = n->params;
    dlk_reduce_params kp;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    if (rp->identity) {
        dl_lower_need(l, "dlk_copy");
        dl_lower_call(l, "dlk_copy");
        dl_lower_arg_value(l, n->inputs[0]);
        dl_lower_arg_value(l, n->outputs[0]);
        dl_lower_arg_int(l, dl_value_bytes(n->outputs[0]));
        dl_lower_call_end(l);
        return 0;
    }
    make_reduce_params(n, &kp);
    dl_lower_need(l, "dlk_reduce_mean_f32");
    dl_lower_params_begin(l, "dlk_reduce_params");
    dl_lower_param_int(l, "rank", kp.rank);
    dl_lower_param_ints(l, "dims", kp.dims, (int)kp.rank);
    dl_lower_param_ints(l, "out_strides", kp.out_strides, (int)kp.rank);
    dl_lower_param_int(l, "out_size", kp.out_size);
    dl_lower_param_int(l, "count", kp.count);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_reduce_mean_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_ReduceMean = {"ReduceMean", 0, reduce_setup, reduce_infer, reduce_eval, reduce_lower};
