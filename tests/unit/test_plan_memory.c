/* Memory planning: a property test over random DAGs (no arena byte belongs to
 * two tensors alive at once -- a byte is alive from its first write to the
 * tensor's last read; views share their storage's bytes; an element-wise op
 * in place shares its dying input's; every byte a node reads was last written by the value it
 * reads, or by a value of the same storage at the same place), and unit tests
 * for Concat elimination, Split views and in-place element-wise ops. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ops/op.h"
#include "passes/passes.h"

/* ------------------------------------------------------------ graph building */

typedef struct builder {
    dl_graph *g;
    int count;
} builder;

static builder start(void)
{
    builder b = {dl_graph_new("plan.onnx"), 0};
    b.g->opset = 13;
    return b;
}

static dl_value *input(builder *b, int64_t c)
{
    int64_t dims[4] = {1, c, 4, 4};
    dl_value *x = dl_graph_add_value(b->g, "x", DL_FLOAT, 4, dims);
    dl_graph_add_input(b->g, x);
    return x;
}

static dl_node *node(builder *b, const char *op, int n_inputs, int n_outputs)
{
    char name[32];
    snprintf(name, sizeof name, "%s%d", op, b->count++);
    dl_node *n = dl_graph_add_node(b->g, name, op, n_inputs, n_outputs);
    n->op = dl_op_find(op);
    ck_assert_ptr_nonnull(n->op);
    n->attrs = dl_arena_alloc(&b->g->arena, sizeof(dl_attr) * 4);
    for (int i = 0; i < n_outputs; i++) {
        snprintf(name, sizeof name, "v%d_%d", b->count, i);
        dl_node_set_output(n, i, dl_graph_add_value(b->g, name, DL_FLOAT, -1, NULL));
    }
    return n;
}

static void attr_int(dl_node *n, const char *name, int64_t v)
{
    dl_attr *a = &n->attrs[n->n_attrs++];
    a->name = name;
    a->kind = DL_ATTR_INT;
    a->i = v;
}

static dl_value *relu(builder *b, dl_value *x)
{
    dl_node *n = node(b, "Relu", 1, 1);
    dl_node_set_input(b->g, n, 0, x);
    return n->outputs[0];
}

static dl_value *add(builder *b, dl_value *x, dl_value *y)
{
    dl_node *n = node(b, "Add", 2, 1);
    dl_node_set_input(b->g, n, 0, x);
    dl_node_set_input(b->g, n, 1, y);
    return n->outputs[0];
}

/* A 1x1 convolution with c_out channels (zero weights: only the plan matters). */
static dl_value *conv(builder *b, dl_value *x, int64_t c_in, int64_t c_out)
{
    dl_node *n = node(b, "Conv", 2, 1);
    int64_t wd[4] = {c_out, c_in, 1, 1};
    dl_value *w = dl_graph_add_value(b->g, NULL, DL_FLOAT, 4, wd);
    dl_value_alloc_data(b->g, w);
    dl_node_set_input(b->g, n, 0, x);
    dl_node_set_input(b->g, n, 1, w);
    return n->outputs[0];
}

static dl_value *concat(builder *b, dl_value **xs, int k)
{
    dl_node *n = node(b, "Concat", k, 1);
    attr_int(n, "axis", 1);
    for (int i = 0; i < k; i++)
        dl_node_set_input(b->g, n, i, xs[i]);
    return n->outputs[0];
}

/* Split along the channels into two equal halves. */
static dl_node *split2(builder *b, dl_value *x)
{
    dl_node *n = node(b, "Split", 1, 2);
    attr_int(n, "axis", 1);
    dl_node_set_input(b->g, n, 0, x);
    return n;
}

static dl_value *reshape(builder *b, dl_value *x, const int64_t *shape)
{
    dl_node *n = node(b, "Reshape", 2, 1);
    int64_t four = 4;
    dl_value *s = dl_graph_add_value(b->g, NULL, DL_INT64, 1, &four);
    memcpy(dl_value_alloc_data(b->g, s), shape, sizeof(int64_t) * 4);
    dl_node_set_input(b->g, n, 0, x);
    dl_node_set_input(b->g, n, 1, s);
    return n->outputs[0];
}

