/* 1x1-conv rewrites. They run after bn-fold (so the weights already hold
 * the folded BatchNormalizations) and before epilogue fusion (which then
 * fuses the Relu that merge-1x1 lifts in front of its Split).
 *
 *   merge-1x1       sibling 1x1 convs reading one tensor become one conv
 *                   with concatenated output channels and a Split along
 *                   the channel axis (a view at batch 1: no copy).
 *   fold-1x1-chain  1x1 conv -> 1x1 conv with nothing between: one conv,
 *                   W = W2*W1, b = W2*b1 + b2, computed in double.
 *   fuse-dw-pw      depthwise conv [-> Relu/Clip] -> 1x1 conv [-> Relu/Clip]:
 *                   one DepthwisePointwiseConv node (ir/ops/fused_conv.c)
 *                   whose kernel never writes the depthwise output out.
 *
 * Every rewrite keeps the node list topological by inserting new nodes
 * where the replaced ones stood. */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

#define MAX_SIBLINGS 32

/* --------------------------------------------------------------- helpers */

static bool is_op(const dl_node *n, const char *op_type)
{
    return n != NULL && !n->dead && n->op != NULL && strcmp(n->op_type, op_type) == 0;
}

static bool is_float_tensor(const dl_value *v)
{
    return v != NULL && v->dtype == DL_FLOAT && v->rank >= 0;
}

static dl_value *conv_bias(const dl_node *n)
{
    return n->n_inputs > 2 ? n->inputs[2] : NULL;
}

/* All of ints attribute `name` equal to `value` (true when absent). */
static bool ints_all(const dl_node *n, const char *name, int64_t value)
{
    const int64_t *v;
    int count = dl_attr_ints(n, name, &v);
    for (int i = 0; i < count; i++)
        if (v[i] != value)
            return false;
    return true;
}

/* Stride of spatial axis i (attribute absent: 1). */
static int64_t stride_of(const dl_node *n, int i)
{
    const int64_t *v;
    int count = dl_attr_ints(n, "strides", &v);
    return i < count ? v[i] : 1;
}

/* A float32 Conv with constant weights (and bias, if any), group 1, a 1x1
 * kernel and no padding; its output has the shape that implies. SAME_*
 * padding of a 1x1 window is always zero: ceil(in/s - 1)*s + 1 - in <= 0. */
static bool is_pointwise_conv(const dl_node *n)
{
    const dl_value *x, *w, *y;
    if (!is_op(n, "Conv") || n->n_outputs != 1 || n->n_inputs < 2)
        return false;
    x = n->inputs[0];
    w = n->inputs[1];
    y = n->outputs[0];
    if (!is_float_tensor(x) || x->rank < 3 || !is_float_tensor(y) || y->rank != x->rank || x->data ||
        w == NULL || w->data == NULL || w->dtype != DL_FLOAT || w->rank != x->rank)
        return false;
    if (conv_bias(n) != NULL && (conv_bias(n)->data == NULL || conv_bias(n)->dtype != DL_FLOAT))
        return false;
    if (dl_attr_int(n, "group", 1) != 1 || w->dims[1] != x->dims[1] || !ints_all(n, "pads", 0))
        return false;
    for (int i = 2; i < x->rank; i++) {
        int64_t s = stride_of(n, i - 2);
        if (w->dims[i] != 1 || s < 1 || y->dims[i] != (x->dims[i] - 1) / s + 1)
            return false;
    }
    return y->dims[0] == x->dims[0] && y->dims[1] == w->dims[0];
}

static bool unit_strides(const dl_node *n)
{
    return ints_all(n, "strides", 1);
}

static bool same_strides(const dl_node *a, const dl_node *b)
{
    for (int i = 0; i + 2 < a->inputs[0]->rank; i++)
        if (stride_of(a, i) != stride_of(b, i))
            return false;
    return true;
}

