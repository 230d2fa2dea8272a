/* WinogradConv: an internal op made by passes/winograd.c from a 2-D float32
 * Conv with a 3x3 kernel, stride 1, dilation 1 and group 1, run as Winograd
 * F(4x4, 3x3) or F(2x2, 3x3) (runtime/kernels/winograd.h).
 *
 * Inputs: X (N x C_in x H x W), U (36 x C_out x C_in for F(4x4), 16 x C_out
 * x C_in for F(2x2): the weights already transformed by
 * dlk_winograd_weights_f32; its first dimension picks the variant), B
 * (C_out, may be absent), R (the fused epilogue's residual, Y's shape, may
 * be absent). Outputs: Y, and a
 * 1-D float scratch tensor nobody reads: its only purpose is that memory
 * planning gives the kernel's V and M matrices arena bytes alive only while
 * the node runs. Attribute: pads (top, left, bottom, right; default 0). The
 * Conv's epilogue is copied into the params by the pass (ir/ops/epilogue.h),
 * and so is U's layout (dl_winograd_u16: 1 when the pass reordered U's
 * matrices by blocks of 16 output channels for the channel-tile products,
 * dlk_winograd_weights16_f32). */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "kernels/winograd.h"

typedef struct winograd_attrs {
    int64_t pads[4];
    dlk_epilogue ep;   /* set by passes/winograd.c (or fuse-epilogue); zero: none */
    int64_t u16;       /* set by passes/winograd.c: U by blocks of 16 output channels */
} winograd_attrs;

static int winograd_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    winograd_attrs *a;
    const int64_t *pads;
    int count;
    if (dl_check_inputs(d, n, 2, 4) < 0)
        return -1;
    if (n->n_outputs != 2)
        return dl_error(d, n, "has %d outputs; expected 2 (Y and the scratch tensor)", n->n_outputs);
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    count = dl_attr_ints(n, "pads", &pads);
    if (count != 0 && count != 4)
        return dl_error(d, n, "attribute 'pads' has %d values; expected 4 (top, left, bottom, right)", count);
    for (int i = 0; i < count; i++) {
        if (pads[i] < 0)
            return dl_error(d, n, "attribute 'pads'[%d] is %" PRId64 "; expected >= 0", i, pads[i]);
        a->pads[i] = pads[i];
    }
    return 0;
}

static const dl_value *input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

/* The kernel's parameters from the inputs' shapes and the attributes;
 * shared by infer, eval and lower. */
static int winograd_make_params(dl_diag *d, const dl_node *n, dlk_winograd_params *kp)
{
    const winograd_attrs *a = n->params;
    const dl_value *x = input(n, 0), *u = input(n, 1), *b = input(n, 2);
    memset(kp, 0, sizeof *kp);
    if (x == NULL || u == NULL)
        return dl_error(d, n, "inputs 'X' and 'U' are required");
    for (int i = 0; i < 4; i++)
        if (input(n, i) != NULL && input(n, i)->dtype != DL_FLOAT)
            return dl_error(d, n, "input %d has dtype %s; expected float32", i,
                            dl_dtype_name(input(n, i)->dtype));
    if (x->rank != 4 || u->rank != 3 || (u->dims[0] != 36 && u->dims[0] != 16))
        return dl_error(d, n, "inputs 'X' and 'U' have ranks %d and %d (U's first dimension %" PRId64
                        "); expected X 4-D and U 36 (or 16) x C_out x C_in",
                        x->rank, u->rank, u->rank > 0 ? u->dims[0] : 0);
    if (u->dims[2] != x->dims[1])
        return dl_error(d, n, "input 'X' has %" PRId64 " channels but input 'U' expects %" PRId64,
                        x->dims[1], u->dims[2]);
    kp->n = x->dims[0];
    kp->c_in = x->dims[1];
    kp->c_out = u->dims[1];
    kp->m = u->dims[0] == 16 ? 2 : 4;
    if (b != NULL && dl_value_numel(b) != kp->c_out)
        return dl_error(d, n, "input 'B' has %" PRId64 " elements; expected %" PRId64 " (the output channels)",
                        dl_value_numel(b), kp->c_out);
    for (int i = 0; i < 2; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->out[i] = kp->in[i] + a->pads[i] + a->pads[2 + i] - 2;
        if (kp->out[i] < 1)
            return dl_error(d, n, "spatial axis %d: input %" PRId64 " with pads %" PRId64 ", %" PRId64
                            " is smaller than the 3x3 window", i, kp->in[i], a->pads[i], a->pads[2 + i]);
    }
    memcpy(kp->pads, a->pads, sizeof kp->pads);
    kp->ep = a->ep;
    kp->u16 = a->u16;
    if (kp->u16 && kp->c_out % 32 != 0)
        return dl_error(d, n, "U in blocks of 16 output channels needs a multiple of 32 of them, not %" PRId64,
                        kp->c_out);
    if (!dlk_winograd_fits(kp))
        return dl_error(d, n, "output width %" PRId64 " exceeds the kernel's limit %" PRId64, kp->out[1],
                        kp->m * (DLK_WG_LEN - 1));
    return 0;
}

dlk_epilogue *dl_winograd_epilogue(dl_node *n)
{
    winograd_attrs *a = n->params;
    return a != NULL ? &a->ep : NULL;
}

int64_t *dl_winograd_u16(dl_node *n)
{
    winograd_attrs *a = n->params;
    return a != NULL ? &a->u16 : NULL;
}

static int winograd_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_winograd_params kp;
    int64_t dims[4], scratch;
    const dl_value *r = input(n, 3);
    (void)g;
    if (winograd_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.n;
    dims[1] = kp.c_out;
    dims[2] = kp.out[0];
    dims[3] = kp.out[1];
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    scratch = dlk_winograd_scratch_floats(&kp);
    dl_value_set_shape(n->outputs[1], DL_FLOAT, 1, &scratch);
    if (r != NULL && dl_value_numel(r) != dl_value_numel(n->outputs[0]))
        return dl_error(d, n, "the fused residual input has %" PRId64 " elements; the output has %" PRId64,
                        dl_value_numel(r), dl_value_numel(n->outputs[0]));
    return 0;
}

static const float *input_data(const dl_node *n, int i)
{
    return input(n, i) != NULL ? input(n, i)->data : NULL;
}

static int winograd_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_winograd_params kp;
    (void)g;
    if (winograd_make_params(d, n, &kp) < 0)
        return -1;
    dlk_winograd_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), input_data(n, 3),
                     n->outputs[0]->data, n->outputs[1]->data);
    return 0;
}

static int winograd_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_winograd_params kp;
    (void)g;
    if (winograd_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_winograd_f32");
    dl_lower_params_begin(l, "dlk_winograd_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c_in", kp.c_in);
    dl_lower_param_int(l, "c_out", kp.c_out);
    dl_lower_param_ints(l, "in", kp.in, 2);
    dl_lower_param_ints(l, "out", kp.out, 2);
    dl_lower_param_ints(l, "pads", kp.pads, 4);
    dl_lower_param_int(l, "m", kp.m);
    dl_epilogue_lower(l, &kp.ep);
    if (kp.u16)
        dl_lower_param_int(l, "u16", 1);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_winograd_f32");
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    for (int i = 0; i < 4; i++)
        dl_lower_arg_value(l, input(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_WinogradConv = {"WinogradConv", DL_OP_INTERNAL, winograd_setup, winograd_infer,
                                  winograd_eval, winograd_lower};
