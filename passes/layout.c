/* layout (-O2): regions of pointwise and depthwise convolutions in the
 * blocked layout NCHW16c.
 *
 * Every value is NCHW (plain) until this pass. On a target with 512-bit
 * vectors (--cpu=avx512, or native on such a machine) a 2-D float32 Conv
 * with constant weights, no BatchNormalization prologue (a channel scale,
 * squeeze-excitation's, it keeps) and at least 16 input and 16 output
 * channels can run as a ConvNCHW16c (ir/ops/blocked.c) on
 * 16-channel blocks (runtime/kernels/blocked.h): a pointwise one by the
 * direct kernel (no packing), a depthwise one by one FMA per tap of a
 * pixel's 16 channels. The pass takes those the blocked kernels run faster
 * than the NCHW ones (expected_saving: pointwise convs with channels in
 * whole blocks and depthwise convs, on planes up to 28 x 28). Their weights
 * are reordered here, once.
 *
 * Regions: such convs joined by the tensors one produces and another reads
 * (as input or fused residual) stay blocked between them; a reorder
 * (ToNCHW16c / FromNCHW16c) sits on each edge where a region meets plain
 * code, one per tensor whatever its readers. A region is kept when what it
 * is expected to save (each conv's expected_saving of its time at
 * CONV_FLOPS or DEPTHWISE_FLOPS) beats its reorders, which move the
 * tensor's bytes twice at about REORDER_BYTES (measured 20 .. 30 GB/s).
 * MobileNetV2's 28 x 28, 14 x 14 and 7 x 7 stages make one region (41
 * convs, 2 reorders), EfficientNet-B0's 14 x 14 and 7 x 7 stages another
 * (33 convs, 2 reorders: the squeeze-excitations' means and scales stay
 * plain, read and written by the blocked convs). The other convs stay
 * NCHW, and everything else too (WinogradConv, pools, Concat...): their
 * kernels are written for it.
 *
 * Targets without AVX-512 (--cpu=avx2|generic) keep NCHW everywhere: the
 * blocked kernels have a portable C fallback, but only the 512-bit ones
 * are faster, and there is no NCHW8c kernel yet. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "kernels/blocked.h"
#include "passes/passes.h"

#define CONV_FLOPS 230e9       /* FLOP/s of a pointwise conv by the packed product, one AVX-512 core */
#define DEPTHWISE_FLOPS 60e9   /* of a depthwise conv on a plane up to 28 x 28 */
#define REORDER_BYTES 20e9   /* bytes/s of a reorder */

static bool is_f32(const dl_value *v)
{
    return v != NULL && v->dtype == DL_FLOAT && v->rank >= 0;
}

static int64_t plane_of(const int64_t *dims)
{
    return dims[0] * dims[1];
}

static bool is_depthwise(const dlk_conv_params *kp)
{
    return kp->group > 1 && kp->group == kp->c_in && kp->group == kp->c_out;
}

static bool is_pointwise(const dlk_conv_params *kp)
{
    return kp->group == 1 && kp->kernel[0] == 1 && kp->kernel[1] == 1 && kp->strides[0] == 1 &&
           kp->strides[1] == 1 && kp->pads[0] == 0 && kp->pads[1] == 0 && kp->pads[2] == 0 && kp->pads[3] == 0;
}

