/* Memory planning: every run-time tensor gets an offset in one arena.
 *
 * 1. Views share bytes instead of copying them. Reshape & co always; from -O1
 *    also a Split or Slice along the outermost non-unit axis (each part is one
 *    contiguous byte range of the input), and Concat along such an axis: its
 *    inputs become views at their offsets in the output, so their producers
 *    write straight into their slice and the Concat copies nothing.
 * 2. Live ranges over the schedule, per storage (a view keeps its storage alive).
 * 3. From -O1, an element-wise op whose input's storage dies at the op and has
 *    the output's size runs in place: the two share one offset.
 * 4. Offsets: greedy placement under several orders (by size, start, end,
 *    duration, area, and shuffles of by-size) and two fits (first, best); the
 *    smallest arena wins, and the search stops at the max-live bound (the most
 *    bytes alive at one step), which none can beat. A block is placed as
 *    parts, each alive from its first write: a Concat's output fills slice by
 *    slice, and its slices not yet written may hold other tensors meanwhile.
 * 5. Views of parts and Concat elimination save copies but can still cost
 *    bytes, so from -O1 each combination is planned and the smallest arena
 *    wins (ties: fewer copies). */
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

/* Bytes from the start of v's storage to v's first byte. */
static int64_t storage_offset(const dl_value *v)
{
    int64_t off = 0;
    for (; v && v->alias_of; v = v->alias_of)
        off += v->alias_offset;
    return off;
}

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

/* A value that lives in the arena: computed at run time, not the caller's. */
static bool in_arena(const dl_value *v)
{
    return v && !v->data && !v->is_input && !v->is_output && !v->alias_of;
}

static bool produced(const dl_value *v) { return v && v->producer && !v->producer->dead; }

static bool is_op(const dl_node *n, const char *name) { return n->op && strcmp(n->op->name, name) == 0; }

static void make_view(dl_value *v, dl_value *of, int64_t offset)
{
    v->alias_of = of;
    v->alias_offset = offset;
}

typedef struct plan_stats {
    int views, part_views, concat_views, concats_removed, in_place;
} plan_stats;

/* ------------------------------------------------------------------ views */

static void reshape_views(dl_graph *g, plan_stats *st)
{
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead || !(n->op->flags & DL_OP_VIEW) || n->n_inputs < 1 || !n->inputs[0])
            continue;
        dl_value *in = n->inputs[0], *out = n->outputs[0];
        /* The caller's output buffer must receive the bytes: copy there. */
        if (out->is_output || in->data || out->data)
            continue;
        make_view(out, in, 0);
        st->views++;
    }
}

/* All dims before axis are 1: a range along axis is one contiguous byte range. */
static bool outermost(const dl_value *v, int axis)
{
    for (int k = 0; k < axis; k++)
        if (v->dims[k] != 1)
            return false;
    return axis >= 0 && axis < v->rank;
}

/* Bytes of one step along axis. */
static int64_t step_bytes(const dl_value *v, int axis)
{
    int64_t b = (int64_t)dl_dtype_size(v->dtype);
    for (int k = axis + 1; k < v->rank; k++)
        b *= v->dims[k];
    return b;
}

static int norm_axis(const dl_node *n, int rank)
{
    int64_t a = dl_attr_int(n, "axis", 0);
    return (int)(a < 0 ? a + rank : a);
}

/* A fresh run-time value that may become a view of a part of another. */
static bool may_view(const dl_value *y, const dl_value *x)
{
    return y && in_arena(y) && y->dtype == x->dtype && y->rank == x->rank;
}

/* x's bytes live in a planned arena buffer (not the caller's, not a constant). */
static bool arena_backed(const dl_value *x)
{
    const dl_value *s = dl_value_storage(x);
    return x && in_arena(s) && produced(s);
}

/* The last Concat (in schedule order) that may take x as a view; NULL if none. */
static dl_node *claiming_concat(const dl_value *x, const bool *concat_ok)
{
    dl_node *best = NULL;
    for (int u = 0; u < x->n_users; u++) {
        dl_node *n = x->users[u];
        if (!n->dead && concat_ok[n->id] && (!best || n->id > best->id))
            best = n;
    }
    return best;
}

