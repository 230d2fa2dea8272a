/* Graph construction, use lists, topological order and the verifier. */
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

/* ------------------------------------------------------------------ types */

size_t dl_dtype_size(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: case DL_INT32: case DL_UINT32: return 4;
    case DL_INT64: case DL_UINT64: case DL_DOUBLE: return 8;
    case DL_UINT8: case DL_INT8: case DL_BOOL: return 1;
    case DL_UINT16: case DL_INT16: case DL_FLOAT16: return 2;
    default: return 0;
    }
}

const char *dl_dtype_name(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "float32";
    case DL_UINT8: return "uint8";
    case DL_INT8: return "int8";
    case DL_UINT16: return "uint16";
    case DL_INT16: return "int16";
    case DL_INT32: return "int32";
    case DL_INT64: return "int64";
    case DL_STRING: return "string";
    case DL_BOOL: return "bool";
    case DL_FLOAT16: return "float16";
    case DL_DOUBLE: return "float64";
    case DL_UINT32: return "uint32";
    case DL_UINT64: return "uint64";
    default: return "undefined";
    }
}

const char *dl_dtype_ctype(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "float";
    case DL_UINT8: return "uint8_t";
    case DL_INT8: return "int8_t";
    case DL_UINT16: return "uint16_t";
    case DL_INT16: return "int16_t";
    case DL_INT32: return "int32_t";
    case DL_INT64: return "int64_t";
    case DL_BOOL: return "uint8_t";
    case DL_FLOAT16: return "uint16_t";
    case DL_DOUBLE: return "double";
    case DL_UINT32: return "uint32_t";
    case DL_UINT64: return "uint64_t";
    default: return NULL;
    }
}

/* ------------------------------------------------------------------ graph */

dl_graph *dl_graph_new(const char *file)
{
    dl_graph *g = dl_malloc(sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, sizeof *g);
    g->file = file ? dl_arena_strdup(&g->arena, file) : "<model>";
    if (!g->file) {
        dl_graph_free(g);
        return NULL;
    }
    g->name = "";
    return g;
}

void dl_graph_free(dl_graph *g)
{
    if (!g)
        return;
    dl_arena_free_all(&g->arena);
    dl_free(g, sizeof *g);
}

/* Grow an arena-backed pointer array by doubling (old storage stays in the arena). */
static int grow(dl_graph *g, void ***items, int n, int *cap)
{
    if (n < *cap)
        return 0;
    int new_cap = *cap ? *cap * 2 : 16;
    void **p = dl_arena_alloc(&g->arena, sizeof(void *) * (size_t)new_cap);
    if (!p)
        return -1;
    if (n)
        memcpy(p, *items, sizeof(void *) * (size_t)n);
    *items = p;
    *cap = new_cap;
    return 0;
}

dl_value *dl_graph_add_value(dl_graph *g, const char *name, dl_dtype dtype, int rank, const int64_t *dims)
{
    if (grow(g, (void ***)&g->values, g->n_values, &g->cap_values))
        return NULL;
    dl_value *v = dl_arena_alloc(&g->arena, sizeof *v);
    if (!v)
        return NULL;
    if (name) {
        v->name = dl_arena_strdup(&g->arena, name);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "_t%d", g->n_values);
        v->name = dl_arena_strdup(&g->arena, buf);
    }
    if (!v->name)
        return NULL;
    v->id = g->n_values;
    v->dtype = dtype;
    v->rank = rank;
    for (int i = 0; i < rank && i < DL_MAX_RANK; i++)
        v->dims[i] = dims[i];
    v->offset = -1;
    g->values[g->n_values++] = v;
    return v;
}

dl_value *dl_graph_find_value(const dl_graph *g, const char *name)
{
    for (int i = g->n_values - 1; i >= 0; i--)
        if (strcmp(g->values[i]->name, name) == 0)
            return g->values[i];
    return NULL;
}

dl_node *dl_graph_add_node(dl_graph *g, const char *name, const char *op_type, int n_inputs, int n_outputs)
{
    if (grow(g, (void ***)&g->nodes, g->n_nodes, &g->cap_nodes))
        return NULL;
    dl_node *n = dl_arena_alloc(&g->arena, sizeof *n);
    if (!n)
        return NULL;
    n->name = dl_arena_strdup(&g->arena, name ? name : "");
    n->op_type = dl_arena_strdup(&g->arena, op_type);
    n->inputs = dl_arena_alloc(&g->arena, sizeof(dl_value *) * (size_t)(n_inputs + 1));
    n->outputs = dl_arena_alloc(&g->arena, sizeof(dl_value *) * (size_t)(n_outputs + 1));
    if (!n->name || !n->op_type || !n->inputs || !n->outputs)
        return NULL;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->opset = g->opset;
    n->id = g->n_nodes;
    g->nodes[g->n_nodes++] = n;
    return n;
}