/* The only reader of v is one input slot of one node, and v is not a graph output. */
static dl_node *sole_user(const dl_value *v)
{
    return v != NULL && v->n_users == 1 && !v->is_output ? v->users[0] : NULL;
}


/* "a,b,c" from the non-empty parts, in the graph arena (NULL if none). */
static const char *join_fused(dl_graph *g, const char *const *parts, int n)
{
    size_t len = 1;
    char *s;
    for (int i = 0; i < n; i++)
        len += parts[i] ? strlen(parts[i]) + 1 : 0;
    s = dl_arena_alloc(&g->arena, len);
    if (s == NULL)
        return NULL;
    for (int i = 0; i < n; i++)
        if (parts[i] && parts[i][0]) {
            if (s[0])
                strcat(s, ",");
            strcat(s, parts[i]);
        }
    return s[0] ? s : NULL;
}

/* A new node of op op_type named after base, whose attributes are a copy
 * of src's (may be NULL) plus room for `extra` more. */
static dl_node *new_node(dl_graph *g, const dl_node *base, const char *suffix, const char *op_type,
                         int n_in, int n_out, const dl_node *src, int extra)
{
    char name[512];
    int n_src = src ? src->n_attrs : 0;
    dl_node *n;
    snprintf(name, sizeof name, "%s%s", base->name[0] ? base->name : base->op_type, suffix);
    n = dl_graph_add_node(g, name, op_type, n_in, n_out);
    if (n == NULL)
        return NULL;
    n->attrs = dl_arena_alloc(&g->arena, sizeof(dl_attr) * (size_t)(n_src + extra + 1));
    if (n->attrs == NULL)
        return NULL;
    if (n_src)
        memcpy(n->attrs, src->attrs, sizeof(dl_attr) * (size_t)n_src);
    n->n_attrs = n_src;
    n->op = dl_op_find(op_type);
    n->opset = base->opset;
    return n;
}

static dl_attr *add_attr(dl_node *n, const char *name, dl_attr_kind kind)
{
    dl_attr *a = &n->attrs[n->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->kind = kind;
    return a;
}

/* A fresh constant float tensor of the given shape (zeroed). */
static dl_value *new_const(dl_graph *g, const char *name, int rank, const int64_t *dims)
{
    dl_value *v = dl_graph_add_value(g, name, DL_FLOAT, rank, dims);
    return v != NULL && dl_value_alloc_data(g, v) != NULL ? v : NULL;
}

/* A fresh float value named after base, shaped later by infer. */
static dl_value *new_value(dl_graph *g, const dl_value *base, const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s%s", base->name, suffix);
    return dl_graph_add_value(g, name, DL_FLOAT, base->rank, base->dims);
}

static int setup_and_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    if (n->op->setup && n->op->setup(g, n, d) < 0)
        return -1;
    return n->op->infer(g, n, d);
}

static int oom(dl_pass_context *ctx)
{
    ctx->diag->out_of_memory = true;
    return dl_error(ctx->diag, NULL, "out of memory in a 1x1-conv pass");
}

/* ------------------------------------------------------------ merge-1x1 */

/* The merged weights (and bias, when any sibling has one), channels in
 * sibling order. */
static int merge_weights(dl_graph *g, dl_node *const *convs, int k, dl_value **w_out, dl_value **b_out)
{
    const dl_value *w0 = convs[0]->inputs[1];
    int64_t dims[DL_MAX_RANK], total = 0, per_out = dl_value_numel(w0) / w0->dims[0], at = 0;
    bool any_bias = false;
    for (int i = 0; i < k; i++) {
        total += convs[i]->inputs[1]->dims[0];
        any_bias = any_bias || conv_bias(convs[i]) != NULL;
    }
    memcpy(dims, w0->dims, sizeof dims);
    dims[0] = total;
    *w_out = new_const(g, NULL, w0->rank, dims);
    *b_out = any_bias ? new_const(g, NULL, 1, &total) : NULL;
    if (*w_out == NULL || (any_bias && *b_out == NULL))
        return -1;
    for (int i = 0; i < k; i++) {
        const dl_value *w = convs[i]->inputs[1], *b = conv_bias(convs[i]);
        memcpy((float *)(*w_out)->data + at * per_out, w->data, (size_t)dl_value_bytes(w));
        if (b != NULL)
            memcpy((float *)(*b_out)->data + at, b->data, (size_t)dl_value_bytes(b));
        at += w->dims[0];
    }
    return 0;
}

