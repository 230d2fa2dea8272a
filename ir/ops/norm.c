/* BatchNormalization (inference mode only) and LRN, float32, NCHW with any
 * number of axes after the channel axis. */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/op.h"
#include "kernels/norm.h"

static const char *const bn_inputs[5] = {"X", "scale", "B", "input_mean", "input_var"};
static const char *const bn_labels[5] = {"input X", "input scale", "input B", "input input_mean",
                                         "input input_var"};

typedef struct bn_attrs {
    float epsilon;
    int64_t spatial;     /* opset < 9: 0 means statistics per (channel, position) */
    dlk_epilogue ep;     /* set by passes/fuse_epilogue.c; residual in input slot 5 */
} bn_attrs;

dlk_epilogue *dl_bn_epilogue(dl_node *n)
{
    bn_attrs *a = n->params;
    return a != NULL ? &a->ep : NULL;
}

/* The residual input of a fused BatchNormalization, or NULL. */
static const dl_value *bn_residual(const dl_node *n)
{
    return n->n_inputs > 5 ? n->inputs[5] : NULL;
}

/* An output that something reads: a user node or the graph's outputs. */
static bool is_used(const dl_value *v)
{
    return v != NULL && (v->n_users > 0 || v->is_output);
}

static int bn_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    bn_attrs *a;
    if (dl_check_inputs(d, n, 5, 5) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    a->epsilon = dl_attr_float(n, "epsilon", 1e-5f);
    a->spatial = n->opset < 9 ? dl_attr_int(n, "spatial", 1) : 1;
    if (n->opset >= 14 && dl_attr_int(n, "training_mode", 0) != 0)
        return dl_error(d, n, "attribute 'training_mode' is 1; only inference (training_mode=0) is supported");
    /* Opsets 1..6 mark training with is_test=0 and opsets 7..13 by the
     * extra outputs; either way only a read of those outputs needs training. */
    for (int i = 1; i < n->n_outputs; i++)
        if (is_used(n->outputs[i]))
            return dl_error(d, n, "output %d ('%s') holds training statistics, which are not computed in inference mode",
                            i, n->outputs[i]->name);
    return 0;
}

/* Channels and positions per channel for the kernel. With spatial=0
 * (opsets < 9) each statistic has one value per (channel, position): that is
 * per-channel normalisation over n x (C*S) x 1. */
static int bn_make_params(dl_diag *d, const dl_node *n, dlk_batchnorm_params *kp)
{
    const bn_attrs *a = n->params;
    const dl_value *x = n->inputs[0];
    int64_t c, s = 1, want;
    for (int i = 0; i < 5; i++) {
        const dl_value *v = n->inputs[i];
        if (v->rank < 0)
            return dl_error(d, n, "input '%s' ('%s') has an unknown shape", bn_inputs[i], v->name);
        if (dl_check_dtype(d, n, v, bn_labels[i], DL_FLOAT) < 0)
            return -1;
    }
    if (x->rank < 2)
        return dl_error(d, n, "input 'X' has rank %d; expected at least 2 (N, C, ...)", x->rank);
    c = x->dims[1];
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    want = c;
    if (a->spatial == 0 && dl_value_numel(n->inputs[1]) != c) {
        want = c * s;
        c *= s;
        s = 1;
    }
    for (int i = 1; i < 5; i++)
        if (dl_value_numel(n->inputs[i]) != want)
            return dl_error(d, n, "input '%s' has %" PRId64 " elements; expected %" PRId64 " (%s of input 'X')",
                            bn_inputs[i], dl_value_numel(n->inputs[i]), want,
                            want == x->dims[1] ? "the channels" : "channels x positions, spatial=0");
    memset(kp, 0, sizeof *kp);
    kp->n = x->dims[0];
    kp->c = c;
    kp->spatial = s;
    kp->epsilon = a->epsilon;
    kp->ep = a->ep;
    if (bn_residual(n) != NULL && dl_value_numel(bn_residual(n)) != dl_value_numel(x))
        return dl_error(d, n, "the fused residual input has %" PRId64 " elements; the output has %" PRId64,
                        dl_value_numel(bn_residual(n)), dl_value_numel(x));
    return 0;
}

static int bn_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    dlk_batchnorm_params kp;
    (void)g;
    if (bn_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
    /* Unused training outputs still get a type: the running statistics' shape. */
    for (int i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] != NULL)
            dl_value_set_shape(n->outputs[i], DL_FLOAT, n->inputs[3]->rank, n->inputs[3]->dims);
    return 0;
}

