/* simplify (-O1): exact rewrites that make the later passes' patterns plain.
 *  - Identity and inference Dropout are removed: their consumers read the
 *    input directly. A graph output keeps its name: when the removed node
 *    wrote one, the producer of its input writes that output instead; when
 *    the input cannot be renamed (a graph input, a constant, another graph
 *    output) the node stays.
 *  - MatMul (2-D A, constant 2-D B) followed by an Add of a constant bias that
 *    broadcasts into the product without growing it becomes one Gemm. The
 *    Gemm kernel accumulates exactly as MatMul does and then computes
 *    1*y + 1*c, so the result is bit-identical.
 *  Transpose of a constant needs nothing here: `infer` folds it (Transpose has
 *  an eval), so a Transpose left in the graph reads a run-time tensor. */
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

/* ------------------------------------------------ helpers shared with bn-fold */

/* Moves the node just appended to index at (shifting the rest), so a new
 * node takes the place of the one it replaces. */
void dl_graph_place_last_at(dl_graph *g, int at)
{
    dl_node *n = g->nodes[g->n_nodes - 1];
    memmove(&g->nodes[at + 1], &g->nodes[at], sizeof(dl_node *) * (size_t)(g->n_nodes - 1 - at));
    g->nodes[at] = n;
    for (int i = at; i < g->n_nodes; i++)
        g->nodes[i]->id = i;
}

bool dl_node_add_output_slot(dl_graph *g, dl_node *n)
{
    dl_value **outputs = dl_arena_alloc(&g->arena, 2 * sizeof *outputs);
    if (outputs == NULL)
        return false;
    outputs[0] = n->outputs[0];
    outputs[1] = NULL;
    n->outputs = outputs;
    n->n_outputs = 2;
    return true;
}

dl_value *dl_scratch_value(dl_graph *g, const dl_value *base, const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s_%s", base != NULL && base->name != NULL ? base->name : "conv", suffix);
    return dl_graph_add_value(g, name, DL_FLOAT, 1, (const int64_t[]){1});
}

int dl_node_refresh(dl_graph *g, dl_node *n, dl_diag *d)
{
    if (n->op->setup && n->op->setup(g, n, d) < 0)
        return -1;
    return n->op->infer(g, n, d);
}

int dl_matmul_to_gemm(dl_graph *g, dl_node *mm, dl_value *c, dl_diag *d)
{
    dl_value **inputs = dl_arena_alloc(&g->arena, 3 * sizeof *inputs);
    const dl_op *gemm = dl_op_find("Gemm");
    if (inputs == NULL || gemm == NULL)
        return dl_error(d, mm, "out of memory");
    inputs[0] = mm->inputs[0];
    inputs[1] = mm->inputs[1];
    mm->inputs = inputs;
    mm->n_inputs = 3;
    mm->op_type = gemm->name;
    mm->op = gemm;
    mm->attrs = NULL;   /* MatMul has none; Gemm's defaults: alpha = beta = 1, no transposes */
    mm->n_attrs = 0;
    return dl_node_set_input(g, mm, 2, c) < 0 ? dl_error(d, mm, "out of memory") : 0;
}

/* ------------------------------------------------------ Identity, Dropout */

static bool is_passthrough(const dl_node *n)
{
    return strcmp(n->op_type, "Identity") == 0 || strcmp(n->op_type, "Dropout") == 0;
}

/* in may take out's place (and name) when a live node produces it and
 * nothing outside the graph's nodes can see it. */
static bool can_rename(const dl_value *in)
{
    return in->producer != NULL && !in->producer->dead && !in->is_input && !in->is_output &&
           in->data == NULL;
}

static int producer_slot(const dl_value *v)
{
    for (int i = 0; i < v->producer->n_outputs; i++)
        if (v->producer->outputs[i] == v)
            return i;
    return -1;
}

/* Returns 1 when n was removed, 0 when it must stay, -1 on error. A
 * Dropout's mask output (if any) is already a constant of ones. */