/* Every sibling's only reader is a Relu (which can then run once, on the
 * merged output, and fuse into the merged conv later). */
static bool all_feed_relu(dl_node *const *convs, int k)
{
    for (int i = 0; i < k; i++) {
        dl_node *u = sole_user(convs[i]->outputs[0]);
        if (!is_op(u, "Relu") || u->n_outputs != 1 || u->outputs[0] == NULL)
            return false;
    }
    return true;
}

/* The Split that hands each sibling's channels to its old readers. */
static dl_node *add_split(dl_graph *g, dl_node *host, dl_node *const *convs, int k)
{
    dl_node *s = new_node(g, host, "_split", "Split", 1, k, NULL, 2);
    dl_attr *axis, *split;
    if (s == NULL)
        return NULL;
    s->opset = 11; /* sizes as the `split` attribute (opsets 2..12) */
    axis = add_attr(s, "axis", DL_ATTR_INT);
    axis->i = 1;
    split = add_attr(s, "split", DL_ATTR_INTS);
    split->n = k;
    split->ints = dl_arena_alloc(&g->arena, sizeof(int64_t) * (size_t)k);
    if (split->ints == NULL)
        return NULL;
    for (int i = 0; i < k; i++)
        split->ints[i] = convs[i]->inputs[1]->dims[0];
    return s;
}

/* Replaces the k siblings (convs[0] has the lowest index) by one conv and
 * a Split; with `relu`, each sibling's Relu becomes one Relu before the Split. */
static int merge_group(dl_graph *g, dl_pass_context *ctx, dl_node *const *convs, int k, bool relu)
{
    dl_node *host = convs[0], *m, *r = NULL, *s;
    dl_value *w, *b, *mv, *rv = NULL;
    const char *parts[MAX_SIBLINGS];
    int at = host->id;
    if (merge_weights(g, convs, k, &w, &b) < 0)
        return oom(ctx);
    m = new_node(g, host, "_merged1x1", "Conv", 3, 1, host, 0);
    mv = new_value(g, host->outputs[0], "_merged1x1");
    if (m == NULL || mv == NULL || dl_node_set_input(g, m, 0, host->inputs[0]) ||
        dl_node_set_input(g, m, 1, w) || dl_node_set_input(g, m, 2, b))
        return oom(ctx);
    for (int i = 0; i < k; i++)
        parts[i] = "Conv";
    m->fused = join_fused(g, parts, k);
    dl_node_set_output(m, 0, mv);
    dl_graph_place_last_at(g, at);
    if (setup_and_infer(g, m, ctx->diag) < 0)
        return -1;
    if (relu) {
        dl_node *r0 = sole_user(host->outputs[0]);
        r = new_node(g, r0, "_merged1x1", "Relu", 1, 1, r0, 0);
        rv = new_value(g, mv, "_relu");
        if (r == NULL || rv == NULL || dl_node_set_input(g, r, 0, mv))
            return oom(ctx);
        dl_node_set_output(r, 0, rv);
        dl_graph_place_last_at(g, ++at);
        if (setup_and_infer(g, r, ctx->diag) < 0)
            return -1;
    }
    s = add_split(g, host, convs, k);
    if (s == NULL || dl_node_set_input(g, s, 0, relu ? rv : mv))
        return oom(ctx);
    dl_graph_place_last_at(g, ++at);
    for (int i = 0; i < k; i++) {
        dl_value *out = convs[i]->outputs[0];
        if (relu) {
            dl_node *old_relu = out->users[0];
            out = old_relu->outputs[0];
            dl_node_remove(g, old_relu);
        }
        dl_node_remove(g, convs[i]);
        dl_node_set_output(s, i, out);
    }
    return setup_and_infer(g, s, ctx->diag);
}

