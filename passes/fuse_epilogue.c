/* fuse-epilogue (-O2): a Conv, Gemm, float32 MatMul or BatchNormalization
 * absorbs the chain of element-wise nodes after it, so their work runs on
 * each output block while it is in cache instead of as extra passes over
 * memory:
 *
 *   [residual Add/Sum with a same-shape tensor]  then  [one activation]
 *   [one activation]  then  [residual Add/Sum]
 *
 * Activations: Relu, Clip (constant bounds), LeakyRelu, Sigmoid,
 * HardSigmoid, HardSwish, Tanh, Gelu and Swish nodes, the SiLU pattern
 * x * Sigmoid(x), and the Erf GELU pattern x * 0.5 * (1 + Erf(x / sqrt 2))
 * in the association orders exporters write. Every intermediate value must
 * have the chain as its only consumer and not be a graph output.
 *
 * The node keeps its op_type; its params get the epilogue (ir/ops/epilogue.h),
 * the residual becomes its extra last input, its output becomes the chain's
 * last value (names and graph outputs stay), the absorbed nodes are removed,
 * and `fused` lists their op types ("Add,Relu"). The graph is re-sorted,
 * since the residual's producer may have come after the node.
 *
 * fuse-shuffle (-O2), after it: a grouped Conv (not depthwise) of G groups
 * followed by ShuffleNet's channel shuffle, Reshape to [N, G, C/G, ...] ->
 * Transpose of axes 1 and 2 -> Reshape back, stores its output shuffled
 * (dl_conv_shuffle) and the three nodes go: each group's rows of the packed
 * product land G channels apart, so the copy the Transpose made (16 of
 * them in ShuffleNet v1) costs nothing. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "kernels/conv.h"
#include "kernels/conv_mean.h"
#include "kernels/conv_pool.h"
#include "kernels/conv_tiles.h"
#include "passes/passes.h"

#define FE_MAX_ABSORBED 8

/* A matched chain: what the node absorbs. */
typedef struct fe_chain {
    dl_node *absorbed[FE_MAX_ABSORBED];
    int n_absorbed;
    dl_value *out;          /* the chain's last value */
    dl_value *residual;     /* NULL: none */
    dlk_epilogue ep;
} fe_chain;

typedef struct fe_counts {
    int nodes, residuals, acts;
} fe_counts;

/* ------------------------------------------------------------- matching */

static bool is_op(const dl_node *n, const char *op)
{
    return n != NULL && !n->dead && strcmp(n->op_type, op) == 0;
}

/* The only consumer of v, or NULL (several, none, or a graph output). */
static dl_node *sole_user(const dl_value *v)
{
    if (v == NULL || v->is_output || v->n_users != 1)
        return NULL;
    return v->users[0]->dead ? NULL : v->users[0];
}

