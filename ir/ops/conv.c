/* Conv and ConvTranspose (ONNX opsets 1..22 share one semantics for these
 * attributes): 1-D to 6-D spatial, group (depthwise included), strides,
 * dilations, pads, auto_pad, and for ConvTranspose output_padding and
 * output_shape. Float32 only. The geometry is recomputed from the inputs'
 * shapes by conv_make_params, which infer, eval and lower share, so the
 * folded constant and the generated code run the same kernel call.
 * A Conv may carry a fused epilogue (ir/ops/epilogue.h): activation and
 * residual run inside the kernel. Conv runs as a packed matrix product
 * (dlk_conv_gemm_f32, split over threads), a 2-D Conv of few input
 * channels (a stem) directly (dlk_conv_direct_f32), 2-D depthwise Conv as a
 * direct kernel (dlk_depthwise_f32, split over channels). A pointwise Conv may also
 * carry an input prologue (dl_conv_prologue, ir/ops/epilogue.h), a stem the
 * MaxPool after it (dl_conv_pool: dlk_conv_maxpool_f32), a conv with
 * output channels in pairs of blocks of 16 its weights reordered at compile
 * time for the channel tiles (dl_conv_tiles: dlk_conv_tiles_f32), and a
 * pointwise conv whose output only a GlobalAveragePool read gives the
 * pool's output instead, its weights reordered the same way
 * (dl_conv_mean_only: dlk_conv_mean_f32). */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"
#include "kernels/conv.h"
#include "kernels/conv_pool.h"
#include "kernels/conv_mean.h"
#include "kernels/conv_tiles.h"
#include "kernels/depthwise.h"

typedef struct conv_attrs {
    bool transpose;
    int64_t group;
    dl_window_attrs win;
    dl_window_ints output_padding, output_shape;   /* ConvTranspose */
    dlk_epilogue ep;                               /* Conv: set by fuse-epilogue; zero: none */
    int64_t prologue;                              /* Conv: set by conv-prologue (see dl_conv_prologue) */
    int64_t shuffle;                               /* Conv: set by fuse-shuffle (see dl_conv_shuffle) */
    dlk_pool_params pool;                          /* Conv: set by fuse-pool (see dl_conv_pool); rank 0: none */
    int64_t tiles;                                 /* Conv: set by conv-tiles (see dl_conv_tiles) */
    int64_t mean_only;                             /* Conv: set by fuse-mean (see dl_conv_mean_only) */
} conv_attrs;

/* ------------------------------------------------------------ attributes */

static int conv_setup_common(dl_graph *g, dl_node *n, dl_diag *d, bool transpose)
{
    conv_attrs *a;
    if (dl_check_inputs(d, n, 2, 3) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    a->transpose = transpose;
    a->group = dl_attr_int(n, "group", 1);
    if (a->group < 1)
        return dl_error(d, n, "attribute 'group' is %" PRId64 "; expected >= 1", a->group);
    if (dl_window_read_attrs(d, n, &a->win) < 0)
        return -1;
    a->output_padding.n = a->output_shape.n = -1;
    if (transpose &&
        (dl_window_read_ints(d, n, "output_padding", DL_WINDOW_MAX_SPATIAL, 0,
                             &a->output_padding) < 0 ||
         dl_window_read_ints(d, n, "output_shape", DL_MAX_RANK, 1, &a->output_shape) < 0))
        return -1;
    return 0;
}

static int conv_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return conv_setup_common(g, n, d, false);
}

static int conv_transpose_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return conv_setup_common(g, n, d, true);
}

/* -------------------------------------------------------------- geometry */

/* Types and ranks of the inputs; fills kp's batch, input channels, group,
 * rank, input dims and kernel. */
