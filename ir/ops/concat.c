/* Concat and Split along one axis, any dtype. Seen as (outer, axis, inner),
 * each input of Concat (output of Split) owns a contiguous block of every
 * outer row, so both lower to one strided block copy per input (output). */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/concat.h"

typedef struct concat_params {
    int64_t axis;           /* as written */
    int norm_axis;          /* after infer: in [0, rank) */
} concat_params;

typedef struct split_params {
    int64_t axis;
    int norm_axis;
    const int64_t *split;   /* opset < 13: the `split` attribute */
    int n_split;            /* -1: absent (or from input 1) */
    int64_t num_outputs;    /* opset >= 18; 0: absent */
    int64_t *sizes;         /* after infer: the size of each output along axis */
} split_params;

/* One part's place in the (outer, axis, inner) view, in bytes. */
typedef struct part_layout {
    int64_t outer, part_block, whole_block, offset;
} part_layout;

static int check_axis(dl_diag *d, const dl_node *n, int64_t axis, int rank, int *out)
{
    if (rank == 0)
        return dl_error(d, n, "input 0 is a scalar; %s needs rank >= 1", n->op_type);
    /* The spec allows negative axes from opset 11, but older exporters (PyTorch at opset 6)
       wrote them and onnxruntime reads them: count from the end at every opset. */
    return dl_norm_axis(d, n, axis, rank, out);
}

static int check_data(dl_diag *d, const dl_node *n, const dl_value *v, int i)
{
    if (v == NULL)
        return dl_error(d, n, "input %d is missing", i);
    if (v->rank < 0)
        return dl_error(d, n, "input %d ('%s') has an unknown shape; give it with --shape",
                        i, v->name);
    if (dl_dtype_size(v->dtype) == 0)
        return dl_error(d, n, "input %d ('%s') has type %s, which dlcc does not support",
                        i, v->name, dl_dtype_name(v->dtype));
    return 0;
}

/* whole: the concatenated tensor; part_dim: the part's size along axis;
 * before: the parts' total size along axis before this one. */
static part_layout layout_of(const dl_value *whole, int axis, int64_t part_dim, int64_t before)
{
    part_layout pl;
    int64_t inner = (int64_t)dl_dtype_size(whole->dtype);
    pl.outer = 1;
    for (int i = 0; i < axis; i++)
        pl.outer *= whole->dims[i];
    for (int i = axis + 1; i < whole->rank; i++)
        inner *= whole->dims[i];
    pl.part_block = part_dim * inner;
    pl.whole_block = whole->dims[axis] * inner;
    pl.offset = before * inner;
    return pl;
}

/* One call of `kernel` (dlk_concat_part or dlk_split_part, which take the
 * same arguments): outer rows of x_block bytes of x to rows of y_block bytes
 * of y, offset bytes into the larger side's rows. */
static void lower_part(dl_lower *l, const char *kernel, const dl_value *x, const dl_value *y,
                       int64_t outer, int64_t x_block, int64_t y_block, int64_t offset)
{
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, y);
    dl_lower_arg_int(l, outer);
    dl_lower_arg_int(l, x_block);
    dl_lower_arg_int(l, y_block);
    dl_lower_arg_int(l, offset);
    dl_lower_call_end(l);
}

/* ------------------------------------------------------------- Concat */

static int concat_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    concat_params *p;
    if (dl_check_inputs(d, n, 1, n->n_inputs) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    /* Opset 1 defaulted axis to 1; from opset 4 it is required. */
    if (n->opset >= 4 && dl_attr_find(n, "axis") == NULL)
        return dl_error(d, n, "attribute 'axis' is missing (required from opset 4)");
    p->axis = dl_attr_int(n, "axis", 1);
    return 0;
}