static int remove_passthrough(dl_graph *g, dl_node *n)
{
    dl_value *in = n->inputs[0], *out = n->outputs[0];
    if (in == NULL || out == NULL || in->dtype != out->dtype)
        return 0;
    if (!out->is_output) {
        dl_node_remove(g, n);
        return dl_value_replace_uses(g, out, in) < 0 ? -1 : 1;
    }
    if (!can_rename(in) || producer_slot(in) < 0)
        return 0;
    /* out is a graph output: its producer becomes in's producer. */
    dl_node *p = in->producer;
    int slot = producer_slot(in);
    dl_node_remove(g, n);
    if (dl_value_replace_uses(g, in, out) < 0)
        return -1;
    dl_node_set_output(p, slot, out);
    in->producer = NULL;
    return 1;
}

/* ----------------------------------------------------- MatMul + Add -> Gemm */

/* The only user of v, when v is not a graph output; else NULL. */
static dl_node *sole_user(const dl_value *v)
{
    return v->n_users == 1 && !v->is_output && !v->users[0]->dead ? v->users[0] : NULL;
}

static bool is_f32_matrix(const dl_value *v)
{
    return v != NULL && v->dtype == DL_FLOAT && v->rank == 2;
}

/* bias broadcasts into y ([M,N]) without changing y's shape, as Gemm's C may. */
static bool gemm_bias_fits(const dl_value *bias, const dl_value *y)
{
    if (bias == NULL || bias->dtype != DL_FLOAT || bias->data == NULL || bias->rank > 2)
        return false;
    int64_t rows = bias->rank == 2 ? bias->dims[0] : 1, cols = bias->rank >= 1 ? bias->dims[bias->rank - 1] : 1;
    return (rows == 1 || rows == y->dims[0]) && (cols == 1 || cols == y->dims[1]);
}

/* mm = MatMul(A, B) with its single user add = Add(mm, C) or Add(C, mm):
 * mm becomes Gemm(A, B, C) writing add's output. */
static int matmul_add_to_gemm(dl_graph *g, dl_node *mm, dl_diag *d)
{
    dl_value *a = mm->inputs[0], *b = mm->inputs[1], *y = mm->outputs[0];
    if (!is_f32_matrix(a) || !is_f32_matrix(b) || b->data == NULL || !is_f32_matrix(y))
        return 0;
    dl_node *add = sole_user(y);
    if (add == NULL || strcmp(add->op_type, "Add") != 0 || add->n_inputs != 2)
        return 0;
    dl_value *bias = add->inputs[0] == y ? add->inputs[1] : add->inputs[0];
    dl_value *out = add->outputs[0];
    if (bias == y || !gemm_bias_fits(bias, y) || out->rank != 2 || out->dims[0] != y->dims[0] ||
        out->dims[1] != y->dims[1] || out->dtype != DL_FLOAT)
        return 0;
    if (dl_matmul_to_gemm(g, mm, bias, d) < 0)
        return -1;
    dl_node_remove(g, add);
    dl_node_set_output(mm, 0, out);
    y->producer = NULL;
    return dl_node_refresh(g, mm, d) < 0 ? -1 : 1;
}

int dl_simplify(dl_graph *g, dl_pass_context *ctx)
{
    int removed = 0, kept = 0, gemms = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        int rc = 0;
        if (n->dead)
            continue;
        if (is_passthrough(n)) {
            rc = remove_passthrough(g, n);
            if (rc == 0)
                kept++;
            removed += rc > 0;
        } else if (strcmp(n->op_type, "MatMul") == 0) {
            rc = matmul_add_to_gemm(g, n, ctx->diag);
            gemms += rc > 0;
        }
        if (rc < 0)
            return -1;
    }
    if (g->arena.failed)
        return dl_error(ctx->diag, NULL, "out of memory in simplify");
    dl_pass_log(ctx, "simplify", "%d Identity/Dropout removed (%d kept: they name a graph output), %d MatMul+Add -> Gemm",
                removed, kept, gemms);
    return 0;
}
