/* dlcc --report: the memory plan of a model, one line per arena tensor (offset,
 * size, live range over the schedule, producing op), then the totals the
 * planner is judged by. Runs the same pipeline as dlcc_compile, writes no files. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dlcc/dlcc.h"
#include "ir/ops/op.h"
#include "passes/passes.h"

#define ALIGN 64
/* As dlcc_compile (api/compile.c): generators larger than this stay run-time code. */

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static bool intermediate(const dl_value *v)
{
    return v->producer && !v->producer->dead && !v->data && !v->is_input && !v->is_output;
}

static int64_t view_offset(const dl_value *v)
{
    int64_t off = 0;
    for (; v && v->alias_of; v = v->alias_of)
        off += v->alias_offset;
    return off;
}

typedef struct range {
    int first, last;
} range;

/* Per value: its own range (producer to last reader); per storage, widened by its views'. */
static void ranges(const dl_graph *g, range *own, range *store)
{
    for (int i = 0; i < g->n_values; i++)
        own[i] = store[i] = (range){-1, -1};
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        for (int k = 0; !n->dead && k < n->n_outputs + n->n_inputs; k++) {
            const dl_value *v = k < n->n_outputs ? n->outputs[k] : n->inputs[k - n->n_outputs];
            if (!v)
                continue;
            const dl_value *s = dl_value_storage(v);
            range *r[2] = {&own[v->id], &store[s->id]};
            for (int j = 0; j < 2; j++) {
                if (r[j]->first < 0 && k < n->n_outputs)
                    r[j]->first = i;
                r[j]->last = i > r[j]->last ? i : r[j]->last;
            }
        }
    }
}

/* A write into a storage: node `pos` writes `bytes` bytes `rel` bytes in. */
typedef struct write {
    int storage, pos;
    int64_t rel, bytes;
} write;

static int by_storage(const void *a, const void *b)
{
    const write *x = a, *y = b;
    if (x->storage != y->storage)
        return x->storage - y->storage;
    return x->rel < y->rel ? -1 : x->rel > y->rel;
}

/* Bytes of one storage written by step i: the union of its writes so far
 * (a Concat's output fills part by part). w: its writes, sorted by rel. */
static int64_t written_by(const write *w, int n, int i)
{
    int64_t sum = 0, end = 0;
    for (int k = 0; k < n; k++) {
        if (w[k].pos > i)
            continue;
        int64_t from = w[k].rel > end ? w[k].rel : end, to = w[k].rel + w[k].bytes;
        sum += to > from ? to - from : 0;
        end = to > end ? to : end;
    }
    return sum;
}

/* Node i runs in place: its output s takes the offset of a storage read there and dead after. */
static bool runs_in_place(const dl_graph *g, const dl_value *s, const range *store, int i)
{
    const dl_node *n = g->nodes[i];
    if (store[s->id].first != i || s->producer != n)
        return false;
    for (int k = 0; k < n->n_inputs; k++) {
        const dl_value *x = n->inputs[k] ? dl_value_storage(n->inputs[k]) : NULL;
        if (x && x != s && x->offset == s->offset && store[x->id].last == i && intermediate(x))
            return true;
    }
    return false;
}

/* The most bytes alive at one step: the bytes of each storage written so far,
 * until its last reader; an in-place output counts once with its input. */
static int64_t max_live(const dl_graph *g, const range *store, write *w)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i]->dead && k < g->nodes[i]->n_outputs; k++) {
            const dl_value *o = g->nodes[i]->outputs[k];
            const dl_value *s = o ? dl_value_storage(o) : NULL;
            if (s && s->offset >= 0 && intermediate(s))
                w[n++] = (write){s->id, i, view_offset(o), dl_value_bytes(o)};
        }
    qsort(w, (size_t)n, sizeof *w, by_storage);
    int64_t most = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int64_t live = 0;
        for (int k = 0; k < n;) {
            int m = k;
            while (m < n && w[m].storage == w[k].storage)
                m++;
            const dl_value *s = g->values[w[k].storage];
            if (store[s->id].first <= i && i <= store[s->id].last && !runs_in_place(g, s, store, i))
                live += align_up(dl_value_bytes(s)) - dl_value_bytes(s) + written_by(w + k, m - k, i);
            k = m;
        }
        most = live > most ? live : most;
    }
    return most;
}

static int64_t weight_bytes(const dl_graph *g)
{
    int64_t sum = 0;
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *v = g->values[i];
        bool used = false;
        for (int u = 0; u < v->n_users && !used; u++)
            used = !v->users[u]->dead;
        if (v->data && used)
            sum += dl_value_bytes(v);
    }
    return sum;
}

static void print_tensor(FILE *out, const dl_value *v, const range *r)
{
    const dl_value *s = dl_value_storage(v);
    char shape[128];
    fprintf(out, "%12" PRId64 " %12" PRId64 " %5d %5d  %-20s %s [%s]", s->offset + view_offset(v), dl_value_bytes(v),
            r->first, r->last, v->producer->op_type, v->name, dl_shape_str(v, shape, sizeof shape));
    if (v->alias_of)
        fprintf(out, " view of '%s' +%" PRId64, v->alias_of->name, v->alias_offset);
    fputc('\n', out);
}

static void print_report(FILE *out, const dl_graph *g, const range *own, const range *store, write *w, int opt_level)
{
    int n = 0;
    int64_t naive = 0;
    fprintf(out, "memory plan of %s (-O%d), %d nodes in schedule order\n", g->file, opt_level, g->n_nodes);
    fprintf(out, "%12s %12s %5s %5s  %-20s %s\n", "offset", "bytes", "first", "last", "producer", "tensor");
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *v = g->values[i];
        if (!intermediate(v))
            continue;
        naive += align_up(dl_value_bytes(v) > 0 ? dl_value_bytes(v) : 1);
        if (dl_value_storage(v)->offset < 0)
            continue;
        print_tensor(out, v, v->alias_of ? &own[i] : &store[i]);
        n++;
    }
    int64_t bound = max_live(g, store, w);
    fprintf(out, "totals: %d tensors\n", n);
    fprintf(out, "  arena bytes      %12" PRId64 "\n", g->arena_bytes);
    fprintf(out, "  naive sum        %12" PRId64 "  (every intermediate in a buffer of its own; %.2fx the arena)\n",
            naive, g->arena_bytes > 0 ? (double)naive / (double)g->arena_bytes : 0.0);
    fprintf(out, "  max-live bound   %12" PRId64 "  (arena / bound = %.3f)\n", bound,
            bound > 0 ? (double)g->arena_bytes / (double)bound : 1.0);
    fprintf(out, "  weight bytes     %12" PRId64 "\n", weight_bytes(g));
}

int dlcc_report(const dlcc_options *opt, FILE *out, dl_diag *d)
{
    dl_graph *g = dlcc_build_graph(opt, d);
    if (!g)
        return -1;
    int rc = 0;
    size_t bytes = sizeof(range) * (size_t)(g->n_values + 1), wbytes = sizeof(write) * (size_t)(g->n_values + 1);
    range *own = rc == 0 ? dl_malloc(bytes) : NULL, *store = rc == 0 ? dl_malloc(bytes) : NULL;
    write *w = rc == 0 ? dl_malloc(wbytes) : NULL;
    if (rc == 0 && (!own || !store || !w))
        rc = dl_error(d, NULL, "out of memory");
    if (rc == 0) {
        ranges(g, own, store);
        print_report(out, g, own, store, w, opt->opt_level);
    }
    dl_free(own, bytes);
    dl_free(store, bytes);
    dl_free(w, wbytes);
    dl_graph_free(g);
    return rc;
}