static int check_inputs(dl_diag *d, const dl_node *n, const conv_attrs *a, dlk_conv_params *kp)
{
    const dl_value *x = n->inputs[0], *w = n->inputs[1], *b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    int r;
    if (dl_window_check_float(d, n, 0, "X") < 0 || dl_window_check_float(d, n, 1, "W") < 0 ||
        (b != NULL && dl_window_check_float(d, n, 2, "B") < 0))
        return -1;
    if (x->rank < 3 || x->rank > DL_MAX_RANK)
        return dl_error(d, n, "input 'X' has rank %d; expected 3 to %d (N, C, spatial axes)", x->rank,
                        DL_MAX_RANK);
    if (w->rank != x->rank)
        return dl_error(d, n, "input 'W' has rank %d but input 'X' has rank %d; they must agree",
                        w->rank, x->rank);
    r = x->rank - 2;
    kp->rank = r;
    kp->n = x->dims[0];
    kp->c_in = x->dims[1];
    kp->group = a->group;
    for (int i = 0; i < r; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->kernel[i] = w->dims[2 + i];
        if (kp->kernel[i] < 1)
            return dl_error(d, n, "input 'W' has kernel size %" PRId64 " on spatial axis %d; expected >= 1",
                            kp->kernel[i], i);
    }
    if (a->win.kernel_shape.n >= 0 && a->win.kernel_shape.n != r)
        return dl_error(d, n, "attribute 'kernel_shape' has %d values; input 'X' has %d spatial axes",
                        a->win.kernel_shape.n, r);
    for (int i = 0; i < a->win.kernel_shape.n; i++)
        if (a->win.kernel_shape.v[i] != kp->kernel[i])
            return dl_error(d, n, "attribute 'kernel_shape'[%d] is %" PRId64 " but input 'W' has %" PRId64
                            " on that axis", i, a->win.kernel_shape.v[i], kp->kernel[i]);
    return 0;
}

/* Channel counts of X, W and B against group; sets kp->c_out. */
static int check_channels(dl_diag *d, const dl_node *n, const conv_attrs *a, dlk_conv_params *kp)
{
    const dl_value *w = n->inputs[1], *b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    if (a->transpose) {
        if (w->dims[0] != kp->c_in)
            return dl_error(d, n, "input 'X' has %" PRId64 " channels but input 'W' has %" PRId64
                            " input channels (W.dims[0]); they must be equal", kp->c_in, w->dims[0]);
        if (kp->c_in % a->group != 0)
            return dl_error(d, n, "input 'X' has %" PRId64 " channels, not divisible by group %" PRId64,
                            kp->c_in, a->group);
        kp->c_out = w->dims[1] * a->group;
    } else {
        if (kp->c_in != w->dims[1] * a->group)
            return dl_error(d, n, "input 'X' has %" PRId64 " channels but input 'W' expects %" PRId64
                            " (W.dims[1] %" PRId64 " x group %" PRId64 ")", kp->c_in,
                            w->dims[1] * a->group, w->dims[1], a->group);
        if (w->dims[0] % a->group != 0)
            return dl_error(d, n, "input 'W' has %" PRId64 " output channels (W.dims[0]), not divisible by group %" PRId64,
                            w->dims[0], a->group);
        kp->c_out = w->dims[0];
    }
    if (b != NULL && (b->rank != 1 || b->dims[0] != kp->c_out))
        return dl_error(d, n, "input 'B' must be 1-D of length %" PRId64 " (the output channels); it has %" PRId64 " elements",
                        kp->c_out, dl_value_numel(b));
    return 0;
}

/* Conv output dims and pads (auto_pad rules as in the ONNX spec). */
static int conv_geometry(dl_diag *d, const dl_node *n, const conv_attrs *a, dlk_conv_params *kp)
{
    int r = (int)kp->rank;
    for (int i = 0; i < r; i++) {
        int64_t *pb = &kp->pads[i], *pe = &kp->pads[r + i];
        dl_window_auto_pads(a->win.auto_pad, kp->in[i], kp->kernel[i], kp->strides[i],
                            kp->dilations[i], pb, pe);
        if (dl_window_check_fits(d, n, i, kp->in[i], *pb, *pe,
                                 dl_window_extent(kp->kernel[i], kp->dilations[i])) < 0)
            return -1;
        kp->out[i] = dlk_conv_out_dim(kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i], *pb, *pe);
    }
    return 0;
}

