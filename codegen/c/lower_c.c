/* dl_lower for C: kernel calls as statements, parameters as static const structs. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "codegen/c/lower_c.h"
#include "ir/ops/op.h"
#include "passes/passes.h"

void dl_lower_init(struct dl_lower *l, const dl_graph *g, FILE *out, const dl_sections *sections)
{
    memset(l, 0, sizeof *l);
    l->g = g;
    l->out = out;
    l->sections = sections;
    l->needed = dl_malloc(sizeof(bool) * (size_t)(sections->n + 1));
    l->const_offset = dl_malloc(sizeof(int64_t) * (size_t)(g->n_values + 1));
    l->const_pool = dl_malloc(sizeof(int) * (size_t)(g->n_values + 1));
    if (!l->needed || !l->const_offset || !l->const_pool) {
        l->failed = true;
        snprintf(l->error, sizeof l->error, "out of memory");
        return;
    }
    memset(l->needed, 0, sizeof(bool) * (size_t)(sections->n + 1));
    for (int i = 0; i < g->n_values; i++)
        l->const_offset[i] = -1;
}

void dl_lower_free(struct dl_lower *l)
{
    dl_free(l->needed, sizeof(bool) * (size_t)(l->sections->n + 1));
    dl_free(l->const_offset, sizeof(int64_t) * (size_t)(l->g->n_values + 1));
    dl_free(l->const_pool, sizeof(int) * (size_t)(l->g->n_values + 1));
}

static void fail(dl_lower *l, const char *what, const char *name)
{
    if (!l->failed)
        snprintf(l->error, sizeof l->error, "%s '%s'", what, name);
    l->failed = true;
}

const char *dl_pool_name(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "w_f32";
    case DL_DOUBLE: return "w_f64";
    case DL_INT64: return "w_i64";
    case DL_INT32: return "w_i32";
    case DL_INT16: return "w_i16";
    case DL_INT8: return "w_i8";
    case DL_UINT8: return "w_u8";
    case DL_BOOL: return "w_b8";
    case DL_UINT16: return "w_u16";
    case DL_FLOAT16: return "w_f16";
    case DL_UINT32: return "w_u32";
    case DL_UINT64: return "w_u64";
    default: return "w_unknown";
    }
}

/* Each constant starts on a 64-byte boundary of its pool. */
void dl_lower_use_constant(dl_lower *l, const dl_value *v)
{
    if (l->const_offset[v->id] >= 0)
        return;
    int p = 0;
    while (p < l->n_pools && l->pools[p].dtype != v->dtype)
        p++;
    if (p == l->n_pools) {
        if (p == DL_MAX_POOLS) {
            fail(l, "too many constant types for", v->name);
            return;
        }
        l->pools[p].dtype = v->dtype;
        l->pools[p].count = 0;
        l->n_pools++;
    }
    int64_t align = 64 / (int64_t)dl_dtype_size(v->dtype);
    dl_pool *pool = &l->pools[p];
    pool->count = (pool->count + align - 1) / align * align;
    l->const_offset[v->id] = pool->count;
    l->const_pool[v->id] = p;
    pool->count += dl_value_numel(v) > 0 ? dl_value_numel(v) : 1;
}

/* Bytes from the start of v's storage to v (a view's alias offsets, summed). */
static int64_t view_offset(const dl_value *v)
{
    int64_t off = 0;
    for (; v && v->alias_of; v = v->alias_of)
        off += v->alias_offset;
    return off;
}

void dl_lower_value_expr(dl_lower *l, const dl_value *v, char *buf, size_t size)
{
    if (!v) {
        snprintf(buf, size, "NULL");
        return;
    }
    const dl_value *s = dl_value_storage(v);
    const char *ctype = dl_dtype_ctype(v->dtype);
    int64_t off = view_offset(v);
    if (off != 0 && (s->data || s->offset < 0)) {
        snprintf(buf, size, "NULL");
        fail(l, "a view at an offset is only planned into the arena, not for", v->name);
    } else if (s->data) {
        dl_lower_use_constant(l, s);
        snprintf(buf, size, "%s.v + %" PRId64, dl_pool_name(s->dtype), l->const_offset[s->id]);
    } else if (l->param_names && l->param_names[s->id]) {
        snprintf(buf, size, "%s", l->param_names[s->id]);
    } else if (s->offset >= 0) {
        snprintf(buf, size, "(%s *)(arena + %" PRId64 ")", ctype ? ctype : "void", s->offset + off);
    } else {
        snprintf(buf, size, "NULL");
        fail(l, "no storage was planned for", v->name);
    }
}