/* At -O3 the opt-in fuse-dw-pw runs too. */
static void run(dl_graph *g, int level)
{
    static const char *const opt_in[1] = {"fuse-dw-pw"};
    dl_diag d;
    dl_diag_init(&d, "plan.onnx");
    dl_pass_context ctx = {&d, getenv("PLAN_LOG") ? stderr : NULL, NULL, NULL, false, 1 << 16, level,
                           level == 3 ? opt_in : NULL, NULL, level == 3, 0, NULL, 0};
    int rc = dl_graph_sort(g, &d) || dl_run_passes(g, &ctx);
    ck_assert_msg(rc == 0, "passes failed at -O%d: %s", level, d.n_messages ? d.messages[0] : "?");
    dl_diag_free(&d);
}

/* ------------------------------------------------------------- the checks */

static int64_t abs_offset(const dl_value *v)
{
    int64_t off = 0;
    for (; v->alias_of; v = v->alias_of)
        off += v->alias_offset;
    return off + v->offset;
}

static bool in_arena(const dl_value *v)
{
    return v->producer && !v->producer->dead && dl_value_storage(v)->offset >= 0;
}

static bool node_reads(const dl_node *n, const dl_value *v)
{
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == v)
            return true;
    return false;
}

/* Schedule positions of each storage: first write (of it or a view) to last read. */
static void storage_ranges(const dl_graph *g, int *first, int *last)
{
    for (int i = 0; i < g->n_values; i++)
        first[i] = last[i] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        for (int k = 0; !n->dead && k < n->n_inputs + n->n_outputs; k++) {
            const dl_value *v = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
            if (!v)
                continue;
            int s = dl_value_storage(v)->id;
            if (first[s] < 0 && k >= n->n_inputs)
                first[s] = i;
            last[s] = i > last[s] ? i : last[s];
        }
    }
}

/* In place: an element-wise node reads a (dying here) and writes b over it. */
static bool in_place_pair(const dl_graph *g, const dl_value *a, const dl_value *b, const int *first, const int *last)
{
    if (last[a->id] != first[b->id])
        return false;
    const dl_node *n = g->nodes[first[b->id]];
    bool reads_a = false;
    for (int i = 0; i < n->n_inputs; i++)
        reads_a |= n->inputs[i] && dl_value_storage(n->inputs[i]) == a;
    return reads_a && n->outputs[0] == b && a->offset == b->offset && dl_value_bytes(a) == dl_value_bytes(b);
}

/* Per storage and byte: the first step that writes it (a Concat's output
 * fills part by part; its bytes not yet written may hold other tensors). */
static int **first_writes(const dl_graph *g)
{
    int **fw = calloc((size_t)g->n_values, sizeof(int *));
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *v = g->values[i];
        if (v->alias_of || v->offset < 0 || !in_arena(v))
            continue;
        fw[i] = malloc(sizeof(int) * (size_t)(dl_value_bytes(v) + 1));
        for (int64_t b = 0; b <= dl_value_bytes(v); b++)
            fw[i][b] = 1 << 30;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const dl_node *n = g->nodes[i];
        for (int k = 0; !n->dead && k < n->n_outputs; k++) {
            const dl_value *o = n->outputs[k];
            if (!o || !fw[dl_value_storage(o)->id])
                continue;
            int64_t rel = abs_offset(o) - dl_value_storage(o)->offset;
            for (int64_t b = rel; b < rel + dl_value_bytes(o); b++)
                fw[dl_value_storage(o)->id][b] = i;
        }
    }
    return fw;
}