static bool concat_removable(const dl_node *n);

/* A part a Concat will take is better copied once, straight into the Concat's
 * slice, than kept as a view that holds the whole input alive until the Concat. */
static void split_views(dl_graph *g, dl_node *n, const bool *concat_ok, plan_stats *st)
{
    dl_value *x = n->inputs[0];
    int axis = norm_axis(n, x->rank);
    if (!arena_backed(x) || !outermost(x, axis))
        return;
    int64_t off = 0, step = step_bytes(x, axis);
    for (int i = 0; i < n->n_outputs; i++) {
        dl_value *y = n->outputs[i];
        if (!y)
            continue;
        if (may_view(y, x) && !claiming_concat(y, concat_ok)) {
            make_view(y, x, off);
            st->part_views++;
        }
        off += y->dims[axis] * step;
    }
    (void)g;
}

/* Reads a constant int list: the attribute before opset 10, the input from 10 on. -1: absent. */
static int slice_list(const dl_node *n, const char *attr, int slot, int64_t *out)
{
    if (n->opset < 10) {
        const int64_t *a;
        int count = dl_attr_ints(n, attr, &a);
        if (count < 0 || count > DL_MAX_RANK)
            return -1;
        memcpy(out, a, sizeof(int64_t) * (size_t)count);
        return count;
    }
    const dl_value *v = slot < n->n_inputs ? n->inputs[slot] : NULL;
    if (!v || !v->data || (v->dtype != DL_INT64 && v->dtype != DL_INT32) || dl_value_numel(v) > DL_MAX_RANK)
        return -1;
    int count = (int)dl_value_numel(v);
    for (int i = 0; i < count; i++)
        out[i] = v->dtype == DL_INT64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
    return count;
}

/* The start along axis of a Slice whose steps are all 1; -1 when it is not such a slice. */
static int64_t slice_start(const dl_node *n, const dl_value *x, int axis)
{
    int64_t starts[DL_MAX_RANK], axes[DL_MAX_RANK], steps[DL_MAX_RANK];
    int count = slice_list(n, "starts", 1, starts);
    int n_axes = slice_list(n, "axes", 3, axes);
    int n_steps = n->opset < 10 ? -1 : slice_list(n, "steps", 4, steps);
    if (count < 0 || (n_axes >= 0 && n_axes != count) || (n_steps >= 0 && n_steps != count))
        return -1;
    int64_t start = 0;
    for (int i = 0; i < count; i++) {
        if (n_steps >= 0 && steps[i] != 1)
            return -1;
        int64_t a = n_axes >= 0 ? axes[i] : i;
        if (a < 0)
            a += x->rank;
        if (a != axis)
            continue;
        int64_t s = starts[i] < 0 ? starts[i] + x->dims[axis] : starts[i];
        start = s < 0 ? 0 : s > x->dims[axis] ? x->dims[axis] : s;
    }
    return start;
}

static void slice_view(dl_graph *g, dl_node *n, const bool *concat_ok, plan_stats *st)
{
    dl_value *x = n->inputs[0], *y = n->outputs[0];
    (void)g;
    if (!arena_backed(x) || !may_view(y, x) || dl_value_numel(y) == 0 || claiming_concat(y, concat_ok))
        return;
    int axis = 0; /* the one axis whose size changes (0 when none does) */
    for (int k = x->rank - 1; k >= 0; k--)
        if (y->dims[k] != x->dims[k])
            axis = k;
    for (int k = axis + 1; k < x->rank; k++)
        if (y->dims[k] != x->dims[k])
            return;
    if (!outermost(x, axis))
        return;
    int64_t start = slice_start(n, x, axis);
    if (start < 0 || start + y->dims[axis] > x->dims[axis])
        return;
    make_view(y, x, start * step_bytes(x, axis));
    st->part_views++;
}

