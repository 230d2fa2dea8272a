/* Scheduling: the topological order the file gave, except that nodes which
 * compute from constants alone (run-time generated weights, e.g. a
 * ConstantOfShape and the Mul that bn-fold puts after it) run just before
 * their first user, so their results are not live for the whole run. */
#include "ir/ops/op.h"
#include "passes/passes.h"

/* Does n read only constants and results of such nodes (by id, so in
 * topological order: those are decided before n)? */
static bool reads_only_constants(const dl_node *n, const bool *constant_only)
{
    for (int i = 0; i < n->n_inputs; i++) {
        const dl_value *v = n->inputs[i];
        if (v && !v->data && !(v->producer && !v->producer->dead && constant_only[v->producer->id]))
            return false;
    }
    return true;
}

typedef struct schedule {
    dl_node **order;
    int n;
    bool *placed;
} schedule;

static void place(schedule *s, dl_node *n)
{
    if (s->placed[n->id])
        return;
    s->placed[n->id] = true; /* before recursing: the graph is acyclic, this only guards re-entry */
    for (int i = 0; i < n->n_inputs; i++) {
        dl_value *v = n->inputs[i];
        if (v && v->producer && !v->producer->dead)
            place(s, v->producer);
    }
    s->order[s->n++] = n;
}

int dl_schedule(dl_graph *g, dl_pass_context *ctx)
{
    int n = g->n_nodes, deferred = 0;
    /* placed[0..n], then constant_only[0..n] */
    schedule s = {dl_malloc(sizeof(dl_node *) * (size_t)(n + 1)), 0, dl_malloc(2 * sizeof(bool) * (size_t)(n + 1))};
    if (!s.order || !s.placed) {
        dl_free(s.order, sizeof(dl_node *) * (size_t)(n + 1));
        dl_free(s.placed, 2 * sizeof(bool) * (size_t)(n + 1));
        return dl_error(ctx->diag, NULL, "out of memory while scheduling");
    }
    bool *constant_only = s.placed + n + 1;
    for (int i = 0; i < n; i++) {
        g->nodes[i]->id = i;
        s.placed[i] = false;
    }
    for (int i = 0; i < n; i++) {
        dl_node *node = g->nodes[i];
        constant_only[i] = reads_only_constants(node, constant_only);
        if (constant_only[i]) {
            deferred++;
            continue;
        }
        place(&s, node);
    }
    for (int i = 0; i < n; i++) /* deferred nodes nobody placed: graph outputs */
        place(&s, g->nodes[i]);
    for (int i = 0; i < n; i++) {
        g->nodes[i] = s.order[i];
        g->nodes[i]->id = i;
    }
    dl_free(s.order, sizeof(dl_node *) * (size_t)(n + 1));
    dl_free(s.placed, 2 * sizeof(bool) * (size_t)(n + 1));
    if (ctx->log)
        fprintf(ctx->log, "schedule: %d nodes, %d constant-only nodes moved next to their users\n", n, deferred);
    return 0;
}