/* The fraction of a conv's time the blocked kernel is expected to save
 * (negative: not a candidate), from one-thread timings of each kernel
 * alone on MobileNetV2's, EfficientNet-B0's and ResNet-50's shapes (Zen 5):
 *   depthwise, planes up to 28 x 28: 0.53 .. 0.85 of runtime/kernels/
 *     depthwise.h's time (3x3 and 5x5, strides 1 and 2); at 56 x 56 0.76 ..
 *     1.02, at 112 x 112 1.14 .. 1.49 (and a region starting there would
 *     reorder the large tensors);
 *   pointwise, channels in whole blocks: on 14 x 14 and 7 x 7 planes 0.82 ..
 *     0.96 of the packed product's time (196 and 49 pixels make ragged
 *     32-column panels there, whole 14-pixel tiles here); on 28 x 28 0.97 ..
 *     1.07; past that, or with channels not in whole blocks (24, 40: a
 *     third of the lanes idle) 1.1 .. 1.4; on one pixel (squeeze-excitation's
 *     convs) the packed product's matrix-vector path is the one to take.
 * Other convs stay with their NCHW kernels (Winograd, the conv tiles, the
 * packed product), which beat the blocked direct kernel. */
static double expected_saving(const dlk_conv_params *kp)
{
    const int64_t plane = plane_of(kp->in) > plane_of(kp->out) ? plane_of(kp->in) : plane_of(kp->out);
    if (is_depthwise(kp))
        return plane <= 28 * 28 ? 0.25 : -1.0;
    if (is_pointwise(kp) && kp->c_in % DLK_BLOCK == 0 && kp->c_out % DLK_BLOCK == 0 && plane > 1)
        return plane <= 14 * 14 ? 0.10 : plane <= 28 * 28 ? 0.0 : -1.0;
    return -1.0;
}

/* The conv's parameters when the blocked kernel takes it (see the header). */
static bool is_candidate(dl_node *n, dl_diag *d, dlk_conv_params *kp)
{
    const dl_value *x, *w;
    const int64_t *prologue;
    if (n->dead || n->op == NULL || strcmp(n->op_type, "Conv") != 0 || n->n_outputs > 2 || n->n_inputs < 2 ||
        *dl_conv_mean_only(n))   /* fuse-mean's: its output is the channels' means */
        return false;
    x = n->inputs[0];
    w = n->inputs[1];
    prologue = dl_conv_prologue(n);
    if (!is_f32(x) || x->rank != 4 || x->data != NULL || x->layout != DL_LAYOUT_PLAIN || !is_f32(w) ||
        w->data == NULL || (prologue != NULL && *prologue != DL_CONV_PROLOGUE_NONE && *prologue != DL_CONV_PROLOGUE_SCALE))
        return false;
    if (n->n_inputs > 2 && n->inputs[2] != NULL && n->inputs[2]->data == NULL)
        return false;
    if (dl_conv_params(d, n, kp) < 0 || kp->shuffle != 0)
        return false;
    /* a squeeze-excitation's scale taken as a prologue (pointwise), a fused mean (depthwise): the blocked kernels have both */
    if ((prologue != NULL && *prologue == DL_CONV_PROLOGUE_SCALE && !is_pointwise(kp)) ||
        (n->n_outputs == 2 && !is_depthwise(kp)))
        return false;
    return kp->c_in >= DLK_BLOCK && kp->c_out >= DLK_BLOCK && kp->strides[1] <= 2 && expected_saving(kp) >= 0.0;
}

/* ----------------------------------------------------------- regions */

/* Indexed by the node's place when the pass starts (its id then), or by
 * the value's id. */
typedef struct layout_state {
    dl_graph *g;
    dl_pass_context *ctx;
    dlk_conv_params *kp;    /* a candidate's geometry */
    bool *cand;             /* a candidate conv (a kept one, after keep_paying_regions) */
    bool *plain;            /* a kept conv's output is also read outside its region */
    int *region;            /* union-find parent */
    dl_value **blocked;     /* per value: its blocked twin, once made */
} layout_state;