static int concat_check_input(dl_diag *d, const dl_node *n, int i, int axis)
{
    const dl_value *x0 = n->inputs[0], *x = n->inputs[i];
    char a[128], b[128];
    if (check_data(d, n, x, i) < 0)
        return -1;
    if (x->dtype != x0->dtype)
        return dl_error(d, n, "input %d ('%s') is %s but input 0 ('%s') is %s; all inputs must "
                        "have one type", i, x->name, dl_dtype_name(x->dtype), x0->name,
                        dl_dtype_name(x0->dtype));
    for (int k = 0; k < x0->rank; k++)
        if (x->rank != x0->rank || (k != axis && x->dims[k] != x0->dims[k]))
            return dl_error(d, n, "input %d ('%s') has shape %s but input 0 ('%s') has %s; all "
                            "dims except axis %d must agree", i, x->name,
                            dl_shape_str(x, a, sizeof a), x0->name,
                            dl_shape_str(x0, b, sizeof b), axis);
    return 0;
}

static int concat_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    concat_params *p = n->params;
    const dl_value *x0 = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (check_data(d, n, x0, 0) < 0 || check_axis(d, n, p->axis, x0->rank, &p->norm_axis) < 0)
        return -1;
    memcpy(dims, x0->dims, sizeof dims);
    for (int i = 1; i < n->n_inputs; i++) {
        if (concat_check_input(d, n, i, p->norm_axis) < 0)
            return -1;
        dims[p->norm_axis] += n->inputs[i]->dims[p->norm_axis];
    }
    dl_value_set_shape(n->outputs[0], x0->dtype, x0->rank, dims);
    return 0;
}

static int concat_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const concat_params *p = n->params;
    dl_value *y = n->outputs[0];
    int64_t before = 0;
    (void)g;
    (void)d;
    for (int i = 0; i < n->n_inputs; i++) {
        const dl_value *x = n->inputs[i];
        part_layout pl = layout_of(y, p->norm_axis, x->dims[p->norm_axis], before);
        dlk_concat_part(x->data, y->data, pl.outer, pl.part_block, pl.whole_block, pl.offset);
        before += x->dims[p->norm_axis];
    }
    return 0;
}

static int concat_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const concat_params *p = n->params;
    const dl_value *y = n->outputs[0];
    int64_t before = 0;
    (void)g;
    (void)d;
    for (int i = 0; i < n->n_inputs; i++) {
        const dl_value *x = n->inputs[i];
        part_layout pl = layout_of(y, p->norm_axis, x->dims[p->norm_axis], before);
        before += x->dims[p->norm_axis];
        /* Empty, or its producer already wrote into y (DenseNet in place). */
        if (pl.outer * pl.part_block == 0 || x->alias_of == y)
            continue;
        lower_part(l, "dlk_concat_part", x, y, pl.outer, pl.part_block, pl.whole_block, pl.offset);
    }
    return 0;
}

/* -------------------------------------------------------------- Split */

static int split_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    split_params *p;
    /* The sizes come from input 1 in opset 1 and from 13 on; from the
     * `split` attribute in between. */
    bool split_input = n->opset < 2 || n->opset >= 13;
    if (dl_check_inputs(d, n, 1, split_input ? 2 : 1) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    p->axis = dl_attr_int(n, "axis", 0);
    p->n_split = split_input && n->opset >= 13 ? -1 : dl_attr_ints(n, "split", &p->split);
    p->num_outputs = n->opset >= 18 ? dl_attr_int(n, "num_outputs", 0) : 0;
    if (n->opset >= 18 && dl_attr_find(n, "num_outputs") != NULL && p->num_outputs != n->n_outputs)
        return dl_error(d, n, "attribute 'num_outputs' is %" PRId64 " but the node has %d outputs",
                        p->num_outputs, n->n_outputs);
    if (n->n_outputs < 1)
        return dl_error(d, n, "the node has no outputs");
    return 0;
}

/* The sizes given by `split` (attribute or constant input); count 0 when
 * neither is given. */
static int split_given(dl_diag *d, const dl_node *n, const split_params *p, int64_t *sizes)
{
    const dl_value *v = n->n_inputs > 1 ? n->inputs[1] : NULL;
    if (p->n_split >= 0) {
        if (p->n_split > n->n_outputs)
            return dl_error(d, n, "attribute 'split' has %d entries but the node has %d outputs",
                            p->n_split, n->n_outputs);
        memcpy(sizes, p->split, (size_t)p->n_split * sizeof *sizes);
        return p->n_split;
    }
    if (v == NULL)
        return 0;
    if (dl_value_numel(v) > n->n_outputs)
        return dl_error(d, n, "input split has %" PRId64 " entries but the node has %d outputs",
                        dl_value_numel(v), n->n_outputs);
    return dl_const_ints(d, n, v, "input split", sizes, n->n_outputs);
}

