/* bn-fold (-O1): inference BatchNormalization is a per-channel affine map
 * y' = (y - mean) * s + beta with s = gamma / sqrt(var + eps). After a node
 * that is linear in its constant weights (Conv, ConvTranspose, Gemm, MatMul
 * with constant B) the map folds into them: w' = w * s per output channel,
 * b' = (b - mean) * s + beta. Mul / Add by a per-channel constant after such a
 * node is the same map (s = c or mean = -c; DenseNet / Caffe2 exports spell
 * BN that way) and folds likewise. A BN right before a Conv folds forward
 * (w' = w * s per input channel, b' = b + sum w * shift) only when the conv
 * pads nothing: a padded border would see zeros where the BN would have put
 * its shift, so that case is left alone. A conv whose weights are computed at
 * run time still takes the map: a Mul node scales the weights as they are
 * made and the shift goes into the constant bias. A BN with no such
 * neighbour stays: it already is one per-channel scale+shift pass.
 * Arithmetic is in double, stored as float32; the weights are always written
 * to fresh constants, so a weight shared with another node is never changed. */
#include <math.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/op.h"
#include "passes/passes.h"

/* y' = (y - m) * s + t per channel. */
typedef struct affine {
    int64_t c;
    double *s, *m, *t;
} affine;

typedef struct fold_counts {
    int bn_conv, bn_gemm, muladd, bn_left;
    int runtime;    /* folds (BN or Mul/Add) into a conv with run-time weights */
} fold_counts;

static bool is_op(const dl_node *n, const char *op) { return n && strcmp(n->op_type, op) == 0; }

static bool is_f32_const(const dl_value *v) { return v && v->dtype == DL_FLOAT && v->data != NULL; }

/* The only user of v, when v is not a graph output; else NULL. */
static dl_node *sole_user(const dl_value *v)
{
    return v->n_users == 1 && !v->is_output && !v->users[0]->dead ? v->users[0] : NULL;
}

static int affine_alloc(dl_graph *g, affine *a, int64_t c)
{
    a->c = c;
    a->s = dl_arena_alloc(&g->arena, 3 * (size_t)c * sizeof(double));
    if (a->s == NULL)
        return -1;
    a->m = a->s + c;
    a->t = a->m + c;
    for (int64_t i = 0; i < c; i++) {
        a->s[i] = 1.0;
        a->m[i] = a->t[i] = 0.0;
    }
    return 0;
}

/* A fresh constant with v's type and shape (copying v's data when copy). */
static dl_value *new_const(dl_graph *g, const dl_value *v, bool copy)
{
    dl_value *nv = dl_graph_add_value(g, NULL, v->dtype, v->rank, v->dims);
    if (nv == NULL || dl_value_alloc_data(g, nv) == NULL)
        return NULL;
    if (copy)
        memcpy(nv->data, v->data, (size_t)dl_value_bytes(v));
    return nv;
}

static int add_fused(dl_graph *g, dl_node *n, const char *op)
{
    char buf[512];
    if (n->fused == NULL)
        snprintf(buf, sizeof buf, "%s", op);
    else
        snprintf(buf, sizeof buf, "%s,%s", n->fused, op);
    n->fused = dl_arena_strdup(&g->arena, buf);
    return n->fused ? 0 : -1;
}

/* Give n an input slot i (growing its input list) holding v. */
static int set_input_grow(dl_graph *g, dl_node *n, int i, dl_value *v)
{
    if (i >= n->n_inputs) {
        dl_value **in = dl_arena_alloc(&g->arena, (size_t)(i + 1) * sizeof *in);
        if (in == NULL)
            return -1;
        memcpy(in, n->inputs, (size_t)n->n_inputs * sizeof *in);
        n->inputs = in;
        n->n_inputs = i + 1;
    }
    return dl_node_set_input(g, n, i, v);
}