static int find(int *parent, int i)
{
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

/* Slots of a candidate that read activations: X and the residual. */
static bool reads_activation(const dl_node *n, int slot)
{
    return slot == 0 || (slot == 3 && n->n_inputs > 3);
}

/* v leaves its region: a reader that is not a candidate (or reads it in
 * another slot), or a graph output. */
static bool needed_plain(const layout_state *s, const dl_value *v)
{
    if (v->is_output)
        return true;
    for (int u = 0; u < v->n_users; u++) {
        const dl_node *r = v->users[u];
        if (r->dead)
            continue;
        if (!s->cand[r->id])
            return true;
        for (int k = 0; k < r->n_inputs; k++)
            if (r->inputs[k] == v && !reads_activation(r, k))
                return true;
    }
    return false;
}

/* Joins each candidate with the candidates that read its output. */
static void join_regions(layout_state *s)
{
    dl_graph *g = s->g;
    for (int i = 0; i < g->n_nodes; i++)
        s->region[i] = i;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_value *y;
        if (!s->cand[i])
            continue;
        y = g->nodes[i]->outputs[0];
        for (int u = 0; u < y->n_users; u++) {
            const dl_node *r = y->users[u];
            bool activation = false;   /* read as X or residual, not as a prologue's scale */
            for (int k = 0; !r->dead && k < r->n_inputs; k++)
                activation = activation || (r->inputs[k] == y && reads_activation(r, k));
            if (activation && s->cand[r->id]) {
                int a = find(s->region, i), b = find(s->region, r->id);
                s->region[a] = b;
            }
        }
    }
}

/* Per region root: expected saving and reorder cost in seconds. Drops the
 * regions whose reorders cost more; returns how many it kept. */
static int keep_paying_regions(layout_state *s, int *kept_convs, int *dropped)
{
    dl_graph *g = s->g;
    double *gain = dl_malloc(sizeof(double) * (size_t)g->n_nodes * 2), *cost;
    int *counted = dl_malloc(sizeof(int) * (size_t)g->n_values); /* per value: 1 + the region that pays its reorder */
    int kept = 0;
    if (gain == NULL || counted == NULL) {
        dl_free(gain, sizeof(double) * (size_t)g->n_nodes * 2);
        dl_free(counted, sizeof(int) * (size_t)g->n_values);
        return -1;
    }
    memset(counted, 0, sizeof(int) * (size_t)g->n_values);
    cost = gain + g->n_nodes;
    memset(gain, 0, sizeof(double) * (size_t)g->n_nodes * 2);
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        const dlk_conv_params *kp = &s->kp[i];
        int root;
        if (!s->cand[i])
            continue;
        root = find(s->region, i);
        gain[root] += expected_saving(kp) * 2.0 *
                      (double)(kp->n * kp->c_out * kp->c_in / kp->group * kp->kernel[0] * kp->kernel[1] * kp->out[0] *
                               kp->out[1]) / (is_depthwise(kp) ? DEPTHWISE_FLOPS : CONV_FLOPS);
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *v = n->inputs[k];
            /* a reorder in: an activation read from outside, once per region */
            if (v != NULL && reads_activation(n, k) && counted[v->id] != root + 1 &&
                (v->producer == NULL || !s->cand[v->producer->id] || find(s->region, v->producer->id) != root)) {
                counted[v->id] = root + 1;
                cost[root] += 2.0 * (double)dl_value_bytes(v) / REORDER_BYTES;
            }
        }
        /* a reorder out (a region is closed under the tensors between its convs, so dropping
         * other regions does not change this) */
        s->plain[i] = needed_plain(s, n->outputs[0]);
        if (s->plain[i])
            cost[root] += 2.0 * (double)dl_value_bytes(n->outputs[0]) / REORDER_BYTES;
    }
    *kept_convs = 0;
    *dropped = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int root;
        if (!s->cand[i])
            continue;
        root = find(s->region, i);
        if (gain[root] > cost[root]) {
            kept += root == i;
            (*kept_convs)++;
        } else {
            *dropped += root == i;
            s->cand[i] = false;
        }
    }
    dl_free(gain, sizeof(double) * (size_t)g->n_nodes * 2);
    dl_free(counted, sizeof(int) * (size_t)g->n_values);
    return kept;
}