/* The pointwise convs reading v, grouped by stride: each group is merged. */
static int merge_readers(dl_graph *g, dl_pass_context *ctx, dl_value *v, int *groups, int *convs)
{
    dl_node *cand[MAX_SIBLINGS], *grp[MAX_SIBLINGS];
    int n = 0;
    for (int u = 0; u < v->n_users && n < MAX_SIBLINGS; u++) {
        dl_node *c = v->users[u];
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen = seen || cand[i] == c;
        if (!seen && c->inputs[0] == v && is_pointwise_conv(c))
            cand[n++] = c;
    }
    for (int i = 0; i < n; i++) {
        int k = 0;
        dl_node *first = cand[i];
        if (first == NULL)
            continue;
        for (int j = i; j < n; j++)
            if (cand[j] != NULL && same_strides(first, cand[j])) {
                grp[k++] = cand[j];
                cand[j] = NULL;
            }
        if (k < 2)
            continue;
        /* The host is the first sibling in the node order. */
        for (int j = 1; j < k; j++)
            if (grp[j]->id < grp[0]->id) {
                dl_node *t = grp[0];
                grp[0] = grp[j];
                grp[j] = t;
            }
        if (merge_group(g, ctx, grp, k, all_feed_relu(grp, k)) < 0)
            return -1;
        (*groups)++;
        *convs += k;
    }
    return 0;
}

int dl_merge_1x1(dl_graph *g, dl_pass_context *ctx)
{
    int groups = 0, convs = 0, n_values = g->n_values;
    for (int i = 0; i < n_values; i++) {
        dl_value *v = g->values[i];
        if (v->n_users >= 2 && v->data == NULL && merge_readers(g, ctx, v, &groups, &convs) < 0)
            return -1;
    }
    dl_pass_log(ctx, "merge-1x1", "%d groups, %d convs merged", groups, convs);
    return 0;
}

/* ------------------------------------------------------- fold-1x1-chain */

/* W = W2*W1 (c2 x c0) and b = W2*b1 + b2, in double. */
static int fold_weights(dl_graph *g, const dl_node *c1, const dl_node *c2, dl_value **w_out,
                        dl_value **b_out)
{
    const dl_value *w1 = c1->inputs[1], *w2 = c2->inputs[1], *b1 = conv_bias(c1), *b2 = conv_bias(c2);
    const float *a1 = w1->data, *a2 = w2->data;
    int64_t n0 = w1->dims[1], n1 = w1->dims[0], n2 = w2->dims[0], dims[DL_MAX_RANK];
    float *w, *b;
    memcpy(dims, w1->dims, sizeof dims);
    dims[0] = n2;
    *w_out = new_const(g, NULL, w1->rank, dims);
    *b_out = b1 || b2 ? new_const(g, NULL, 1, &n2) : NULL;
    if (*w_out == NULL || ((b1 || b2) && *b_out == NULL))
        return -1;
    w = (*w_out)->data;
    b = *b_out ? (*b_out)->data : NULL;
    for (int64_t o = 0; o < n2; o++) {
        double bias = b2 ? ((const float *)b2->data)[o] : 0.0;
        for (int64_t i = 0; i < n0; i++) {
            double sum = 0.0;
            for (int64_t m = 0; m < n1; m++)
                sum += (double)a2[o * n1 + m] * a1[m * n0 + i];
            w[o * n0 + i] = (float)sum;
        }
        for (int64_t m = 0; b1 && m < n1; m++)
            bias += (double)a2[o * n1 + m] * ((const float *)b1->data)[m];
        if (b)
            b[o] = (float)bias;
    }
    return 0;
}

/* c2 reads only c1's output (which nothing else reads): one conv. Folding
 * pays only when c2*c0 multiply-adds per pixel are no more than the
 * c1*c0 + c2*c1 of the pair (a bottleneck c1 makes the product larger). */