/* Set (or add) a float attribute of n. */
static int set_float_attr(dl_graph *g, dl_node *n, const char *name, float f)
{
    dl_attr *attrs = dl_arena_alloc(&g->arena, (size_t)(n->n_attrs + 1) * sizeof *attrs);
    int at = n->n_attrs;
    if (attrs == NULL)
        return -1;
    memcpy(attrs, n->attrs, (size_t)n->n_attrs * sizeof *attrs);
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(attrs[i].name, name) == 0)
            at = i;
    memset(&attrs[at], 0, sizeof attrs[at]);
    attrs[at].name = dl_arena_strdup(&g->arena, name);
    attrs[at].kind = DL_ATTR_FLOAT;
    attrs[at].f = f;
    n->attrs = attrs;
    n->n_attrs += at == n->n_attrs;
    return attrs[at].name ? 0 : -1;
}

/* ---------------------------------------------------- the affine consumers */

/* BN node bn reading y on input 0, inference form (one statistic per
 * channel, all constant): its map into a. */
static int bn_affine(dl_graph *g, const dl_node *bn, int64_t c, affine *a, bool *ok)
{
    *ok = false;
    if (bn->n_inputs != 5 || bn->inputs[0]->rank < 2 || bn->inputs[0]->dims[1] != c)
        return 0;
    for (int i = 1; i < 5; i++)
        if (!is_f32_const(bn->inputs[i]) || dl_value_numel(bn->inputs[i]) != c)
            return 0;
    if (affine_alloc(g, a, c) < 0)
        return -1;
    const float *gamma = bn->inputs[1]->data, *beta = bn->inputs[2]->data, *mean = bn->inputs[3]->data,
                *var = bn->inputs[4]->data;
    double eps = dl_attr_float(bn, "epsilon", 1e-5f);
    for (int64_t i = 0; i < c; i++) {
        a->s[i] = (double)gamma[i] / sqrt((double)var[i] + eps);
        a->m[i] = mean[i];
        a->t[i] = beta[i];
    }
    *ok = true;
    return 0;
}

/* k (a constant) broadcasts against y (rank >= 2, channels on axis 1) only
 * along the channel axis: every dim is 1 but the one over axis 1, which is
 * 1 or the channel count. Returns the value count per channel step (0 or 1),
 * or -1 when k does not fit. */
static int per_channel_step(const dl_value *k, const dl_value *y)
{
    if (!is_f32_const(k) || k->rank > y->rank)
        return -1;
    int step = 0;
    for (int i = 0; i < k->rank; i++) {
        int axis = y->rank - k->rank + i;
        if (k->dims[i] == 1)
            continue;
        if (axis != 1 || k->dims[i] != y->dims[1])
            return -1;
        step = 1;
    }
    return step;
}

/* Mul or Add of y by a per-channel constant: its map into a. */
static int muladd_affine(dl_graph *g, const dl_node *n, const dl_value *y, affine *a, bool *ok)
{
    *ok = false;
    if (n->n_inputs != 2 || (n->inputs[0] == y) == (n->inputs[1] == y))
        return 0;
    const dl_value *k = n->inputs[0] == y ? n->inputs[1] : n->inputs[0], *out = n->outputs[0];
    int step = per_channel_step(k, y);
    if (step < 0 || out->rank != y->rank || memcmp(out->dims, y->dims, sizeof(int64_t) * (size_t)y->rank) != 0)
        return 0;
    if (affine_alloc(g, a, y->dims[1]) < 0)
        return -1;
    const float *kv = k->data;
    for (int64_t i = 0; i < a->c; i++) {
        if (is_op(n, "Mul"))
            a->s[i] = kv[i * step];
        else
            a->m[i] = -(double)kv[i * step];
    }
    *ok = true;
    return 0;
}

/* ------------------------------------------------------ the linear producers */

static bool conv_foldable(const dl_node *n)
{
    if (!is_op(n, "Conv") && !is_op(n, "ConvTranspose"))
        return false;
    const dl_value *b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    return is_f32_const(n->inputs[1]) && (b == NULL || is_f32_const(b)) && n->outputs[0]->dtype == DL_FLOAT;
}