/* A Concat whose output is an arena buffer, joined along its outermost non-unit axis. */
static bool concat_removable(const dl_node *n)
{
    const dl_value *y = n->outputs[0];
    return is_op(n, "Concat") && in_arena(y) && produced(y) && outermost(y, norm_axis(n, y->rank));
}

/* Inputs computed into the arena become views into the Concat output, each
 * claimed by the last Concat that reads it (DenseNet reads every feature map
 * in many Concats: the block's last one holds them all). */
static void concat_views(dl_graph *g, const bool *concat_ok, plan_stats *st)
{
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead || !concat_ok[i])
            continue;
        dl_value *y = n->outputs[0];
        int axis = norm_axis(n, y->rank);
        int64_t off = 0, step = step_bytes(y, axis), copied = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            dl_value *x = n->inputs[k];
            if (in_arena(x) && produced(x) && x != y && x->dtype == y->dtype && claiming_concat(x, concat_ok) == n) {
                make_view(x, y, off);
                st->concat_views++;
            } else {
                copied++;
            }
            off += x->dims[axis] * step;
        }
        st->concats_removed += copied == 0;
    }
}

/* A Concat whose inputs already lie side by side, in order, in one storage
 * (DenseNet's running Concats: a prefix of the block's last one) is a view there. */
static void concat_as_view(dl_graph *g, dl_node *n, plan_stats *st)
{
    dl_value *y = n->outputs[0];
    if (!concat_removable(n) || n->n_inputs < 1)
        return;
    dl_value *first = n->inputs[0];
    int axis = norm_axis(n, y->rank);
    int64_t step = step_bytes(y, axis), at = first ? first->alias_offset : 0;
    for (int k = 0; k < n->n_inputs; k++) {
        const dl_value *x = n->inputs[k];
        if (!x || !x->alias_of || x->alias_of != first->alias_of || x->alias_offset != at)
            return;
        at += x->dims[axis] * step;
    }
    if (dl_value_storage(first->alias_of) == y)
        return;
    make_view(y, first->alias_of, first->alias_offset);
    st->concats_removed++;
    (void)g;
}

/* Which of the -O1 features a plan uses. */
typedef struct features {
    bool parts, concat, in_place;
} features;

static int make_views(dl_graph *g, const dl_pass_context *ctx, features f, plan_stats *st)
{
    reshape_views(g, st);
    if (!f.parts && !f.concat)
        return 0;
    bool *concat_ok = dl_malloc(sizeof(bool) * (size_t)(g->n_nodes + 1));
    if (!concat_ok)
        return dl_error(ctx->diag, NULL, "out of memory while planning memory");
    for (int i = 0; i < g->n_nodes; i++) {
        g->nodes[i]->id = i;
        concat_ok[i] = !g->nodes[i]->dead && concat_removable(g->nodes[i]);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead || !f.parts || n->n_inputs < 1 || !n->inputs[0] || n->inputs[0]->rank < 1)
            continue;
        if (is_op(n, "Split"))
            split_views(g, n, concat_ok, st);
        else if (is_op(n, "Slice"))
            slice_view(g, n, concat_ok, st);
    }
    if (f.concat)
        concat_views(g, concat_ok, st);
    dl_free(concat_ok, sizeof(bool) * (size_t)(g->n_nodes + 1));
    for (int i = 0; f.concat && i < g->n_nodes; i++)
        if (!g->nodes[i]->dead && is_op(g->nodes[i], "Concat"))
            concat_as_view(g, g->nodes[i], st);
    return 0;
}

/* ------------------------------------------------------------- live ranges */

typedef struct buffer {
    dl_value *v;
    int first, last;  /* schedule positions */
    int64_t size, offset;
    int group;        /* in-place: buffers of one group share an offset */
} buffer;

