/* winograd (-O2): a 2-D float32 Conv with a 3x3 kernel, stride 1,
 * dilation 1, group 1 and constant weights becomes a WinogradConv
 * (ir/ops/winograd.c, runtime/kernels/winograd.h): Winograd F(4x4, 3x3)
 * takes 36 multiplies per 4x4 output tile and channel pair instead of 144,
 * F(2x2, 3x3) 16 per 2x2 tile instead of 36. The weights are transformed
 * here, once (U = G g G^T, 36 (or 16) x C_out x C_in: 4x (16/9 x) the bytes
 * of W); the bias, the fused epilogue and its residual, the node's name and
 * its output stay. It runs after fuse-epilogue, so the Conv's Add/Relu go
 * along.
 *
 * Where it pays (light ResNet-50, in the model, against dlk_conv_gemm_f32,
 * this machine's AVX-512 build, the best of 5 runs, ms at 1 / 2 threads):
 *   56x56x64   F(4x4)  1.15 -> 0.96  / 0.61 -> 0.51
 *   28x28x128  F(4x4)  1.10 -> 1.02  / 0.59 -> 0.54
 *   14x14x256  F(2x2)  1.81 -> 1.58  / 1.06 -> 0.84  (F(4x4): 2.3 / 1.16, its
 *              36 products of 16 columns read 9.4 MB of U cold)
 *   7x7x512    neither (F(2x2) 2.65 -> 3.37 / 1.55 -> 1.76: 16.8 MB of U
 *              read for 16 columns; F(4x4) 2.4x slower)
 * and elsewhere: DenseNet-121's 14x14 128 -> 32 F(2x2) 0.25 -> 0.17 (1
 * thread); Inception v1's 13x13 96..160 -> 208..320 F(2x2) about even at 1
 * thread (0.5..1.2 ms, -6% .. +8%), 5..20% faster at 2.
 * So a conv takes F(4x4) when its output has at least WG_MIN_TILES 4x4
 * tiles, else F(2x2) when it has at least WG_MIN_TILES2 2x2 tiles (12x12
 * and up), and neither below; both channel counts must be at least
 * WG_MIN_CHANNELS (fewer channels: the transforms, O(C) per tile, outweigh
 * the products, O(C^2)).
 *
 * The file also holds conv-tiles (below), which takes the convs wider than
 * 1x1 that Winograd leaves, with weights reordered here as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"
#include "kernels/conv_pool.h"
#include "kernels/conv_tiles.h"
#include "kernels/winograd.h"
#include "passes/passes.h"

#define WG_MIN_TILES 32
#define WG_MIN_TILES2 36
#define WG_MIN_CHANNELS 16
/* Fewer output channels than this leave F(2x2) to conv-tiles where it runs (see below) */
#define WG_MIN_CHANNELS2 64

/* Whether conv-tiles runs: an AVX-512 target, the pass enabled. */
static bool tiles_take(const dl_pass_context *ctx)
{
    int n;
    const dl_pass *list = dl_pass_list(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].name, "conv-tiles") == 0)
            return ctx->vector_bits == 512 && dl_pass_enabled(&list[i], ctx);
    return false;
}

static bool is_f32(const dl_value *v)
{
    return v != NULL && v->dtype == DL_FLOAT && v->rank >= 0;
}

/* The Conv's pads (top, left, bottom, right) when it is a 3x3, stride-1,
 * dilation-1 window over 2 spatial axes; false otherwise. */
static bool conv_pads(const dl_node *n, dl_diag *d, int64_t pads[4])
{
    const dl_value *x = n->inputs[0];
    dl_window_attrs win;
    int64_t strides[2], dilations[2];
    if (dl_window_read_attrs(d, n, &win) < 0 || dl_window_axes(d, n, &win, 2, strides, dilations, pads) < 0)
        return false;
    for (int i = 0; i < 2; i++) {
        if (strides[i] != 1 || dilations[i] != 1)
            return false;
        dl_window_auto_pads(win.auto_pad, x->dims[2 + i], 3, 1, 1, &pads[i], &pads[2 + i]);
        if (pads[i] < 0 || pads[2 + i] < 0)
            return false;
    }
    return true;
}

/* A Conv the kernel takes (see the header comment); fills *kp. */
static bool is_candidate(const dl_node *n, dl_diag *d, dlk_winograd_params *kp)
{
    const dl_value *x, *w, *b, *y;
    if (n->dead || n->op == NULL || strcmp(n->op_type, "Conv") != 0 || n->n_outputs != 1 || n->n_inputs < 2)
        return false;
    x = n->inputs[0];
    w = n->inputs[1];
    b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    y = n->outputs[0];
    if (!is_f32(x) || x->rank != 4 || x->data != NULL || !is_f32(w) || w->data == NULL || w->rank != 4 ||
        !is_f32(y) || y->rank != 4 || (n->inputs[2] != NULL && b != NULL && !is_f32(b)))
        return false;
    if (dl_attr_int(n, "group", 1) != 1 || w->dims[1] != x->dims[1] || w->dims[2] != 3 || w->dims[3] != 3)
        return false;
    memset(kp, 0, sizeof *kp);
    if (!conv_pads(n, d, kp->pads))
        return false;
    kp->n = x->dims[0];
    kp->c_in = x->dims[1];
    kp->c_out = w->dims[0];
    for (int i = 0; i < 2; i++) {
        kp->in[i] = x->dims[2 + i];
        kp->out[i] = kp->in[i] + kp->pads[i] + kp->pads[2 + i] - 2;
        if (kp->out[i] != y->dims[2 + i])
            return false;
    }
    return y->dims[1] == kp->c_out && dlk_winograd_fits(kp);
}