/* A Conv whose weights are not constant but computed at run time (the light
 * model-zoo nets make them with ConstantOfShape, too large to fold), with a
 * constant bias or none: see fold_into_runtime_conv. */
static bool runtime_conv_foldable(const dl_node *n)
{
    if (!is_op(n, "Conv") || n->inputs[1]->data != NULL || n->inputs[1]->dtype != DL_FLOAT)
        return false;
    const dl_value *b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    return (b == NULL || is_f32_const(b)) && n->outputs[0]->dtype == DL_FLOAT;
}

static bool gemm_foldable(const dl_node *n)
{
    if (is_op(n, "MatMul"))
        return n->inputs[0]->rank == 2 && n->inputs[1]->rank == 2 && is_f32_const(n->inputs[1]) &&
               n->inputs[0]->dtype == DL_FLOAT;
    if (!is_op(n, "Gemm"))
        return false;
    const dl_value *c = n->n_inputs > 2 ? n->inputs[2] : NULL;
    return is_f32_const(n->inputs[1]) && (c == NULL || is_f32_const(c));
}

/* The output channel of weight element e. Conv: W[Cout, Cin/g, k...];
 * ConvTranspose: W[Cin, Cout/g, k...]. */
static int64_t conv_out_channel(const dl_node *n, const dl_value *w, int64_t e)
{
    int64_t per = dl_value_numel(w) / w->dims[0];
    if (is_op(n, "Conv"))
        return e / per;
    int64_t group = dl_attr_int(n, "group", 1), kernel = per / w->dims[1];
    int64_t ic = e / per, j = (e / kernel) % w->dims[1];
    return (ic / (w->dims[0] / group)) * w->dims[1] + j;
}

/* The bias of conv n after a: b' = (b - m) * s + t (b = 0 when n has none). */
static dl_value *folded_conv_bias(dl_graph *g, const dl_node *n, const affine *a)
{
    const dl_value *b = n->n_inputs > 2 ? n->inputs[2] : NULL;
    int64_t bdim = a->c;
    dl_value *nb = dl_graph_add_value(g, NULL, DL_FLOAT, 1, &bdim);
    if (nb == NULL || dl_value_alloc_data(g, nb) == NULL)
        return NULL;
    const float *bv = b ? b->data : NULL;
    float *nbv = nb->data;
    for (int64_t c = 0; c < a->c; c++)
        nbv[c] = (float)(((bv ? (double)bv[c] : 0.0) - a->m[c]) * a->s[c] + a->t[c]);
    return nb;
}

/* Conv / ConvTranspose n, then a: w' = w * s[oc], b' = (b - m) * s + t. */
static int fold_into_conv(dl_graph *g, dl_node *n, const affine *a)
{
    const dl_value *w = n->inputs[1];
    dl_value *nw = new_const(g, w, false), *nb = folded_conv_bias(g, n, a);
    if (nw == NULL || nb == NULL)
        return -1;
    const float *wv = w->data;
    float *nwv = nw->data;
    for (int64_t e = 0, count = dl_value_numel(w); e < count; e++)
        nwv[e] = (float)((double)wv[e] * a->s[conv_out_channel(n, w, e)]);
    if (dl_node_set_input(g, n, 1, nw) < 0 || set_input_grow(g, n, 2, nb) < 0)
        return -1;
    return 0;
}

/* The per-output-channel scale k of a Mul W' = W * k (k constant, shaped
 * [Cout, 1, ...]) that makes w for n alone, or NULL. */
static dl_value *weight_scale_of(const dl_value *w, const dl_node *n)
{
    dl_node *m = w->producer;
    if (!is_op(m, "Mul") || m->dead || sole_user(w) != n || m->n_inputs != 2 || m->inputs[0]->data != NULL)
        return NULL;
    dl_value *k = m->inputs[1];
    if (!is_f32_const(k) || k->rank != w->rank || k->dims[0] != w->dims[0] || dl_value_numel(k) != w->dims[0])
        return NULL;
    return k;
}