static int fold_pair(dl_graph *g, dl_pass_context *ctx, dl_node *c1, dl_node *c2, int *folded,
                     int *skipped)
{
    int64_t n0 = c1->inputs[1]->dims[1], n1 = c1->inputs[1]->dims[0], n2 = c2->inputs[1]->dims[0];
    const char *parts[3] = {c1->fused, "Conv", c2->fused};
    dl_value *w, *b, *out = c2->outputs[0];
    dl_node *f;
    if (n2 * n0 > n1 * (n0 + n2)) {
        (*skipped)++;
        return 0;
    }
    if (fold_weights(g, c1, c2, &w, &b) < 0)
        return oom(ctx);
    f = new_node(g, c2, "_folded1x1", "Conv", 3, 1, c1, 0);
    if (f == NULL || dl_node_set_input(g, f, 0, c1->inputs[0]) || dl_node_set_input(g, f, 1, w) ||
        dl_node_set_input(g, f, 2, b))
        return oom(ctx);
    f->fused = join_fused(g, parts, 3);
    dl_graph_place_last_at(g, c2->id);
    dl_node_remove(g, c1);
    dl_node_remove(g, c2);
    dl_node_set_output(f, 0, out);
    (*folded)++;
    return setup_and_infer(g, f, ctx->diag);
}

int dl_fold_1x1_chain(dl_graph *g, dl_pass_context *ctx)
{
    int folded = 0, skipped = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *c2 = g->nodes[i], *c1;
        if (!is_pointwise_conv(c2) || !unit_strides(c2))
            continue;
        c1 = c2->inputs[0]->producer;
        if (!is_pointwise_conv(c1) || sole_user(c1->outputs[0]) != c2)
            continue;
        if (fold_pair(g, ctx, c1, c2, &folded, &skipped) < 0)
            return -1;
    }
    dl_pass_log(ctx, "fold-1x1-chain", "%d pairs of 1x1 convs folded into one, %d left (folding would cost more)",
                folded, skipped);
    return 0;
}

/* ----------------------------------------------------------- fuse-dw-pw */

/* A Relu or a Clip with constant bounds: its kind (1 Relu, 2 Clip) and
 * bounds, or 0 when n is neither. */
static int activation_of(const dl_node *n, float *lo, float *hi)
{
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (n == NULL || n->n_outputs != 1 || n->outputs[0] == NULL || !is_float_tensor(n->inputs[0]))
        return 0;
    if (is_op(n, "Relu"))
        return 1;
    if (!is_op(n, "Clip"))
        return 0;
    if (n->opset < 11) {
        *lo = dl_attr_float(n, "min", -FLT_MAX);
        *hi = dl_attr_float(n, "max", FLT_MAX);
        return 2;
    }
    for (int i = 1; i < 3 && i < n->n_inputs; i++) {
        const dl_value *v = n->inputs[i];
        if (v == NULL)
            continue;
        if (v->data == NULL || v->dtype != DL_FLOAT || dl_value_numel(v) != 1)
            return 0;
        *(i == 1 ? lo : hi) = *(const float *)v->data;
    }
    return 2;
}

/* A 2-D float32 depthwise Conv (group == input channels == output
 * channels) with constant weights and bias. */
static bool is_depthwise_conv(const dl_node *n)
{
    const dl_value *x, *w;
    if (!is_op(n, "Conv") || n->n_outputs != 1 || n->n_inputs < 2)
        return false;
    x = n->inputs[0];
    w = n->inputs[1];
    if (!is_float_tensor(x) || x->rank != 4 || x->data || w == NULL || w->data == NULL ||
        w->dtype != DL_FLOAT || w->rank != 4 || !is_float_tensor(n->outputs[0]))
        return false;
    if (conv_bias(n) != NULL && (conv_bias(n)->data == NULL || conv_bias(n)->dtype != DL_FLOAT))
        return false;
    return dl_attr_int(n, "group", 1) == x->dims[1] && w->dims[0] == x->dims[1] && w->dims[1] == 1;
}

