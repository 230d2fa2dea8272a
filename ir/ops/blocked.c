/* The blocked layout NCHW16c (runtime/kernels/blocked.h), made by the
 * layout pass (passes/layout.c) only. A blocked value is stored as the 5-D
 * tensor N x ceil(C/16) x H x W x 16 and carries its layout
 * (DL_LAYOUT_NCHW16C); the lanes past C are zero.
 *
 * ToNCHW16c (X: N x C x H x W) and FromNCHW16c (X blocked; attribute
 * channels = C) convert at a region's edges. ConvNCHW16c is a 2-D Conv
 * inside a region, with group 1 or depthwise (attribute group = channels =
 * C_in = C_out): inputs X (blocked), W (the weights reordered by
 * dlk_conv16_weights_f32: C_out/16 x C_in/16 x KH x KW x 16 x 16; depthwise
 * by dlk_dw16_weights_f32: C/16 x KH x KW x 16), B (C_out rounded up to 16
 * floats, zero past C_out; may be absent), R (the fused epilogue's
 * residual, blocked like Y; may be absent), S (group 1, 1x1: C_in floats,
 * input channel c scaled by S[c], a squeeze-excitation's scale the Conv took
 * as its prologue; may be absent); attributes channels (C_out), group (1
 * when absent), strides, dilations, pads (begin, end; explicit, as the pass
 * computed them from the Conv). A depthwise one may have a second output,
 * the planes' means (N x C x 1 x 1, plain: fuse-mean's GlobalAveragePool).
 * The Conv's epilogue is copied into the params by the pass. */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"
#include "kernels/blocked.h"

typedef struct blocked_attrs {
    int64_t channels, group;
    int64_t strides[2], dilations[2], pads[4];
    dlk_epilogue ep;   /* ConvNCHW16c: set by passes/layout.c; zero: none */
} blocked_attrs;

static int blocked_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    const bool conv = strcmp(n->op_type, "ConvNCHW16c") == 0, to = strcmp(n->op_type, "ToNCHW16c") == 0;
    blocked_attrs *a;
    dl_window_attrs win;
    if (dl_check_inputs(d, n, conv ? 2 : 1, conv ? 5 : 1) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    if (to)
        return 0;
    a->channels = dl_attr_int(n, "channels", 0);
    if (a->channels < 1)
        return dl_error(d, n, "attribute 'channels' is %" PRId64 "; expected the tensor's channel count (>= 1)",
                        a->channels);
    if (!conv)
        return 0;
    a->group = dl_attr_int(n, "group", 1);
    if (a->group != 1 && a->group != a->channels)
        return dl_error(d, n, "attribute 'group' is %" PRId64 "; expected 1 or the channel count (%" PRId64 ", depthwise)",
                        a->group, a->channels);
    if (n->n_outputs != 1 && (n->n_outputs != 2 || a->group == 1))
        return dl_error(d, n, "has %d outputs; only a depthwise one has a second (the planes' means)", n->n_outputs);
    /* strides, dilations and pads read and checked as every window op's */
    if (dl_window_read_attrs(d, n, &win) < 0 || dl_window_axes(d, n, &win, 2, a->strides, a->dilations, a->pads) < 0)
        return -1;
    return 0;
}

dlk_epilogue *dl_conv16_epilogue(dl_node *n)
{
    blocked_attrs *a = n->params;
    return a != NULL ? &a->ep : NULL;
}

static const dl_value *input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

/* X must be a float32 blocked tensor: N x CB x H x W x 16. */
static int check_blocked(dl_diag *d, const dl_node *n, const dl_value *x, const char *what)
{
    if (x == NULL || x->dtype != DL_FLOAT || x->rank != 5 || x->dims[4] != DLK_BLOCK)
        return dl_error(d, n, "input '%s' must be a float32 NCHW16c tensor (N x C/16 x H x W x 16)", what);
    return 0;
}