/* Conv n whose weights W are computed at run time, then a: a Mul node
 * W' = W * s (s shaped [Cout, 1, ...]) scales them where they are made (the
 * schedule runs it right before n; a second map scales the same Mul's s),
 * and the shift goes into the bias. */
static int fold_into_runtime_conv(dl_graph *g, dl_node *n, const affine *a, dl_diag *d)
{
    dl_value *w = n->inputs[1], *k = weight_scale_of(w, n), *nb = folded_conv_bias(g, n, a);
    bool scales = false;
    for (int64_t c = 0; c < a->c; c++)
        scales |= a->s[c] != 1.0;
    if (nb == NULL)
        return dl_error(d, n, "out of memory");
    if (scales) {
        int64_t sdims[DL_MAX_RANK];
        sdims[0] = a->c;
        for (int i = 1; i < w->rank; i++)
            sdims[i] = 1;
        dl_value *sv = dl_graph_add_value(g, NULL, DL_FLOAT, w->rank, sdims);
        if (sv == NULL || dl_value_alloc_data(g, sv) == NULL)
            return dl_error(d, n, "out of memory");
        float *svv = sv->data;
        for (int64_t c = 0; c < a->c; c++)
            svv[c] = (float)(a->s[c] * (k ? ((const float *)k->data)[c] : 1.0));
        if (k != NULL) {
            if (dl_node_set_input(g, w->producer, 1, sv) < 0)
                return dl_error(d, n, "out of memory");
        } else {
            char name[512];
            snprintf(name, sizeof name, "%s_bn_scaled", w->name ? w->name : "weights");
            dl_value *nw = dl_graph_add_value(g, name, DL_FLOAT, w->rank, w->dims);
            snprintf(name, sizeof name, "%s_bn_scale", n->name[0] ? n->name : n->op_type);
            dl_node *mul = dl_graph_add_node(g, name, "Mul", 2, 1);
            if (nw == NULL || mul == NULL)
                return dl_error(d, n, "out of memory");
            mul->op = dl_op_find("Mul");
            mul->opset = n->opset;
            if (dl_node_set_input(g, mul, 0, w) < 0 || dl_node_set_input(g, mul, 1, sv) < 0)
                return dl_error(d, n, "out of memory");
            dl_node_set_output(mul, 0, nw);
            if (dl_node_refresh(g, mul, d) < 0)
                return -1;
            if (dl_node_set_input(g, n, 1, nw) < 0)
                return dl_error(d, n, "out of memory");
        }
    }
    if (set_input_grow(g, n, 2, nb) < 0)
        return dl_error(d, n, "out of memory");
    return 0;
}

/* Gemm n (y = alpha op(A) op(B) + beta C), then a on y's columns:
 * op(B)'s column j times s[j]; C' = (beta C - m) s + t with beta' = 1. */
static int fold_into_gemm(dl_graph *g, dl_node *n, const affine *a)
{
    const dl_value *bw = n->inputs[1], *c = n->n_inputs > 2 ? n->inputs[2] : NULL;
    bool trans_b = dl_attr_int(n, "transB", 0) != 0;
    double beta = dl_attr_float(n, "beta", 1.0f);
    int64_t rows = 1, c_rs = 0, c_cs = 0, ncol = a->c;
    if (c != NULL && beta == 0.0)
        c = NULL;   /* Gemm ignores C when beta is 0 */
    if (c != NULL) {
        int64_t cr = c->rank == 2 ? c->dims[0] : 1, cc = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        rows = cr;
        c_rs = cr == 1 ? 0 : cc;
        c_cs = cc == 1 ? 0 : 1;
    }
    int64_t cdims[2] = {rows, ncol};
    dl_value *nw = new_const(g, bw, false);
    dl_value *nc = rows == 1 ? dl_graph_add_value(g, NULL, DL_FLOAT, 1, &ncol) : dl_graph_add_value(g, NULL, DL_FLOAT, 2, cdims);
    if (nw == NULL || nc == NULL || dl_value_alloc_data(g, nc) == NULL)
        return -1;
    const float *bv = bw->data, *cv = c ? c->data : NULL;
    float *nwv = nw->data, *ncv = nc->data;
    for (int64_t r = 0; r < bw->dims[0]; r++)
        for (int64_t k = 0; k < bw->dims[1]; k++) {
            int64_t col = trans_b ? r : k;
            nwv[r * bw->dims[1] + k] = (float)((double)bv[r * bw->dims[1] + k] * a->s[col]);
        }
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < ncol; j++) {
            double cij = cv ? beta * (double)cv[i * c_rs + j * c_cs] : 0.0;
            ncv[i * ncol + j] = (float)((cij - a->m[j]) * a->s[j] + a->t[j]);
        }
    if (dl_node_set_input(g, n, 1, nw) < 0 || set_input_grow(g, n, 2, nc) < 0)
        return -1;
    return set_float_attr(g, n, "beta", 1.0f);
}