/* From the first node writing the storage (or a view of it) to its last reader. */
static void live_ranges(const dl_graph *g, buffer *bufs, int n_bufs, const int *index_of)
{
    for (int b = 0; b < n_bufs; b++)
        bufs[b].first = bufs[b].last = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
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

/* ---------------------------------------------------------------- in place */

/* Ops whose kernels read element i of each full-size operand before writing
 * element i of the output (runtime/kernels/unary.h, binary.h). */
static bool elementwise(const dl_node *n)
{
    static const char *const names[] = {
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus",
        "Gelu", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Add", "Sub", "Mul", "Div"};
    if (n->fused || !n->op || n->n_outputs != 1)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(n->op->name, names[i]) == 0)
            return true;
    return false;
}

static int group_of(buffer *bufs, int b)
{
    while (bufs[b].group != b)
        b = bufs[b].group = bufs[bufs[b].group].group;
    return b;
}

/* No other operand of n reads s's bytes at another place (a broadcast row of s
 * would be read after the output overwrote it). */
static bool sole_reader(const dl_node *n, const dl_value *s, const dl_value *x)
{
    for (int k = 0; k < n->n_inputs; k++) {
        const dl_value *o = n->inputs[k];
        if (o && o != x && dl_value_storage(o) == s && (storage_offset(o) != 0 || dl_value_bytes(o) != dl_value_bytes(x)))
            return false;
    }
    return true;
}

static int in_place(const dl_graph *g, buffer *bufs, const int *index_of)
{
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        const dl_value *y = n->outputs[0];
        if (n->dead || !elementwise(n) || !y || index_of[y->id] < 0)
            continue;
        buffer *out = &bufs[index_of[y->id]];
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *x = n->inputs[k];
            const dl_value *s = dl_value_storage(x);
            if (!x || !s || index_of[s->id] < 0 || storage_offset(x) != 0 || x->dtype != y->dtype)
                continue;
            buffer *in = &bufs[index_of[s->id]];
            if (in == out || in->last != i || out->first != i || in->size != out->size ||
                dl_value_bytes(x) != dl_value_bytes(y) || !sole_reader(n, s, x))
                continue;
            out->group = group_of(bufs, (int)(in - bufs));
            count++;
            break;
        }
    }
    return count;
}

/* ---------------------------------------------------------------- placement */

/* A byte range of a block and the step its bytes are first written: a
 * Concat's output fills part by part, and until a part is written its bytes
 * may still hold other tensors. */
typedef struct part {
    int64_t rel, size;
    int first;
} part;

/* One block to place: an in-place group, alive over the union of its members' ranges. */
typedef struct block {
    int first, last, key;
    int64_t size, offset;
    part *parts;   /* in order, covering [0, size) */
    int n_parts;
} block;

typedef enum order { BY_SIZE, BY_START, BY_END, BY_DURATION, BY_AREA, N_ORDERS } order;
/* Then this many shuffles of the by-size order (a fixed seed: the plan is reproducible). */
#define N_SHUFFLES 32
#define N_SHUFFLES_LARGE 4 /* for graphs of more than LARGE blocks */
#define LARGE 200

static int compare_blocks(const block *x, const block *y, order o)
{
    int64_t kx = 0, ky = 0;
    switch (o) {
    case BY_SIZE: kx = x->size; ky = y->size; break;
    case BY_START: kx = -x->first; ky = -y->first; break;
    case BY_END: kx = x->last; ky = y->last; break;
    case BY_DURATION: kx = x->last - x->first; ky = y->last - y->first; break;
    default: kx = x->size * (x->last - x->first + 1); ky = y->size * (y->last - y->first + 1); break;
    }
    if (kx != ky)
        return kx < ky ? 1 : -1;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->key - y->key; /* deterministic: compiling twice gives the same file */
}

static void sort_blocks(block **v, int n, order o)
{
    for (int i = 1; i < n; i++) { /* insertion sort: stable, and n is small */
        block *b = v[i];
        int j = i - 1;
        for (; j >= 0 && compare_blocks(v[j], b, o) > 0; j--)
            v[j + 1] = v[j];
        v[j + 1] = b;
    }
}

