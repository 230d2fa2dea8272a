/* Internal ops made by the optimizing passes, never read from a model.
 *
 * DepthwisePointwiseConv (passes/fuse_conv1x1.c, fuse-dw-pw): inputs x,
 * depthwise weights (C x 1 x kh x kw), depthwise bias (C, may be absent),
 * pointwise weights (C_out x C x 1 x 1), pointwise bias (C_out, may be
 * absent). Attributes: the depthwise Conv's window attributes as written
 * (auto_pad, kernel_shape, strides, dilations, pads), and act1 / act2
 * (0 none, 1 Relu, 2 Clip) with lo1, hi1, lo2, hi2 for Clip: act1 runs
 * between the two convs, act2 after the pointwise one. 2-D, float32. */
#include <float.h>
#include <inttypes.h>
#include <string.h>

#include "ir/ops/window.h"
#include "kernels/fused_conv.h"

typedef struct dwpw_attrs {
    dl_window_attrs win;
    int64_t act1, act2;
    float lo1, hi1, lo2, hi2;
} dwpw_attrs;

static int dwpw_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dwpw_attrs *a;
    /* x, dw weights, [dw bias], pw weights, [pw bias]: the biases may be absent */
    if (dl_check_inputs(d, n, 2, 5) < 0)
        return -1;
    if (n->n_inputs < 4 || !n->inputs[3])
        return dl_error(d, n, "input 3 (pointwise weights) is required but absent");
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_window_read_attrs(d, n, &a->win) < 0)
        return -1;
    a->act1 = dl_attr_int(n, "act1", 0);
    a->act2 = dl_attr_int(n, "act2", 0);
    if (a->act1 < 0 || a->act1 > 2 || a->act2 < 0 || a->act2 > 2)
        return dl_error(d, n, "attributes 'act1' / 'act2' are %" PRId64 " / %" PRId64
                        "; expected 0 (none), 1 (Relu) or 2 (Clip)", a->act1, a->act2);
    a->lo1 = dl_attr_float(n, "lo1", -FLT_MAX);
    a->hi1 = dl_attr_float(n, "hi1", FLT_MAX);
    a->lo2 = dl_attr_float(n, "lo2", -FLT_MAX);
    a->hi2 = dl_attr_float(n, "hi2", FLT_MAX);
    return 0;
}

static const dl_value *input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

/* Ranks and channel counts of the five inputs. */
static int dwpw_check_inputs(dl_diag *d, const dl_node *n, dlk_dwpw_params *kp)
{
    const dl_value *x = input(n, 0), *dw = input(n, 1), *db = input(n, 2), *pw = input(n, 3),
                   *pb = input(n, 4);
    if (x == NULL || dw == NULL || pw == NULL)
        return dl_error(d, n, "inputs x, dw weights and pw weights are required");
    for (int i = 0; i < 5; i++)
        if (input(n, i) != NULL && dl_window_check_float(d, n, i, "input") < 0)
            return -1;
    if (x->rank != 4 || dw->rank != 4 || pw->rank != 4)
        return dl_error(d, n, "x, dw weights and pw weights must have rank 4; they have %d, %d, %d",
                        x->rank, dw->rank, pw->rank);
    kp->n = x->dims[0];
    kp->c = x->dims[1];
    kp->c_out = pw->dims[0];
    if (dw->dims[0] != kp->c || dw->dims[1] != 1 || pw->dims[1] != kp->c || pw->dims[2] != 1 ||
        pw->dims[3] != 1)
        return dl_error(d, n, "x has %" PRId64 " channels; expected dw weights %" PRId64
                        "x1xKxK and pw weights Cx%" PRId64 "x1x1", kp->c, kp->c, kp->c);
    if ((db != NULL && dl_value_numel(db) != kp->c) || (pb != NULL && dl_value_numel(pb) != kp->c_out))
        return dl_error(d, n, "the biases must have %" PRId64 " (dw) and %" PRId64 " (pw) elements",
                        kp->c, kp->c_out);
    for (int i = 0; i < 2; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->kernel[i] = dw->dims[2 + i];
    }
    return 0;
}

/* The kernel's parameters from the attributes and the inputs' shapes; the
 * geometry follows Conv's rules (ir/ops/conv.c) through window.h. */
static int dwpw_make_params(dl_diag *d, const dl_node *n, dlk_dwpw_params *kp)
{
    const dwpw_attrs *a = n->params;
    memset(kp, 0, sizeof *kp);
    if (dwpw_check_inputs(d, n, kp) < 0 ||
        dl_window_axes(d, n, &a->win, 2, kp->strides, kp->dilations, kp->pads) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int64_t *pb = &kp->pads[i], *pe = &kp->pads[2 + i];
        dl_window_auto_pads(a->win.auto_pad, kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i],
                            pb, pe);
        if (dl_window_check_fits(d, n, i, kp->in[i], *pb, *pe,
                                 dl_window_extent(kp->kernel[i], kp->dilations[i])) < 0)
            return -1;
        kp->out[i] = (kp->in[i] + *pb + *pe - dl_window_extent(kp->kernel[i], kp->dilations[i])) /
                         kp->strides[i] + 1;
    }
    kp->act1 = a->act1;
    kp->act2 = a->act2;
    kp->lo1 = a->lo1;
    kp->hi1 = a->hi1;
    kp->lo2 = a->lo2;
    kp->hi2 = a->hi2;
    return 0;
}

static int dwpw_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_dwpw_params kp;
    int64_t dims[4];
    (void)g;
    if (dwpw_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.n;
    dims[1] = kp.c_out;
    dims[2] = kp.out[0];
    dims[3] = kp.out[1];
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    return 0;
}

static const float *input_data(const dl_node *n, int i)
{
    return input(n, i) != NULL ? input(n, i)->data : NULL;
}

static int dwpw_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_dwpw_params kp;
    (void)g;
    if (dwpw_make_params(d, n, &kp) < 0)
        return -1;
    dlk_dwpw_conv_f32(&kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), input_data(n, 3),
                      input_data(n, 4), n->outputs[0]->data);
    return 0;
}

static int dwpw_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_dwpw_params kp;
    (void)g;
    if (dwpw_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_dwpw_conv_f32");
    dl_lower_params_begin(l, "dlk_dwpw_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c", kp.c);
    dl_lower_param_int(l, "c_out", kp.c_out);
    dl_lower_param_ints(l, "in", kp.in, 2);
    dl_lower_param_ints(l, "out", kp.out, 2);
    dl_lower_param_ints(l, "kernel", kp.kernel, 2);
    dl_lower_param_ints(l, "strides", kp.strides, 2);
    dl_lower_param_ints(l, "dilations", kp.dilations, 2);
    dl_lower_param_ints(l, "pads", kp.pads, 4);
    dl_lower_param_int(l, "act1", kp.act1);
    dl_lower_param_int(l, "act2", kp.act2);
    dl_lower_param_float(l, "lo1", kp.lo1);
    dl_lower_param_float(l, "hi1", kp.hi1);
    dl_lower_param_float(l, "lo2", kp.lo2);
    dl_lower_param_float(l, "hi2", kp.hi2);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_dwpw_conv_f32");
    dl_lower_arg_params(l);
    for (int i = 0; i < 5; i++)
        dl_lower_arg_value(l, input(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_DepthwisePointwiseConv = {"DepthwisePointwiseConv", DL_OP_INTERNAL, dwpw_setup, dwpw_infer,
                                            dwpw_eval, dwpw_lower};