/* No sizes given: equal parts. Opset 18 allows an uneven split whose last
 * part is smaller (ceil(dim / k) each, the rest last); before, it is an error. */
static int split_equal(dl_diag *d, const dl_node *n, int64_t dim, int k, int64_t *sizes)
{
    int64_t chunk = dim / k;
    if (dim % k != 0) {
        if (n->opset < 18)
            return dl_error(d, n, "input 'input' has size %" PRId64 " along the axis, which does "
                            "not split into %d equal parts (uneven splits need opset >= 18)",
                            dim, k);
        chunk = dim / k + 1;
        if (dim - chunk * (k - 1) < 0)
            return dl_error(d, n, "input 'input' has size %" PRId64 " along the axis: too small "
                            "for %d parts of %" PRId64 " with a smaller last one", dim, k, chunk);
    }
    for (int i = 0; i < k; i++)
        sizes[i] = i < k - 1 ? chunk : dim - chunk * (k - 1);
    return 0;
}

static int split_sizes(dl_diag *d, const dl_node *n, const split_params *p, int64_t dim,
                       int64_t *sizes)
{
    int64_t sum = 0;
    int count = split_given(d, n, p, sizes);
    if (count < 0)
        return -1;
    if (count == 0)
        return split_equal(d, n, dim, n->n_outputs, sizes);
    if (count != n->n_outputs)
        return dl_error(d, n, "'split' has %d entries but the node has %d outputs",
                        count, n->n_outputs);
    for (int i = 0; i < count; i++) {
        if (sizes[i] < 0)
            return dl_error(d, n, "'split'[%d] is %" PRId64 "; expected >= 0", i, sizes[i]);
        sum += sizes[i];
    }
    if (sum != dim)
        return dl_error(d, n, "'split' sums to %" PRId64 " but input 'input' has size %" PRId64
                        " along axis %d", sum, dim, p->norm_axis);
    return 0;
}

static int split_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    split_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    if (check_data(d, n, x, 0) < 0 || check_axis(d, n, p->axis, x->rank, &p->norm_axis) < 0)
        return -1;
    p->sizes = dl_arena_alloc(&g->arena, (size_t)n->n_outputs * sizeof *p->sizes);
    if (p->sizes == NULL)
        return dl_error(d, n, "out of memory");
    if (split_sizes(d, n, p, x->dims[p->norm_axis], p->sizes) < 0)
        return -1;
    memcpy(dims, x->dims, sizeof dims);
    for (int i = 0; i < n->n_outputs; i++) {
        dims[p->norm_axis] = p->sizes[i];
        if (n->outputs[i] != NULL)
            dl_value_set_shape(n->outputs[i], x->dtype, x->rank, dims);
    }
    return 0;
}

static int split_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const split_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t before = 0;
    (void)g;
    (void)d;
    for (int i = 0; i < n->n_outputs; i++) {
        part_layout pl = layout_of(x, p->norm_axis, p->sizes[i], before);
        before += p->sizes[i];
        if (n->outputs[i] != NULL && n->outputs[i]->data != NULL)
            dlk_split_part(x->data, n->outputs[i]->data, pl.outer, pl.whole_block,
                           pl.part_block, pl.offset);
    }
    return 0;
}

static int split_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const split_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t before = 0;
    (void)g;
    (void)d;
    for (int i = 0; i < n->n_outputs; i++) {
        const dl_value *y = n->outputs[i];
        part_layout pl = layout_of(x, p->norm_axis, p->sizes[i], before);
        before += p->sizes[i];
        /* Absent, empty, or the planner made it a view into x. */
        if (y == NULL || pl.outer * pl.part_block == 0 || y->alias_of == x)
            continue;
        lower_part(l, "dlk_split_part", x, y, pl.outer, pl.whole_block, pl.part_block, pl.offset);
    }
    return 0;
}

const dl_op dl_op_Concat = {"Concat", 0, concat_setup, concat_infer, concat_eval, concat_lower};
const dl_op dl_op_Split = {"Split", 0, split_setup, split_infer, split_eval, split_lower};