static bool same_shape(const dl_value *a, const dl_value *b)
{
    if (a == NULL || b == NULL || a->dtype != b->dtype || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

/* v is a one-element float32 constant; its value in *out. */
static bool const_scalar(const dl_value *v, float *out)
{
    if (v == NULL || v->data == NULL || v->dtype != DL_FLOAT || dl_value_numel(v) != 1)
        return false;
    *out = *(const float *)v->data;
    return true;
}

static bool const_near(const dl_value *v, double want)
{
    float f;
    return const_scalar(v, &f) && fabs((double)f - want) <= 1e-5 * fabs(want);
}

/* The input of binary node n that is not v (NULL unless n reads v once). */
static dl_value *other_input(const dl_node *n, const dl_value *v)
{
    if (n->n_inputs != 2 || n->outputs[0] == NULL)
        return NULL;
    if (n->inputs[0] == v && n->inputs[1] != v)
        return n->inputs[1];
    if (n->inputs[1] == v && n->inputs[0] != v)
        return n->inputs[0];
    return NULL;
}

static bool absorb(fe_chain *c, dl_node *n)
{
    if (c->n_absorbed >= FE_MAX_ABSORBED)
        return false;
    c->absorbed[c->n_absorbed++] = n;
    c->out = n->outputs[0];
    return true;
}

/* v -> Add(v, r) or Sum(v, r), r of v's shape and type. */
static bool match_residual(fe_chain *c, dl_value *v)
{
    dl_node *u = sole_user(v);
    dl_value *r;
    if (!is_op(u, "Add") && !is_op(u, "Sum"))
        return false;
    r = other_input(u, v);
    if (r == NULL || !same_shape(r, v) || !same_shape(u->outputs[0], v))
        return false;
    if (!absorb(c, u))
        return false;
    c->residual = r;
    return true;
}

/* Clip's bounds: attributes before opset 11, constant inputs after. */
static bool clip_bounds(const dl_node *u, float *lo, float *hi)
{
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (u->opset < 11) {
        *lo = dl_attr_float(u, "min", -FLT_MAX);
        *hi = dl_attr_float(u, "max", FLT_MAX);
        return true;
    }
    if (u->n_inputs > 1 && u->inputs[1] != NULL && !const_scalar(u->inputs[1], lo))
        return false;
    if (u->n_inputs > 2 && u->inputs[2] != NULL && !const_scalar(u->inputs[2], hi))
        return false;
    return true;
}

/* A one-node activation of v; fills e. */
static bool unary_act(const dl_node *u, dlk_epilogue *e)
{
    const char *op = u->op_type;
    if (strcmp(op, "Clip") != 0 && u->n_inputs != 1)
        return false;
    if (strcmp(op, "Relu") == 0) {
        e->act = DLK_ACT_RELU;
    } else if (strcmp(op, "Clip") == 0) {
        e->act = DLK_ACT_CLIP;
        return clip_bounds(u, &e->alpha, &e->beta);
    } else if (strcmp(op, "LeakyRelu") == 0) {
        e->act = DLK_ACT_LEAKY;
        e->alpha = dl_attr_float(u, "alpha", 0.01f);
    } else if (strcmp(op, "Sigmoid") == 0) {
        e->act = DLK_ACT_SIGMOID;
    } else if (strcmp(op, "HardSigmoid") == 0) {
        e->act = DLK_ACT_HARD_SIGMOID;
        e->alpha = dl_attr_float(u, "alpha", 0.2f);
        e->beta = dl_attr_float(u, "beta", 0.5f);
    } else if (strcmp(op, "HardSwish") == 0) {
        e->act = DLK_ACT_HARD_SWISH;
    } else if (strcmp(op, "Tanh") == 0) {
        e->act = DLK_ACT_TANH;
    } else if (strcmp(op, "Swish") == 0) {
        e->act = DLK_ACT_SILU;
        e->alpha = dl_attr_float(u, "alpha", 1.0f);
    } else if (strcmp(op, "Gelu") == 0) {
        const char *approx = dl_attr_string(u, "approximate", "none");
        if (strcmp(approx, "none") != 0 && strcmp(approx, "tanh") != 0)
            return false;
        e->act = strcmp(approx, "tanh") == 0 ? DLK_ACT_GELU_TANH : DLK_ACT_GELU;
    } else {
        return false;
    }
    return true;
}

/* v's two consumers (in *a, *b), when it has exactly two distinct ones and
 * is not a graph output. */
static bool two_users(const dl_value *v, dl_node **a, dl_node **b)
{
    if (v->is_output || v->n_users != 2 || v->users[0] == v->users[1])
        return false;
    *a = v->users[0];
    *b = v->users[1];
    return !(*a)->dead && !(*b)->dead;
}

/* x * Sigmoid(x): x feeds a Sigmoid and the Mul that reads its result. */
static bool match_silu(fe_chain *c, dl_value *v)
{
    dl_node *s, *m;
    if (!two_users(v, &s, &m))
        return false;
    if (!is_op(s, "Sigmoid")) {
        dl_node *t = s;
        s = m;
        m = t;
    }
    if (!is_op(s, "Sigmoid") || s->n_inputs != 1 || !is_op(m, "Mul") || sole_user(s->outputs[0]) != m ||
        other_input(m, v) != s->outputs[0])
        return false;
    c->ep.act = DLK_ACT_SILU;
    c->ep.alpha = 1.0f;
    return absorb(c, s) && absorb(c, m);
}

/* Div(x, sqrt 2) or Mul(x, 1/sqrt 2) -> Erf -> Add(1): the value 1 + erf(x/sqrt 2),
 * its three nodes in nodes[]. */
static dl_value *gelu_erf_part(dl_node *d, const dl_value *x, dl_node **nodes)
{
    dl_node *e, *p;
    dl_value *k = other_input(d, x);
    if (k == NULL || (is_op(d, "Div") && d->inputs[0] != x))
        return NULL;
    if (!(is_op(d, "Div") && const_near(k, 1.4142135623730951)) &&
        !(is_op(d, "Mul") && const_near(k, 0.7071067811865476)))
        return NULL;
    e = sole_user(d->outputs[0]);
    if (!is_op(e, "Erf") || e->n_inputs != 1)
        return NULL;
    p = sole_user(e->outputs[0]);
    if (!is_op(p, "Add") || !const_near(other_input(p, e->outputs[0]), 1.0))
        return NULL;
    nodes[0] = d;
    nodes[1] = e;
    nodes[2] = p;
    return p->outputs[0];
}

/* The two Muls of x * e1 * 0.5 in any association, m reading x: the last
 * Mul, or NULL; *second is the other Mul. */
static dl_node *gelu_product(dl_node *m, const dl_value *x, const dl_value *e1, dl_node **second)
{
    dl_value *k = other_input(m, x);
    dl_node *f;
    if (!is_op(m, "Mul") || k == NULL)
        return NULL;
    if (k == e1) {                                  /* (x * e1) * 0.5 */
        f = sole_user(m->outputs[0]);
        if (sole_user(e1) == m && is_op(f, "Mul") && const_near(other_input(f, m->outputs[0]), 0.5))
            return *second = f, f;
        return NULL;
    }
    if (const_near(k, 0.5)) {                       /* (x * 0.5) * e1 */
        f = sole_user(m->outputs[0]);
        if (is_op(f, "Mul") && sole_user(e1) == f && other_input(f, m->outputs[0]) == e1)
            return *second = f, f;
        return NULL;
    }
    f = k->producer;                                /* x * (e1 * 0.5) */
    if (is_op(f, "Mul") && sole_user(k) == m && sole_user(e1) == f &&
        const_near(other_input(f, e1), 0.5))
        return *second = f, m;
    return NULL;
}

/* The Erf form of GELU on v. */
static bool match_gelu(fe_chain *c, dl_value *v)
{
    dl_node *a, *b, *erf_part[3], *second = NULL, *last;
    dl_value *e1;
    if (!two_users(v, &a, &b))
        return false;
    e1 = gelu_erf_part(a, v, erf_part);
    if (e1 == NULL) {
        dl_node *t = a;
        a = b;
        b = t;
        e1 = gelu_erf_part(a, v, erf_part);
    }
    if (e1 == NULL || (last = gelu_product(b, v, e1, &second)) == NULL)
        return false;
    c->ep.act = DLK_ACT_GELU;
    for (int i = 0; i < 3; i++)
        if (!absorb(c, erf_part[i]))
            return false;
    /* x * (e1 * 0.5) ends at b, after its inner Mul; the other forms end at second. */
    if (last == b)
        return absorb(c, second) && absorb(c, b);
    return absorb(c, b) && absorb(c, second);
}

/* One activation on v, by a single node or a known pattern. Each attempt
 * works on a copy, so a partial match leaves c as it was. */
static bool match_act(fe_chain *c, dl_value *v)
{
    dl_node *u = sole_user(v);
    fe_chain t = *c;
    if (u != NULL && u->n_outputs >= 1 && same_shape(u->outputs[0], v) && unary_act(u, &t.ep) &&
        absorb(&t, u))
        return *c = t, true;
    t = *c;
    if (match_silu(&t, v))
        return *c = t, true;
    t = *c;
    if (match_gelu(&t, v))
        return *c = t, true;
    return false;
}

/* The chain after a node's output y; false when there is nothing to fuse. */
static bool match_chain(fe_chain *c, dl_value *y)
{
    memset(c, 0, sizeof *c);
    c->out = y;
    if (match_residual(c, y)) {
        c->ep.residual = DLK_RES_BEFORE_ACT;
        match_act(c, c->out);
        return true;
    }
    if (!match_act(c, y))
        return false;
    if (match_residual(c, c->out))
        c->ep.residual = DLK_RES_AFTER_ACT;
    return true;
}

/* -------------------------------------------------------------- rewrite */

/* Widen n's input list to count slots; the new ones are NULL. */
static int grow_inputs(dl_graph *g, dl_node *n, int count)
{
    dl_value **p;
    if (n->n_inputs >= count)
        return 0;
    p = dl_arena_alloc(&g->arena, sizeof(dl_value *) * (size_t)(count + 1));
    if (p == NULL)
        return -1;
    memcpy(p, n->inputs, sizeof(dl_value *) * (size_t)n->n_inputs);
    n->inputs = p;
    n->n_inputs = count;
    return 0;
}

/* n->fused + the absorbed op types, comma separated. */
static int record_fused(dl_graph *g, dl_node *n, const fe_chain *c)
{
    char buf[512];
    size_t len = 0;
    buf[0] = 0;
    if (n->fused != NULL)
        len = (size_t)snprintf(buf, sizeof buf, "%s", n->fused);
    for (int i = 0; i < c->n_absorbed && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "," : "", c->absorbed[i]->op_type);
    n->fused = dl_arena_strdup(&g->arena, buf);
    return n->fused != NULL ? 0 : -1;
}

static int apply_chain(dl_graph *g, dl_node *n, dlk_epilogue *ep, const fe_chain *c)
{
    dl_value *y = n->outputs[0];
    if (c->residual != NULL) {
        int slot = dl_epilogue_residual_slot(n);
        if (grow_inputs(g, n, slot + 1) || dl_node_set_input(g, n, slot, c->residual))
            return -1;
    }
    if (record_fused(g, n, c))
        return -1;
    *ep = c->ep;
    for (int i = 0; i < c->n_absorbed; i++)
        dl_node_remove(g, c->absorbed[i]);
    y->producer = NULL;
    dl_node_set_output(n, 0, c->out);
    return 0;
}

/* n can take an epilogue and has none yet. */
static dlk_epilogue *free_epilogue(dl_node *n)
{
    dlk_epilogue *ep = dl_node_epilogue(n);
    if (ep == NULL || ep->act != DLK_ACT_NONE || ep->residual != DLK_RES_NONE)
        return NULL;
    if (n->n_outputs != 1 || n->outputs[0] == NULL || n->outputs[0]->dtype != DL_FLOAT ||
        n->outputs[0]->data != NULL || n->n_inputs > dl_epilogue_residual_slot(n))
        return NULL;
    return ep;
}

/* Drop removed nodes from the list (as dce does): the sort counts the
 * inputs a dead node still names and would see it as never ready. */
static void compact_nodes(dl_graph *g)
{
    int at = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead) {
            g->nodes[at] = g->nodes[i];
            g->nodes[at]->id = at;
            at++;
        }
    g->n_nodes = at;
}

/* ---------------------------------------------------------- fuse-shuffle */

static int64_t product(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

/* v (N x C x spatial) -> Reshape to [N, G, C/G, rest] with rest the
 * spatial size -> Transpose perm [0, 2, 1, 3, ...] -> Reshape to v's
 * shape: the chain into c. */
static bool match_shuffle(fe_chain *c, dl_value *v, int64_t groups)
{
    dl_node *r1 = sole_user(v), *tr, *r2;
    const int64_t *perm;
    int n_perm;
    c->n_absorbed = 0;
    c->residual = NULL;
    if (!is_op(r1, "Reshape") || r1->inputs[0] != v || v->rank < 3)
        return false;
    const dl_value *s = r1->outputs[0];
    if (s->rank < 4 || s->dims[0] != v->dims[0] || s->dims[1] != groups || s->dims[2] * groups != v->dims[1] ||
        product(s->dims, 3, s->rank) != product(v->dims, 2, v->rank))
        return false;
    tr = sole_user(r1->outputs[0]);
    if (!is_op(tr, "Transpose") || (n_perm = dl_attr_ints(tr, "perm", &perm)) != s->rank)
        return false;
    for (int i = 0; i < n_perm; i++)
        if (perm[i] != (i == 1 ? 2 : i == 2 ? 1 : i))
            return false;
    r2 = sole_user(tr->outputs[0]);
    if (!is_op(r2, "Reshape") || r2->inputs[0] != tr->outputs[0] || !same_shape(r2->outputs[0], v))
        return false;
    return absorb(c, r1) && absorb(c, tr) && absorb(c, r2);
}

int dl_fuse_shuffle(dl_graph *g, dl_pass_context *ctx)
{
    int fused = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        int64_t *shuffle = is_op(n, "Conv") ? dl_conv_shuffle(n) : NULL;
        dl_value *y = n->outputs[0];
        dlk_conv_params kp;
        fe_chain c;
        if (shuffle == NULL || *shuffle || y == NULL || y->data != NULL || y->dtype != DL_FLOAT || y->rank < 3)
            continue;
        if (dl_conv_params(ctx->diag, n, &kp) < 0)
            return -1;
        if (!dl_conv_shuffle_fits(&kp) || !match_shuffle(&c, y, kp.group))
            continue;
        if (record_fused(g, n, &c))
            return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory");
        for (int k = 0; k < c.n_absorbed; k++)
            dl_node_remove(g, c.absorbed[k]);
        y->producer = NULL;
        dl_node_set_output(n, 0, c.out);
        *shuffle = 1;
        fused++;
    }
    if (fused > 0)
        compact_nodes(g);
    dl_pass_log(ctx, "fuse-shuffle", "%d channel shuffles (Reshape -> Transpose -> Reshape) stored by the grouped Conv "
                "before them", fused);
    return 0;
}

/* ------------------------------------------------------------- fuse-mean */

/* On AVX-512 targets, a pointwise conv whose output only the pool reads
 * (SqueezeNet's 512 -> 1000 classifier on 13x13) gives the pool's output
 * itself (dlk_conv_mean_f32: its channels along the vectors, no ragged
 * panel of pixels, the conv's output never written), its weights reordered
 * by blocks of 16 output channels. Not the convs the layout pass's blocked
 * kernel takes (channels in whole blocks, planes up to 14x14): in
 * MobileNetV2 and EfficientNet-B0 their 320 -> 1280 on 7x7 ran 0.187 ms
 * blocked (and 0.006 the pool), 0.190 here; SqueezeNet 2.84-2.89 ->
 * 2.81-2.84 ms at one thread. */
static bool mean_only_candidate(const dl_pass_context *ctx, dl_node *n, const dl_node *pool,
                                const dlk_conv_params *kp)
{
    const dl_value *w = n->inputs[1];
    const bool blocked = kp->c_in % 16 == 0 && kp->c_out % 16 == 0 && kp->in[0] * kp->in[1] <= 14 * 14;
    return ctx->vector_bits == 512 && !blocked && sole_user(n->outputs[0]) == pool && w != NULL && w->data != NULL &&
           w->dtype == DL_FLOAT && w->rank == 4 && n->n_inputs <= 3 && dl_conv_mean_only(n) != NULL &&
           *dl_conv_prologue(n) == DL_CONV_PROLOGUE_NONE && *dl_conv_tiles(n) == 0 && dl_conv_pool(n)->rank == 0 &&
           dlk_conv_mean_fits(kp);
}

static int mean_only_rewrite(dl_graph *g, dl_pass_context *ctx, dl_node *n, dl_node *pool, const dlk_conv_params *kp)
{
    const dl_value *w = n->inputs[1];
    dl_value *wt, *mean = pool->outputs[0];
    char name[512];
    fe_chain c;
    snprintf(name, sizeof name, "%s_by16", w->name ? w->name : "W");
    wt = dl_graph_add_value(g, name, DL_FLOAT, 4, w->dims);
    c.n_absorbed = 0;
    if (wt == NULL || dl_value_alloc_data(g, wt) == NULL || dl_node_set_input(g, n, 1, wt) || !absorb(&c, pool) ||
        record_fused(g, n, &c))
        return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory in pass 'fuse-mean'");
    dlk_conv_tiles_weights_f32(kp->c_out, kp->c_in, w->data, wt->data);
    dl_node_remove(g, pool);
    n->outputs[0]->producer = NULL;
    dl_node_set_output(n, 0, mean);
    *dl_conv_mean_only(n) = 1;
    return n->op->infer(g, n, ctx->diag);
}

/* A GlobalAveragePool of a depthwise conv's output (squeeze-excitation:
 * EfficientNet, MobileNetV3) becomes the conv's second output: the kernel
 * takes each plane's mean while the plane is in cache (dlk_depthwise_mean_f32),
 * where the pool read the whole tensor back (EfficientNet-B0: 17 pools,
 * 0.2 ms of 10 at one thread). The conv's output keeps its other readers.
 * A pointwise conv's, see mean_only_candidate. */
int dl_fuse_mean(dl_graph *g, dl_pass_context *ctx)
{
    int fused = 0, pointwise = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *pool = g->nodes[i], *n;
        dl_value *y, *mean;
        dlk_conv_params kp;
        fe_chain c;
        if (!is_op(pool, "GlobalAveragePool") || pool->n_inputs != 1 || pool->n_outputs != 1)
            continue;
        y = pool->inputs[0];
        mean = pool->outputs[0];
        n = y != NULL ? y->producer : NULL;
        if (!is_op(n, "Conv") || n->n_outputs != 1 || y->data != NULL || y->dtype != DL_FLOAT || y->rank != 4 ||
            mean == NULL || mean->dtype != DL_FLOAT)
            continue;
        if (dl_conv_params(ctx->diag, n, &kp) < 0)
            return -1;
        if (!dl_conv_mean_fits(&kp) || mean->is_output) {
            if (mean_only_candidate(ctx, n, pool, &kp)) {
                if (mean_only_rewrite(g, ctx, n, pool, &kp) < 0)
                    return -1;
                pointwise++;
            }
            continue;
        }
        c.n_absorbed = 0;
        if (!dl_node_add_output_slot(g, n) || !absorb(&c, pool) || record_fused(g, n, &c))
            return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory");
        dl_node_remove(g, pool);
        dl_node_set_output(n, 1, mean);
        if (n->op->infer(g, n, ctx->diag) < 0)
            return -1;
        fused++;
    }
    if (fused + pointwise > 0)
        compact_nodes(g);
    dl_pass_log(ctx, "fuse-mean",
                "%d GlobalAveragePools of a depthwise conv's output taken by the conv, %d of a pointwise conv's "
                "(its channels' means its only output)", fused, pointwise);
    return 0;
}