/* floor(v / 2), also for negative v (the spec's formulas are Python's //). */
static int64_t floor_half(int64_t v)
{
    return v >= 0 ? v / 2 : -((1 - v) / 2);
}

/* ConvTranspose output dims and pads. With output_shape (or SAME_*, whose
 * output is in*stride) the total padding is derived and split as the ONNX
 * spec and its reference implementation do: SAME_UPPER puts the odd one at
 * the end, otherwise at the beginning. A negative total (a requested output
 * larger than the natural one) gives negative pads: the extra positions get
 * only the bias. */
static int conv_transpose_geometry(dl_diag *d, const dl_node *n, const conv_attrs *a,
                                   dlk_conv_params *kp)
{
    int r = (int)kp->rank, shape_off = 0;
    int64_t out_pad[DL_WINDOW_MAX_SPATIAL];
    if (dl_window_axis_list(d, n, "output_padding", &a->output_padding, r, r, 0, out_pad) < 0)
        return -1;
    if (a->output_shape.n >= 0) {
        if (a->output_shape.n != r && a->output_shape.n != r + 2)
            return dl_error(d, n, "attribute 'output_shape' has %d values; expected %d (spatial) or %d",
                            a->output_shape.n, r, r + 2);
        shape_off = a->output_shape.n - r;
    }
    for (int i = 0; i < r; i++) {
        int64_t *pb = &kp->pads[i], *pe = &kp->pads[r + i];
        int64_t natural = dlk_conv_transpose_out_dim(kp->in[i], kp->kernel[i], kp->strides[i],
                                                     kp->dilations[i], 0, 0, out_pad[i]);
        int64_t want = -1;
        if (a->output_shape.n >= 0)
            want = a->output_shape.v[shape_off + i];
        else if (dl_window_is_same(a->win.auto_pad))
            want = kp->in[i] * kp->strides[i];
        else if (a->win.auto_pad == DL_WINDOW_PAD_VALID)
            *pb = *pe = 0;
        if (want >= 0) {
            int64_t total = natural - want;
            *pb = a->win.auto_pad == DL_WINDOW_PAD_SAME_UPPER ? floor_half(total) : total - floor_half(total);
            *pe = total - *pb;
        }
        kp->out[i] = natural - *pb - *pe;
        if (kp->out[i] < 1)
            return dl_error(d, n, "output spatial axis %d would be %" PRId64 "; the pads (%" PRId64
                            ", %" PRId64 ") exceed the natural output size %" PRId64, i, kp->out[i],
                            *pb, *pe, natural);
    }
    return 0;
}

/* The kernel's parameters for node n, from its attributes and the inputs'
 * current shapes. */
static int conv_make_params(dl_diag *d, const dl_node *n, dlk_conv_params *kp)
{
    const conv_attrs *a = n->params;
    int r;
    memset(kp, 0, sizeof *kp);
    if (check_inputs(d, n, a, kp) < 0 || check_channels(d, n, a, kp) < 0)
        return -1;
    r = (int)kp->rank;
    kp->ep = a->ep;
    kp->shuffle = a->shuffle;
    if (dl_window_axes(d, n, &a->win, r, kp->strides, kp->dilations, kp->pads) < 0)
        return -1;
    return a->transpose ? conv_transpose_geometry(d, n, a, kp) : conv_geometry(d, n, a, kp);
}

int dl_conv_params(dl_diag *d, const dl_node *n, struct dlk_conv_params *kp)
{
    return conv_make_params(d, n, kp);
}

dlk_epilogue *dl_conv_epilogue(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->ep : NULL;
}

int64_t *dl_conv_prologue(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->prologue : NULL;
}

int64_t *dl_conv_shuffle(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->shuffle : NULL;
}

dlk_pool_params *dl_conv_pool(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->pool : NULL;
}

int64_t *dl_conv_tiles(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->tiles : NULL;
}

