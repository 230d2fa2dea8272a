/* FlexAttention (domain ai.onnx.preview, version 1) at load time: each node
 * becomes default-domain nodes that follow the operator's function body:
 *
 *   s = Cast<T>(sqrt(scale))                     scale in float32
 *   Ka, Va = K, V with each head repeated Hq/Hkv times (GQA)
 *   scores = Cast<P>(MatMul(Q * s, Transpose(Ka * s)))     P: softmax_precision
 *   scores = score_mod(scores)                   the body inlined, if given
 *   probs = prob_mod(Softmax(scores, axis=3))    likewise
 *   Y = Cast<T>(MatMul(probs, Cast<P>(Va)))
 *
 * Q·Kᵀ is scaled through Q and K (each by sqrt(scale)), as the function body
 * and the reference implementation do, so results match theirs. Shapes and
 * the element type must be known while loading (graph inputs, initializers,
 * or values shape inference works out); the bodies are inlined through
 * control_flow.c, which also expands control flow inside them. Runs after
 * the control-flow expansion, so FlexAttention nodes of If/Loop/Scan bodies
 * arrive here too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frontend/frontend.h"
#include "onnx.pb-c.h"

typedef struct fx {
    dl_graph *g;
    dl_diag *d;
    int opset;
    const char *model_dir;
    dl_cf_lookup find;
    void *find_ctx;
    dl_cf_nodes list; /* the expanded node list */
} fx;

/* What the node's inputs and attributes say. */
typedef struct flex_info {
    const char *base;   /* prefix of the names made for this node */
    dl_dtype t;         /* Q, K, V and Y */
    int precision;      /* softmax_precision: the type of scores and probs */
    int64_t q[4], k[4], v[4];
    float scale;
    const Onnx__GraphProto *score_mod, *prob_mod;
} flex_info;

/* ------------------------------------------------------------ utilities */

static int fx_oom(fx *x) { return dl_onnx_out_of_memory(x->d); }

static void *fx_alloc(fx *x, size_t size) { return dl_arena_alloc(&x->g->arena, size ? size : 1); }

/* "<base>/flex/<what>"; NULL when out of memory. */
static const char *fx_name(fx *x, const char *base, const char *what)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s/flex/%s", base, what);
    return dl_arena_strdup(&x->g->arena, buf);
}

bool dl_flex_is_flex(const Onnx__NodeProto *np)
{
    return np->domain && strcmp(np->domain, "ai.onnx.preview") == 0 && np->op_type &&
           strcmp(np->op_type, "FlexAttention") == 0;
}

/* OUT = op(in0, in1): a node of one output, named after it. */
static int emit(fx *x, const char *op, const char *in0, const char *in1, const char *out, Onnx__NodeProto **made)
{
    Onnx__NodeProto *np = out ? dl_proto_new_node(x->g, op, in1 ? 2 : 1, 1) : NULL;
    if (!np)
        return fx_oom(x);
    np->name = (char *)out;
    np->input[0] = (char *)in0;
    if (in1)
        np->input[1] = (char *)in1;
    np->output[0] = (char *)out;
    if (made)
        *made = np;
    return dl_proto_push(x->d, &x->list, np);
}

static int emit_cast(fx *x, const char *in, int to, const char *out)
{
    Onnx__NodeProto *np;
    return emit(x, "Cast", in, NULL, out, &np) || dl_proto_set_int(x->g, x->d, np, "to", to) ? -1 : 0;
}

/* Constant OUT: a float32 scalar, or an int64 vector of n elements. */
static int emit_const(fx *x, const char *out, float f, const int64_t *ints, size_t n)
{
    Onnx__NodeProto *np = dl_proto_new_node(x->g, "Constant", 0, 1);
    Onnx__TensorProto *t = fx_alloc(x, sizeof *t);
    int64_t *dims = fx_alloc(x, sizeof *dims), *data = fx_alloc(x, (n + 1) * sizeof *data);
    float *fdata = fx_alloc(x, sizeof *fdata);
    Onnx__AttributeProto *a =
        np ? dl_proto_add_attr(x->g, np, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR) : NULL;
    if (!np || !t || !dims || !data || !fdata || !out || !a)
        return fx_oom(x);
    np->name = (char *)out;
    np->output[0] = (char *)out;
    onnx__tensor_proto__init(t);
    t->has_data_type = 1;
    if (ints) {
        t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        memcpy(data, ints, n * sizeof *data);
        t->int64_data = data;
        t->n_int64_data = n;
        *dims = (int64_t)n;
        t->dims = dims;
        t->n_dims = 1;
    } else {
        t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        *fdata = f;
        t->float_data = fdata;
        t->n_float_data = 1;
    }
    a->t = t;
    return dl_proto_push(x->d, &x->list, np);
}

