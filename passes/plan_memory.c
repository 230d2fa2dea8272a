/* Memory planning: every run-time tensor gets an offset in one arena.
 * Views (Reshape, Flatten, Squeeze, ...) share their input's bytes; the rest
 * are placed by liveness over the schedule, largest first, at the lowest
 * offset that overlaps no buffer alive at the same time. */
#include <stdlib.h>
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

#define ALIGN 64

const dl_value *dl_value_storage(const dl_value *v)
{
    while (v && v->alias_of)
        v = v->alias_of;
    return v;
}

/* A value that lives in the arena: computed at run time, not the caller's. */
static bool in_arena(const dl_value *v)
{
    return v && !v->data && !v->is_input && !v->is_output && !v->alias_of;
}

static void make_views(dl_graph *g, int *views)
{
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (!(n->op->flags & DL_OP_VIEW) || n->n_inputs < 1 || !n->inputs[0])
            continue;
        dl_value *in = n->inputs[0], *out = n->outputs[0];
        /* The caller's output buffer must receive the bytes: copy there. */
        if (out->is_output || in->data || out->data)
            continue;
        out->alias_of = in;
        (*views)++;
    }
}

typedef struct buffer {
    dl_value *v;
    int first, last; /* schedule positions */
    int64_t size, offset;
} buffer;

static int by_size_desc(const void *a, const void *b)
{
    const buffer *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

/* Live ranges: from the producing node to the last reader of the value or of any view of it. */
static void live_ranges(dl_graph *g, buffer *bufs, int n_bufs, int *index_of)
{
    for (int b = 0; b < n_bufs; b++)
        bufs[b].first = bufs[b].last = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        for (int k = 0; k < n->n_outputs; k++) {
            const dl_value *s = dl_value_storage(n->outputs[k]);
            if (s && index_of[s->id] >= 0) {
                buffer *b = &bufs[index_of[s->id]];
                if (b->first < 0)
                    b->first = i;
                b->last = b->last > i ? b->last : i;
            }
        }
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *s = dl_value_storage(n->inputs[k]);
            if (s && index_of[s->id] >= 0) {
                buffer *b = &bufs[index_of[s->id]];
                b->last = b->last > i ? b->last : i;
            }
        }
    }
}

static int64_t place_buffers(buffer *bufs, int n_bufs)
{
    qsort(bufs, (size_t)n_bufs, sizeof *bufs, by_size_desc);
    int64_t total = 0;
    for (int b = 0; b < n_bufs; b++) {
        int64_t offset = 0;
        bool moved = true;
        while (moved) { /* first fit among the placed buffers alive at the same time */
            moved = false;
            for (int p = 0; p < b; p++) {
                bool overlap_time = bufs[p].first <= bufs[b].last && bufs[b].first <= bufs[p].last;
                bool overlap_space = bufs[p].offset < offset + bufs[b].size && offset < bufs[p].offset + bufs[p].size;
                if (overlap_time && overlap_space) {
                    offset = align_up(bufs[p].offset + bufs[p].size);
                    moved = true;
                }
            }
        }
        bufs[b].offset = offset;
        bufs[b].v->offset = offset;
        if (offset + bufs[b].size > total)
            total = offset + bufs[b].size;
    }
    return total;
}

static int64_t max_live_bytes(const buffer *bufs, int n_bufs, int n_nodes)
{
    int64_t best = 0;
    for (int i = 0; i < n_nodes; i++) {
        int64_t live = 0;
        for (int b = 0; b < n_bufs; b++)
            if (bufs[b].first <= i && i <= bufs[b].last)
                live += bufs[b].size;
        best = live > best ? live : best;
    }
    return best;
}

int dl_plan_memory(dl_graph *g, dl_pass_context *ctx)
{
    int views = 0;
    for (int i = 0; i < g->n_values; i++) {
        g->values[i]->alias_of = NULL;
        g->values[i]->offset = -1;
    }
    make_views(g, &views);

    int *index_of = dl_malloc(sizeof(int) * (size_t)g->n_values);
    buffer *bufs = dl_malloc(sizeof(buffer) * (size_t)(g->n_values + 1));
    if (!index_of || !bufs) {
        dl_free(index_of, sizeof(int) * (size_t)g->n_values);
        dl_free(bufs, sizeof(buffer) * (size_t)(g->n_values + 1));
        return dl_error(ctx->diag, NULL, "out of memory while planning memory");
    }
    int n_bufs = 0;
    int64_t naive = 0;
    for (int i = 0; i < g->n_values; i++) {
        dl_value *v = g->values[i];
        index_of[i] = -1;
        bool produced = v->producer && !v->producer->dead;
        if (produced && in_arena(v)) {
            index_of[i] = n_bufs;
            bufs[n_bufs].v = v;
            bufs[n_bufs].size = align_up(dl_value_bytes(v) > 0 ? dl_value_bytes(v) : 1);
            naive += bufs[n_bufs].size;
            n_bufs++;
        }
    }
    live_ranges(g, bufs, n_bufs, index_of);
    int64_t lower_bound = max_live_bytes(bufs, n_bufs, g->n_nodes);
    g->arena_bytes = place_buffers(bufs, n_bufs);
    if (ctx->log)
        fprintf(ctx->log, "plan-memory: %d buffers, %d views; arena %lld bytes (naive sum %lld, max-live bound %lld)\n",
                n_bufs, views, (long long)g->arena_bytes, (long long)naive, (long long)lower_bound);
    dl_free(index_of, sizeof(int) * (size_t)g->n_values);
    dl_free(bufs, sizeof(buffer) * (size_t)(g->n_values + 1));
    return 0;
}