int64_t *dl_conv_mean_only(dl_node *n)
{
    conv_attrs *a = n->params;
    return a != NULL && !a->transpose ? &a->mean_only : NULL;
}

/* The residual input of a fused Conv, or NULL. */
static const dl_value *conv_residual(const dl_node *n)
{
    return n->n_inputs > 3 ? n->inputs[3] : NULL;
}

/* Depthwise 2-D (each output channel reads one input channel) runs the
 * direct kernel of depthwise.h: a matrix product with one row per group
 * would waste the packed micro-kernel. */
static bool conv_is_depthwise(const dlk_conv_params *kp)
{
    return kp->rank == 2 && kp->group > 1 && kp->group == kp->c_in && kp->c_out % kp->group == 0 &&
           kp->kernel[1] <= DLK_DEPTHWISE_MAX_KW;
}

/* The kernel node n runs; eval and lower both choose through here. A
 * conv of few input channels (a stem) runs the direct kernel of conv.h
 * (dlk_conv_direct_f32: the packed product where the target has no
 * AVX-512); every other Conv runs through the packed matrix product
 * (dlk_conv_gemm_f32, runtime/kernels/sgemm.h), which also covers the
 * pointwise case. */
static const char *conv_kernel(const conv_attrs *a, const dlk_conv_params *kp)
{
    if (a->transpose)
        return "dlk_conv_transpose_f32";
    if (a->prologue != DL_CONV_PROLOGUE_NONE)
        return "dlk_conv_gemm_prologue_f32";
    if (a->tiles)
        return "dlk_conv_tiles_f32";
    if (a->mean_only)
        return "dlk_conv_mean_f32";
    if (conv_is_depthwise(kp))
        return "dlk_depthwise_f32";
    return dlk_conv_direct_fits(kp) ? "dlk_conv_direct_f32" : "dlk_conv_gemm_f32";
}

/* A prologue needs a pointwise conv (its kernel applies it while copying
 * rows) and its two per-channel inputs. */
static int check_prologue(dl_diag *d, const dl_node *n, const conv_attrs *a, const dlk_conv_params *kp)
{
    if (a->prologue == DL_CONV_PROLOGUE_NONE)
        return 0;
    for (int i = 0; i < kp->rank; i++)
        if (kp->kernel[i] != 1 || kp->strides[i] != 1 || kp->pads[i] != 0 || kp->pads[kp->rank + i] != 0)
            return dl_error(d, n, "an input prologue needs a 1x1, stride-1, unpadded conv");
    for (int i = 4; i < (a->prologue == DL_CONV_PROLOGUE_SCALE ? 5 : 6); i++)
        if (i >= n->n_inputs || n->inputs[i] == NULL || n->inputs[i]->dtype != DL_FLOAT ||
            dl_value_numel(n->inputs[i]) != kp->c_in)
            return dl_error(d, n, "the input prologue needs input %d with %" PRId64 " floats", i, kp->c_in);
    if (a->prologue == DL_CONV_PROLOGUE_SCALE && kp->n > 1 && n->inputs[4]->rank > 0 && n->inputs[4]->dims[0] != 1)
        return dl_error(d, n, "the input prologue's scale must be one per channel, not per image");
    return 0;
}

/* A shuffled output (dlk_conv_params.shuffle) is written by the packed
 * product's stores, one group's rows group channels apart: a grouped conv
 * that is not depthwise (that kernel has no shuffled store). */
bool dl_conv_shuffle_fits(const dlk_conv_params *kp)
{
    return kp->group > 1 && !conv_is_depthwise(kp);
}

/* A second output, the mean of each output plane (N x C_out x 1 x 1: a
 * GlobalAveragePool taken in by passes/fuse_epilogue.c, fuse-mean), is
 * written by the depthwise kernel. */
bool dl_conv_mean_fits(const dlk_conv_params *kp)
{
    return conv_is_depthwise(kp) && !kp->shuffle;
}

