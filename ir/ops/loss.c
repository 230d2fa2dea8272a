/* NegativeLogLikelihoodLoss (opset 12, 13, 22) and SoftmaxCrossEntropyLoss
 * (12, 13). Versions differ only in their type lists; the semantics are
 * one: input (N, C, d1..dk), target (N, d1..dk) int32/int64, optional
 * weight (C), reduction none/sum/mean, optional ignore_index. SCE applies
 * log_softmax over the class axis first and may output it as log_prob.
 * Both run one kernel over the (N, C, D) view, D = d1*..*dk. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/loss.h"

typedef struct loss_params {
    bool softmax;           /* SoftmaxCrossEntropyLoss */
    int reduction;          /* DLK_LOSS_* */
    bool has_ignore;
    int64_t ignore_index;
} loss_params;

static int loss_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    loss_params *lp = dl_node_params(g, n, sizeof *lp);
    const char *red;
    if (!lp)
        return dl_error(d, n, "out of memory");
    lp->softmax = strcmp(n->op_type, "SoftmaxCrossEntropyLoss") == 0;
    red = dl_attr_string(n, "reduction", "mean");
    if (strcmp(red, "none") == 0)
        lp->reduction = DLK_LOSS_NONE;
    else if (strcmp(red, "sum") == 0)
        lp->reduction = DLK_LOSS_SUM;
    else if (strcmp(red, "mean") == 0)
        lp->reduction = DLK_LOSS_MEAN;
    else
        return dl_error(d, n, "attribute reduction is '%s'; expected 'none', 'sum' or 'mean'", red);
    lp->has_ignore = dl_attr_find(n, "ignore_index") != NULL;
    lp->ignore_index = dl_attr_int(n, "ignore_index", 0);
    return 0;
}

static int loss_check_target(dl_diag *d, const dl_node *n, const dl_value *x, const dl_value *t)
{
    int k;
    if (!t)
        return dl_error(d, n, "input 1 (target) is missing; %s needs it", n->op_type);
    if (t->rank < 0)
        return dl_error(d, n, "input 1 ('%s') has no known shape", t->name);
    if (t->dtype != DL_INT64 && t->dtype != DL_INT32)
        return dl_error(d, n, "input 1 ('%s') has type %s; expected int32 or int64", t->name,
                        dl_dtype_name(t->dtype));
    if (t->rank != x->rank - 1)
        return dl_error(d, n, "input 1 ('%s') has rank %d; expected %d (input 0's rank less the class dim)",
                        t->name, t->rank, x->rank - 1);
    for (k = 0; k < t->rank; k++) {
        const int64_t want = x->dims[k == 0 ? 0 : k + 1];
        if (t->dims[k] != want)
            return dl_error(d, n, "input 1 ('%s') dim %d is %lld; expected %lld to match input 0", t->name, k,
                            (long long)t->dims[k], (long long)want);
    }
    return 0;
}

static int loss_check_weight(dl_diag *d, const dl_node *n, const dl_value *x, const dl_value *w)
{
    if (!w)
        return 0;
    if (w->rank != 1 || w->dims[0] != x->dims[1])
        return dl_error(d, n, "input 2 ('%s', weight) must have shape [%lld] (the class count)", w->name,
                        (long long)x->dims[1]);
    return dl_check_dtype(d, n, w, "input 2 (weight)", x->dtype);
}