static void check_no_overlap(const dl_graph *g)
{
    int *first = calloc((size_t)g->n_values, sizeof(int)), *last = calloc((size_t)g->n_values, sizeof(int));
    int **fw = first_writes(g);
    storage_ranges(g, first, last);
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *a = g->values[i];
        if (!fw[i])
            continue;
        ck_assert_msg(a->offset + dl_value_bytes(a) <= g->arena_bytes, "'%s' ends past the arena", a->name);
        ck_assert_msg(a->offset % 64 == 0, "'%s' at %lld is not 64-byte aligned", a->name, (long long)a->offset);
        for (int j = i + 1; j < g->n_values; j++) {
            const dl_value *b = g->values[j];
            if (!fw[j] || in_place_pair(g, a, b, first, last) || in_place_pair(g, b, a, first, last))
                continue;
            int64_t lo = a->offset > b->offset ? a->offset : b->offset;
            int64_t hi = a->offset + dl_value_bytes(a) < b->offset + dl_value_bytes(b) ? a->offset + dl_value_bytes(a)
                                                                                       : b->offset + dl_value_bytes(b);
            for (int64_t x = lo; x < hi; x++) {
                int fa = fw[i][x - a->offset], fb = fw[j][x - b->offset];
                ck_assert_msg(!(fa <= last[j] && fb <= last[i]),
                              "'%s' (byte written at %d, alive to %d) and '%s' (written at %d, alive to %d) share "
                              "arena byte %lld while both alive", a->name, fa, last[i], b->name, fb, last[j],
                              (long long)x);
            }
        }
    }
    for (int i = 0; i < g->n_values; i++)
        free(fw[i]);
    free(fw);
    free(first);
    free(last);
}

/* The byte offset each view should have, from the op's semantics (channels
 * are the outermost non-unit axis here: batch 1). */
static void check_view_offsets(const dl_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        int64_t at = 0;
        if (strcmp(n->op_type, "Split") == 0)
            for (int k = 0; k < n->n_outputs; at += dl_value_bytes(n->outputs[k]), k++)
                if (n->outputs[k]->alias_of == n->inputs[0])
                    ck_assert_int_eq(n->outputs[k]->alias_offset, at);
        if (strcmp(n->op_type, "Concat") == 0)
            for (int k = 0; k < n->n_inputs; at += dl_value_bytes(n->inputs[k]), k++)
                if (n->inputs[k]->alias_of == n->outputs[0])
                    ck_assert_int_eq(n->inputs[k]->alias_offset, at);
        if (strcmp(n->op_type, "Reshape") == 0 && n->outputs[0]->alias_of)
            ck_assert_int_eq(n->outputs[0]->alias_offset, 0);
    }
}

static void mark(int *writer, int64_t from, int64_t bytes, int tag)
{
    for (int64_t b = from; b < from + bytes; b++)
        writer[b] = tag;
}

/* The bytes the code of n writes: none for outputs that are views of its
 * inputs; for a Concat, the inputs not already in their place. */
static void simulate_writes(const dl_node *n, int *writer)
{
    if (strcmp(n->op_type, "Concat") == 0) {
        const dl_value *y = n->outputs[0];
        int64_t at = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *x = n->inputs[k];
            bool placed = dl_value_storage(x) == dl_value_storage(y) && abs_offset(x) == abs_offset(y) + at;
            if (in_arena(y) && !placed)
                mark(writer, abs_offset(y) + at, dl_value_bytes(x), y->id);
            at += dl_value_bytes(x);
        }
        return;
    }
    for (int k = 0; k < n->n_outputs; k++) {
        const dl_value *y = n->outputs[k];
        if (y && in_arena(y) && !(y->alias_of && node_reads(n, y->alias_of)))
            mark(writer, abs_offset(y), dl_value_bytes(y), y->id);
    }
}

/* Runs the schedule over a byte map of the arena: each byte remembers the
 * value that wrote it; a read must find a value of its own storage there. */
static void check_reads(const dl_graph *g)
{
    int64_t size = g->arena_bytes > 0 ? g->arena_bytes : 1;
    int *writer = malloc(sizeof(int) * (size_t)size);
    for (int64_t b = 0; b < size; b++)
        writer[b] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *x = n->inputs[k];
            if (!x || x->data || !in_arena(x))
                continue;
            for (int64_t b = abs_offset(x); b < abs_offset(x) + dl_value_bytes(x); b++) {
                ck_assert_msg(writer[b] >= 0, "node '%s' reads byte %lld of '%s' that nothing wrote", n->name,
                              (long long)b, x->name);
                const dl_value *w = g->values[writer[b]];
                ck_assert_msg(dl_value_storage(w) == dl_value_storage(x),
                              "node '%s' reads '%s' at byte %lld, last written by '%s'", n->name, x->name,
                              (long long)b, w->name);
            }
        }
        simulate_writes(n, writer);
    }
    free(writer);
}