static int check_mean(dl_diag *d, const dl_node *n, const conv_attrs *a, const dlk_conv_params *kp)
{
    if (n->n_outputs <= 1 || a->pool.rank != 0 || a->tiles)
        return 0;
    if (n->n_outputs != 2 || a->transpose || a->prologue != DL_CONV_PROLOGUE_NONE || !dl_conv_mean_fits(kp))
        return dl_error(d, n, "has %d outputs; a second one (the channels' means) needs a 2-D depthwise Conv",
                        n->n_outputs);
    return 0;
}

/* A taken-in MaxPool (fuse-pool) reads the whole output of a plain 2-D
 * conv: no residual, prologue or shuffle, a second output for the scratch,
 * the pool's input the conv's output. */
static int check_pool(dl_diag *d, const dl_node *n, const conv_attrs *a, const dlk_conv_params *kp)
{
    const dlk_pool_params *q = &a->pool;
    if (q->rank == 0)
        return 0;
    if (a->transpose || a->prologue != DL_CONV_PROLOGUE_NONE || kp->shuffle || conv_residual(n) != NULL ||
        n->n_outputs != 2 || kp->rank != 2 || conv_is_depthwise(kp))
        return dl_error(d, n, "a fused MaxPool needs a plain 2-D conv, not depthwise, with no residual, "
                        "prologue or shuffle, and two outputs (Y and the scratch tensor)");
    if (q->out[0] < 1 || q->out[1] < 1 || q->kernel[1] > DLK_MAXPOOL2D_MAX_KW)
        return dl_error(d, n, "the fused MaxPool has an empty output or a window wider than %d columns",
                        DLK_MAXPOOL2D_MAX_KW);
    if (q->rank != 2 || q->n != kp->n || q->c != kp->c_out || q->in[0] != kp->out[0] || q->in[1] != kp->out[1])
        return dl_error(d, n, "the fused MaxPool's input (%" PRId64 " x %" PRId64 " x %" PRId64 " x %" PRId64
                        ") is not the conv's output (%" PRId64 " x %" PRId64 " x %" PRId64 " x %" PRId64 ")",
                        q->n, q->c, q->in[0], q->in[1], kp->n, kp->c_out, kp->out[0], kp->out[1]);
    return 0;
}

/* Reordered weights (conv-tiles) go with a plain conv the channel tiles
 * take and a second output for the padded image. */
static int check_tiles(dl_diag *d, const dl_node *n, const conv_attrs *a, const dlk_conv_params *kp)
{
    if (!a->tiles)
        return 0;
    if (a->transpose || a->prologue != DL_CONV_PROLOGUE_NONE || a->pool.rank != 0 || !dlk_conv_tiles_fits(kp) ||
        n->n_outputs != 2)
        return dl_error(d, n, "weights reordered for the channel tiles need a plain 2-D conv of group 1 with output "
                        "channels in multiples of 32, a kernel of at most %d taps, and two outputs (Y and the "
                        "scratch tensor)", DLK_CONV_TILES_TAPS);
    return 0;
}

/* The output as the channels' means (fuse-mean, dl_conv_mean_only): a
 * plain pointwise conv dlk_conv_mean_f32 takes, weights reordered by blocks
 * of 16 output channels, one output. */
static int check_mean_only(dl_diag *d, const dl_node *n, const conv_attrs *a, const dlk_conv_params *kp)
{
    if (!a->mean_only)
        return 0;
    if (a->transpose || a->prologue != DL_CONV_PROLOGUE_NONE || a->pool.rank != 0 || a->tiles ||
        conv_residual(n) != NULL || n->n_outputs != 1 || !dlk_conv_mean_fits(kp))
        return dl_error(d, n, "a conv giving its channels' means needs a plain 2-D 1x1 conv of group 1 (stride 1, "
                        "no padding) with no residual, prologue, pool or tiles, an activation the kernel applies "
                        "in registers, and one output");
    return 0;
}

static int check_shuffle(dl_diag *d, const dl_node *n, const dlk_conv_params *kp)
{
    if (kp->shuffle && !dl_conv_shuffle_fits(kp))
        return dl_error(d, n, "a fused channel shuffle needs a grouped, not depthwise, conv (group %" PRId64 ")",
                        kp->group);
    return 0;
}

