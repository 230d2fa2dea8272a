/* The op table and the helpers op files share. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"

#define DL_OP(name) extern const dl_op dl_op_##name;
#include "ir/ops/ops.def"
#undef DL_OP

static const dl_op *const op_table[] = {
#define DL_OP(name) &dl_op_##name,
#include "ir/ops/ops.def"
#undef DL_OP
};

#define N_OPS ((int)(sizeof op_table / sizeof op_table[0]))

const dl_op *dl_op_find(const char *op_type)
{
    for (int i = 0; i < N_OPS; i++)
        if (op_table[i] && strcmp(op_table[i]->name, op_type) == 0)
            return op_table[i];
    return NULL;
}

const dl_op *dl_op_find_onnx(const char *op_type)
{
    const dl_op *op = dl_op_find(op_type);
    return op && !(op->flags & DL_OP_INTERNAL) ? op : NULL;
}

const dl_op *const *dl_op_all(int *count)
{
    *count = N_OPS;
    return op_table;
}

int dl_check_inputs(dl_diag *d, const dl_node *n, int min, int max)
{
    int present = n->n_inputs;
    while (present > 0 && !n->inputs[present - 1])
        present--;
    if (present < min || present > max) {
        if (min == max)
            return dl_error(d, n, "expected %d input%s, got %d", min, min == 1 ? "" : "s", present);
        return dl_error(d, n, "expected %d to %d inputs, got %d", min, max, present);
    }
    for (int i = 0; i < min; i++)
        if (!n->inputs[i])
            return dl_error(d, n, "input %d is required but absent", i);
    return 0;
}

int dl_check_dtype(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, dl_dtype expected)
{
    if (v->dtype != expected)
        return dl_error(d, n, "%s '%s' has type %s, expected %s", what, v->name, dl_dtype_name(v->dtype),
                        dl_dtype_name(expected));
    return 0;
}

void dl_value_set_shape(dl_value *v, dl_dtype dtype, int rank, const int64_t *dims)
{
    v->dtype = dtype;
    v->rank = rank;
    for (int i = 0; i < rank; i++)
        v->dims[i] = dims[i];
}

#define MAX_SOURCES 8

/* The run-time graph inputs v is computed from (at most max of them; the walk is bounded). */
static int runtime_sources(const dl_value *v, const dl_value **found, int n_found, int max, int *budget)
{
    if (v == NULL || v->data || --*budget < 0)
        return n_found;
    if (v->is_input) {
        for (int i = 0; i < n_found; i++)
            if (found[i] == v)
                return n_found;
        if (n_found < max)
            found[n_found++] = v;
        return n_found;
    }
    for (int i = 0; v->producer && i < v->producer->n_inputs; i++)
        n_found = runtime_sources(v->producer->inputs[i], found, n_found, max, budget);
    return n_found;
}

int dl_error_not_constant(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, const char *why)
{
    const dl_value *src[MAX_SOURCES];
    int budget = 256, count = runtime_sources(v, src, 0, MAX_SOURCES, &budget);
    char hint[1024] = "";
    size_t at = 0;
    for (int i = 0; i < count && at < sizeof hint; i++)
        at += (size_t)snprintf(hint + at, sizeof hint - at, "%s --bind %s=FILE", i ? "" : "; to fix its value at compile time use",
                               src[i]->name);
    return dl_error(d, n, "%s '%s' must be a constant (%s)%s", what, v->name, why, hint);
}

int dl_matmul_geometry_of(dl_diag *d, const dl_node *n, const dl_value *a, const char *a_name, const dl_value *b,
                          const char *b_name, dl_matmul_geometry *geo)
{
    int ra = a->rank, rb = b->rank;
    if (ra < 1 || rb < 1)
        return dl_error(d, n, "inputs '%s' and '%s' must have rank >= 1; they have %d and %d", a_name, b_name, ra, rb);
    memset(geo, 0, sizeof *geo);
    geo->m = ra == 1 ? 1 : a->dims[ra - 2];
    geo->k = a->dims[ra - 1];
    geo->n = rb == 1 ? 1 : b->dims[rb - 1];
    int64_t k_b = rb == 1 ? b->dims[0] : b->dims[rb - 2];
    if (geo->k != k_b)
        return dl_error(d, n, "inner dimensions differ: input '%s' has %lld columns, input '%s' has %lld rows", a_name,
                        (long long)geo->k, b_name, (long long)k_b);
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0, r = ba > bb ? ba : bb;
    int64_t sa = geo->m * geo->k, sb = geo->k * geo->n;
    geo->batch_rank = r;
    for (int i = r - 1; i >= 0; i--) {
        int ia = i - (r - ba), ib = i - (r - bb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return dl_error(d, n, "batch axis %d does not broadcast: input '%s' has %lld, input '%s' has %lld", i,
                            a_name, (long long)da, b_name, (long long)db);
        geo->batch[i] = da == 1 ? db : da;
        geo->a_stride[i] = da == 1 ? 0 : sa;
        geo->b_stride[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    geo->out_rank = r;
    memcpy(geo->out_dims, geo->batch, (size_t)r * sizeof *geo->out_dims);
    if (ra > 1)
        geo->out_dims[geo->out_rank++] = geo->m;
    if (rb > 1)
        geo->out_dims[geo->out_rank++] = geo->n;
    return 0;
}

int dl_const_ints(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, int64_t *out, int max)
{
    if (!v->data)
        return dl_error_not_constant(d, n, v, what, "computed at compile time");
    int64_t count = dl_value_numel(v);
    if (count > max)
        return dl_error(d, n, "%s '%s' has %lld elements, at most %d are supported", what, v->name,
                        (long long)count, max);
    for (int64_t i = 0; i < count; i++) {
        if (v->dtype == DL_INT64)
            out[i] = ((const int64_t *)v->data)[i];
        else if (v->dtype == DL_INT32)
            out[i] = ((const int32_t *)v->data)[i];
        else
            return dl_error(d, n, "%s '%s' has type %s, expected int64 or int32", what, v->name,
                            dl_dtype_name(v->dtype));
    }
    return (int)count;
}

int dl_norm_axis(dl_diag *d, const dl_node *n, int64_t axis, int rank, int *out)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= (rank > 0 ? rank : 1))
        return dl_error(d, n, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)a;
    return 0;
}

int dl_broadcast_shape(dl_diag *d, const dl_node *n, const dl_value *a, const dl_value *b, int *rank, int64_t *dims)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[128], sb[128];
            return dl_error(d, n, "cannot broadcast '%s' [%s] with '%s' [%s]: dim %d is %lld vs %lld", a->name,
                            dl_shape_str(a, sa, sizeof sa), b->name, dl_shape_str(b, sb, sizeof sb), i,
                            (long long)da, (long long)db);
        }
        dims[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 0;
}

void *dl_node_params(dl_graph *g, dl_node *n, size_t size)
{
    n->params = dl_arena_alloc(&g->arena, size);
    return n->params;
}