static void check_plan(dl_graph *g)
{
    check_no_overlap(g);
    check_view_offsets(g);
    check_reads(g);
}

/* ---------------------------------------------------------- random DAGs */

static uint32_t next(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

typedef struct pool {
    dl_value *v[256];
    int n;
} pool;

static dl_value *pick(pool *p, uint32_t *s)
{
    /* Mostly recent values, sometimes old ones: long live ranges too. */
    int back = (int)(next(s) % 4 == 0 ? next(s) % (uint32_t)p->n : next(s) % (uint32_t)(p->n < 3 ? p->n : 3));
    return p->v[p->n - 1 - back];
}

static dl_value *pick_like(pool *p, const dl_value *x)
{
    for (int i = p->n - 1; i >= 0; i--)
        if (p->v[i] != x && p->v[i]->rank == x->rank && memcmp(p->v[i]->dims, x->dims, sizeof(int64_t) * 4) == 0)
            return p->v[i];
    return NULL;
}

/* Shapes are known while building: infer runs later, so track them here. */
static void set_dims(dl_value *v, int64_t c, int64_t h, int64_t w)
{
    int64_t dims[4] = {1, c, h, w};
    dl_value_set_shape(v, DL_FLOAT, 4, dims);
}

static void grow(builder *b, pool *p, uint32_t *s)
{
    dl_value *x = pick(p, s);
    int64_t c = x->dims[1], h = x->dims[2], w = x->dims[3];
    switch (next(s) % 7) {
    case 0: {
        dl_value *y = relu(b, x);
        set_dims(y, c, h, w);
        p->v[p->n++] = y;
        break;
    }
    case 1: {
        dl_value *o = pick_like(p, x);
        dl_value *y = o ? add(b, x, o) : relu(b, x);
        set_dims(y, c, h, w);
        p->v[p->n++] = y;
        break;
    }
    case 2: {
        dl_value *xs[4] = {x};
        int k = 1;
        for (int i = p->n - 1; i >= 0 && k < 4; i--)
            if (p->v[i] != x && p->v[i]->dims[2] == h && p->v[i]->dims[3] == w && next(s) % 2)
                xs[k++] = p->v[i];
        int64_t total = 0;
        for (int i = 0; i < k; i++)
            total += xs[i]->dims[1];
        dl_value *y = concat(b, xs, k);
        set_dims(y, total, h, w);
        p->v[p->n++] = y;
        break;
    }
    case 3: {
        if (c % 2) {
            dl_value *y = conv(b, x, c, 2 * c);
            set_dims(y, 2 * c, h, w);
            p->v[p->n++] = y;
            break;
        }
        dl_node *n = split2(b, x);
        set_dims(n->outputs[0], c / 2, h, w);
        set_dims(n->outputs[1], c / 2, h, w);
        p->v[p->n++] = n->outputs[0];
        p->v[p->n++] = n->outputs[1];
        break;
    }
    case 4: {
        int64_t shape[4] = {1, c, w, h};   /* 4x4 stays 4x4; 2x8 <-> 8x2 */
        if (h == w) {
            shape[2] = 2;
            shape[3] = h * w / 2;
        }
        dl_value *y = reshape(b, x, shape);
        set_dims(y, shape[1], shape[2], shape[3]);
        p->v[p->n++] = y;
        break;
    }
    default: {
        int64_t c_out = 1 + (int64_t)(next(s) % 6);
        dl_value *y = conv(b, x, c, c_out);
        set_dims(y, c_out, h, w);
        p->v[p->n++] = y;
        break;
    }
    }
}

static dl_graph *random_dag(uint32_t seed)
{
    builder b = start();
    pool p = {{NULL}, 0};
    uint32_t s = seed;
    p.v[p.n++] = input(&b, 1 + (int64_t)(next(&s) % 4));
    int steps = 4 + (int)(next(&s) % 28);
    for (int i = 0; i < steps && p.n < 250; i++)
        grow(&b, &p, &s);
    dl_graph_add_output(b.g, p.v[p.n - 1]);
    if (p.n > 3 && next(&s) % 2) /* an output in the middle: it must stay the caller's */
        if (!p.v[p.n / 2]->is_output && !p.v[p.n / 2]->is_input)
            dl_graph_add_output(b.g, p.v[p.n / 2]);
    return b.g;
}

START_TEST(test_random_dags)
{
    int views = 0, in_place = 0;
    /* every level, -O3 (+ fuse-dw-pw) included */
    for (uint32_t seed = 1; seed <= 300; seed++) {
        for (int level = 0; level <= 3; level++) {
            dl_graph *g = random_dag(seed);
            run(g, level);
            check_plan(g);
            for (int i = 0; i < g->n_values; i++)
                views += g->values[i]->alias_of != NULL;
            for (int i = 0; i < g->n_values; i++)
                for (int j = i + 1; j < g->n_values; j++)
                    in_place += g->values[i]->offset >= 0 && g->values[i]->offset == g->values[j]->offset &&
                                !g->values[i]->alias_of && !g->values[j]->alias_of;
            dl_graph_free(g);
        }
    }
    /* The generator must exercise what it tests. */
    ck_assert_int_gt(views, 100);
    ck_assert_int_gt(in_place, 100);
}
END_TEST

/* ------------------------------------------------------------- unit tests */

/* a = conv(x), b = conv(x), c = concat(a, b), y = relu(c): a and b are written
 * straight into c. Each of a, b is 1x4x4x4 floats = 256 bytes; c is 512. */
static dl_graph *concat_graph(dl_value **a, dl_value **b, dl_value **c)
{
    builder bd = start();
    dl_value *x = input(&bd, 2);
    *a = conv(&bd, x, 2, 4);
    *b = conv(&bd, x, 2, 4);
    dl_value *xs[2] = {*a, *b};
    *c = concat(&bd, xs, 2);
    dl_graph_add_output(bd.g, relu(&bd, *c));
    return bd.g;
}

START_TEST(test_concat_eliminated)
{
    dl_value *a, *b, *c;
    dl_graph *g = concat_graph(&a, &b, &c);
    run(g, 1);
    ck_assert_ptr_eq(a->alias_of, c);
    ck_assert_ptr_eq(b->alias_of, c);
    ck_assert_int_eq(a->alias_offset, 0);
    ck_assert_int_eq(b->alias_offset, 256);   /* after a's 4*4*4*4 bytes */
    ck_assert_int_eq(g->arena_bytes, 512);    /* c alone */
    check_plan(g);
    dl_graph_free(g);
}
END_TEST

START_TEST(test_concat_kept_at_O0)
{
    dl_value *a, *b, *c;
    dl_graph *g = concat_graph(&a, &b, &c);
    run(g, 0);
    ck_assert_ptr_null(a->alias_of);
    ck_assert_ptr_null(b->alias_of);
    ck_assert_int_eq(g->arena_bytes, 1024);   /* a, b and c all alive at the Concat: 256 + 256 + 512 */
    check_plan(g);
    dl_graph_free(g);
}
END_TEST

/* The Concat's output is the caller's: its inputs keep buffers of their own. */
START_TEST(test_concat_output_not_viewed)
{
    builder bd = start();
    dl_value *x = input(&bd, 2);
    dl_value *xs[2] = {conv(&bd, x, 2, 4), conv(&bd, x, 2, 4)};
    dl_graph_add_output(bd.g, concat(&bd, xs, 2));
    run(bd.g, 1);
    ck_assert_ptr_null(xs[0]->alias_of);
    ck_assert_ptr_null(xs[1]->alias_of);
    check_plan(bd.g);
    dl_graph_free(bd.g);
}
END_TEST

/* t = conv(x) dies at r = relu(t): r takes t's bytes. t is 1x4x4x4 = 256 bytes. */
START_TEST(test_relu_in_place)
{
    for (int level = 0; level <= 1; level++) {
        builder bd = start();
        dl_value *x = input(&bd, 2);
        dl_value *t = conv(&bd, x, 2, 4);
        dl_value *r = relu(&bd, t);
        dl_graph_add_output(bd.g, conv(&bd, r, 4, 2));
        run(bd.g, level);
        if (level == 0) {
            ck_assert_int_ne(t->offset, r->offset);
            ck_assert_int_eq(bd.g->arena_bytes, 512);
        } else {
            ck_assert_int_eq(t->offset, r->offset);
            ck_assert_int_eq(bd.g->arena_bytes, 256);
        }
        check_plan(bd.g);
        dl_graph_free(bd.g);
    }
}
END_TEST

/* t is still read after the Add: the Add must not overwrite it. */
START_TEST(test_no_in_place_when_input_lives_on)
{
    builder bd = start();
    dl_value *x = input(&bd, 2);
    dl_value *t = conv(&bd, x, 2, 4);
    dl_value *u = conv(&bd, x, 2, 4);
    dl_value *s = add(&bd, t, u);
    dl_value *xs[2] = {relu(&bd, s), t};
    dl_graph_add_output(bd.g, conv(&bd, concat(&bd, xs, 2), 8, 2));
    run(bd.g, 1);
    ck_assert_int_ne(dl_value_storage(s)->offset + 0, -1);
    ck_assert_msg(abs_offset(s) != abs_offset(t), "the Add wrote over t, which the Concat still reads");
    check_plan(bd.g);
    dl_graph_free(bd.g);
}
END_TEST

/* c = conv(x) with 8 channels, split in two halves of 4*4*4*4 = 256 bytes:
 * each half is a view of c, the second 256 bytes in. */
START_TEST(test_split_views)
{
    builder bd = start();
    dl_value *x = input(&bd, 2);
    dl_value *c = conv(&bd, x, 2, 8);
    dl_node *sp = split2(&bd, c);
    dl_value *y = add(&bd, conv(&bd, sp->outputs[0], 4, 4), conv(&bd, sp->outputs[1], 4, 4));
    dl_graph_add_output(bd.g, y);
    run(bd.g, 1);
    ck_assert_ptr_eq(sp->outputs[0]->alias_of, c);
    ck_assert_ptr_eq(sp->outputs[1]->alias_of, c);
    ck_assert_int_eq(sp->outputs[0]->alias_offset, 0);
    ck_assert_int_eq(sp->outputs[1]->alias_offset, 256);
    check_plan(bd.g);
    dl_graph_free(bd.g);
}
END_TEST

static dl_value *int_list(builder *b, int64_t v)
{
    int64_t one = 1;
    dl_value *c = dl_graph_add_value(b->g, NULL, DL_INT64, 1, &one);
    *(int64_t *)dl_value_alloc_data(b->g, c) = v;
    return c;
}

/* Channels 2..5 of an 8-channel 1x8x4x4 tensor: one contiguous range that
 * starts 2 * 4*4 floats = 128 bytes in. */
START_TEST(test_slice_view)
{
    builder bd = start();
    dl_value *x = input(&bd, 2);
    dl_value *c = conv(&bd, x, 2, 8);
    dl_node *n = node(&bd, "Slice", 4, 1);
    dl_node_set_input(bd.g, n, 0, c);
    dl_node_set_input(bd.g, n, 1, int_list(&bd, 2));
    dl_node_set_input(bd.g, n, 2, int_list(&bd, 6));
    dl_node_set_input(bd.g, n, 3, int_list(&bd, 1));
    /* t = conv(slice) runs before r = relu(c), so c dies at r either way: the
       view then costs nothing (c + t = 1024 bytes; a copy would add 256). */
    dl_value *t = conv(&bd, n->outputs[0], 4, 8);
    dl_value *r = relu(&bd, c);
    dl_graph_add_output(bd.g, add(&bd, t, r));
    run(bd.g, 1);
    ck_assert_int_eq(bd.g->arena_bytes, 1024);
    ck_assert_ptr_eq(n->outputs[0]->alias_of, c);
    ck_assert_int_eq(n->outputs[0]->alias_offset, 128);
    check_plan(bd.g);
    dl_graph_free(bd.g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan_memory");
    TCase *tc = tcase_create("plan");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_dags);
    tcase_add_test(tc, test_concat_eliminated);
    tcase_add_test(tc, test_concat_kept_at_O0);
    tcase_add_test(tc, test_concat_output_not_viewed);
    tcase_add_test(tc, test_relu_in_place);
    tcase_add_test(tc, test_no_in_place_when_input_lives_on);
    tcase_add_test(tc, test_split_views);
    tcase_add_test(tc, test_slice_view);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