static int by_offset(const void *a, const void *b)
{
    const block *x = *(const block *const *)a, *y = *(const block *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The offset for b among the placed blocks alive with it: the lowest gap that
 * fits (first fit) or the tightest one (best fit); above them all if none. */
static int64_t fit(const block *b, block **live, int n_live, bool best)
{
    qsort(live, (size_t)n_live, sizeof *live, by_offset);
    int64_t at = 0, chosen = -1, chosen_gap = 0;
    for (int i = 0; i < n_live; i++) {
        int64_t gap = live[i]->offset - at;
        if (gap >= b->size && (chosen < 0 || gap < chosen_gap)) {
            chosen = at;
            chosen_gap = gap;
            if (!best)
                break;
        }
        int64_t end = align_up(live[i]->offset + live[i]->size);
        at = end > at ? end : at;
    }
    return chosen >= 0 ? chosen : at;
}

/* b at offset o shares bytes with the placed p while both are alive. */
static bool collides(const block *b, int64_t o, const block *p)
{
    for (int i = 0; i < p->n_parts; i++) {
        const part *pi = &p->parts[i];
        for (int j = 0; j < b->n_parts; j++) {
            const part *bj = &b->parts[j];
            if (pi->first <= b->last && bj->first <= p->last && p->offset + pi->rel < o + bj->rel + bj->size &&
                o + bj->rel < p->offset + pi->rel + pi->size)
                return true;
        }
    }
    return false;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* First fit when blocks fill part by part: the candidates are 0 and every
 * offset that puts a part of b just above a part of a live block. */
static int64_t fit_parts(const block *b, block **live, int n_live, int64_t *cands)
{
    int n = 0;
    int64_t top = 0;
    cands[n++] = 0;
    for (int k = 0; k < n_live; k++) {
        const block *p = live[k];
        top = align_up(p->offset + p->size) > top ? align_up(p->offset + p->size) : top;
        for (int i = 0; i < p->n_parts; i++)
            for (int j = 0; j < b->n_parts; j++) {
                int64_t c = align_up(p->offset + p->parts[i].rel + p->parts[i].size - b->parts[j].rel);
                if (c > 0 && p->parts[i].first <= b->last && b->parts[j].first <= p->last)
                    cands[n++] = c;
            }
    }
    qsort(cands, (size_t)n, sizeof *cands, by_value);
    for (int c = 0; c < n; c++) {
        bool ok = c == 0 || cands[c] != cands[c - 1];
        for (int k = 0; ok && k < n_live; k++)
            ok = !collides(b, cands[c], live[k]);
        if (ok)
            return cands[c];
    }
    return top;
}

/* Places every block in the given order; returns the arena size. */
static int64_t place(block **sorted, int n, block **scratch, int64_t *cands, bool best)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        block *b = sorted[i];
        int n_live = 0;
        bool parted = b->n_parts > 1;
        for (int p = 0; p < i; p++)
            if (sorted[p]->first <= b->last && b->first <= sorted[p]->last) {
                scratch[n_live++] = sorted[p];
                parted |= sorted[p]->n_parts > 1;
            }
        b->offset = parted ? fit_parts(b, scratch, n_live, cands) : fit(b, scratch, n_live, best);
        total = b->offset + b->size > total ? b->offset + b->size : total;
    }
    return total;
}

/* The most bytes alive at one step: no placement does better. */
static int64_t max_live(const block *blocks, int n, int n_steps)
{
    int64_t most = 0;
    for (int i = 0; i < n_steps; i++) {
        int64_t live = 0;
        for (int b = 0; b < n; b++)
            for (int k = 0; k < blocks[b].n_parts; k++)
                if (blocks[b].parts[k].first <= i && i <= blocks[b].last)
                    live += blocks[b].parts[k].size;
        most = live > most ? live : most;
    }
    return most;
}

typedef struct placement {
    int64_t arena, bound;
} placement;

/* Swaps a few neighbours of the order (a deterministic LCG): greedy placement
 * is sensitive to the order, and small changes sometimes pack tighter. */
static void perturb(block **v, int n, uint32_t *seed)
{
    for (int k = 0; k < n / 4 + 1 && n > 1; k++) {
        *seed = *seed * 1664525u + 1013904223u;
        int i = (int)((*seed >> 8) % (uint32_t)(n - 1));
        block *t = v[i];
        v[i] = v[i + 1];
        v[i + 1] = t;
    }
}

/* Tries each order with each fit and keeps the smallest arena; stops at the
 * max-live bound, which none can beat. */
static int place_blocks(block *blocks, int n, int n_steps, placement *out)
{
    size_t bytes = sizeof(block *) * (size_t)(n + 1), obytes = sizeof(int64_t) * (size_t)(n + 1);
    size_t total_parts = 0, most_parts = 0;
    for (int i = 0; i < n; i++) {
        total_parts += (size_t)blocks[i].n_parts;
        most_parts = (size_t)blocks[i].n_parts > most_parts ? (size_t)blocks[i].n_parts : most_parts;
    }
    size_t cbytes = sizeof(int64_t) * (total_parts * most_parts + 2);
    block **sorted = dl_malloc(bytes), **scratch = dl_malloc(bytes);
    int64_t *best_offsets = dl_malloc(obytes), *cands = dl_malloc(cbytes);
    int rc = sorted && scratch && best_offsets && cands ? 0 : -1;
    out->arena = -1;
    out->bound = max_live(blocks, n, n_steps);
    uint32_t seed = 12345;
    int shuffles = n > LARGE ? N_SHUFFLES_LARGE : N_SHUFFLES;
    for (int o = 0; rc == 0 && o < N_ORDERS + shuffles && out->arena != out->bound; o++) {
        for (int f = 0; f < 2 && out->arena != out->bound; f++) {
            for (int i = 0; i < n; i++)
                sorted[i] = &blocks[i];
            sort_blocks(sorted, n, o < N_ORDERS ? (order)o : BY_SIZE);
            if (o >= N_ORDERS)
                perturb(sorted, n, &seed);
            int64_t total = place(sorted, n, scratch, cands, f == 1);
            if (out->arena >= 0 && total >= out->arena)
                continue;
            out->arena = total;
            for (int i = 0; i < n; i++)
                best_offsets[i] = blocks[i].offset;
        }
    }
    for (int i = 0; rc == 0 && i < n; i++)
        blocks[i].offset = best_offsets[i];
    out->arena = out->arena > 0 ? out->arena : 0;
    dl_free(sorted, bytes);
    dl_free(scratch, bytes);
    dl_free(best_offsets, obytes);
    dl_free(cands, cbytes);
    return rc;
}

/* ------------------------------------------------------------------ driver */

typedef struct planner {
    buffer *bufs;
    block *blocks;
    part *parts;
    size_t n_parts_cap;
    int *index_of, *block_of;
    int n_bufs, n_blocks;
    size_t n_values;
} planner;

static void planner_free(planner *p)
{
    dl_free(p->parts, sizeof(part) * p->n_parts_cap);
    dl_free(p->bufs, sizeof(buffer) * (p->n_values + 1));
    dl_free(p->blocks, sizeof(block) * (p->n_values + 1));
    dl_free(p->index_of, sizeof(int) * (p->n_values + 1));
    dl_free(p->block_of, sizeof(int) * (p->n_values + 1));
}

static int planner_init(planner *p, const dl_graph *g)
{
    memset(p, 0, sizeof *p);
    p->n_values = (size_t)g->n_values;
    p->bufs = dl_malloc(sizeof(buffer) * (p->n_values + 1));
    p->blocks = dl_malloc(sizeof(block) * (p->n_values + 1));
    p->index_of = dl_malloc(sizeof(int) * (p->n_values + 1));
    p->block_of = dl_malloc(sizeof(int) * (p->n_values + 1));
    if (!p->bufs || !p->blocks || !p->index_of || !p->block_of)
        return -1;
    for (int i = 0; i < g->n_values; i++) {
        dl_value *v = g->values[i];
        p->index_of[i] = -1;
        if (!produced(v) || !in_arena(v))
            continue;
        buffer *b = &p->bufs[p->n_bufs];
        b->v = v;
        b->size = align_up(dl_value_bytes(v) > 0 ? dl_value_bytes(v) : 1);
        b->group = p->n_bufs;
        p->index_of[i] = p->n_bufs++;
    }
    return 0;
}

/* One block per in-place group. */
static void make_blocks(planner *p)
{
    for (int b = 0; b < p->n_bufs; b++)
        p->block_of[b] = -1;
    for (int b = 0; b < p->n_bufs; b++) {
        int root = group_of(p->bufs, b);
        if (p->block_of[root] < 0) {
            int k = p->n_blocks++;
            p->block_of[root] = k;
            p->blocks[k] = (block){p->bufs[root].first, p->bufs[root].last, k, 0, 0, NULL, 0};
        }
        block *k = &p->blocks[p->block_of[root]];
        k->first = p->bufs[b].first < k->first ? p->bufs[b].first : k->first;
        k->last = p->bufs[b].last > k->last ? p->bufs[b].last : k->last;
        k->size = p->bufs[b].size > k->size ? p->bufs[b].size : k->size;
    }
}

/* A write: node `pos` writes `size` bytes `rel` bytes into a block. */
typedef struct event {
    int block, pos;
    int64_t rel, size;
} event;

static int by_block(const void *a, const void *b)
{
    const event *x = a, *y = b;
    return x->block != y->block ? x->block - y->block : x->pos - y->pos;
}

/* Splits [0, size) of k at the events' edges; each piece is first written by
 * the earliest event covering it (the block's start if none does). */
static part *cut_parts(block *k, const event *ev, int n_ev, int64_t *edges, part *out)
{
    int n_edges = 0;
    edges[n_edges++] = 0;
    edges[n_edges++] = k->size;
    for (int e = 0; e < n_ev; e++) {
        edges[n_edges++] = ev[e].rel;
        edges[n_edges++] = ev[e].rel + ev[e].size < k->size ? ev[e].rel + ev[e].size : k->size;
    }
    qsort(edges, (size_t)n_edges, sizeof *edges, by_value);
    k->parts = out;
    k->n_parts = 0;
    for (int i = 0; i + 1 < n_edges; i++) {
        if (edges[i] == edges[i + 1])
            continue;
        int first = -1;
        for (int e = 0; e < n_ev; e++)
            if (ev[e].rel <= edges[i] && edges[i + 1] <= ev[e].rel + ev[e].size && (first < 0 || ev[e].pos < first))
                first = ev[e].pos;
        first = first < 0 ? k->first : first;
        part *last = k->n_parts ? &k->parts[k->n_parts - 1] : NULL;
        if (last && last->first == first)
            last->size = edges[i + 1] - last->rel;
        else
            k->parts[k->n_parts++] = (part){edges[i], edges[i + 1] - edges[i], first};
    }
    return out + k->n_parts;
}

/* Every node output in the arena is a write into its storage's block. */
static int make_parts(planner *p, const dl_graph *g)
{
    size_t n_ev = 0, cap = (size_t)g->n_values + 1;
    event *ev = dl_malloc(sizeof(event) * cap);
    int64_t *edges = dl_malloc(sizeof(int64_t) * (2 * cap + 2));
    p->n_parts_cap = 2 * cap + (size_t)p->n_blocks + 1;
    p->parts = dl_malloc(sizeof(part) * p->n_parts_cap);
    int rc = ev && edges && p->parts ? 0 : -1;
    for (int i = 0; rc == 0 && i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        for (int k = 0; !n->dead && k < n->n_outputs && n_ev < cap; k++) {
            const dl_value *o = n->outputs[k], *s = dl_value_storage(o);
            if (o && p->index_of[s->id] >= 0)
                ev[n_ev++] = (event){p->block_of[group_of(p->bufs, p->index_of[s->id])], i, storage_offset(o),
                                     dl_value_bytes(o)};
        }
    }
    if (rc == 0) {
        qsort(ev, n_ev, sizeof *ev, by_block);
        part *next = p->parts;
        size_t e = 0;
        for (int b = 0; b < p->n_blocks; b++) {
            size_t from = e;
            while (e < n_ev && ev[e].block == b)
                e++;
            next = cut_parts(&p->blocks[b], ev + from, (int)(e - from), edges, next);
        }
    }
    dl_free(ev, sizeof(event) * cap);
    dl_free(edges, sizeof(int64_t) * (2 * cap + 2));
    return rc;
}

/* Every intermediate counted as if it had a buffer of its own (views too). */
static int64_t naive_bytes(const dl_graph *g)
{
    int64_t sum = 0;
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *v = g->values[i];
        if (produced(v) && !v->data && !v->is_input && !v->is_output)
            sum += align_up(dl_value_bytes(v) > 0 ? dl_value_bytes(v) : 1);
    }
    return sum;
}