/* ConvNCHW16c's kernel parameters from its inputs' shapes and attributes. */
static int conv16_make_params(dl_diag *d, const dl_node *n, dlk_conv_params *kp)
{
    const blocked_attrs *a = n->params;
    const dl_value *x = input(n, 0), *w = input(n, 1), *b = input(n, 2);
    memset(kp, 0, sizeof *kp);
    if (check_blocked(d, n, x, "X") < 0)
        return -1;
    if (a->group > 1) {
        if (w == NULL || w->dtype != DL_FLOAT || w->rank != 4 || w->dims[3] != DLK_BLOCK || w->dims[0] != x->dims[1])
            return dl_error(d, n, "input 'W' must be float32 %" PRId64 " x KH x KW x 16 (depthwise weights reordered)",
                            x->dims[1]);
        if (x->dims[1] != dlk_blocks16(a->channels))
            return dl_error(d, n, "input 'X' has %" PRId64 " blocks; a depthwise conv of %" PRId64 " channels needs %" PRId64,
                            x->dims[1], a->channels, dlk_blocks16(a->channels));
    } else {
        if (w == NULL || w->dtype != DL_FLOAT || w->rank != 6 || w->dims[4] != DLK_BLOCK || w->dims[5] != DLK_BLOCK ||
            w->dims[1] != x->dims[1])
            return dl_error(d, n, "input 'W' must be float32 C_out/16 x %" PRId64 " x KH x KW x 16 x 16 (reordered weights)",
                            x->dims[1]);
        if (w->dims[0] != dlk_blocks16(a->channels))
            return dl_error(d, n, "input 'W' has %" PRId64 " output blocks; attribute 'channels' (%" PRId64 ") needs %" PRId64,
                            w->dims[0], a->channels, dlk_blocks16(a->channels));
    }
    if (b != NULL && (b->dtype != DL_FLOAT || dl_value_numel(b) != dlk_blocks16(a->channels) * DLK_BLOCK))
        return dl_error(d, n, "input 'B' must hold %" PRId64 " float32 values (the output channels in whole blocks)",
                        dlk_blocks16(a->channels) * DLK_BLOCK);
    if (input(n, 4) != NULL && (a->group != 1 || w->dims[2] != 1 || w->dims[3] != 1 || input(n, 4)->dtype != DL_FLOAT ||
                                dl_value_numel(input(n, 4)) != x->dims[1] * DLK_BLOCK))
        return dl_error(d, n, "input 'S' (the input channels' scale) needs a 1x1 conv of group 1 and %" PRId64
                        " float32 values (whole blocks of input channels)", x->dims[1] * DLK_BLOCK);
    kp->n = x->dims[0];
    kp->c_in = a->group > 1 ? a->channels : x->dims[1] * DLK_BLOCK;
    kp->c_out = a->channels;
    kp->group = a->group;
    kp->rank = 2;
    for (int i = 0; i < 2; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->kernel[i] = w->dims[(a->group > 1 ? 1 : 2) + i];
        kp->strides[i] = a->strides[i];
        kp->dilations[i] = a->dilations[i];
        kp->pads[i] = a->pads[i];
        kp->pads[2 + i] = a->pads[2 + i];
        kp->out[i] = dlk_conv_out_dim(kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i], kp->pads[i],
                                      kp->pads[2 + i]);
        if (kp->out[i] < 1)
            return dl_error(d, n, "spatial axis %d: the window does not fit the padded input", i);
    }
    kp->ep = a->ep;
    return 0;
}

static void blocked_dims(int64_t n, int64_t c, int64_t h, int64_t w, int64_t dims[5])
{
    dims[0] = n;
    dims[1] = dlk_blocks16(c);
    dims[2] = h;
    dims[3] = w;
    dims[4] = DLK_BLOCK;
}

static int blocked_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const blocked_attrs *a = n->params;
    const dl_value *x = input(n, 0);
    dl_value *y = n->outputs[0];
    int64_t dims[5];
    (void)g;
    if (strcmp(n->op_type, "ToNCHW16c") == 0) {
        if (x == NULL || x->dtype != DL_FLOAT || x->rank != 4)
            return dl_error(d, n, "input 'X' must be a float32 N x C x H x W tensor");
        blocked_dims(x->dims[0], x->dims[1], x->dims[2], x->dims[3], dims);
        dl_value_set_shape(y, DL_FLOAT, 5, dims);
    } else if (strcmp(n->op_type, "FromNCHW16c") == 0) {
        if (check_blocked(d, n, x, "X") < 0)
            return -1;
        if (dlk_blocks16(a->channels) != x->dims[1])
            return dl_error(d, n, "attribute 'channels' is %" PRId64 " but input 'X' has %" PRId64 " blocks",
                            a->channels, x->dims[1]);
        dims[0] = x->dims[0];
        dims[1] = a->channels;
        dims[2] = x->dims[2];
        dims[3] = x->dims[3];
        dl_value_set_shape(y, DL_FLOAT, 4, dims);
        return 0;
    } else {
        dlk_conv_params kp;
        const dl_value *r = input(n, 3);
        if (conv16_make_params(d, n, &kp) < 0)
            return -1;
        blocked_dims(kp.n, kp.c_out, kp.out[0], kp.out[1], dims);
        dl_value_set_shape(y, DL_FLOAT, 5, dims);
        if (r != NULL && (check_blocked(d, n, r, "R") < 0 || dl_value_numel(r) != dl_value_numel(y)))
            return dl_error(d, n, "the fused residual input must have the output's blocked shape");
        if (n->n_outputs == 2) {   /* the planes' means: plain */
            const int64_t mean_dims[4] = {kp.n, kp.c_out, 1, 1};
            dl_value_set_shape(n->outputs[1], DL_FLOAT, 4, mean_dims);
        }
    }
    y->layout = DL_LAYOUT_NCHW16C;
    return 0;
}