/* ----------------------------------------------------------- rewriting */

static int oom(dl_pass_context *ctx)
{
    ctx->diag->out_of_memory = true;
    return dl_error(ctx->diag, NULL, "out of memory in pass 'layout'");
}

static dl_attr *new_attrs(dl_graph *g, int n)
{
    dl_attr *a = dl_arena_alloc(&g->arena, sizeof *a * (size_t)n);
    if (a != NULL)
        memset(a, 0, sizeof *a * (size_t)n);
    return a;
}

static int set_ints(dl_graph *g, dl_attr *a, const char *name, const int64_t *v, int n)
{
    a->name = name;
    a->kind = DL_ATTR_INTS;
    a->n = n;
    a->ints = dl_arena_alloc(&g->arena, sizeof(int64_t) * (size_t)n);
    if (a->ints == NULL)
        return -1;
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
    return 0;
}

static void set_int(dl_attr *a, const char *name, int64_t v)
{
    a->name = name;
    a->kind = DL_ATTR_INT;
    a->i = v;
}

/* A node of op_type with the given inputs and output y (and y2 when not
 * NULL), placed at index at of the node list. */
static dl_node *add_node(layout_state *s, const char *name, const char *op_type, dl_value *const *inputs, int n_in,
                         dl_value *y, dl_value *y2, dl_attr *attrs, int n_attrs, int at, int opset)
{
    dl_graph *g = s->g;
    dl_node *n = dl_graph_add_node(g, name, op_type, n_in, y2 != NULL ? 2 : 1);
    if (n == NULL)
        return NULL;
    n->op = dl_op_find(op_type);
    n->opset = opset;
    n->attrs = attrs;
    n->n_attrs = n_attrs;
    for (int i = 0; i < n_in; i++)
        if (dl_node_set_input(g, n, i, inputs[i]))
            return NULL;
    dl_node_set_output(n, 0, y);
    if (y2 != NULL)
        dl_node_set_output(n, 1, y2);
    dl_graph_place_last_at(g, at);
    return n;
}

static int finish_node(layout_state *s, dl_node *n)
{
    if (n->op->setup(s->g, n, s->ctx->diag) < 0)
        return -1;
    return n->op->infer(s->g, n, s->ctx->diag);
}

/* The blocked twin of plain activation v, made by a ToNCHW16c placed
 * before node index at when v has none yet. */
static dl_value *blocked_of(layout_state *s, dl_value *v, int at, int opset, int *reorders)
{
    char name[512];
    dl_value *b;
    dl_node *n;
    if (s->blocked[v->id] != NULL)
        return s->blocked[v->id];
    snprintf(name, sizeof name, "%s_nchw16c", v->name ? v->name : "x");
    b = dl_graph_add_value(s->g, name, DL_FLOAT, 1, (const int64_t[]){1});
    if (b == NULL || (n = add_node(s, name, "ToNCHW16c", &v, 1, b, NULL, NULL, 0, at, opset)) == NULL)
        return NULL;
    if (finish_node(s, n) < 0)
        return NULL;
    (*reorders)++;
    s->blocked[v->id] = b;
    return b;
}

/* Weights (and bias) of the conv in the blocked kernel's order. */
static dl_value *blocked_weights(layout_state *s, const dl_node *conv, const dlk_conv_params *kp)
{
    char name[512];
    const bool dw = is_depthwise(kp);
    int64_t dims[6] = {dlk_blocks16(kp->c_out), dlk_blocks16(kp->c_in), kp->kernel[0], kp->kernel[1], DLK_BLOCK,
                       DLK_BLOCK};
    int64_t dw_dims[4] = {dlk_blocks16(kp->c_out), kp->kernel[0], kp->kernel[1], DLK_BLOCK};
    dl_value *w;
    snprintf(name, sizeof name, "%s_nchw16c", conv->inputs[1]->name ? conv->inputs[1]->name : "W");
    w = dl_graph_add_value(s->g, name, DL_FLOAT, dw ? 4 : 6, dw ? dw_dims : dims);
    if (w == NULL || dl_value_alloc_data(s->g, w) == NULL)
        return NULL;
    if (dw)
        dlk_dw16_weights_f32(kp->c_out, kp->kernel[0], kp->kernel[1], conv->inputs[1]->data, w->data);
    else
        dlk_conv16_weights_f32(kp->c_out, kp->c_in, kp->kernel[0], kp->kernel[1], conv->inputs[1]->data, w->data);
    return w;
}

