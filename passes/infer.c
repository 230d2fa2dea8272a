/* Shape inference with constant folding: one walk in topological order.
 * Folding while inferring is what turns exporters' shape subgraphs
 * (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) into constants before
 * Reshape needs its shape. */
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

static bool inputs_constant(const dl_node *n)
{
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] && !n->inputs[i]->data)
            return false;
    return true;
}

static int64_t input_bytes(const dl_node *n)
{
    int64_t total = 0;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i])
            total += dl_value_bytes(n->inputs[i]);
    return total;
}

static int64_t output_bytes(const dl_node *n)
{
    int64_t total = 0;
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i])
            total += dl_value_bytes(n->outputs[i]);
    return total;
}

/* Fold unless the node would blow a small constant up into a large one
 * (ConstantOfShape, Expand, Tile): those stay as run-time code. */
static bool worth_folding(const dl_node *n, int64_t limit)
{
    int64_t out = output_bytes(n);
    return out <= limit || out <= 2 * input_bytes(n);
}

static bool all_outputs_constant(const dl_node *n)
{
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] && !n->outputs[i]->data)
            return false;
    return true;
}

static int check_outputs(dl_diag *d, const dl_node *n)
{
    for (int i = 0; i < n->n_outputs; i++) {
        const dl_value *v = n->outputs[i];
        if (!v)
            continue;
        if (v->rank < 0)
            return dl_error(d, n, "internal error: output %d '%s' got no shape", i, v->name);
        if (dl_dtype_size(v->dtype) == 0)
            return dl_error(d, n, "output %d '%s' has unsupported type %s", i, v->name, dl_dtype_name(v->dtype));
        for (int k = 0; k < v->rank; k++)
            if (v->dims[k] < 0)
                return dl_error(d, n, "output %d '%s' has a negative dim %lld", i, v->name, (long long)v->dims[k]);
    }
    return 0;
}

static int fold(dl_graph *g, dl_node *n, dl_diag *d)
{
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] && !n->outputs[i]->data && !dl_value_alloc_data(g, n->outputs[i]))
            return d->out_of_memory = true, -1;
    return n->op->eval(g, n, d);
}

/* A node whose outputs are all constant no longer runs: detach it. */
static void retire(dl_graph *g, dl_node *n)
{
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i])
            n->outputs[i]->producer = NULL;
    dl_node_remove(g, n);
}

int dl_infer_and_fold(dl_graph *g, dl_pass_context *ctx)
{
    dl_diag *d = ctx->diag;
    int folded = 0, inferred = 0;
    dl_node *widened = NULL;    /* the node whose float16 inputs were just widened */
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        if (!n->op)
            return dl_error(d, n, "unsupported operator");
        if (n != widened && dl_legalize_f16_wanted(n)) {
            /* Casts to float32 now stand at i..: walk them first, then n. */
            if (dl_legalize_f16_inputs(g, i, d) < 0)
                return -1;
            widened = n;
            i--;
            continue;
        }
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k])
                n->outputs[k]->rank = -1;
        if (n->op->setup && n->op->setup(g, n, d))
            return -1;
        if (n->op->infer(g, n, d) || check_outputs(d, n))
            return -1;
        if (n == widened) {
            /* Its float32 results go back to float16 through casts placed after it. */
            if (dl_legalize_f16_outputs(g, i, d) < 0)
                return -1;
            widened = NULL;
        }
        inferred++;
        if (inputs_constant(n) && n->op->eval && !all_outputs_constant(n) &&
            worth_folding(n, ctx->fold_limit_bytes)) {
            if (fold(g, n, d))
                return -1;
        }
        if (all_outputs_constant(n)) {
            retire(g, n);
            folded++;
        }
    }
    if (d->out_of_memory || g->arena.failed)
        return dl_error(d, NULL, "out of memory during shape inference");
    if (ctx->log)
        fprintf(ctx->log, "infer: %d nodes typed, %d folded to constants\n", inferred, folded);
    return 0;
}