typedef struct dwpw_match {
    dl_node *dw, *act1, *pw, *act2;
    int kind1, kind2;
    float lo1, hi1, lo2, hi2;
} dwpw_match;

/* pw (a stride-1 1x1 conv) and what may come before and after it. */
static bool match_dwpw(dl_node *pw, dwpw_match *m)
{
    dl_value *t;
    dl_node *p;
    memset(m, 0, sizeof *m);
    if (!is_pointwise_conv(pw) || !unit_strides(pw) || pw->inputs[0]->rank != 4)
        return false;
    m->pw = pw;
    t = pw->inputs[0];
    if (sole_user(t) != pw || (p = t->producer) == NULL)
        return false;
    m->kind1 = activation_of(p, &m->lo1, &m->hi1);
    if (m->kind1 != 0) {
        m->act1 = p;
        if (sole_user(p->inputs[0]) != p)
            return false;
        p = p->inputs[0]->producer;
    }
    if (!is_depthwise_conv(p))
        return false;
    m->dw = p;
    m->kind2 = activation_of(sole_user(pw->outputs[0]), &m->lo2, &m->hi2);
    if (m->kind2 != 0)
        m->act2 = sole_user(pw->outputs[0]);
    return true;
}

static void add_act_attrs(dl_node *n, const char *kind_name, int kind, const char *lo_name, float lo,
                          const char *hi_name, float hi)
{
    add_attr(n, kind_name, DL_ATTR_INT)->i = kind;
    add_attr(n, lo_name, DL_ATTR_FLOAT)->f = lo;
    add_attr(n, hi_name, DL_ATTR_FLOAT)->f = hi;
}

static int fuse_dwpw(dl_graph *g, dl_pass_context *ctx, const dwpw_match *m)
{
    const char *parts[4] = {"Conv", m->act1 ? m->act1->op_type : NULL, "Conv", m->act2 ? m->act2->op_type : NULL};
    dl_node *last = m->act2 ? m->act2 : m->pw;
    dl_value *out = last->outputs[0];
    dl_node *f = new_node(g, m->pw, "_dwpw", "DepthwisePointwiseConv", 5, 1, m->dw, 6);
    if (f == NULL || dl_node_set_input(g, f, 0, m->dw->inputs[0]) ||
        dl_node_set_input(g, f, 1, m->dw->inputs[1]) || dl_node_set_input(g, f, 2, conv_bias(m->dw)) ||
        dl_node_set_input(g, f, 3, m->pw->inputs[1]) || dl_node_set_input(g, f, 4, conv_bias(m->pw)))
        return oom(ctx);
    add_act_attrs(f, "act1", m->kind1, "lo1", m->lo1, "hi1", m->hi1);
    add_act_attrs(f, "act2", m->kind2, "lo2", m->lo2, "hi2", m->hi2);
    f->fused = join_fused(g, parts, 4);
    dl_graph_place_last_at(g, last->id);
    dl_node_remove(g, m->dw);
    if (m->act1)
        dl_node_remove(g, m->act1);
    dl_node_remove(g, m->pw);
    if (m->act2)
        dl_node_remove(g, m->act2);
    dl_node_set_output(f, 0, out);
    return setup_and_infer(g, f, ctx->diag);
}

int dl_fuse_dw_pw(dl_graph *g, dl_pass_context *ctx)
{
    int fused = 0, between = 0, after = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dwpw_match m;
        if (!match_dwpw(g->nodes[i], &m))
            continue;
        if (fuse_dwpw(g, ctx, &m) < 0)
            return -1;
        fused++;
        between += m.act1 != NULL;
        after += m.act2 != NULL;
    }
    dl_pass_log(ctx, "fuse-dw-pw", "%d depthwise+pointwise conv pairs fused (%d with an activation between, "
                "%d with one after)", fused, between, after);
    return 0;
}