/* ------------------------------------------------------------- op hooks */

static int conv_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const conv_attrs *a = n->params;
    dlk_conv_params kp;
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (conv_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.n;
    dims[1] = kp.c_out;
    for (int i = 0; i < kp.rank; i++)
        dims[2 + i] = kp.out[i];
    if (check_shuffle(d, n, &kp) < 0 || check_mean(d, n, a, &kp) < 0 || check_pool(d, n, a, &kp) < 0 ||
        check_tiles(d, n, a, &kp) < 0 || check_mean_only(d, n, a, &kp) < 0)
        return -1;
    if (a->mean_only) {   /* N x C_out x 1 x 1 */
        dims[2] = dims[3] = 1;
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
        return 0;
    }
    if (a->tiles) {   /* the scratch: one padded image */
        const int64_t scratch = dlk_conv_tiles_scratch(&kp);
        dl_value_set_shape(n->outputs[0], DL_FLOAT, (int)kp.rank + 2, dims);
        dl_value_set_shape(n->outputs[1], DL_FLOAT, 1, &scratch);
        return 0;
    }
    if (a->pool.rank != 0) {   /* the pool's output, and the scratch of the conv's size */
        const int64_t scratch = kp.n * kp.c_out * kp.out[0] * kp.out[1];
        dims[2] = a->pool.out[0];
        dims[3] = a->pool.out[1];
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
        dl_value_set_shape(n->outputs[1], DL_FLOAT, 1, &scratch);
        return 0;
    }
    dl_value_set_shape(n->outputs[0], DL_FLOAT, (int)kp.rank + 2, dims);
    if (n->n_outputs == 2) {
        const int64_t mean_dims[4] = {kp.n, kp.c_out, 1, 1};
        dl_value_set_shape(n->outputs[1], DL_FLOAT, 4, mean_dims);
    }
    if (conv_residual(n) != NULL && dl_value_numel(conv_residual(n)) != dl_value_numel(n->outputs[0]))
        return dl_error(d, n, "the fused residual input has %" PRId64 " elements; the output has %" PRId64,
                        dl_value_numel(conv_residual(n)), dl_value_numel(n->outputs[0]));
    return 0;
}

static const float *input_data(const dl_node *n, int i)
{
    return i < n->n_inputs && n->inputs[i] != NULL ? n->inputs[i]->data : NULL;
}

static int conv_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const conv_attrs *a = n->params;
    dlk_conv_params kp;
    (void)g;
    const char *kernel;
    if (conv_make_params(d, n, &kp) < 0)
        return -1;
    if (check_prologue(d, n, a, &kp) < 0 || check_shuffle(d, n, &kp) < 0 || check_mean(d, n, a, &kp) < 0 ||
        check_pool(d, n, a, &kp) < 0 || check_tiles(d, n, a, &kp) < 0 || check_mean_only(d, n, a, &kp) < 0)
        return -1;
    kernel = conv_kernel(a, &kp);
    if (a->mean_only)
        dlk_conv_mean_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), n->outputs[0]->data);
    else if (a->tiles)
        dlk_conv_tiles_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), input_data(n, 3),
                           n->outputs[0]->data, n->outputs[1]->data);
    else if (a->pool.rank != 0)
        dlk_conv_maxpool_f32(NULL, &kp, &a->pool, input_data(n, 0), input_data(n, 1), input_data(n, 2),
                             n->outputs[0]->data, n->outputs[1]->data);
    else if (n->n_outputs == 2)
        dlk_depthwise_mean_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), input_data(n, 3),
                               n->outputs[0]->data, n->outputs[1]->data);
    else if (a->transpose)
        dlk_conv_transpose_f32(&kp, input_data(n, 0), input_data(n, 1), input_data(n, 2),
                               n->outputs[0]->data);
    else if (strcmp(kernel, "dlk_conv_gemm_prologue_f32") == 0)
        dlk_conv_gemm_prologue_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2),
                                   input_data(n, 3), input_data(n, 4), n->n_inputs > 5 ? input_data(n, 5) : NULL,
                                   a->prologue == DL_CONV_PROLOGUE_RELU, n->outputs[0]->data);
    else if (strcmp(kernel, "dlk_conv_gemm_f32") == 0)
        dlk_conv_gemm_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2),
                          input_data(n, 3), n->outputs[0]->data);
    else if (strcmp(kernel, "dlk_conv_direct_f32") == 0)
        dlk_conv_direct_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2),
                            input_data(n, 3), n->outputs[0]->data);
    else
        dlk_depthwise_f32(NULL, &kp, input_data(n, 0), input_data(n, 1), input_data(n, 2), input_data(n, 3),
                          n->outputs[0]->data);
    return 0;
}