/* ------------------------------------------------------------ backward fold */

/* p, whose weights now include u's map, takes u's place: u's output becomes
 * p's and u's op joins p's fused list. Returns 1, or -1 on error. */
static int absorbed(dl_graph *g, dl_node *p, dl_node *u, dl_diag *d)
{
    dl_value *y = p->outputs[0], *out = u->outputs[0];
    if (add_fused(g, p, u->op_type) < 0)
        return dl_error(d, p, "out of memory");
    dl_node_remove(g, u);
    dl_node_set_output(p, 0, out);
    y->producer = NULL;
    return dl_node_refresh(g, p, d) < 0 ? -1 : 1;
}

/* Fold p's sole consumer into p when it is a BN (or, for a conv, a
 * per-channel Mul/Add). Returns 1 when folded, 0 when not, -1 on error. */
static int absorb_consumer(dl_graph *g, dl_node *p, fold_counts *counts, dl_diag *d)
{
    dl_value *y = p->outputs[0];
    dl_node *u = sole_user(y);
    affine a;
    bool ok = false, conv = conv_foldable(p), runtime = runtime_conv_foldable(p);
    if (u == NULL || y->rank < 2)
        return 0;
    if (is_op(u, "BatchNormalization") && u->inputs[0] == y) {
        if (bn_affine(g, u, y->dims[1], &a, &ok) < 0)
            return -1;
    } else if (is_op(u, "Mul") || is_op(u, "Add")) {
        if (muladd_affine(g, u, y, &a, &ok) < 0)
            return -1;
    }
    if (!ok)
        return 0;
    if (is_op(p, "MatMul") && dl_matmul_to_gemm(g, p, NULL, d) < 0)
        return -1;
    if (runtime) {
        if (fold_into_runtime_conv(g, p, &a, d) < 0)
            return -1;
        counts->runtime++;
    } else if ((conv ? fold_into_conv(g, p, &a) : fold_into_gemm(g, p, &a)) < 0) {
        return dl_error(d, p, "out of memory");
    }
    if (is_op(u, "BatchNormalization"))
        conv || runtime ? counts->bn_conv++ : counts->bn_gemm++;
    else
        counts->muladd++;
    return absorbed(g, p, u, d);
}

/* --------------------------------------------------------------- lone BN */

/* BN bn followed by a per-channel Mul or Add (Caffe2 exports spell a BN's
 * own scale and shift that way: BN, Mul, Add): the map goes into the BN's
 * scale and bias, gamma' = gamma s, beta' = (beta - m) s + t. Returns 1 when
 * absorbed, 0 when not, -1 on error. */