static bool reads(const dl_node *n, const dl_value *v)
{
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == v)
            return true;
    return false;
}

/* Every output is a view of one of n's inputs (Reshape, Split, Slice the planner made views). */
static bool outputs_are_views(const dl_node *n)
{
    int views = 0;
    for (int i = 0; i < n->n_outputs; i++) {
        const dl_value *y = n->outputs[i];
        if (y && (!y->alias_of || !reads(n, y->alias_of)))
            return false;
        views += y != NULL;
    }
    return views > 0;
}

/* A Concat whose inputs already lie where it would copy them (their producers
 * wrote into their slices): copying would move nothing. */
static bool concat_in_place(const dl_node *n)
{
    const dl_value *y = n->outputs[0];
    if (strcmp(n->op_type, "Concat") != 0 || n->n_outputs != 1 || !y || y->rank < 1)
        return false;
    int64_t axis = dl_attr_int(n, "axis", 0), at = view_offset(y), step = (int64_t)dl_dtype_size(y->dtype);
    axis = axis < 0 ? axis + y->rank : axis;
    if (axis < 0 || axis >= y->rank)
        return false;
    for (int k = 0; k < axis; k++)
        if (y->dims[k] != 1)
            return false;
    for (int k = (int)axis + 1; k < y->rank; k++)
        step *= y->dims[k];
    for (int i = 0; i < n->n_inputs; i++) {
        const dl_value *x = n->inputs[i];
        if (!x || dl_value_storage(x) != dl_value_storage(y) || view_offset(x) != at)
            return false;
        at += x->dims[axis] * step;
    }
    return true;
}

void dl_lower_node_begin(dl_lower *l, const dl_node *n)
{
    char shape[128];
    fprintf(l->out, "\n    /* %s '%s'", n->op_type, n->name);
    if (n->n_outputs > 0 && n->outputs[0])
        fprintf(l->out, " -> %s[%s]", dl_dtype_name(n->outputs[0]->dtype), dl_shape_str(n->outputs[0], shape, sizeof shape));
    const dl_value *y = n->n_outputs > 0 ? n->outputs[0] : NULL;
    if (y && y->alias_of)
        fprintf(l->out, ", %s '%s' at byte %" PRId64, reads(n, y->alias_of) ? "a view of" : "written into",
                y->alias_of->name, y->alias_offset);
    l->skip_node = outputs_are_views(n) || concat_in_place(n);
    fprintf(l->out, l->skip_node ? ": no code */\n" : " */\n");
    l->n_params_in_node = 0;
    l->n_calls = 0;
}

/* A node's parameter structs get a block of their own; plain calls need none. */
void dl_lower_node_end(dl_lower *l, const dl_node *n)
{
    (void)n;
    if (l->n_params_in_node > 0 && !l->skip_node)
        fprintf(l->out, "    }\n");
    l->skip_node = false;
}

static void open_block(dl_lower *l)
{
    if (l->n_params_in_node == 0)
        fprintf(l->out, "    {\n");
}

/* ---------------------------------------------------------- the dl_lower API */

void dl_lower_need(dl_lower *l, const char *section)
{
    if (l->skip_node)
        return;
    int i = dl_section_find(l->sections, section, strlen(section));
    if (i < 0) {
        fail(l, "no kernel section named", section);
        return;
    }
    l->needed[i] = true;
}

void dl_lower_params_begin(dl_lower *l, const char *struct_type)
{
    if (l->skip_node)
        return;
    open_block(l);
    fprintf(l->out, "        static const %s p%d = {", struct_type, l->n_params_in_node);
    l->n_args = 0;
}