static const float *input_data(const dl_node *n, int i)
{
    return input(n, i) != NULL ? input(n, i)->data : NULL;
}

static int blocked_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = input(n, 0), *y = n->outputs[0];
    (void)g;
    if (strcmp(n->op_type, "ToNCHW16c") == 0)
        dlk_to_blocked_f32(NULL, x->dims[0], x->dims[1], x->dims[2] * x->dims[3], x->data, y->data);
    else if (strcmp(n->op_type, "FromNCHW16c") == 0)
        dlk_from_blocked_f32(NULL, y->dims[0], y->dims[1], y->dims[2] * y->dims[3], x->data, y->data);
    else {
        dlk_conv_params kp;
        if (conv16_make_params(d, n, &kp) < 0)
            return -1;
        if (n->n_outputs == 2)
            dlk_dw16_mean_f32(NULL, &kp, x->data, input_data(n, 1), input_data(n, 2), input_data(n, 3), y->data,
                              n->outputs[1]->data);
        else if (kp.group > 1)
            dlk_dw16_f32(NULL, &kp, x->data, input_data(n, 1), input_data(n, 2), input_data(n, 3), y->data);
        else
            dlk_conv16_scaled_f32(NULL, &kp, x->data, input_data(n, 1), input_data(n, 2), input_data(n, 3),
                                  input_data(n, 4), y->data);
    }
    return 0;
}

/* A reorder: kernel(par, n, c, h*w, x, y), c the plain tensor's channels. */
static void lower_reorder(dl_lower *l, const char *kernel, const dl_value *plain, const dl_value *x,
                          const dl_value *y)
{
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_par(l);
    dl_lower_arg_int(l, plain->dims[0]);
    dl_lower_arg_int(l, plain->dims[1]);
    dl_lower_arg_int(l, plain->dims[2] * plain->dims[3]);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, y);
    dl_lower_call_end(l);
}

static int blocked_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *x = input(n, 0), *y = n->outputs[0];
    const char *kernel;
    dlk_conv_params kp;
    (void)g;
    if (dl_value_numel(y) == 0)
        return 0;
    if (strcmp(n->op_type, "ToNCHW16c") == 0) {
        lower_reorder(l, "dlk_to_blocked_f32", x, x, y);
        return 0;
    }
    if (strcmp(n->op_type, "FromNCHW16c") == 0) {
        lower_reorder(l, "dlk_from_blocked_f32", y, x, y);
        return 0;
    }
    if (conv16_make_params(d, n, &kp) < 0)
        return -1;
    kernel = n->n_outputs == 2 ? "dlk_dw16_mean_f32"
             : kp.group > 1   ? "dlk_dw16_f32"
             : input(n, 4)    ? "dlk_conv16_scaled_f32"
                              : "dlk_conv16_f32";
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_conv_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c_in", kp.c_in);
    dl_lower_param_int(l, "c_out", kp.c_out);
    dl_lower_param_int(l, "group", kp.group);
    dl_lower_param_int(l, "rank", 2);
    dl_window_lower_geometry(l, 2, kp.in, kp.out, kp.kernel, kp.strides, kp.dilations, kp.pads);
    dl_epilogue_lower(l, &kp.ep);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    for (int i = 0; i < (input(n, 4) ? 5 : 4); i++)
        dl_lower_arg_value(l, input(n, i));
    dl_lower_arg_value(l, y);
    if (n->n_outputs == 2)
        dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_ConvNCHW16c = {"ConvNCHW16c", DL_OP_INTERNAL, blocked_setup, blocked_infer, blocked_eval,
                                 blocked_lower};
const dl_op dl_op_ToNCHW16c = {"ToNCHW16c", DL_OP_INTERNAL, blocked_setup, blocked_infer, blocked_eval,
                               blocked_lower};
const dl_op dl_op_FromNCHW16c = {"FromNCHW16c", DL_OP_INTERNAL, blocked_setup, blocked_infer, blocked_eval,
                                 blocked_lower};