static int absorb_into_bn(dl_graph *g, dl_node *bn, fold_counts *counts, dl_diag *d)
{
    dl_value *y = bn->outputs[0];
    dl_node *u = sole_user(y);
    affine a;
    bool ok = false;
    if (!(is_op(u, "Mul") || is_op(u, "Add")) || bn->n_inputs != 5 || y->rank < 2 ||
        !is_f32_const(bn->inputs[1]) || !is_f32_const(bn->inputs[2]) ||
        dl_value_numel(bn->inputs[1]) != y->dims[1] || dl_value_numel(bn->inputs[2]) != y->dims[1])
        return 0;
    if (muladd_affine(g, u, y, &a, &ok) < 0)
        return -1;
    if (!ok)
        return 0;
    dl_value *ng = new_const(g, bn->inputs[1], false), *nbeta = new_const(g, bn->inputs[2], false);
    if (ng == NULL || nbeta == NULL)
        return dl_error(d, bn, "out of memory");
    const float *gv = bn->inputs[1]->data, *bv = bn->inputs[2]->data;
    float *ngv = ng->data, *nbv = nbeta->data;
    for (int64_t c = 0; c < a.c; c++) {
        ngv[c] = (float)((double)gv[c] * a.s[c]);
        nbv[c] = (float)(((double)bv[c] - a.m[c]) * a.s[c] + a.t[c]);
    }
    if (dl_node_set_input(g, bn, 1, ng) < 0 || dl_node_set_input(g, bn, 2, nbeta) < 0)
        return dl_error(d, bn, "out of memory");
    counts->muladd++;
    return absorbed(g, bn, u, d);
}

/* ------------------------------------------------------------- forward fold */

/* Does conv n read every input position inside the image (no padding)? */
static bool conv_pads_nothing(const dl_node *n)
{
    const char *auto_pad = dl_attr_string(n, "auto_pad", "NOTSET");
    const int64_t *v;
    int count;
    if (strcmp(auto_pad, "VALID") == 0)
        return true;
    if (strcmp(auto_pad, "NOTSET") != 0) {
        /* SAME_*: a 1-wide kernel never needs padding. */
        const dl_value *w = n->inputs[1];
        for (int i = 2; i < w->rank; i++)
            if (w->dims[i] != 1)
                return false;
        return true;
    }
    count = dl_attr_ints(n, "pads", &v);
    for (int i = 0; i < count; i++)
        if (v[i] != 0)
            return false;
    return true;
}

/* BN bn feeding only Conv input X with no padding: conv(x s + sh) =
 * conv_{w s[ic]}(x) + sum w sh[ic] (sh = t - m s). */
static int fold_forward(dl_graph *g, dl_node *bn, fold_counts *counts, dl_diag *d)
{
    dl_value *z = bn->outputs[0];
    dl_node *cv = sole_user(z);
    affine a;
    bool ok;
    if (!is_op(cv, "Conv") || cv->inputs[0] != z || !conv_foldable(cv) || !conv_pads_nothing(cv))
        return 0;
    if (bn_affine(g, bn, z->dims[1], &a, &ok) < 0)
        return -1;
    if (!ok)
        return 0;
    const dl_value *w = cv->inputs[1], *b = cv->n_inputs > 2 ? cv->inputs[2] : NULL;
    int64_t cout = w->dims[0], cin_g = w->dims[1], per = dl_value_numel(w) / cout, kernel = per / cin_g;
    int64_t group = dl_attr_int(cv, "group", 1), cout_g = cout / group;
    dl_value *nw = new_const(g, w, false), *nb = dl_graph_add_value(g, NULL, DL_FLOAT, 1, &cout);
    if (nw == NULL || nb == NULL || dl_value_alloc_data(g, nb) == NULL)
        return dl_error(d, cv, "out of memory");
    const float *wv = w->data, *bv = b ? b->data : NULL;
    float *nwv = nw->data, *nbv = nb->data;
    for (int64_t oc = 0; oc < cout; oc++) {
        double acc = bv ? bv[oc] : 0.0;
        for (int64_t e = oc * per; e < (oc + 1) * per; e++) {
            int64_t ic = (oc / cout_g) * cin_g + (e - oc * per) / kernel;
            acc += (double)wv[e] * (a.t[ic] - a.m[ic] * a.s[ic]);
            nwv[e] = (float)((double)wv[e] * a.s[ic]);
        }
        nbv[oc] = (float)acc;
    }
    if (dl_node_set_input(g, cv, 0, bn->inputs[0]) < 0 || dl_node_set_input(g, cv, 1, nw) < 0 ||
        set_input_grow(g, cv, 2, nb) < 0 || add_fused(g, cv, "BatchNormalization") < 0)
        return dl_error(d, cv, "out of memory");
    dl_node_remove(g, bn);
    counts->bn_conv++;
    return dl_node_refresh(g, cv, d) < 0 ? -1 : 1;
}

