/* float16 legalization: ops compute in float32; a node that reads float16
 * gets its float16 inputs widened by Cast nodes (exact) and its float32
 * results rounded back to float16 by Cast nodes (round to nearest even).
 * This is what numpy, whose results the ONNX references are, does for most
 * float16 ufuncs, and it keeps float16 out of every op file.
 *
 * Types are known only once the producers were inferred, so this runs
 * inside the infer walk (passes/infer.c): before a node's setup the input
 * casts are placed in front of it, after its infer the output casts behind
 * it, and the walk then types (and folds) them like any node. */
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

/* Ops that handle float16 themselves: conversions, and ops that only look at
 * shapes or move elements by size (widening them would be exact, just slower). */
static const char *const native_f16[] = {
    "Cast", "CastLike", "Shape", "Size", "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
    "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND",
    "Softmax",  /* rounds each step to float16 as the reference does (softmax.h) */
};

static bool is_native(const dl_node *n)
{
    for (size_t i = 0; i < sizeof native_f16 / sizeof *native_f16; i++)
        if (strcmp(n->op_type, native_f16[i]) == 0)
            return true;
    return false;
}

bool dl_legalize_f16_wanted(const dl_node *n)
{
    if (is_native(n))
        return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] && n->inputs[i]->dtype == DL_FLOAT16 && n->inputs[i]->rank >= 0)
            return true;
    return false;
}

/* Moves the node just appended (the last one) to index at. */
static void place_node(dl_graph *g, int at)
{
    dl_node *n = g->nodes[g->n_nodes - 1];
    memmove(&g->nodes[at + 1], &g->nodes[at], sizeof(dl_node *) * (size_t)(g->n_nodes - 1 - at));
    g->nodes[at] = n;
    for (int i = at; i < g->n_nodes; i++)
        g->nodes[i]->id = i;
}

/* A Cast node x -> y to dtype `to`, named after the node it serves. */
static dl_node *add_cast(dl_graph *g, const dl_node *owner, dl_value *x, dl_value *y, dl_dtype to)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s_f16_cast_%d", owner->name, owner->name[0] ? "" : owner->op_type, g->n_nodes);
    dl_node *c = dl_graph_add_node(g, name, "Cast", 1, 1);
    dl_attr *a = dl_arena_alloc(&g->arena, sizeof *a);
    if (!c || !a || dl_node_set_input(g, c, 0, x))
        return NULL;
    a->name = "to";
    a->kind = DL_ATTR_INT;
    a->i = to;
    c->attrs = a;
    c->n_attrs = 1;
    c->op = dl_op_find("Cast");
    c->opset = owner->opset;
    dl_node_set_output(c, 0, y);
    return c;
}

/* The float32 twin of a float16 value, named after it for messages. */
static dl_value *add_wide(dl_graph *g, const dl_value *v)
{
    char name[512];
    snprintf(name, sizeof name, "%s_f32", v->name);
    return dl_graph_add_value(g, name, DL_FLOAT, v->rank, v->dims);
}

int dl_legalize_f16_inputs(dl_graph *g, int at, dl_diag *d)
{
    dl_node *n = g->nodes[at];
    int added = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        dl_value *x = n->inputs[i];
        if (!x || x->dtype != DL_FLOAT16)
            continue;
        /* The same value read twice is widened once. */
        dl_value *wide = NULL;
        for (int k = 0; k < i; k++)
            if (n->inputs[k] && n->inputs[k]->producer && n->inputs[k]->producer->n_inputs == 1 &&
                n->inputs[k]->producer->inputs[0] == x && n->inputs[k]->dtype == DL_FLOAT)
                wide = n->inputs[k];
        if (!wide) {
            wide = add_wide(g, x);
            if (!wide || !add_cast(g, n, x, wide, DL_FLOAT))
                return d->out_of_memory = true, -1;
            place_node(g, at + added);
            added++;
        }
        if (dl_node_set_input(g, n, i, wide))
            return d->out_of_memory = true, -1;
    }
    return added;
}

int dl_legalize_f16_outputs(dl_graph *g, int at, dl_diag *d)
{
    dl_node *n = g->nodes[at];
    int added = 0;
    for (int i = 0; i < n->n_outputs; i++) {
        dl_value *y = n->outputs[i];
        if (!y || y->dtype != DL_FLOAT)
            continue;
        dl_value *wide = add_wide(g, y);
        if (!wide)
            return d->out_of_memory = true, -1;
        wide->data = y->data;   /* an op that fills its output in infer: the cast folds it */
        y->data = NULL;
        dl_node_set_output(n, i, wide);
        if (!add_cast(g, n, wide, y, DL_FLOAT16))
            return d->out_of_memory = true, -1;
        place_node(g, at + 1 + added);
        added++;
        y->rank = -1;   /* the cast types it */
    }
    return added;
}