/* ------------------------------------------------------------- checks */

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0)
            return np->attribute[i];
    return NULL;
}

static bool node_in(const Onnx__GraphProto *gp, const Onnx__NodeProto *np)
{
    for (size_t i = 0; i < gp->n_node; i++)
        if (gp->node[i] == np)
            return true;
    return false;
}

/* The known attributes, each of its type; anything else is refused. */
static int read_attrs(fx *x, const Onnx__NodeProto *np, const Onnx__GraphProto *top, flex_info *fi)
{
    static const char *const names[] = {"scale", "softmax_precision", "score_mod", "prob_mod"};
    static const int types[] = {ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
                                ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH};
    int rc = 0;
    for (size_t i = 0; i < np->n_attribute; i++) {
        const Onnx__AttributeProto *a = np->attribute[i];
        size_t k = 0;
        while (k < 4 && !(a->name && strcmp(a->name, names[k]) == 0))
            k++;
        if (k == 4)
            rc = dl_proto_node_error(x->d, np, "attribute '%s' is not supported (FlexAttention-1 has scale, "
                            "softmax_precision, score_mod and prob_mod)", a->name ? a->name : "");
        else if (a->has_type && (int)a->type != types[k])
            rc = dl_proto_node_error(x->d, np, "attribute '%s' has the wrong type (%d)", a->name, (int)a->type);
        else if (types[k] == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH && !a->g)
            rc = dl_proto_node_error(x->d, np, "attribute '%s' holds no graph", a->name);
        else if (types[k] == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH && !node_in(top, np))
            /* its body would see the enclosing body's names, which control_flow.c renamed */
            rc = dl_proto_node_error(x->d, np, "a FlexAttention with '%s' inside an If, Loop or Scan body is not supported",
                            a->name);
    }
    const Onnx__AttributeProto *a;
    fi->score_mod = (a = find_attr(np, "score_mod")) ? a->g : NULL;
    fi->prob_mod = (a = find_attr(np, "prob_mod")) ? a->g : NULL;
    fi->precision = (a = find_attr(np, "softmax_precision")) ? (int)a->i : fi->t == DL_DOUBLE ? DL_DOUBLE : DL_FLOAT;
    if (fi->precision != DL_FLOAT && fi->precision != DL_DOUBLE && fi->precision != DL_FLOAT16)
        rc = dl_proto_node_error(x->d, np, "attribute 'softmax_precision' is %d; expected 1 (float), 10 (float16) or 11 "
                        "(double); others are not supported", fi->precision);
    /* the default is computed in float32, as the function body does */
    fi->scale = (a = find_attr(np, "scale")) ? a->f : 1.0f / sqrtf((float)fi->q[3]);
    return rc;
}

/* Type and shape of input i, from the loader or by inference over the nodes so far. */
static int input_shape(fx *x, const Onnx__NodeProto *np, int i, dl_dtype *t, int64_t *dims)
{
    static const char *const what[] = {"Q", "K", "V"};
    const char *name = np->input[i];
    const dl_value *v = x->find(x->find_ctx, name);
    dl_cf_probe_result r;
    if (v && v->rank >= 0) {
        r.dtype = v->dtype;
        r.rank = v->rank;
        memcpy(r.dims, v->dims, sizeof r.dims);
    } else if (dl_cf_probe(x->g, x->d, x->model_dir, x->list.nodes, x->list.n, x->find, x->find_ctx, name, &r)) {
        return -1;
    }
    if (r.rank < 0)
        return dl_proto_node_error(x->d, np, "the shape of input %d '%s' (%s) is not known at compile time; not supported%s%s",
                          i, name, what[i], r.hint[0] ? "; to fix it at compile time use " : "", r.hint);
    if (r.rank != 4)
        return dl_proto_node_error(x->d, np, "input %d '%s' (%s) has rank %d; expected rank 4", i, name, what[i], r.rank);
    if (r.dtype != DL_FLOAT && r.dtype != DL_FLOAT16 && r.dtype != DL_DOUBLE)
        return dl_proto_node_error(x->d, np, "input %d '%s' (%s) has element type %s; float, float16 and double are supported",
                          i, name, what[i], dl_onnx_type_name((int32_t)r.dtype));
    if (i > 0 && r.dtype != *t)
        return dl_proto_node_error(x->d, np, "input %d '%s' (%s) has element type %s, but Q has %s", i, name, what[i],
                          dl_onnx_type_name((int32_t)r.dtype), dl_onnx_type_name((int32_t)*t));
    *t = r.dtype;
    memcpy(dims, r.dims, 4 * sizeof *dims);
    return 0;
}