/* One complete plan with the given features; sets every value's offset and alias. */
static int plan(dl_graph *g, const dl_pass_context *ctx, features f, plan_stats *st, placement *pl, int *n_bufs)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < g->n_values; i++) {
        g->values[i]->alias_of = NULL;
        g->values[i]->alias_offset = 0;
        g->values[i]->offset = -1;
    }
    planner p;
    memset(&p, 0, sizeof p);
    if (make_views(g, ctx, f, st) || planner_init(&p, g)) {
        planner_free(&p);
        return dl_error(ctx->diag, NULL, "out of memory while planning memory");
    }
    live_ranges(g, p.bufs, p.n_bufs, p.index_of);
    if (f.in_place)
        st->in_place = in_place(g, p.bufs, p.index_of);
    make_blocks(&p);
    if (make_parts(&p, g) || place_blocks(p.blocks, p.n_blocks, g->n_nodes, pl)) {
        planner_free(&p);
        return dl_error(ctx->diag, NULL, "out of memory while planning memory");
    }
    for (int b = 0; b < p.n_bufs; b++)
        p.bufs[b].v->offset = p.blocks[p.block_of[group_of(p.bufs, b)]].offset;
    g->arena_bytes = pl->arena;
    *n_bufs = p.n_bufs;
    planner_free(&p);
    return 0;
}