int dl_fold_batchnorm(dl_graph *g, dl_pass_context *ctx)
{
    fold_counts counts = {0, 0, 0, 0, 0};
    for (int i = 0, n_nodes = g->n_nodes; i < n_nodes; i++) {
        dl_node *n = g->nodes[i];
        int rc = 1;
        while (rc > 0 && !n->dead && (conv_foldable(n) || runtime_conv_foldable(n) || gemm_foldable(n)))
            rc = absorb_consumer(g, n, &counts, ctx->diag);
        if (rc < 0)
            return -1;
    }
    /* The weight-scaling Muls were appended: put them before their convs. */
    if (counts.runtime > 0 && dl_graph_sort(g, ctx->diag) < 0)
        return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead || !is_op(n, "BatchNormalization"))
            continue;
        int rc = 1;
        while (rc > 0)
            rc = absorb_into_bn(g, n, &counts, ctx->diag);
        if (rc == 0)
            rc = fold_forward(g, n, &counts, ctx->diag);
        if (rc < 0)
            return -1;
        counts.bn_left += rc == 0;
    }
    if (g->arena.failed)
        return dl_error(ctx->diag, NULL, "out of memory in bn-fold");
    dl_pass_log(ctx, "bn-fold", "%d BatchNormalization folded into Conv, %d into Gemm, %d Mul/Add folded (%d of "
                "these folds scale run-time weights), %d BatchNormalization left (no conv/gemm neighbour: one "
                "per-channel scale+shift each)", counts.bn_conv, counts.bn_gemm, counts.muladd, counts.runtime,
                counts.bn_left);
    return 0;
}

/* ------------------------------------------------------- input prologue */

/* The Conv that alone reads v as its input X, when it is a group-1
 * pointwise conv (1x1, stride 1, unpadded) with no prologue yet and its
 * own output (not its channels' means, fuse-mean); else NULL. */
static dl_node *pointwise_reader(const dl_value *v)
{
    dl_node *cv = sole_user(v);
    int64_t *pro = cv != NULL && is_op(cv, "Conv") ? dl_conv_prologue(cv) : NULL;
    const dl_value *w = cv != NULL ? cv->inputs[1] : NULL;
    const int64_t *strides;
    if (pro == NULL || *pro != DL_CONV_PROLOGUE_NONE || *dl_conv_mean_only(cv) || cv->inputs[0] != v ||
        dl_attr_int(cv, "group", 1) != 1 || !is_f32_const(w) || !conv_pads_nothing(cv))
        return NULL;
    for (int i = 2; i < w->rank; i++)
        if (w->dims[i] != 1)
            return NULL;
    for (int i = 0, n = dl_attr_ints(cv, "strides", &strides); i < n; i++)
        if (strides[i] != 1)
            return NULL;
    return cv;
}

/* Conv cv reads x through the prologue (scale s, shift t or NULL, mode)
 * in place of node n, which goes. */
static int attach_prologue(dl_graph *g, dl_node *cv, dl_node *n, dl_value *x, dl_value *s, dl_value *t,
                           int64_t mode, dl_diag *d)
{
    for (int i = cv->n_inputs; i < 4; i++)   /* B and R stay absent */
        if (set_input_grow(g, cv, i, NULL) < 0)
            return dl_error(d, cv, "out of memory");
    if (dl_node_set_input(g, cv, 0, x) < 0 || set_input_grow(g, cv, 4, s) < 0 || set_input_grow(g, cv, 5, t) < 0 ||
        add_fused(g, cv, n->op_type) < 0 || (n->fused != NULL && add_fused(g, cv, n->fused) < 0))
        return dl_error(d, cv, "out of memory");
    *dl_conv_prologue(cv) = mode;
    dl_node_remove(g, n);
    return 1;   /* no refresh: setup would drop the conv's fused epilogue; its output shape stands */
}