static int read_inputs(fx *x, const Onnx__NodeProto *np, flex_info *fi)
{
    if (np->n_input != 3 || !*np->input[0] || !*np->input[1] || !*np->input[2])
        return dl_proto_node_error(x->d, np, "expects 3 inputs (Q, K, V), found %zu", np->n_input);
    if (np->n_output != 1)
        return dl_proto_node_error(x->d, np, "expects 1 output (Y), found %zu", np->n_output);
    if (input_shape(x, np, 0, &fi->t, fi->q) || input_shape(x, np, 1, &fi->t, fi->k) ||
        input_shape(x, np, 2, &fi->t, fi->v))
        return -1;
    const int64_t *q = fi->q, *k = fi->k, *v = fi->v;
    if (q[0] != k[0] || q[0] != v[0] || k[1] != v[1] || k[2] != v[2] || q[3] != k[3])
        return dl_proto_node_error(x->d, np, "inputs Q [%lld,%lld,%lld,%lld], K [%lld,%lld,%lld,%lld] and V "
                          "[%lld,%lld,%lld,%lld] do not fit: expected Q (B,Hq,L,E), K (B,Hkv,S,E), V (B,Hkv,S,Ev)",
                          (long long)q[0], (long long)q[1], (long long)q[2], (long long)q[3], (long long)k[0],
                          (long long)k[1], (long long)k[2], (long long)k[3], (long long)v[0], (long long)v[1],
                          (long long)v[2], (long long)v[3]);
    if (k[1] < 1 || q[1] % k[1] != 0)
        return dl_proto_node_error(x->d, np, "Q has %lld heads, which is not a multiple of K's and V's %lld heads",
                          (long long)q[1], (long long)k[1]);
    return 0;
}

/* ------------------------------------------------------------- expand */

/* x with each of its Hkv heads repeated Hq/Hkv times, as the function body
 * does: [B,Hkv,S,E] -> [B,Hkv,1,S,E] -> [B,Hkv,rep,S,E] -> [B,Hq,S,E]. */
static int repeat_heads(fx *x, const flex_info *fi, const char *in, const int64_t *d, const char *tag,
                        const char **out)
{
    char w[64];
    int64_t rep = fi->q[1] / d[1];
    if (rep == 1) {
        *out = in;
        return 0;
    }
    int64_t s5[5] = {d[0], d[1], 1, d[2], d[3]}, e5[5] = {d[0], d[1], rep, d[2], d[3]};
    int64_t s4[4] = {d[0], fi->q[1], d[2], d[3]};
    const char *n[6];
    static const char *const parts[6] = {"shape5", "split", "shape_rep", "expanded", "shape4", "aligned"};
    for (int i = 0; i < 6; i++) {
        snprintf(w, sizeof w, "%s_%s", tag, parts[i]);
        if (!(n[i] = fx_name(x, fi->base, w)))
            return fx_oom(x);
    }
    if (emit_const(x, n[0], 0, s5, 5) || emit(x, "Reshape", in, n[0], n[1], NULL) || emit_const(x, n[2], 0, e5, 5) ||
        emit(x, "Expand", n[1], n[2], n[3], NULL) || emit_const(x, n[4], 0, s4, 4) ||
        emit(x, "Reshape", n[3], n[4], n[5], NULL))
        return -1;
    *out = n[5];
    return 0;
}

/* in passed through a modifier body (one input, one output); *out its result. */
static int apply_mod(fx *x, const Onnx__NodeProto *np, const flex_info *fi, const Onnx__GraphProto *body,
                     const char *what, const char *in, const char **out)
{
    if (!body) {
        *out = in;
        return 0;
    }
    if (body->n_input != 1 || body->n_output != 1)
        return dl_proto_node_error(x->d, np, "attribute '%s' has %zu inputs and %zu outputs; expected 1 and 1", what,
                          body->n_input, body->n_output);
    const char *prefix = fx_name(x, fi->base, what);
    if (!prefix)
        return fx_oom(x);
    return dl_cf_inline(x->g, x->d, x->opset, x->model_dir, x->find, x->find_ctx, &x->list, np, body, prefix, &in,
                        out);
}