/* -O0: the plain plan. From -O1: views of parts and Concat elimination save
 * copies but may keep a whole buffer alive longer (a Concat's output exists
 * from its first part on), so each combination is planned and the smallest
 * arena wins; ties go to the plan with fewer copies. */
int dl_plan_memory(dl_graph *g, dl_pass_context *ctx)
{
    static const features tries[] = {
        {true, true, true}, {true, false, true}, {false, true, true}, {false, false, true}};
    features best = {false, false, false};
    plan_stats st;
    placement pl;
    int n_bufs = 0;
    if (ctx->opt_level >= 1) {
        int64_t smallest = -1;
        for (size_t t = 0; t < sizeof tries / sizeof tries[0]; t++) {
            if (plan(g, ctx, tries[t], &st, &pl, &n_bufs))
                return -1;
            if (smallest < 0 || pl.arena < smallest) {
                smallest = pl.arena;
                best = tries[t];
            }
        }
    }
    if (plan(g, ctx, best, &st, &pl, &n_bufs))
        return -1;
    dl_pass_log(ctx, "plan-memory",
                "%d buffers, %d views (%d reshape, %d split/slice%s, %d concat inputs%s; %d Concat removed), %d in place;"
                " arena %lld bytes (naive sum %lld, max-live bound %lld)",
                n_bufs, st.views + st.part_views + st.concat_views, st.views, st.part_views,
                ctx->opt_level >= 1 && !best.parts ? " [off: smaller arena without]" : "", st.concat_views,
                ctx->opt_level >= 1 && !best.concat ? " [off: smaller arena without]" : "", st.concats_removed,
                st.in_place, (long long)g->arena_bytes, (long long)naive_bytes(g), (long long)pl.bound);
    return 0;
}