static void field(dl_lower *l, const char *name)
{
    fprintf(l->out, "%s.%s = ", l->n_args++ ? ", " : "", name);
}

/* A float literal that reads back to the same float. */
static void write_float(FILE *out, double v)
{
    if (isnan(v)) {
        fprintf(out, "NAN");
    } else if (isinf(v)) {
        fprintf(out, v < 0 ? "-INFINITY" : "INFINITY");
    } else {
        char buf[48];
        snprintf(buf, sizeof buf, "%.9g", v);
        fprintf(out, "%s%sf", buf, strpbrk(buf, ".e") ? "" : ".0");
    }
}

void dl_lower_param_int(dl_lower *l, const char *name, int64_t v)
{
    if (l->skip_node)
        return;
    field(l, name);
    fprintf(l->out, "%" PRId64, v);
}

void dl_lower_param_ints(dl_lower *l, const char *name, const int64_t *v, int n)
{
    if (l->skip_node)
        return;
    field(l, name);
    fprintf(l->out, "{");
    for (int i = 0; i < n; i++)
        fprintf(l->out, i ? ", %" PRId64 : "%" PRId64, v[i]);
    fprintf(l->out, n ? "}" : "0}");
}

void dl_lower_param_float(dl_lower *l, const char *name, double v)
{
    if (l->skip_node)
        return;
    field(l, name);
    write_float(l->out, v);
}

void dl_lower_param_floats(dl_lower *l, const char *name, const float *v, int n)
{
    if (l->skip_node)
        return;
    field(l, name);
    fprintf(l->out, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            fprintf(l->out, ", ");
        write_float(l->out, v[i]);
    }
    fprintf(l->out, n ? "}" : "0}");
}

void dl_lower_params_end(dl_lower *l)
{
    if (l->skip_node)
        return;
    fprintf(l->out, "};\n");
    l->n_params_in_node++;
}

void dl_lower_call(dl_lower *l, const char *kernel)
{
    if (l->skip_node)
        return;
    fprintf(l->out, l->n_params_in_node ? "        %s(" : "    %s(", kernel);
    l->n_args = 0;
    l->n_calls++;
}

static void arg_sep(dl_lower *l)
{
    if (l->n_args++)
        fprintf(l->out, ", ");
}

void dl_lower_arg_value(dl_lower *l, const dl_value *v)
{
    if (l->skip_node)
        return;
    char buf[256];
    dl_lower_value_expr(l, v, buf, sizeof buf);
    arg_sep(l);
    fprintf(l->out, "%s", buf);
}

void dl_lower_arg_params(dl_lower *l)
{
    dl_lower_arg_params_at(l, l->n_params_in_node - 1);
}

void dl_lower_arg_params_at(dl_lower *l, int k)
{
    if (l->skip_node)
        return;
    arg_sep(l);
    fprintf(l->out, "&p%d", k);
}

void dl_lower_arg_int(dl_lower *l, int64_t v)
{
    if (l->skip_node)
        return;
    arg_sep(l);
    fprintf(l->out, "%" PRId64, v);
}

void dl_lower_arg_float(dl_lower *l, double v)
{
    if (l->skip_node)
        return;
    arg_sep(l);
    write_float(l->out, v);
}

void dl_lower_arg_par(dl_lower *l)
{
    if (l->skip_node)
        return;
    dl_lower_need(l, "dlk_parallel");
    arg_sep(l);
    fprintf(l->out, "par");
}

void dl_lower_call_end(dl_lower *l)
{
    if (!l->skip_node)
        fprintf(l->out, ");\n");
}

void dl_lower_copy(dl_lower *l, const dl_value *from, const dl_value *to)
{
    dl_lower_need(l, "dlk_copy");
    dl_lower_call(l, "dlk_copy");
    dl_lower_arg_value(l, from);
    dl_lower_arg_value(l, to);
    dl_lower_arg_int(l, dl_value_bytes(to));
    dl_lower_call_end(l);
}
