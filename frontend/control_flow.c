/* Control flow at load time: If, Loop and Scan nodes (default domain) are
 * expanded into plain nodes of the main graph, since dlcc compiles static
 * graphs. A body's nodes are instantiated with fresh value names
 * ("<out>/then/<name>", "<out>/iter3/<name>"): its formal inputs map to the
 * actual values, outer-scope names resolve through the enclosing scopes, its
 * initializers become Constant nodes and its outputs reach the node's outputs
 * through Identity nodes. An If whose condition is a load-time constant (an
 * initializer, a Constant, a graph input fixed with --bind) keeps one branch;
 * otherwise both run and Where selects. A Loop needs a constant trip count;
 * a Scan, scan inputs of known shape. The result is a GraphProto the loader
 * reads as if the file had held it; its parts live in the graph's arena. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontend/frontend.h"
#include "onnx.pb-c.h"

typedef struct cf {
    dl_graph *g;
    dl_diag *d;
    int opset;
    const char *model_dir;
    dl_cf_lookup find;
    void *find_ctx;
    dl_cf_nodes *list;       /* the expanded nodes */
    char hint[400]; /* the last probe's "--bind a=FILE ...", for messages */
} cf;

/* Where a body's names lead: formal inputs to actual values, names the body
 * defines to prefixed ones, anything else to the enclosing scope. */
typedef struct scope {
    const struct scope *parent;
    const Onnx__GraphProto *body;
    const char *prefix;
    const char *const *formal;
    const char *const *actual;
    size_t n;
} scope;

/* ------------------------------------------------------------ utilities */

static int cf_oom(cf *c) { return dl_onnx_out_of_memory(c->d); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static char *cf_str(cf *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return dl_arena_strdup(&c->g->arena, buf);
}

static void *cf_alloc(cf *c, size_t size) { return dl_arena_alloc(&c->g->arena, size ? size : 1); }

bool dl_cf_is_control_flow(const Onnx__NodeProto *np)
{
    const char *dom = np->domain;
    if (dom && *dom && strcmp(dom, "ai.onnx") != 0)
        return false;
    const char *op = np->op_type ? np->op_type : "";
    return strcmp(op, "If") == 0 || strcmp(op, "Loop") == 0 || strcmp(op, "Scan") == 0;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0)
            return np->attribute[i];
    return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *np, const char *name, int64_t fallback)
{
    const Onnx__AttributeProto *a = find_attr(np, name);
    return a && a->has_i ? a->i : fallback;
}

/* The i-th element of an INTS attribute, or fallback. */
static int64_t attr_ints_at(const Onnx__NodeProto *np, const char *name, size_t i, int64_t fallback)
{
    const Onnx__AttributeProto *a = find_attr(np, name);
    return a && i < a->n_ints ? a->ints[i] : fallback;
}

static const Onnx__GraphProto *graph_attr(cf *c, const Onnx__NodeProto *np, const char *name)
{
    const Onnx__AttributeProto *a = find_attr(np, name);
    if (!a || !a->g) {
        dl_proto_node_error(c->d, np, "attribute '%s' (a graph) is missing", name);
        return NULL;
    }
    return a->g;
}

/* ------------------------------------------------------- building nodes */

/* A node of one output, named after it; inputs given as a list. */
static int emit_op(cf *c, const char *op, const char *const *in, size_t n_in, const char *out,
                   Onnx__NodeProto **made)
{
    Onnx__NodeProto *np = dl_proto_new_node(c->g, op, n_in, 1);
    if (made)
        *made = np;
    if (!np)
        return cf_oom(c);
    for (size_t i = 0; i < n_in; i++)
        np->input[i] = (char *)in[i];
    np->output[0] = (char *)out;
    np->name = (char *)out;
    return dl_proto_push(c->d, c->list, np);
}

/* Constant OUT = a scalar (rank 0) or 1-element vector of type dtype. */
static int emit_const(cf *c, const char *out, int dtype, int64_t v, bool vector)
{
    Onnx__NodeProto *np;
    Onnx__TensorProto *t = cf_alloc(c, sizeof *t);
    int64_t *dims = cf_alloc(c, sizeof *dims), *i64 = cf_alloc(c, sizeof *i64);
    int32_t *i32 = cf_alloc(c, sizeof *i32);
    if (!t || !dims || !i64 || !i32 || emit_op(c, "Constant", NULL, 0, out, &np))
        return cf_oom(c);
    onnx__tensor_proto__init(t);
    t->has_data_type = 1;
    t->data_type = dtype;
    *dims = 1;
    t->dims = dims;
    t->n_dims = vector ? 1 : 0;
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        *i64 = v;
        t->int64_data = i64;
        t->n_int64_data = 1;
    } else {
        *i32 = (int32_t)v;
        t->int32_data = i32;
        t->n_int32_data = 1;
    }
    Onnx__AttributeProto *a = dl_proto_add_attr(c->g, np, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    if (!a)
        return cf_oom(c);
    a->t = t;
    return 0;
}