static dl_value *blocked_bias(layout_state *s, const dl_value *b, int64_t c_out)
{
    char name[512];
    int64_t len = dlk_blocks16(c_out) * DLK_BLOCK;
    dl_value *v;
    snprintf(name, sizeof name, "%s_nchw16c", b->name ? b->name : "B");
    v = dl_graph_add_value(s->g, name, DL_FLOAT, 1, &len);
    if (v == NULL || dl_value_alloc_data(s->g, v) == NULL)
        return NULL;
    memcpy(v->data, b->data, sizeof(float) * (size_t)c_out);
    return v;
}

/* Conv -> ConvNCHW16c reading blocked inputs; a FromNCHW16c after it when
 * its output is also read outside the region. */
static int rewrite(layout_state *s, int i, dl_node *conv, int *reorders)
{
    dl_graph *g = s->g;
    const dlk_conv_params *kp = &s->kp[i];
    dl_value *y = conv->outputs[0], *mean = conv->n_outputs > 1 ? conv->outputs[1] : NULL;
    dl_value *ins[5] = {NULL, NULL, NULL, NULL, NULL}, *yb;
    const bool plain = s->plain[i];
    const int64_t *prologue = dl_conv_prologue(conv);
    const bool scaled = prologue != NULL && *prologue == DL_CONV_PROLOGUE_SCALE;
    const int n_in = scaled ? 5 : conv->n_inputs > 3 && conv->inputs[3] != NULL ? 4 : 3;
    dl_attr *attrs = new_attrs(g, 5);
    char name[512];
    dl_node *n, *from;
    int at = conv->id;
    if (attrs == NULL)
        return oom(s->ctx);
    for (int k = 0; k < n_in; k++) {
        dl_value *v = k < conv->n_inputs ? conv->inputs[k] : NULL;
        if (k == 1)
            ins[k] = blocked_weights(s, conv, kp);
        else if (v == NULL)   /* no bias, no residual */
            ins[k] = NULL;
        else if (k == 2)
            ins[k] = blocked_bias(s, v, kp->c_out);
        else if (k == 4)   /* the prologue's scale: per channel, plain */
            ins[k] = v;
        else {
            int before = g->n_nodes;
            ins[k] = blocked_of(s, v, at, conv->opset, reorders);
            at += g->n_nodes - before;
        }
        if (ins[k] == NULL && v != NULL)
            return oom(s->ctx);
    }
    snprintf(name, sizeof name, "%s_nchw16c", y->name ? y->name : "y");
    yb = plain ? dl_graph_add_value(g, name, DL_FLOAT, 1, (const int64_t[]){1}) : y;
    set_int(&attrs[0], "channels", kp->c_out);
    if (yb == NULL || set_ints(g, &attrs[1], "strides", kp->strides, 2) ||
        set_ints(g, &attrs[2], "dilations", kp->dilations, 2) || set_ints(g, &attrs[3], "pads", kp->pads, 4))
        return oom(s->ctx);
    set_int(&attrs[4], "group", kp->group);
    dl_node_remove(g, conv);
    n = add_node(s, conv->name, "ConvNCHW16c", ins, n_in, yb, mean, attrs, 5, at, conv->opset);
    if (n == NULL)
        return oom(s->ctx);
    n->fused = conv->fused;
    if (n->op->setup(g, n, s->ctx->diag) < 0)
        return -1;
    *dl_conv16_epilogue(n) = kp->ep;
    if (n->op->infer(g, n, s->ctx->diag) < 0)
        return -1;
    s->blocked[y->id] = yb;
    if (!plain)
        return 0;
    attrs = new_attrs(g, 1);
    if (attrs == NULL)
        return oom(s->ctx);
    set_int(&attrs[0], "channels", kp->c_out);
    snprintf(name, sizeof name, "%s_nchw", y->name ? y->name : "y");
    from = add_node(s, name, "FromNCHW16c", &yb, 1, y, NULL, attrs, 1, n->id + 1, conv->opset);
    if (from == NULL)
        return oom(s->ctx);
    (*reorders)++;
    return finish_node(s, from);
}