/* The Winograd variant faster than the packed-GEMM conv for this shape:
 * 4 (F(4x4)), 2 (F(2x2)) or 0 (neither). */
static int pays(const dlk_winograd_params *kp, const dl_pass_context *ctx)
{
    int64_t tiles4 = ((kp->out[0] + 3) / 4) * ((kp->out[1] + 3) / 4);
    int64_t tiles2 = ((kp->out[0] + 1) / 2) * ((kp->out[1] + 1) / 2);
    if (kp->c_in < WG_MIN_CHANNELS || kp->c_out < WG_MIN_CHANNELS)
        return 0;
    if (tiles4 >= WG_MIN_TILES)
        return 4;
    if (tiles_take(ctx) && kp->c_out < WG_MIN_CHANNELS2 && kp->c_out % 32 == 0)
        return 0;   /* the channel tiles beat F(2x2) there */
    return tiles2 >= WG_MIN_TILES2 ? 2 : 0;
}

/* U = G g G^T as a new constant (m+2)^2 x C_out x C_in; its matrices by
 * blocks of 16 output channels when kp->u16. */
static dl_value *transformed_weights(dl_graph *g, const dl_node *conv, const dlk_winograd_params *kp)
{
    char name[512];
    int64_t dims[3] = {(kp->m + 2) * (kp->m + 2), kp->c_out, kp->c_in};
    dl_value *u;
    float *rows;
    snprintf(name, sizeof name, "%s_winograd_U", conv->inputs[1]->name ? conv->inputs[1]->name : "W");
    u = dl_graph_add_value(g, name, DL_FLOAT, 3, dims);
    if (u == NULL || dl_value_alloc_data(g, u) == NULL)
        return NULL;
    if (!kp->u16) {
        dlk_winograd_weights_f32((int)kp->m, kp->c_out, kp->c_in, conv->inputs[1]->data, u->data);
        return u;
    }
    rows = malloc(sizeof(float) * (size_t)(dims[0] * dims[1] * dims[2]));
    if (rows == NULL)
        return NULL;
    dlk_winograd_weights_f32((int)kp->m, kp->c_out, kp->c_in, conv->inputs[1]->data, rows);
    dlk_winograd_weights16_f32(dims[0], kp->c_out, kp->c_in, rows, u->data);
    free(rows);
    return u;
}

/* The WinogradConv's attributes: pads only. */
static int set_attrs(dl_graph *g, dl_node *n, const int64_t pads[4])
{
    dl_attr *a = dl_arena_alloc(&g->arena, sizeof *a);
    if (a == NULL)
        return -1;
    memset(a, 0, sizeof *a);
    a->name = "pads";
    a->kind = DL_ATTR_INTS;
    a->n = 4;
    a->ints = dl_arena_alloc(&g->arena, 4 * sizeof(int64_t));
    if (a->ints == NULL)
        return -1;
    memcpy(a->ints, pads, 4 * sizeof(int64_t));
    n->attrs = a;
    n->n_attrs = 1;
    return 0;
}

static int oom(dl_pass_context *ctx)
{
    ctx->diag->out_of_memory = true;
    return dl_error(ctx->diag, NULL, "out of memory in pass 'winograd'");
}

/* Replaces conv by a WinogradConv at its place in the node list. */
static int rewrite(dl_graph *g, dl_pass_context *ctx, dl_node *conv, const dlk_winograd_params *kp)
{
    const dlk_epilogue *cep = dl_node_epilogue(conv);
    const dlk_epilogue ep = cep != NULL ? *cep : (dlk_epilogue){0};
    const dl_value *r = dl_epilogue_residual(conv);
    dl_value *y = conv->outputs[0], *u = transformed_weights(g, conv, kp), *scratch;
    dl_node *n;
    scratch = dl_scratch_value(g, y, "winograd_scratch");
    n = dl_graph_add_node(g, conv->name, "WinogradConv", r != NULL ? 4 : 3, 2);
    if (u == NULL || scratch == NULL || n == NULL || set_attrs(g, n, kp->pads) < 0)
        return oom(ctx);
    n->op = dl_op_find("WinogradConv");
    n->opset = conv->opset;
    n->fused = conv->fused;
    if (dl_node_set_input(g, n, 0, conv->inputs[0]) || dl_node_set_input(g, n, 1, u) ||
        dl_node_set_input(g, n, 2, conv->n_inputs > 2 ? conv->inputs[2] : NULL) ||
        (r != NULL && dl_node_set_input(g, n, 3, (dl_value *)r)))
        return oom(ctx);
    dl_graph_place_last_at(g, conv->id);
    dl_node_remove(g, conv);
    dl_node_set_output(n, 0, y);
    dl_node_set_output(n, 1, scratch);
    if (n->op->setup(g, n, ctx->diag) < 0)
        return -1;
    *dl_winograd_epilogue(n) = ep;
    *dl_winograd_u16(n) = kp->u16;
    return n->op->infer(g, n, ctx->diag);
}