static int add_user(dl_graph *g, dl_value *v, dl_node *n)
{
    if (grow(g, (void ***)&v->users, v->n_users, &v->cap_users))
        return -1;
    v->users[v->n_users++] = n;
    return 0;
}

static void drop_user(dl_value *v, const dl_node *n)
{
    for (int i = 0; i < v->n_users; i++)
        if (v->users[i] == n) {
            memmove(&v->users[i], &v->users[i + 1], sizeof(dl_node *) * (size_t)(v->n_users - i - 1));
            v->n_users--;
            return;
        }
}

int dl_node_set_input(dl_graph *g, dl_node *n, int i, dl_value *v)
{
    if (n->inputs[i])
        drop_user(n->inputs[i], n);
    n->inputs[i] = v;
    return v ? add_user(g, v, n) : 0;
}

void dl_node_set_output(dl_node *n, int i, dl_value *v)
{
    n->outputs[i] = v;
    if (v)
        v->producer = n;
}

int dl_graph_add_input(dl_graph *g, dl_value *v)
{
    dl_value **p = dl_arena_alloc(&g->arena, sizeof(dl_value *) * (size_t)(g->n_inputs + 1));
    if (!p)
        return -1;
    if (g->n_inputs)
        memcpy(p, g->inputs, sizeof(dl_value *) * (size_t)g->n_inputs);
    p[g->n_inputs++] = v;
    g->inputs = p;
    v->is_input = true;
    return 0;
}

int dl_graph_add_output(dl_graph *g, dl_value *v)
{
    dl_value **p = dl_arena_alloc(&g->arena, sizeof(dl_value *) * (size_t)(g->n_outputs + 1));
    if (!p)
        return -1;
    if (g->n_outputs)
        memcpy(p, g->outputs, sizeof(dl_value *) * (size_t)g->n_outputs);
    p[g->n_outputs++] = v;
    g->outputs = p;
    v->is_output = true;
    return 0;
}

int dl_value_replace_uses(dl_graph *g, dl_value *old, dl_value *new_value)
{
    while (old->n_users > 0) {
        dl_node *n = old->users[0];
        for (int i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] == old && dl_node_set_input(g, n, i, new_value))
                return -1;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == old) {
            g->outputs[i] = new_value;
            new_value->is_output = true;
            old->is_output = false;
        }
    return 0;
}

void dl_node_remove(dl_graph *g, dl_node *n)
{
    (void)g;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i])
            drop_user(n->inputs[i], n);
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] && n->outputs[i]->producer == n)
            n->outputs[i]->producer = NULL;
    n->dead = true;
}

void *dl_value_alloc_data(dl_graph *g, dl_value *v)
{
    int64_t bytes = dl_value_bytes(v);
    v->data = dl_arena_alloc(&g->arena, (size_t)(bytes > 0 ? bytes : 1));
    return v->data;
}

int64_t dl_value_numel(const dl_value *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++)
        n *= v->dims[i];
    return n;
}

int64_t dl_value_bytes(const dl_value *v) { return dl_value_numel(v) * (int64_t)dl_dtype_size(v->dtype); }

bool dl_value_is_const(const dl_value *v) { return v && v->data != NULL; }

const char *dl_shape_str(const dl_value *v, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    if (v->rank < 0) {
        snprintf(buf, size, "?");
        return buf;
    }
    if (v->rank == 0) {
        snprintf(buf, size, "scalar");
        return buf;
    }
    for (int i = 0; i < v->rank && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, i ? "x%lld" : "%lld", (long long)v->dims[i]);
    return buf;
}

/* ------------------------------------------------------ topological order */

/* Kahn's algorithm, taking ready nodes in file order so the schedule stays
 * close to what the exporter wrote. */