/* ------------------------------------------------------------- fuse-pool */

/* A 2-D MaxPool whose input is the output of a stem conv that the channel
 * tiles run (dlk_conv_maxpool_fits: ResNet, Inception v1, DenseNet,
 * SqueezeNet) is taken by the conv: dlk_conv_maxpool_f32 pools a few conv
 * rows at a time, blocked by channels, while they are in cache, and
 * transposes only the pool's output to the channel planes. The conv's
 * output (its only reader the pool) goes; the conv gets the pool's output
 * and a scratch tensor of the old output's size. Where the generated code
 * is built without AVX-512 the kernel runs the conv into the scratch and
 * then the pool: what the two nodes did. */
int dl_fuse_pool(dl_graph *g, dl_pass_context *ctx)
{
    int fused = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *pool = g->nodes[i], *n;
        dl_value *y, *pooled, *scratch;
        dlk_pool_params *slot, q;
        dlk_conv_params kp;
        fe_chain c;
        if (!is_op(pool, "MaxPool") || pool->n_inputs != 1 || !dl_maxpool_plain(pool))
            continue;
        y = pool->inputs[0];
        pooled = pool->outputs[0];
        n = y != NULL ? y->producer : NULL;
        if (!is_op(n, "Conv") || n->n_outputs != 1 || n->n_inputs > 3 || sole_user(y) != pool || y->data != NULL ||
            y->dtype != DL_FLOAT || y->rank != 4 || pooled == NULL || pooled->dtype != DL_FLOAT)
            continue;
        slot = dl_conv_pool(n);
        if (slot == NULL || *dl_conv_prologue(n) != DL_CONV_PROLOGUE_NONE || *dl_conv_shuffle(n))
            continue;
        if (dl_conv_params(ctx->diag, n, &kp) < 0 || dl_maxpool_params(ctx->diag, pool, &q) < 0)
            return -1;
        if (!dlk_conv_maxpool_fits(&kp, &q))
            continue;
        scratch = dl_scratch_value(g, y, "pool_scratch");
        c.n_absorbed = 0;
        if (scratch == NULL || !dl_node_add_output_slot(g, n) || !absorb(&c, pool) || record_fused(g, n, &c))
            return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory");
        dl_node_remove(g, pool);
        y->producer = NULL;
        dl_node_set_output(n, 0, pooled);
        dl_node_set_output(n, 1, scratch);
        *slot = q;
        if (n->op->infer(g, n, ctx->diag) < 0)
            return -1;
        fused++;
    }
    if (fused > 0)
        compact_nodes(g);
    dl_pass_log(ctx, "fuse-pool", "%d MaxPools of a stem conv's output taken by the conv", fused);
    return 0;
}

int dl_fuse_epilogue(dl_graph *g, dl_pass_context *ctx)
{
    fe_counts k = {0, 0, 0};
    int n_nodes = g->n_nodes;
    for (int i = 0; i < n_nodes; i++) {
        dl_node *n = g->nodes[i];
        dlk_epilogue *ep = free_epilogue(n);
        fe_chain c;
        if (ep == NULL || !match_chain(&c, n->outputs[0]))
            continue;
        if (apply_chain(g, n, ep, &c))
            return ctx->diag->out_of_memory = true, dl_error(ctx->diag, n, "out of memory");
        k.nodes++;
        k.residuals += c.residual != NULL;
        k.acts += c.ep.act != DLK_ACT_NONE;
    }
    if (k.nodes > 0) {
        compact_nodes(g);
        if (dl_graph_sort(g, ctx->diag))
            return -1;
    }
    dl_pass_log(ctx, "fuse-epilogue", "%d epilogues fused into Conv/Gemm/MatMul/BatchNormalization (%d residual adds, %d activations)",
                k.nodes, k.residuals, k.acts);
    return 0;
}