int dl_select_layout(dl_graph *g, dl_pass_context *ctx)
{
    layout_state s = {g, ctx, NULL, NULL, NULL, NULL, NULL};
    const int nodes = g->n_nodes, values = g->n_values;
    int convs = 0, candidates = 0, regions, kept_convs, dropped, reorders = 0, rc = 0;
    const size_t kp_bytes = sizeof(dlk_conv_params) * (size_t)nodes;
    const size_t flag_bytes = (2 * sizeof(bool) + sizeof(int)) * (size_t)nodes;
    const size_t value_bytes = sizeof(dl_value *) * (size_t)values, order_bytes = sizeof(dl_node *) * (size_t)nodes;
    dl_node **order = NULL;
    if (ctx->vector_bits < 512) {
        dl_pass_log(ctx, "layout", "NCHW everywhere: the target (--cpu=%s) has no 512-bit vectors; only the "
                    "AVX-512 blocked conv kernel beats the packed GEMM", ctx->cpu ? ctx->cpu : "native");
        return 0;
    }
    s.kp = dl_malloc(kp_bytes);
    s.cand = dl_malloc(flag_bytes);
    s.blocked = dl_malloc(value_bytes);
    order = dl_malloc(order_bytes);
    if (s.kp == NULL || s.cand == NULL || s.blocked == NULL || order == NULL) {
        rc = oom(ctx);
        goto done;
    }
    memset(s.cand, 0, flag_bytes);
    memset(s.blocked, 0, value_bytes);
    s.plain = s.cand + nodes;
    s.region = (int *)(void *)(s.plain + nodes);
    memcpy(order, g->nodes, order_bytes);
    for (int i = 0; i < nodes; i++) {
        if (g->nodes[i]->id != i) {
            rc = dl_error(ctx->diag, g->nodes[i], "internal error: pass 'layout' needs the node ids in order");
            goto done;
        }
        convs += !g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, "Conv") == 0;
        candidates += s.cand[i] = is_candidate(g->nodes[i], ctx->diag, &s.kp[i]);
    }
    join_regions(&s);
    regions = keep_paying_regions(&s, &kept_convs, &dropped);
    if (regions < 0) {
        rc = oom(ctx);
        goto done;
    }
    /* in the original order: each conv's readers come after it */
    for (int i = 0; i < nodes && rc == 0; i++)
        if (s.cand[i])
            rc = rewrite(&s, i, order[i], &reorders);
    if (rc == 0)
        dl_pass_log(ctx, "layout",
                    "%d convs in %d regions -> NCHW16c, %d reorders; %d regions (%d convs) stay NCHW: their "
                    "reorders would cost more than the blocked kernels save; %d other convs stay NCHW (neither "
                    "pointwise nor depthwise, under 16 channels, planes over 28x28, an input prologue)",
                    kept_convs, regions, reorders, dropped, candidates - kept_convs, convs - candidates);
done:
    dl_free(s.kp, kp_bytes);
    dl_free(s.cand, flag_bytes);
    dl_free(s.blocked, value_bytes);
    dl_free(order, order_bytes);
    return rc;
}