int dl_graph_sort(dl_graph *g, dl_diag *d)
{
    int n = g->n_nodes;
    if (n == 0)
        return 0;
    int *pending = dl_malloc(sizeof(int) * (size_t)n);
    dl_node **order = dl_malloc(sizeof(dl_node *) * (size_t)n);
    int *ready = dl_malloc(sizeof(int) * (size_t)n);
    if (!pending || !order || !ready) {
        dl_free(pending, sizeof(int) * (size_t)n);
        dl_free(order, sizeof(dl_node *) * (size_t)n);
        dl_free(ready, sizeof(int) * (size_t)n);
        d->out_of_memory = true;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        g->nodes[i]->id = i;
        pending[i] = 0;
        /* a removed node waits for nothing and frees nothing: its output
         * values may since have been given to another producer */
        for (int k = 0; k < g->nodes[i]->n_inputs && !g->nodes[i]->dead; k++) {
            dl_value *v = g->nodes[i]->inputs[k];
            if (v && v->producer && !v->producer->dead)
                pending[i]++;
        }
    }
    /* ready is a min-heap-free simple list: pick the lowest id each time. */
    int n_ready = 0, n_done = 0;
    for (int i = 0; i < n; i++)
        if (pending[i] == 0)
            ready[n_ready++] = i;
    while (n_ready > 0) {
        int best = 0;
        for (int i = 1; i < n_ready; i++)
            if (ready[i] < ready[best])
                best = i;
        dl_node *node = g->nodes[ready[best]];
        ready[best] = ready[--n_ready];
        order[n_done++] = node;
        for (int o = 0; o < node->n_outputs && !node->dead; o++) {
            dl_value *v = node->outputs[o];
            if (!v)
                continue;
            for (int u = 0; u < v->n_users; u++)
                if (--pending[v->users[u]->id] == 0)
                    ready[n_ready++] = v->users[u]->id;
        }
    }
    int rc = 0;
    if (n_done < n) {
        for (int i = 0; i < n; i++)
            if (pending[i] > 0) {
                rc = dl_error(d, g->nodes[i], "the graph has a cycle through this node");
                break;
            }
    } else {
        for (int i = 0; i < n; i++) {
            g->nodes[i] = order[i];
            order[i]->id = i;
        }
    }
    dl_free(pending, sizeof(int) * (size_t)n);
    dl_free(order, sizeof(dl_node *) * (size_t)n);
    dl_free(ready, sizeof(int) * (size_t)n);
    return rc;
}

/* --------------------------------------------------------------- verifier */

static bool has_user(const dl_value *v, const dl_node *n)
{
    for (int i = 0; i < v->n_users; i++)
        if (v->users[i] == n)
            return true;
    return false;
}

int dl_graph_verify(const dl_graph *g, dl_diag *d)
{
    int rc = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *v = n->inputs[k];
            if (!v)
                continue;
            if (!has_user(v, n))
                rc = dl_error(d, n, "verifier: input %d '%s' does not list the node as a user", k, v->name);
            if (v->producer && (v->producer->dead || v->producer->id >= n->id))
                rc = dl_error(d, n, "verifier: input %d '%s' is produced by a later or removed node", k, v->name);
            if (!v->producer && !v->data && !v->is_input)
                rc = dl_error(d, n, "verifier: input %d '%s' has no producer", k, v->name);
        }
        for (int k = 0; k < n->n_outputs; k++) {
            const dl_value *v = n->outputs[k];
            if (v && v->producer != n && !v->data)
                rc = dl_error(d, n, "verifier: output %d '%s' names another producer", k, v->name);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const dl_value *v = g->outputs[i];
        if (!v->producer && !v->data && !v->is_input)
            rc = dl_error(d, NULL, "verifier: graph output '%s' has no producer", v->name);
    }
    return rc;
}

/* ------------------------------------------------------------- attributes */

const dl_attr *dl_attr_find(const dl_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t dl_attr_int(const dl_node *n, const char *name, int64_t fallback)
{
    const dl_attr *a = dl_attr_find(n, name);
    return a && a->kind == DL_ATTR_INT ? a->i : fallback;
}

float dl_attr_float(const dl_node *n, const char *name, float fallback)
{
    const dl_attr *a = dl_attr_find(n, name);
    if (a && a->kind == DL_ATTR_FLOAT)
        return a->f;
    if (a && a->kind == DL_ATTR_INT)
        return (float)a->i;
    return fallback;
}

const char *dl_attr_string(const dl_node *n, const char *name, const char *fallback)
{
    const dl_attr *a = dl_attr_find(n, name);
    return a && a->kind == DL_ATTR_STRING ? a->s : fallback;
}

int dl_attr_ints(const dl_node *n, const char *name, const int64_t **out)
{
    const dl_attr *a = dl_attr_find(n, name);
    if (!a || a->kind != DL_ATTR_INTS)
        return -1;
    *out = a->ints;
    return a->n;
}

int dl_attr_floats(const dl_node *n, const char *name, const float **out)
{
    const dl_attr *a = dl_attr_find(n, name);
    if (!a || a->kind != DL_ATTR_FLOATS)
        return -1;
    *out = a->floats;
    return a->n;
}