static int bn_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_batchnorm_params kp;
    (void)g;
    if (bn_make_params(d, n, &kp) < 0)
        return -1;
    dlk_batchnorm_res_f32(NULL, &kp, n->inputs[0]->data, n->inputs[1]->data, n->inputs[2]->data, n->inputs[3]->data,
                          n->inputs[4]->data, bn_residual(n) ? bn_residual(n)->data : NULL, n->outputs[0]->data);
    /* In inference mode the running statistics pass through unchanged. */
    for (int i = 1; i < n->n_outputs; i++) {
        dl_value *v = n->outputs[i];
        if (v != NULL && v->data != NULL)
            memcpy(v->data, n->inputs[i % 2 ? 3 : 4]->data, (size_t)dl_value_bytes(v));
    }
    return 0;
}

static int bn_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_batchnorm_params kp;
    (void)g;
    if (bn_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    const char *kernel = bn_residual(n) != NULL ? "dlk_batchnorm_res_f32" : "dlk_batchnorm_f32";
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_batchnorm_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c", kp.c);
    dl_lower_param_int(l, "spatial", kp.spatial);
    dl_lower_param_float(l, "epsilon", kp.epsilon);
    dl_epilogue_lower(l, &kp.ep);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    for (int i = 0; i < 5; i++)
        dl_lower_arg_value(l, n->inputs[i]);
    if (bn_residual(n) != NULL)
        dl_lower_arg_value(l, bn_residual(n));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

/* ------------------------------------------------------------------ LRN */

typedef struct lrn_attrs {
    int64_t size;
    float alpha, beta, bias;
} lrn_attrs;

static int lrn_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    lrn_attrs *a;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_attr_find(n, "size") == NULL)
        return dl_error(d, n, "attribute 'size' is required");
    a->size = dl_attr_int(n, "size", 0);
    if (a->size < 1)
        return dl_error(d, n, "attribute 'size' is %" PRId64 "; expected >= 1", a->size);
    a->alpha = dl_attr_float(n, "alpha", 1e-4f);
    a->beta = dl_attr_float(n, "beta", 0.75f);
    a->bias = dl_attr_float(n, "bias", 1.0f);
    return 0;
}

static int lrn_make_params(dl_diag *d, const dl_node *n, dlk_lrn_params *kp)
{
    const lrn_attrs *a = n->params;
    const dl_value *x = n->inputs[0];
    if (x->rank < 0)
        return dl_error(d, n, "input 'X' ('%s') has an unknown shape", x->name);
    if (dl_check_dtype(d, n, x, "input X", DL_FLOAT) < 0)
        return -1;
    if (x->rank < 2)
        return dl_error(d, n, "input 'X' has rank %d; expected at least 2 (N, C, ...)", x->rank);
    memset(kp, 0, sizeof *kp);
    kp->n = x->dims[0];
    kp->c = x->dims[1];
    kp->spatial = 1;
    for (int i = 2; i < x->rank; i++)
        kp->spatial *= x->dims[i];
    kp->size = a->size;
    kp->alpha = a->alpha;
    kp->beta = a->beta;
    kp->bias = a->bias;
    return 0;
}

static int lrn_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_lrn_params kp;
    (void)g;
    if (lrn_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, n->inputs[0]->rank, n->inputs[0]->dims);
    return 0;
}

static int lrn_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_lrn_params kp;
    (void)g;
    if (lrn_make_params(d, n, &kp) < 0)
        return -1;
    dlk_lrn_f32(NULL, &kp, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int lrn_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_lrn_params kp;
    (void)g;
    if (lrn_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_lrn_f32");
    dl_lower_params_begin(l, "dlk_lrn_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c", kp.c);
    dl_lower_param_int(l, "spatial", kp.spatial);
    dl_lower_param_int(l, "size", kp.size);
    dl_lower_param_float(l, "alpha", kp.alpha);
    dl_lower_param_float(l, "beta", kp.beta);
    dl_lower_param_float(l, "bias", kp.bias);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_lrn_f32");
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_BatchNormalization = {"BatchNormalization", 0, bn_setup, bn_infer, bn_eval, bn_lower};
const dl_op dl_op_LRN = {"LRN", 0, lrn_setup, lrn_infer, lrn_eval, lrn_lower};