/* Y = probs @ V in the softmax precision, cast back to the inputs' type. */
static int emit_output(fx *x, const flex_info *fi, const char *probs, const char *va, const char *y)
{
    if (fi->precision == (int)fi->t)
        return emit(x, "MatMul", probs, va, y, NULL);
    const char *vp = fx_name(x, fi->base, "v_precision"), *yp = fx_name(x, fi->base, "y_precision");
    return emit_cast(x, va, fi->precision, vp) || emit(x, "MatMul", probs, vp, yp, NULL) ||
                   emit_cast(x, yp, (int)fi->t, y)
               ? -1
               : 0;
}

static int expand_flex(fx *x, const Onnx__NodeProto *np, const Onnx__GraphProto *top)
{
    flex_info fi;
    memset(&fi, 0, sizeof fi);
    if (read_inputs(x, np, &fi) || read_attrs(x, np, top, &fi))
        return -1;
    fi.base = np->output[0];
    if (!fi.base || !*fi.base)
        return 0; /* Y is not used */
    const char *ka, *va, *s = fx_name(x, fi.base, "sqrt_scale"), *s32 = fx_name(x, fi.base, "sqrt_scale_f32");
    const char *qs = fx_name(x, fi.base, "q_scaled"), *ks = fx_name(x, fi.base, "k_scaled");
    const char *kt = fx_name(x, fi.base, "k_transposed"), *score = fx_name(x, fi.base, "qk");
    const char *sp = fx_name(x, fi.base, "scores"), *probs = fx_name(x, fi.base, "probs"), *scores, *pm;
    Onnx__NodeProto *k;
    if (!s || !s32 || !qs || !ks || !kt || !score || !sp || !probs)
        return fx_oom(x);
    if (fi.t == DL_FLOAT)
        s = s32;
    if (repeat_heads(x, &fi, np->input[1], fi.k, "k", &ka) || repeat_heads(x, &fi, np->input[2], fi.v, "v", &va) ||
        emit_const(x, s32, sqrtf(fi.scale), NULL, 0) || (fi.t != DL_FLOAT && emit_cast(x, s32, (int)fi.t, s)) ||
        emit(x, "Mul", np->input[0], s, qs, NULL) || emit(x, "Mul", ka, s, ks, NULL) ||
        emit(x, "Transpose", ks, NULL, kt, &k))
        return -1;
    Onnx__AttributeProto *perm = dl_proto_add_attr(x->g, k, "perm", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *p = fx_alloc(x, 4 * sizeof *p);
    if (!perm || !p)
        return fx_oom(x);
    p[0] = 0;
    p[1] = 1;
    p[2] = 3;
    p[3] = 2;
    perm->ints = p;
    perm->n_ints = 4;
    if (emit(x, "MatMul", qs, kt, score, NULL))
        return -1;
    if (fi.precision == (int)fi.t)
        sp = score;
    else if (emit_cast(x, score, fi.precision, sp))
        return -1;
    if (apply_mod(x, np, &fi, fi.score_mod, "score_mod", sp, &scores) || emit(x, "Softmax", scores, NULL, probs, &k) ||
        dl_proto_set_int(x->g, x->d, k, "axis", 3) || apply_mod(x, np, &fi, fi.prob_mod, "prob_mod", probs, &pm))
        return -1;
    return emit_output(x, &fi, pm, va, np->output[0]);
}

const Onnx__GraphProto *dl_flex_expand(dl_graph *g, dl_diag *d, const Onnx__GraphProto *gp,
                                       const Onnx__GraphProto *top, int opset, const char *model_dir,
                                       dl_cf_lookup find, void *find_ctx)
{
    bool any = false;
    for (size_t i = 0; i < gp->n_node; i++)
        any |= dl_flex_is_flex(gp->node[i]);
    if (!any)
        return gp;
    fx x;
    memset(&x, 0, sizeof x);
    x.g = g;
    x.d = d;
    x.opset = opset;
    x.model_dir = model_dir;
    x.find = find;
    x.find_ctx = find_ctx;
    int rc = 0;
    for (size_t i = 0; i < gp->n_node && !d->out_of_memory; i++)
        rc |= dl_flex_is_flex(gp->node[i]) ? expand_flex(&x, gp->node[i], top) : dl_proto_push(d, &x.list, gp->node[i]);
    if (rc) {
        dl_free(x.list.nodes, x.list.cap * sizeof *x.list.nodes);
        return NULL;
    }
    return dl_proto_graph_with(g, d, gp, &x.list);
}