int dl_winograd(dl_graph *g, dl_pass_context *ctx)
{
    int rewritten[2] = {0, 0}, skipped = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        dlk_winograd_params kp;
        if (!is_candidate(n, ctx->diag, &kp))
            continue;
        kp.m = pays(&kp, ctx);
        /* AVX-512 targets: U by blocks of 16 outputs, for the channel-tile products (winograd.h) */
        kp.u16 = ctx->vector_bits == 512 && kp.c_out % 32 == 0;
        if (kp.m == 0 || !dlk_winograd_fits(&kp)) {
            skipped++;
            continue;
        }
        if (rewrite(g, ctx, n, &kp) < 0)
            return -1;
        rewritten[kp.m == 2]++;
    }
    dl_pass_log(ctx, "winograd",
                "%d 3x3 stride-1 convs -> WinogradConv (%d F(4x4), %d F(2x2)), %d left (too few tiles or channels)",
                rewritten[0] + rewritten[1], rewritten[0], rewritten[1], skipped);
    return 0;
}

/* ------------------------------------------------------------ conv-tiles */

/* conv-tiles (-O2, AVX-512 targets): a float32 2-D Conv wider than 1x1
 * with constant weights, group 1 and output channels in blocks of 32 that
 * no other kernel took (not a stem: dlk_conv_direct_f32; no Winograd, no
 * prologue, shuffle or pool) runs on the channel tiles of
 * runtime/kernels/conv_tiles.h: its weights are reordered here by blocks of
 * 16 output channels, and a second output gives the kernel arena bytes for
 * the zero-padded image. Pointwise convs stay on the packed product (their
 * B is the input itself: nothing to gather). In the models, one thread
 * (Zen 5), against the packed product: light ResNet-50's stride-2 3x3 convs
 * and 7x7x512 3x3 convs, DenseNet-121's 7x7 and 14x14 3x3 convs of 32
 * outputs (which F(2x2) took before; see pays()); figures in the README. */
static bool tiles_candidate(dl_node *n, dl_diag *d, dlk_conv_params *kp)
{
    const dl_value *x, *w;
    if (n->dead || n->op == NULL || strcmp(n->op_type, "Conv") != 0 || n->n_outputs != 1 || n->n_inputs < 2 ||
        dl_conv_tiles(n) == NULL)
        return false;
    x = n->inputs[0];
    w = n->inputs[1];
    if (!is_f32(x) || x->rank != 4 || x->data != NULL || !is_f32(w) || w->data == NULL || w->rank != 4 ||
        *dl_conv_prologue(n) != DL_CONV_PROLOGUE_NONE || *dl_conv_shuffle(n) || dl_conv_pool(n)->rank != 0)
        return false;
    if (dl_conv_params(d, n, kp) < 0)
        return false;
    return kp->kernel[0] * kp->kernel[1] > 1 && !dlk_conv_direct_fits(kp) && dlk_conv_tiles_fits(kp) &&
           dl_value_numel(n->outputs[0]) > 0;
}

static int tiles_rewrite(dl_graph *g, dl_pass_context *ctx, dl_node *n, const dlk_conv_params *kp)
{
    const dl_value *w = n->inputs[1];
    dl_value *wt, *scratch = dl_scratch_value(g, n->outputs[0], "tiles_scratch");
    char name[512];
    snprintf(name, sizeof name, "%s_tiles", w->name ? w->name : "W");
    wt = dl_graph_add_value(g, name, DL_FLOAT, 4, w->dims);
    if (wt == NULL || scratch == NULL || dl_value_alloc_data(g, wt) == NULL || dl_node_set_input(g, n, 1, wt) ||
        !dl_node_add_output_slot(g, n))
        return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory in pass 'conv-tiles'");
    dlk_conv_tiles_weights_f32(kp->c_out, kp->c_in * kp->kernel[0] * kp->kernel[1], w->data, wt->data);
    dl_node_set_output(n, 1, scratch);
    *dl_conv_tiles(n) = 1;
    return n->op->infer(g, n, ctx->diag);
}

int dl_conv_tiles_pass(dl_graph *g, dl_pass_context *ctx)
{
    int taken = 0;
    if (ctx->vector_bits != 512) {
        dl_pass_log(ctx, "conv-tiles", "none: the target has no AVX-512 (--cpu)");
        return 0;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        dlk_conv_params kp;
        if (!tiles_candidate(n, ctx->diag, &kp))
            continue;
        if (tiles_rewrite(g, ctx, n, &kp) < 0)
            return -1;
        taken++;
    }
    dl_pass_log(ctx, "conv-tiles", "%d convs run on channel tiles (weights reordered by blocks of 16 outputs)", taken);
    return 0;
}