/* The call of dlk_conv_maxpool_f32, after the conv's params (p0): the
 * pool's (p1), then X, W, B, the pooled Y and the scratch. */
static int lower_conv_pool(dl_lower *l, const dl_node *n, const dlk_pool_params *q)
{
    dl_lower_params_begin(l, "dlk_pool_params");
    dl_lower_param_int(l, "n", q->n);
    dl_lower_param_int(l, "c", q->c);
    dl_lower_param_int(l, "rank", q->rank);
    dl_window_lower_geometry(l, 2, q->in, q->out, q->kernel, q->strides, q->dilations, q->pads);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_conv_maxpool_f32");
    dl_lower_arg_par(l);
    dl_lower_arg_params_at(l, 0);
    dl_lower_arg_params_at(l, 1);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->n_inputs > 2 ? n->inputs[2] : NULL);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

static int conv_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const conv_attrs *a = n->params;
    const char *kernel;
    dlk_conv_params kp;
    int r;
    (void)g;
    if (conv_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    if (check_prologue(d, n, a, &kp) < 0 || check_shuffle(d, n, &kp) < 0 || check_mean(d, n, a, &kp) < 0 ||
        check_pool(d, n, a, &kp) < 0 || check_tiles(d, n, a, &kp) < 0 || check_mean_only(d, n, a, &kp) < 0)
        return -1;
    kernel = a->pool.rank != 0                 ? "dlk_conv_maxpool_f32"
             : n->n_outputs == 2 && !a->tiles ? "dlk_depthwise_mean_f32"
                                 : conv_kernel(a, &kp);
    r = (int)kp.rank;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_conv_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c_in", kp.c_in);
    dl_lower_param_int(l, "c_out", kp.c_out);
    dl_lower_param_int(l, "group", kp.group);
    dl_lower_param_int(l, "rank", kp.rank);
    dl_window_lower_geometry(l, r, kp.in, kp.out, kp.kernel, kp.strides, kp.dilations, kp.pads);
    if (kp.shuffle)
        dl_lower_param_int(l, "shuffle", kp.shuffle);
    dl_epilogue_lower(l, &kp.ep);
    dl_lower_params_end(l);
    if (a->pool.rank != 0)
        return lower_conv_pool(l, n, &a->pool);
    dl_lower_call(l, kernel);
    if (!a->transpose)
        dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->n_inputs > 2 ? n->inputs[2] : NULL);
    if (!a->transpose && !a->mean_only)
        dl_lower_arg_value(l, conv_residual(n));
    if (a->prologue != DL_CONV_PROLOGUE_NONE) {
        dl_lower_arg_value(l, n->inputs[4]);
        dl_lower_arg_value(l, n->n_inputs > 5 ? n->inputs[5] : NULL);
        dl_lower_arg_int(l, a->prologue == DL_CONV_PROLOGUE_RELU);
    }
    dl_lower_arg_value(l, n->outputs[0]);
    if (n->n_outputs == 2)
        dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Conv = {"Conv", 0, conv_setup, conv_infer, conv_eval, conv_lower};
const dl_op dl_op_ConvTranspose = {"ConvTranspose", 0, conv_transpose_setup, conv_infer, conv_eval,
                                   conv_lower};
