/* Dead-code elimination: drop nodes none of whose outputs is used. */
#include "passes/passes.h"

static bool is_live(const dl_node *n)
{
    for (int i = 0; i < n->n_outputs; i++) {
        const dl_value *v = n->outputs[i];
        if (v && (v->n_users > 0 || v->is_output))
            return true;
    }
    return false;
}

int dl_eliminate_dead_code(dl_graph *g, dl_pass_context *ctx)
{
    int removed = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        dl_node *n = g->nodes[i];
        if (!n->dead && !is_live(n)) {
            dl_node_remove(g, n);
            removed++;
        }
    }
    /* Compact the node list. */
    int at = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead) {
            g->nodes[at] = g->nodes[i];
            g->nodes[at]->id = at;
            at++;
        }
    g->n_nodes = at;
    if (ctx->log)
        fprintf(ctx->log, "dce: %d unused nodes removed, %d remain\n", removed, g->n_nodes);
    return 0;
}
