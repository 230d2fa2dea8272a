/* TopK: the k largest (largest=1) or smallest elements along axis (default
 * -1), best first, with their int64 indices; ties go to the lower index.
 * k is an attribute before opset 10 and a constant input from 10 on (it
 * sets the output shape, so it must be known at compile time). sorted=0
 * leaves the order free; dlcc always sorts. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/topk.h"

typedef struct topk_params {
    int64_t axis;
    bool largest;
    int64_t k;                      /* set by infer */
    int ax;                         /* axis, normalised by infer */
} topk_params;

static const char *topk_suffix(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "f32";
    case DL_DOUBLE: return "f64";
    case DL_INT32: return "i32";
    case DL_INT64: return "i64";
    case DL_UINT64: return "u64";
    case DL_INT8: return "i8";
    case DL_UINT8: return "u8";
    default: return NULL;
    }
}

static int topk_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    topk_params *tp = dl_node_params(g, n, sizeof *tp);
    if (!tp)
        return dl_error(d, n, "out of memory");
    tp->axis = dl_attr_int(n, "axis", -1);
    tp->largest = dl_attr_int(n, "largest", 1) != 0;
    tp->k = n->opset < 10 ? dl_attr_int(n, "k", -1) : -1;
    return 0;
}

/* k from input 1 (opset >= 10) or the attribute; checked against the axis. */
static int topk_read_k(dl_diag *d, const dl_node *n, topk_params *tp, int64_t len)
{
    if (n->opset >= 10) {
        int64_t k[1];
        int count;
        if (n->n_inputs < 2 || !n->inputs[1])
            return dl_error(d, n, "input 1 (K) is missing; TopK from opset 10 needs it");
        count = dl_const_ints(d, n, n->inputs[1], "input 1 (K)", k, 1);
        if (count < 0)
            return -1;
        if (count != 1)
            return dl_error(d, n, "input 1 (K) has %d elements, expected 1", count);
        tp->k = k[0];
    }
    if (tp->k < 0 || tp->k > len)
        return dl_error(d, n, "k is %lld; expected 0 to %lld (the length of axis %lld)", (long long)tp->k,
                        (long long)len, (long long)tp->axis);
    return 0;
}

static int topk_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    topk_params *tp = n->params;
    const dl_value *x;
    int64_t dims[DL_MAX_RANK];
    int k;
    (void)g;
    if (dl_check_inputs(d, n, 1, n->opset >= 10 ? 2 : 1) != 0)
        return -1;
    x = n->inputs[0];
    if (x->rank < 1)
        return dl_error(d, n, "input 0 ('%s') has rank %d; TopK needs rank >= 1", x->name, x->rank);
    if (n->n_outputs < 2 || !n->outputs[0] || !n->outputs[1])
        return dl_error(d, n, "TopK without both outputs (values, indices) is not supported");
    if (!topk_suffix(x->dtype))
        return dl_error(d, n, "input 0 ('%s') has type %s; TopK supports float32, float64, int32, int64, "
                        "uint64, int8, uint8", x->name, dl_dtype_name(x->dtype));
    if (dl_norm_axis(d, n, tp->axis, x->rank, &tp->ax) != 0)
        return -1;
    if (topk_read_k(d, n, tp, x->dims[tp->ax]) != 0)
        return -1;
    for (k = 0; k < x->rank; k++)
        dims[k] = k == tp->ax ? tp->k : x->dims[k];
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, dims);
    dl_value_set_shape(n->outputs[1], DL_INT64, x->rank, dims);
    return 0;
}

static void make_topk_params(const dl_node *n, dlk_topk_params *kp)
{
    const topk_params *tp = n->params;
    const dl_value *x = n->inputs[0];
    int k;
    memset(kp, 0, sizeof *kp);
    kp->outer = kp->inner = 1;
    for (k = 0; k < x->rank; k++) {
        if (k < tp->ax)
            kp->outer *= x->dims[k];
        else if (k > tp->ax)
            kp->inner *= x->dims[k];
    }
    kp->n = x->dims[tp->ax];
    kp->k = tp->k;
    kp->largest = tp->largest;
}

static int topk_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_topk_params kp;
    const void *x = n->inputs[0]->data;
    void *v = n->outputs[0]->data;
    int64_t *i = n->outputs[1]->data;
    (void)g;
    (void)d;
    make_topk_params(n, &kp);
    switch (n->inputs[0]->dtype) {
    case DL_FLOAT: dlk_topk_f32(&kp, x, v, i); break;
    case DL_DOUBLE: dlk_topk_f64(&kp, x, v, i); break;
    case DL_INT32: dlk_topk_i32(&kp, x, v, i); break;
    case DL_INT64: dlk_topk_i64(&kp, x, v, i); break;
    case DL_UINT64: dlk_topk_u64(&kp, x, v, i); break;
    case DL_INT8: dlk_topk_i8(&kp, x, v, i); break;
    default: dlk_topk_u8(&kp, x, v, i); break;
    }
    return 0;
}

static int topk_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_topk_params kp;
    char name[32];
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    make_topk_params(n, &kp);
    snprintf(name, sizeof name, "dlk_topk_%s", topk_suffix(n->inputs[0]->dtype));
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_topk_params");
    dl_lower_param_int(l, "outer", kp.outer);
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "inner", kp.inner);
    dl_lower_param_int(l, "k", kp.k);
    dl_lower_param_int(l, "largest", kp.largest);
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_TopK = {"TopK", 0, topk_setup, topk_infer, topk_eval, topk_lower};