static int emit_i64(cf *c, const char *out, int64_t v, bool vector)
{
    return emit_const(c, out, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, v, vector);
}

static int emit_identity(cf *c, const char *in, const char *out)
{
    return out && *out ? emit_op(c, "Identity", &in, 1, out, NULL) : 0;
}

/* Unsqueeze at axis: an attribute before opset 13, an input from it. */
static int emit_unsqueeze(cf *c, const char *in, int64_t axis, const char *out)
{
    Onnx__NodeProto *np;
    if (c->opset >= 13) {
        const char *axes = cf_str(c, "%s/axes", out);
        const char *ins[2] = {in, axes};
        if (!axes)
            return cf_oom(c);
        return emit_i64(c, axes, axis, true) || emit_op(c, "Unsqueeze", ins, 2, out, NULL) ? -1 : 0;
    }
    if (emit_op(c, "Unsqueeze", &in, 1, out, &np))
        return -1;
    Onnx__AttributeProto *a = dl_proto_add_attr(c->g, np, "axes", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *ints = cf_alloc(c, sizeof *ints);
    if (!a || !ints)
        return cf_oom(c);
    *ints = axis;
    a->ints = ints;
    a->n_ints = 1;
    return 0;
}

/* OUT = the n parts, each given a new axis, stacked along it. */
static int emit_stack(cf *c, const char *const *parts, size_t n, int64_t axis, const char *out)
{
    const char **ins = cf_alloc(c, n * sizeof *ins);
    Onnx__NodeProto *np;
    if (!ins)
        return cf_oom(c);
    for (size_t i = 0; i < n; i++)
        if (!(ins[i] = cf_str(c, "%s/part%zu", out, i)) || emit_unsqueeze(c, parts[i], axis, ins[i]))
            return ins[i] ? -1 : cf_oom(c);
    return emit_op(c, "Concat", ins, n, out, &np) || dl_proto_set_int(c->g, c->d, np, "axis", axis) ? -1 : 0;
}

/* OUT = x[index] along axis (the axis is dropped). */
static int emit_take(cf *c, const char *x, int64_t index, int64_t axis, const char *out)
{
    const char *idx = cf_str(c, "%s/index", out);
    const char *ins[2] = {x, idx};
    Onnx__NodeProto *np;
    if (!idx)
        return cf_oom(c);
    if (emit_i64(c, idx, index, false) || emit_op(c, "Gather", ins, 2, out, &np))
        return -1;
    return dl_proto_set_int(c->g, c->d, np, "axis", axis);
}

/* ------------------------------------------------- load-time constants */

int64_t dl_cf_first_int(const dl_value *v)
{
    const void *p = v->data;
    switch (v->dtype) {
    case DL_BOOL: case DL_UINT8: return *(const uint8_t *)p;
    case DL_INT8: return *(const int8_t *)p;
    case DL_INT16: return *(const int16_t *)p;
    case DL_UINT16: return *(const uint16_t *)p;
    case DL_INT32: return *(const int32_t *)p;
    case DL_UINT32: return *(const uint32_t *)p;
    case DL_INT64: case DL_UINT64: return *(const int64_t *)p;
    case DL_FLOAT: return (int64_t)*(const float *)p;
    case DL_DOUBLE: return (int64_t)*(const double *)p;
    default: return 0;
    }
}

static const Onnx__NodeProto *producer_of(const cf *c, const char *name)
{
    for (size_t i = c->list->n; i-- > 0;)
        for (size_t j = 0; j < c->list->nodes[i]->n_output; j++)
            if (c->list->nodes[i]->output[j] && strcmp(c->list->nodes[i]->output[j], name) == 0)
                return c->list->nodes[i];
    return NULL;
}

/* The first element of NAME from a Constant (through Identity nodes), an
 * initializer or a --bind input. */
static bool direct_int(cf *c, const char *name, int64_t *out)
{
    for (int depth = 0; name && *name && depth < 1000; depth++) {
        const Onnx__NodeProto *np = producer_of(c, name);
        if (!np) {
            const dl_value *v = c->find(c->find_ctx, name);
            if (!v || !v->data || dl_value_numel(v) < 1)
                return false;
            *out = dl_cf_first_int(v);
            return true;
        }
        if (strcmp(np->op_type, "Identity") == 0 && np->n_input == 1) {
            name = np->input[0];
            continue;
        }
        if (strcmp(np->op_type, "Constant") != 0)
            return false;
        const Onnx__AttributeProto *a = find_attr(np, "value");
        const Onnx__AttributeProto *vi = find_attr(np, "value_int");
        const Onnx__AttributeProto *vs = find_attr(np, "value_ints");
        if (vi && vi->has_i) {
            *out = vi->i;
            return true;
        }
        if (vs && vs->n_ints) {
            *out = vs->ints[0];
            return true;
        }
        if (!a || !a->t)
            return false;
        dl_value *v = dl_onnx_tensor_value(c->g, c->d, NULL, "a Constant's value", c->model_dir, a->t, true);
        if (!v || dl_value_numel(v) < 1)
            return false;
        *out = dl_cf_first_int(v);
        return true;
    }
    return false;
}

/* NAME's shape and value by inference over the nodes so far; -1 when out of memory. */
static int probe(cf *c, const char *name, dl_cf_probe_result *r)
{
    int rc = dl_cf_probe(c->g, c->d, c->model_dir, c->list->nodes, c->list->n, c->find, c->find_ctx, name, r);
    snprintf(c->hint, sizeof c->hint, "%s", r->hint);
    return rc;
}

/* The first element of NAME, when it is known while loading: directly, or
 * when the nodes that compute it fold to a constant. */
static bool known_int(cf *c, const char *name, int64_t *out)
{
    dl_cf_probe_result r;
    c->hint[0] = 0;
    if (direct_int(c, name, out))
        return true;
    if (!name || !*name || probe(c, name, &r) || !r.known)
        return false;
    *out = r.value;
    return true;
}

/* "; to fix it at compile time use --bind ..." after a probe that found run-time inputs. */
static const char *bind_hint(cf *c, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", c->hint[0] ? "; to fix it at compile time use " : "", c->hint);
    return buf;
}

/* ------------------------------------------------------------- scopes */

static bool body_defines(const Onnx__GraphProto *body, const char *name)
{
    for (size_t i = 0; i < body->n_initializer; i++)
        if (body->initializer[i]->name && strcmp(body->initializer[i]->name, name) == 0)
            return true;
    for (size_t i = 0; i < body->n_node; i++)
        for (size_t j = 0; j < body->node[i]->n_output; j++)
            if (body->node[i]->output[j] && strcmp(body->node[i]->output[j], name) == 0)
                return true;
    return false;
}

/* NULL only when out of memory; "" stays "" (an omitted optional input). */
static const char *resolve(cf *c, const scope *s, const char *name)
{
    if (!name || !*name)
        return "";
    for (; s; s = s->parent) {
        for (size_t i = 0; i < s->n; i++)
            if (s->formal[i] && strcmp(s->formal[i], name) == 0)
                return s->actual[i];
        if (body_defines(s->body, name))
            return cf_str(c, "%s/%s", s->prefix, name);
    }
    return name;
}

static int expand_node(cf *c, const Onnx__NodeProto *np, const scope *s);

/* A body node, renamed into its instance. */
static int emit_renamed(cf *c, const Onnx__NodeProto *np, const scope *s)
{
    Onnx__NodeProto *copy = cf_alloc(c, sizeof *copy);
    char **in = cf_alloc(c, np->n_input * sizeof(char *)), **out = cf_alloc(c, np->n_output * sizeof(char *));
    if (!copy || !in || !out)
        return cf_oom(c);
    *copy = *np;
    copy->input = in;
    copy->output = out;
    copy->name = np->name && *np->name ? cf_str(c, "%s/%s", s->prefix, np->name) : "";
    for (size_t i = 0; i < np->n_input; i++)
        if (!(in[i] = (char *)resolve(c, s, np->input[i])))
            return cf_oom(c);
    for (size_t i = 0; i < np->n_output; i++)
        if (!(out[i] = (char *)resolve(c, s, np->output[i])))
            return cf_oom(c);
    return copy->name ? dl_proto_push(c->d, c->list, copy) : cf_oom(c);
}

static int emit_nodes(cf *c, const Onnx__GraphProto *gp, const scope *s)
{
    int rc = 0;
    for (size_t i = 0; i < gp->n_node && !c->d->out_of_memory; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        if (dl_cf_is_control_flow(np))
            rc |= expand_node(c, np, s);
        else if (!s)
            rc |= dl_proto_push(c->d, c->list, (Onnx__NodeProto *)np);
        else
            rc |= emit_renamed(c, np, s);
    }
    return rc ? -1 : 0;
}

/* Instantiates body under prefix with its formal inputs bound to actual;
 * results[i] gets the value name of the body's output i. */
static int inline_body(cf *c, const Onnx__NodeProto *np, const Onnx__GraphProto *body, const scope *parent,
                       const char *prefix, const char *const *actual, const char **results)
{
    const char **formal = cf_alloc(c, body->n_input * sizeof *formal);
    if (!formal || !prefix)
        return cf_oom(c);
    for (size_t i = 0; i < body->n_input; i++)
        formal[i] = body->input[i]->name;
    scope s = {parent, body, prefix, formal, actual, body->n_input};
    for (size_t i = 0; i < body->n_initializer; i++) {
        const Onnx__TensorProto *t = body->initializer[i];
        Onnx__NodeProto *k;
        const char *name = resolve(c, &s, t->name);
        if (!name || emit_op(c, "Constant", NULL, 0, name, &k))
            return cf_oom(c);
        Onnx__AttributeProto *a = dl_proto_add_attr(c->g, k, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
        if (!a)
            return cf_oom(c);
        a->t = (Onnx__TensorProto *)t;
    }
    if (emit_nodes(c, body, &s))
        return -1;
    for (size_t i = 0; i < body->n_output; i++)
        if (!(results[i] = resolve(c, &s, body->output[i]->name)))
            return cf_oom(c);
    if (body->n_output == 0)
        return dl_proto_node_error(c->d, np, "a body graph has no outputs");
    return 0;
}

/* For frontend/flex_attention.c: body inlined at the top level into list
 * (which the caller grows and frees), with the same renaming, Constants and
 * nested control-flow expansion as an If branch. */
int dl_cf_inline(dl_graph *g, dl_diag *d, int opset, const char *model_dir, dl_cf_lookup find, void *find_ctx,
                 dl_cf_nodes *list, const Onnx__NodeProto *np, const Onnx__GraphProto *body, const char *prefix,
                 const char *const *actual, const char **results)
{
    cf c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.d = d;
    c.opset = opset;
    c.model_dir = model_dir;
    c.find = find;
    c.find_ctx = find_ctx;
    c.list = list;
    return inline_body(&c, np, body, NULL, prefix, actual, results);
}

/* ------------------------------------------------------------------ If */

static int expand_if(cf *c, const Onnx__NodeProto *np, const scope *s, const char *const *in,
                     const char *const *out, const char *base)
{
    const Onnx__GraphProto *then_g = graph_attr(c, np, "then_branch"), *else_g = graph_attr(c, np, "else_branch");
    if (!then_g || !else_g)
        return -1;
    if (np->n_input != 1 || !*in[0])
        return dl_proto_node_error(c->d, np, "expects 1 input (cond), found %zu", np->n_input);
    if (then_g->n_output < np->n_output || else_g->n_output < np->n_output)
        return dl_proto_node_error(c->d, np, "the node has %zu outputs, but its branches give %zu (then) and %zu (else)",
                          np->n_output, then_g->n_output, else_g->n_output);
    const char **t = cf_alloc(c, then_g->n_output * sizeof *t), **e = cf_alloc(c, else_g->n_output * sizeof *e);
    if (!t || !e)
        return cf_oom(c);
    int64_t cond;
    if (known_int(c, in[0], &cond)) {
        const Onnx__GraphProto *g = cond ? then_g : else_g;
        if (inline_body(c, np, g, s, cf_str(c, "%s/%s", base, cond ? "then" : "else"), NULL, t))
            return -1;
        for (size_t i = 0; i < np->n_output; i++)
            if (emit_identity(c, t[i], out[i]))
                return -1;
        return 0;
    }
    if (inline_body(c, np, then_g, s, cf_str(c, "%s/then", base), NULL, t) ||
        inline_body(c, np, else_g, s, cf_str(c, "%s/else", base), NULL, e))
        return -1;
    /* cond may be a 1-element vector: a scalar keeps Where from adding a dim */
    const char *shape = cf_str(c, "%s/scalar_shape", base), *flag = cf_str(c, "%s/cond", base);
    const char *rs[2] = {in[0], shape};
    Onnx__NodeProto *k;
    if (!shape || !flag || emit_op(c, "Constant", NULL, 0, shape, &k))
        return cf_oom(c);
    Onnx__AttributeProto *a = dl_proto_add_attr(c->g, k, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    Onnx__TensorProto *tp = cf_alloc(c, sizeof *tp);
    if (!a || !tp)
        return cf_oom(c);
    onnx__tensor_proto__init(tp);
    tp->has_data_type = 1;
    tp->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    tp->n_dims = 1; /* an empty vector: dims = [0] */
    tp->dims = cf_alloc(c, sizeof(int64_t));
    a->t = tp;
    if (!tp->dims || emit_op(c, "Reshape", rs, 2, flag, NULL))
        return -1;
    for (size_t i = 0; i < np->n_output; i++) {
        const char *w[3] = {flag, t[i], e[i]};
        if (out[i] && *out[i] && emit_op(c, "Where", w, 3, out[i], NULL))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- Loop */

static int loop_bound(cf *c, const Onnx__NodeProto *np, const char *const *in, int64_t *trips)
{
    int64_t m, cond = 1;
    if (np->n_input < 2 || !*in[0])
        return dl_proto_node_error(c->d, np, "a Loop without a trip count (input 0 'M') is not supported");
    char hint[500];
    if (!known_int(c, in[0], &m))
        return dl_proto_node_error(c->d, np, "trip count '%s' is not a compile-time constant; a run-time trip count is not "
                          "supported%s", in[0], bind_hint(c, hint, sizeof hint));
    if (*in[1] && !known_int(c, in[1], &cond))
        return dl_proto_node_error(c->d, np, "condition '%s' is not a compile-time constant; a run-time loop condition is "
                          "not supported%s", in[1], bind_hint(c, hint, sizeof hint));
    *trips = cond ? (m > 0 ? m : 0) : 0;
    if (*trips > 100000)
        return dl_proto_node_error(c->d, np, "trip count %lld is too large to unroll (not supported above 100000)",
                          (long long)m);
    return 0;
}

static int expand_loop(cf *c, const Onnx__NodeProto *np, const scope *s, const char *const *in,
                       const char *const *out, const char *base)
{
    const Onnx__GraphProto *body = graph_attr(c, np, "body");
    int64_t trips;
    if (!body || loop_bound(c, np, in, &trips))
        return -1;
    size_t n = np->n_input - 2, k_scan = body->n_output > n + 1 ? body->n_output - n - 1 : 0;
    if (body->n_input != n + 2 || body->n_output < n + 1)
        return dl_proto_node_error(c->d, np, "the body has %zu inputs and %zu outputs; %zu loop-carried values need %zu "
                          "inputs and at least %zu outputs", body->n_input, body->n_output, n, n + 2, n + 1);
    if (trips == 0 && k_scan)
        return dl_proto_node_error(c->d, np, "the loop runs 0 times, so its scan outputs are empty; not supported");
    const char **actual = cf_alloc(c, (n + 2) * sizeof *actual);
    const char **res = cf_alloc(c, body->n_output * sizeof *res);
    const char **scans = cf_alloc(c, (k_scan * (size_t)trips + 1) * sizeof *scans);
    if (!actual || !res || !scans)
        return cf_oom(c);
    for (size_t i = 0; i < n; i++)
        actual[2 + i] = in[2 + i];
    actual[1] = in[1];
    if (!*in[1] && (!(actual[1] = cf_str(c, "%s/cond_init", base)) ||
                    emit_const(c, actual[1], ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 1, false)))
        return -1;
    int64_t done = 0;
    for (int64_t k = 0; k < trips; k++, done++) {
        const char *prefix = cf_str(c, "%s/iter%lld", base, (long long)k);
        if (!prefix || !(actual[0] = cf_str(c, "%s/iter_num", prefix)) || emit_i64(c, actual[0], k, false) ||
            inline_body(c, np, body, s, prefix, actual, res))
            return -1;
        for (size_t i = 0; i < n + 1; i++)
            actual[i == 0 ? 1 : i + 1] = res[i];
        for (size_t j = 0; j < k_scan; j++)
            scans[j * (size_t)trips + (size_t)k] = res[1 + n + j];
        int64_t go;
        char hint[500];
        if (k + 1 < trips && !known_int(c, res[0], &go))
            return dl_proto_node_error(c->d, np, "the body's condition output '%s' is computed at run time, so the loop "
                              "may stop early; not supported%s", body->output[0]->name,
                              bind_hint(c, hint, sizeof hint));
        if (k + 1 < trips && !go) {
            done++;
            break;
        }
    }
    for (size_t i = 0; i < n && i < np->n_output; i++)
        if (emit_identity(c, actual[2 + i], out[i]))
            return -1;
    for (size_t j = 0; j < k_scan && n + j < np->n_output; j++)
        if (*out[n + j] && emit_stack(c, scans + j * (size_t)trips, (size_t)done, 0, out[n + j]))
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- Scan */

static int static_dim(cf *c, const Onnx__NodeProto *np, const char *name, int64_t axis, int64_t *len,
                      int64_t *rank_out)
{
    const dl_value *v = c->find(c->find_ctx, name);
    dl_cf_probe_result r;
    char hint[500];
    if (v && v->rank >= 0) {
        r.rank = v->rank;
        memcpy(r.dims, v->dims, sizeof r.dims);
    } else if (probe(c, name, &r)) {
        return -1;
    }
    if (r.rank < 0)
        return dl_proto_node_error(c->d, np, "the shape of scan input '%s' is not known at compile time; not supported%s",
                          name, bind_hint(c, hint, sizeof hint));
    int64_t a = axis < 0 ? axis + r.rank : axis;
    if (a < 0 || a >= r.rank)
        return dl_proto_node_error(c->d, np, "scan axis %lld is out of range for '%s' of rank %d", (long long)axis, name,
                          r.rank);
    *len = r.dims[a];
    *rank_out = r.rank;
    return 0;
}

typedef struct scan_shape {
    size_t n_state, n_in, n_out; /* loop-carried states, scan inputs, scan outputs */
    int64_t len;                  /* iterations */
} scan_shape;

/* One iteration: the states thread through; scan input j gives its slice at index[j]. */
static int scan_step(cf *c, const Onnx__NodeProto *np, const Onnx__GraphProto *body, const scope *s,
                     const scan_shape *sh, const char *prefix, const char **state, const char *const *src,
                     const int64_t *index, const int64_t *axes, const char **ys)
{
    const char **actual = cf_alloc(c, body->n_input * sizeof *actual);
    const char **res = cf_alloc(c, body->n_output * sizeof *res);
    if (!actual || !res || !prefix)
        return cf_oom(c);
    for (size_t i = 0; i < sh->n_state; i++)
        actual[i] = state[i];
    for (size_t j = 0; j < sh->n_in; j++) {
        const char *slice = cf_str(c, "%s/x%zu", prefix, j);
        if (!slice)
            return cf_oom(c);
        if (emit_take(c, src[j], index[j], axes[j], slice))
            return -1;
        actual[sh->n_state + j] = slice;
    }
    if (inline_body(c, np, body, s, prefix, actual, res))
        return -1;
    for (size_t i = 0; i < sh->n_state; i++)
        state[i] = res[i];
    for (size_t j = 0; j < sh->n_out; j++)
        ys[j] = res[sh->n_state + j];
    return 0;
}

/* One sequence: states from state (updated), outputs stacked per scan output
 * into out[j] (output axes and directions); src names the scan inputs. */
static int scan_sequence(cf *c, const Onnx__NodeProto *np, const Onnx__GraphProto *body, const scope *s,
                         const scan_shape *sh, const char *base, const char **state, const char *const *src,
                         const int64_t *in_axes, const int64_t *in_dirs, const int64_t *out_axes,
                         const int64_t *out_dirs, const char *const *out)
{
    size_t len = (size_t)sh->len;
    int64_t *index = cf_alloc(c, (sh->n_in + 1) * sizeof *index);
    const char **ys = cf_alloc(c, (sh->n_out + 1) * sizeof *ys);
    const char **parts = cf_alloc(c, (sh->n_out * len + 1) * sizeof *parts);
    if (!index || !ys || !parts)
        return cf_oom(c);
    for (size_t t = 0; t < len; t++) {
        for (size_t j = 0; j < sh->n_in; j++)
            index[j] = in_dirs[j] ? (int64_t)(len - 1 - t) : (int64_t)t;
        if (scan_step(c, np, body, s, sh, cf_str(c, "%s/iter%zu", base, t), state, src, index, in_axes, ys))
            return -1;
        for (size_t j = 0; j < sh->n_out; j++)
            parts[j * len + (out_dirs[j] ? len - 1 - t : t)] = ys[j];
    }
    for (size_t j = 0; j < sh->n_out; j++)
        if (out[j] && *out[j] && emit_stack(c, parts + j * len, len, out_axes[j], out[j]))
            return -1;
    return 0;
}

static int scan_setup(cf *c, const Onnx__NodeProto *np, const Onnx__GraphProto *body, size_t first,
                      scan_shape *sh)
{
    int64_t m = attr_i(np, "num_scan_inputs", -1);
    if (m < 1 || (size_t)m > np->n_input - first)
        return dl_proto_node_error(c->d, np, "attribute 'num_scan_inputs' is %lld; expected 1 to %zu", (long long)m,
                          np->n_input - first);
    sh->n_in = (size_t)m;
    sh->n_state = np->n_input - first - sh->n_in;
    if (body->n_input != sh->n_state + sh->n_in || body->n_output < sh->n_state)
        return dl_proto_node_error(c->d, np, "the body has %zu inputs and %zu outputs; expected %zu inputs and at least "
                          "%zu outputs", body->n_input, body->n_output, sh->n_state + sh->n_in, sh->n_state);
    sh->n_out = body->n_output - sh->n_state;
    if (np->n_output > sh->n_state + sh->n_out)
        return dl_proto_node_error(c->d, np, "the node has %zu outputs; its body gives %zu", np->n_output,
                          sh->n_state + sh->n_out);
    return 0;
}

static int64_t *attr_list(cf *c, const Onnx__NodeProto *np, const char *name, size_t n, int64_t fallback)
{
    int64_t *v = cf_alloc(c, (n + 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = attr_ints_at(np, name, i, fallback);
    return v;
}

/* Scan-9+: no batch dim; axes and directions per input and output. */
static int expand_scan9(cf *c, const Onnx__NodeProto *np, const scope *s, const char *const *in,
                        const char *const *out, const char *base, const Onnx__GraphProto *body, scan_shape *sh)
{
    int64_t *in_axes = attr_list(c, np, "scan_input_axes", sh->n_in, 0);
    int64_t *in_dirs = attr_list(c, np, "scan_input_directions", sh->n_in, 0);
    int64_t *out_axes = attr_list(c, np, "scan_output_axes", sh->n_out, 0);
    int64_t *out_dirs = attr_list(c, np, "scan_output_directions", sh->n_out, 0);
    const char **state = cf_alloc(c, (sh->n_state + 1) * sizeof *state);
    const char **outs = cf_alloc(c, (sh->n_out + 1) * sizeof *outs);
    if (!in_axes || !in_dirs || !out_axes || !out_dirs || !state || !outs)
        return cf_oom(c);
    for (size_t j = 0; j < sh->n_in; j++) {
        int64_t len, rank;
        if (static_dim(c, np, in[sh->n_state + j], in_axes[j], &len, &rank))
            return -1;
        in_axes[j] = in_axes[j] < 0 ? in_axes[j] + rank : in_axes[j];
        if (j > 0 && len != sh->len)
            return dl_proto_node_error(c->d, np, "scan inputs have different lengths (%lld and %lld)", (long long)sh->len,
                              (long long)len);
        sh->len = len;
    }
    if (sh->len < 1)
        return dl_proto_node_error(c->d, np, "the scan has 0 iterations, so its outputs are empty; not supported");
    for (size_t i = 0; i < sh->n_state; i++)
        state[i] = in[i];
    for (size_t j = 0; j < sh->n_out; j++)
        outs[j] = sh->n_state + j < np->n_output ? out[sh->n_state + j] : "";
    if (scan_sequence(c, np, body, s, sh, base, state, in + sh->n_state, in_axes, in_dirs, out_axes, out_dirs,
                      outs))
        return -1;
    for (size_t i = 0; i < sh->n_state && i < np->n_output; i++)
        if (emit_identity(c, state[i], out[i]))
            return -1;
    return 0;
}

/* Scan-8: dim 0 of every input and output is a batch; each batch element is
 * its own sequence along dim 1. sequence_lens must be absent or all full. */
static int expand_scan8(cf *c, const Onnx__NodeProto *np, const scope *s, const char *const *in,
                        const char *const *out, const char *base, const Onnx__GraphProto *body, scan_shape *sh)
{
    int64_t batch = 0, rank, len;
    for (size_t j = 0; j < sh->n_in; j++) {
        if (static_dim(c, np, in[1 + sh->n_state + j], 0, &batch, &rank) ||
            static_dim(c, np, in[1 + sh->n_state + j], 1, &len, &rank))
            return -1;
        sh->len = len;
    }
    int64_t seq;
    if (*in[0] && !(known_int(c, in[0], &seq) && seq == sh->len && batch == 1))
        return dl_proto_node_error(c->d, np, "input 'sequence_lens' is given; only scans over full sequences without it "
                          "are supported");
    if (sh->len < 1 || batch < 1)
        return dl_proto_node_error(c->d, np, "the scan has 0 iterations, so its outputs are empty; not supported");
    int64_t *zeros = cf_alloc(c, (sh->n_out + sh->n_in + 1) * sizeof *zeros);
    int64_t *dirs = attr_list(c, np, "directions", sh->n_in, 0);
    const char **state = cf_alloc(c, (sh->n_state + 1) * sizeof *state), **xs = cf_alloc(c, (sh->n_in + 1) *
                                                                                          sizeof *xs);
    const char **outs = cf_alloc(c, (sh->n_out + 1) * sizeof *outs);
    const char **finals = cf_alloc(c, ((sh->n_state + sh->n_out) * (size_t)batch + 1) * sizeof *finals);
    if (!zeros || !dirs || !state || !xs || !outs || !finals)
        return cf_oom(c);
    for (int64_t b = 0; b < batch; b++) {
        const char *bb = cf_str(c, "%s/batch%lld", base, (long long)b);
        if (!bb)
            return cf_oom(c);
        for (size_t i = 0; i < sh->n_state; i++)
            if (!(state[i] = cf_str(c, "%s/state%zu", bb, i)) || emit_take(c, in[1 + i], b, 0, state[i]))
                return -1;
        for (size_t j = 0; j < sh->n_in; j++)
            if (!(xs[j] = cf_str(c, "%s/x%zu", bb, j)) || emit_take(c, in[1 + sh->n_state + j], b, 0, xs[j]))
                return -1;
        for (size_t j = 0; j < sh->n_out; j++)
            if (!(outs[j] = cf_str(c, "%s/y%zu", bb, j)))
                return cf_oom(c);
        if (scan_sequence(c, np, body, s, sh, bb, state, xs, zeros, dirs, zeros, zeros, outs))
            return -1;
        for (size_t i = 0; i < sh->n_state; i++)
            finals[i * (size_t)batch + (size_t)b] = state[i];
        for (size_t j = 0; j < sh->n_out; j++)
            finals[(sh->n_state + j) * (size_t)batch + (size_t)b] = outs[j];
    }
    for (size_t i = 0; i < np->n_output; i++)
        if (*out[i] && emit_stack(c, finals + i * (size_t)batch, (size_t)batch, 0, out[i]))
            return -1;
    return 0;
}

static int expand_scan(cf *c, const Onnx__NodeProto *np, const scope *s, const char *const *in,
                       const char *const *out, const char *base)
{
    const Onnx__GraphProto *body = graph_attr(c, np, "body");
    scan_shape sh = {0, 0, 0, 0};
    size_t first = c->opset < 9 ? 1 : 0;
    if (!body || np->n_input < first + 1 || scan_setup(c, np, body, first, &sh))
        return -1;
    if (c->opset < 9)
        return expand_scan8(c, np, s, in, out, base, body, &sh);
    return expand_scan9(c, np, s, in, out, base, body, &sh);
}

/* ---------------------------------------------------------------- entry */

static int expand_node(cf *c, const Onnx__NodeProto *np, const scope *s)
{
    const char **in = cf_alloc(c, (np->n_input + 1) * sizeof *in);
    const char **out = cf_alloc(c, (np->n_output + 1) * sizeof *out);
    if (!in || !out)
        return cf_oom(c);
    for (size_t i = 0; i < np->n_input; i++)
        if (!(in[i] = resolve(c, s, np->input[i])))
            return cf_oom(c);
    for (size_t i = 0; i < np->n_output; i++)
        if (!(out[i] = resolve(c, s, np->output[i])))
            return cf_oom(c);
    /* Instance names grow from the first named output, which is unique. */
    const char *base = NULL;
    for (size_t i = 0; i < np->n_output && !base; i++)
        if (*out[i])
            base = out[i];
    if (!base)
        return 0; /* no output is used */
    if (strcmp(np->op_type, "If") == 0)
        return expand_if(c, np, s, in, out, base);
    if (strcmp(np->op_type, "Loop") == 0)
        return expand_loop(c, np, s, in, out, base);
    return expand_scan(c, np, s, in, out, base);
}

const Onnx__GraphProto *dl_cf_expand(dl_graph *g, dl_diag *d, const Onnx__GraphProto *gp, int opset,
                                     const char *model_dir, dl_cf_lookup find, void *find_ctx)
{
    bool any = false;
    for (size_t i = 0; i < gp->n_node; i++)
        any |= dl_cf_is_control_flow(gp->node[i]);
    if (!any)
        return gp;
    cf c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.d = d;
    c.opset = opset;
    c.model_dir = model_dir;
    c.find = find;
    c.find_ctx = find_ctx;
    dl_cf_nodes list = {NULL, 0, 0};
    c.list = &list;
    if (emit_nodes(&c, gp, NULL)) {
        dl_free(list.nodes, list.cap * sizeof *list.nodes);
        return NULL;
    }
    return dl_proto_graph_with(g, d, gp, &list);
}