/* BatchNormalization bn (its Relu fused, no residual) feeding only a
 * pointwise conv: a pre-activation block (DenseNet's BN -> Relu -> 1x1 conv,
 * left by bn-fold because the Relu stands between). */
static int bn_prologue(dl_graph *g, dl_node *bn, dl_diag *d)
{
    dl_node *cv = pointwise_reader(bn->outputs[0]);
    dlk_epilogue *e = dl_bn_epilogue(bn);
    affine a;
    bool ok;
    if (cv == NULL || e == NULL || e->residual != DLK_RES_NONE || (e->act != DLK_ACT_NONE && e->act != DLK_ACT_RELU))
        return 0;
    if (bn_affine(g, bn, bn->outputs[0]->dims[1], &a, &ok) < 0)
        return -1;
    if (!ok)
        return 0;
    int64_t c = a.c;
    dl_value *sv = dl_graph_add_value(g, NULL, DL_FLOAT, 1, &c), *tv = dl_graph_add_value(g, NULL, DL_FLOAT, 1, &c);
    if (sv == NULL || tv == NULL || dl_value_alloc_data(g, sv) == NULL || dl_value_alloc_data(g, tv) == NULL)
        return dl_error(d, cv, "out of memory");
    float *sd = sv->data, *td = tv->data;
    for (int64_t i = 0; i < c; i++) {
        sd[i] = (float)a.s[i];
        td[i] = (float)(a.t[i] - a.m[i] * a.s[i]);
    }
    return attach_prologue(g, cv, bn, bn->inputs[0], sv, tv,
                           e->act == DLK_ACT_RELU ? DL_CONV_PROLOGUE_RELU : DL_CONV_PROLOGUE_AFFINE, d);
}

/* Mul of x by a per-channel float s computed at run time ([1, C, 1, 1]:
 * squeeze-excitation's channel weights in EfficientNet) feeding only a
 * pointwise conv. */
static int mul_prologue(dl_graph *g, dl_node *mul, dl_diag *d)
{
    dl_node *cv = mul->n_inputs == 2 ? pointwise_reader(mul->outputs[0]) : NULL;
    for (int side = 0; cv != NULL && side < 2; side++) {
        dl_value *x = mul->inputs[side], *s = mul->inputs[1 - side];
        if (x->dtype != DL_FLOAT || s->dtype != DL_FLOAT || x->rank != mul->outputs[0]->rank ||
            dl_value_numel(x) != dl_value_numel(mul->outputs[0]) || s->rank > x->rank || x->rank < 3)
            continue;
        bool per_channel = dl_value_numel(s) == x->dims[1];
        for (int i = 0; i < s->rank && per_channel; i++)
            per_channel = s->dims[i] == 1 || x->rank - s->rank + i == 1;
        if (per_channel)
            return attach_prologue(g, cv, mul, x, s, NULL, DL_CONV_PROLOGUE_SCALE, d);
    }
    return 0;
}

int dl_fold_conv_prologue(dl_graph *g, dl_pass_context *ctx)
{
    int bns = 0, muls = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        int rc = 0;
        if (!n->dead && is_op(n, "BatchNormalization"))
            bns += rc = bn_prologue(g, n, ctx->diag);
        else if (!n->dead && is_op(n, "Mul"))
            muls += rc = mul_prologue(g, n, ctx->diag);
        if (rc < 0)
            return -1;
    }
    if (g->arena.failed)
        return dl_error(ctx->diag, NULL, "out of memory in conv-prologue");
    dl_pass_log(ctx, "conv-prologue", "%d BatchNormalization [+ Relu] and %d per-channel Mul taken into the "
                "pointwise Conv they fed", bns, muls);
    return 0;
}