static int loss_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const loss_params *lp = n->params;
    const dl_value *x, *w;
    (void)g;
    if (dl_check_inputs(d, n, 2, 3) != 0)
        return -1;
    x = n->inputs[0];
    w = n->n_inputs > 2 ? n->inputs[2] : NULL;
    if (!x)
        return dl_error(d, n, "input 0 is missing; %s needs it", n->op_type);
    if (x->rank < 0)
        return dl_error(d, n, "input 0 ('%s') has no known shape", x->name);
    if (x->rank < 2)
        return dl_error(d, n, "input 0 ('%s') has rank %d; expected at least 2 (N, C, ...)", x->name, x->rank);
    if (x->dtype != DL_FLOAT && x->dtype != DL_DOUBLE)
        return dl_error(d, n, "input 0 ('%s') has type %s; %s is supported for float32 and float64 only, "
                        "other types not supported", x->name, dl_dtype_name(x->dtype), n->op_type);
    if (loss_check_target(d, n, x, n->inputs[1]) != 0 || loss_check_weight(d, n, x, w) != 0)
        return -1;
    if (n->n_outputs < 1 || !n->outputs[0])
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (n->n_outputs > (lp->softmax ? 2 : 1))
        return dl_error(d, n, "%d outputs; %s has at most %d", n->n_outputs, n->op_type, lp->softmax ? 2 : 1);
    if (lp->reduction == DLK_LOSS_NONE)
        dl_value_set_shape(n->outputs[0], x->dtype, n->inputs[1]->rank, n->inputs[1]->dims);
    else
        dl_value_set_shape(n->outputs[0], x->dtype, 0, NULL);
    if (n->n_outputs > 1 && n->outputs[1])
        dl_value_set_shape(n->outputs[1], x->dtype, x->rank, x->dims);
    return 0;
}

static void make_loss_params(const dl_node *n, dlk_loss_params *kp)
{
    const loss_params *lp = n->params;
    const dl_value *x = n->inputs[0];
    int k;
    memset(kp, 0, sizeof *kp);
    kp->n = x->dims[0];
    kp->c = x->dims[1];
    kp->d = 1;
    for (k = 2; k < x->rank; k++)
        kp->d *= x->dims[k];
    kp->reduction = lp->reduction;
    kp->softmax = lp->softmax;
    kp->has_ignore = lp->has_ignore;
    kp->ignore_index = lp->ignore_index;
}

static dl_value *loss_weight(const dl_node *n)
{
    return n->n_inputs > 2 ? n->inputs[2] : NULL;
}

static dl_value *loss_log_prob(const dl_node *n)
{
    return n->n_outputs > 1 ? n->outputs[1] : NULL;
}

static int loss_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_loss_params kp;
    const dl_value *t = n->inputs[1], *w = loss_weight(n);
    dl_value *lpv = loss_log_prob(n);
    const int64_t *t64 = t->dtype == DL_INT64 ? t->data : NULL;
    const int32_t *t32 = t->dtype == DL_INT32 ? t->data : NULL;
    (void)g;
    (void)d;
    make_loss_params(n, &kp);
    if (n->inputs[0]->dtype == DL_DOUBLE)
        dlk_loss_f64(&kp, n->inputs[0]->data, t64, t32, w ? w->data : NULL, n->outputs[0]->data,
                     lpv ? lpv->data : NULL);
    else
        dlk_loss_f32(&kp, n->inputs[0]->data, t64, t32, w ? w->data : NULL, n->outputs[0]->data,
                     lpv ? lpv->data : NULL);
    return 0;
}

static int loss_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const char *kernel = n->inputs[0]->dtype == DL_DOUBLE ? "dlk_loss_f64" : "dlk_loss_f32";
    const dl_value *t = n->inputs[1];
    dlk_loss_params kp;
    (void)g;
    (void)d;
    make_loss_params(n, &kp);
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_loss_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c", kp.c);
    dl_lower_param_int(l, "d", kp.d);
    dl_lower_param_int(l, "reduction", kp.reduction);
    dl_lower_param_int(l, "softmax", kp.softmax);
    dl_lower_param_int(l, "has_ignore", kp.has_ignore);
    dl_lower_param_int(l, "ignore_index", kp.ignore_index);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, t->dtype == DL_INT64 ? t : NULL);
    dl_lower_arg_value(l, t->dtype == DL_INT32 ? t : NULL);
    dl_lower_arg_value(l, loss_weight(n));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, loss_log_prob(n));
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_NegativeLogLikelihoodLoss = {"NegativeLogLikelihoodLoss", 0, loss_setup, loss_infer, loss_eval,
                                               loss_lower};
const dl_op dl_op_SoftmaxCrossEntropyLoss = {"SoftmaxCrossEntropyLoss", 0, loss_setup, loss_infer, loss_eval,
                                             loss_lower};
