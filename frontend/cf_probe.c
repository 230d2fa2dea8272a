/* Load-time probes for control flow: what a Loop's trip count, an If's
 * condition or a Scan input's shape will be, when it is computed by nodes
 * from constants and known shapes. The nodes that compute it are copied
 * into a scratch graph and run through dlcc's own shape inference and
 * constant folding, so the answer is the one the compiled graph will get. */
#include <stdio.h>
#include <string.h>

#include "frontend/frontend.h"
#include "ir/ops/op.h"
#include "onnx.pb-c.h"
#include "passes/passes.h"

typedef struct probe {
    dl_graph *sg;
    dl_diag sd; /* the scratch graph's complaints are not the model's */
    Onnx__NodeProto *const *nodes;
    size_t n;
    bool *wanted;   /* nodes of the cone */
    dl_cf_lookup find;
    void *find_ctx;
    dl_cf_probe_result *r;
} probe;

static long producer_index(const probe *p, const char *name)
{
    for (size_t i = p->n; i-- > 0;)
        for (size_t j = 0; j < p->nodes[i]->n_output; j++)
            if (p->nodes[i]->output[j] && strcmp(p->nodes[i]->output[j], name) == 0)
                return (long)i;
    return -1;
}

static void add_hint(dl_cf_probe_result *r, const char *input)
{
    size_t at = strlen(r->hint);
    if (!strstr(r->hint, input) && at + strlen(input) + 20 < sizeof r->hint)
        snprintf(r->hint + at, sizeof r->hint - at, "%s--bind %s=FILE", at ? " " : "", input);
}

/* A value outside the cone: a copy of the loader's initializer or input. */
static int add_leaf(probe *p, const char *name)
{
    if (dl_graph_find_value(p->sg, name))
        return 0;
    const dl_value *v = p->find(p->find_ctx, name);
    if (!v || v->rank < 0)
        return 1; /* not known here */
    dl_value *copy = dl_graph_add_value(p->sg, name, v->dtype, v->rank, v->dims);
    if (!copy)
        return -1;
    if (v->is_input && !v->data)
        add_hint(p->r, name);
    if (!v->data)
        return dl_graph_add_input(p->sg, copy);
    void *data = dl_value_alloc_data(p->sg, copy);
    if (!data)
        return -1;
    memcpy(data, v->data, (size_t)dl_value_bytes(v));
    return 0;
}

/* Marks the producers of name and everything they read; adds the leaves. */
static int mark_cone(probe *p, const char *name, int depth)
{
    if (!name || !*name)
        return 0;
    if (depth > 10000)
        return 1;
    long i = producer_index(p, name);
    if (i < 0)
        return add_leaf(p, name);
    if (p->wanted[i])
        return 0;
    p->wanted[i] = true;
    const Onnx__NodeProto *np = p->nodes[i];
    if (!dl_op_find_onnx(np->op_type))
        return 1;
    for (size_t j = 0; j < np->n_input; j++) {
        int rc = mark_cone(p, np->input[j], depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_node(probe *p, const Onnx__NodeProto *np, const char *model_dir)
{
    dl_node *n = dl_graph_add_node(p->sg, np->name ? np->name : "", np->op_type, (int)np->n_input,
                                   (int)np->n_output);
    if (!n)
        return -1;
    n->op = dl_op_find_onnx(np->op_type);
    for (size_t j = 0; j < np->n_output; j++) {
        const char *name = np->output[j] && *np->output[j] ? np->output[j] : NULL;
        dl_value *v = dl_graph_add_value(p->sg, name, DL_UNDEFINED, -1, NULL);
        if (!v)
            return -1;
        dl_node_set_output(n, (int)j, v);
    }
    if (dl_onnx_node_attrs(p->sg, &p->sd, n, np, model_dir))
        return p->sd.out_of_memory ? -1 : 1;
    return 0;
}

static int connect(probe *p, dl_node *n, const Onnx__NodeProto *np)
{
    for (size_t j = 0; j < np->n_input; j++) {
        dl_value *v = np->input[j] && *np->input[j] ? dl_graph_find_value(p->sg, np->input[j]) : NULL;
        if (np->input[j] && *np->input[j] && !v)
            return 1;
        if (dl_node_set_input(p->sg, n, (int)j, v))
            return -1;
    }
    return 0;
}

/* Builds the cone and infers it: 0 with what was learned in r, 1 when it
 * could not be built or inferred, -1 when out of memory. */
static int run_probe(probe *p, const char *name, const char *model_dir)
{
    int rc = mark_cone(p, name, 0);
    int first = p->sg->n_nodes;
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        if (p->wanted[i])
            rc = add_node(p, p->nodes[i], model_dir);
    for (size_t i = 0, k = (size_t)first; rc == 0 && i < p->n; i++)
        if (p->wanted[i])
            rc = connect(p, p->sg->nodes[k++], p->nodes[i]);
    dl_value *target = rc == 0 ? dl_graph_find_value(p->sg, name) : NULL;
    if (rc || !target)
        return rc ? rc : 1;
    if (dl_graph_add_output(p->sg, target))
        return -1;
    dl_pass_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.diag = &p->sd;
    ctx.fold_limit_bytes = INT64_MAX;
    if (dl_graph_sort(p->sg, &p->sd) || dl_infer_and_fold(p->sg, &ctx))
        return p->sd.out_of_memory ? -1 : 1;
    p->r->dtype = target->dtype;
    p->r->rank = target->rank;
    for (int i = 0; i < target->rank && i < DL_MAX_RANK; i++)
        p->r->dims[i] = target->dims[i];
    if (target->data && dl_value_numel(target) >= 1) {
        p->r->known = true;
        p->r->value = dl_cf_first_int(target);
    }
    return 0;
}

int dl_cf_probe(dl_graph *g, dl_diag *d, const char *model_dir, Onnx__NodeProto *const *nodes, size_t n,
                dl_cf_lookup find, void *find_ctx, const char *name, dl_cf_probe_result *r)
{
    memset(r, 0, sizeof *r);
    r->rank = -1;
    probe p;
    memset(&p, 0, sizeof p);
    p.nodes = nodes;
    p.n = n;
    p.find = find;
    p.find_ctx = find_ctx;
    p.r = r;
    dl_diag_init(&p.sd, g->file);
    p.sg = dl_graph_new(g->file);
    p.wanted = dl_malloc(n + 1);
    int rc = -1;
    if (p.sg && p.wanted) {
        memset(p.wanted, 0, n + 1);
        p.sg->opset = g->opset;
        rc = run_probe(&p, name, model_dir);
    }
    bool oom = rc < 0 || p.sd.out_of_memory;
    dl_graph_free(p.sg);
    dl_free(p.wanted, n + 1);
    dl_diag_free(&p.sd);
    if (rc > 0) { /* keep the hint, forget the rest */
        r->rank = -1;
        r->known = false;
    }
    return oom ? dl_onnx_out_of_memory(d) : 0;
}
