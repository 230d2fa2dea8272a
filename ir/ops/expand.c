/* Expand, Tile, Trilu, EyeLike and Range (kernels in expand.h).
 * Expand's shape, Tile's repeats and Range's scalars decide the output shape,
 * so they must be constant (shapes are static in dlcc). EyeLike and Range
 * outputs depend on nothing computed at run time: infer fills them, as Shape
 * does, through the same kernels the generated code would run. */
#include <math.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/expand.h"

/* Outputs filled by infer never reach code generation non-constant. */
static int lower_folded(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    (void)g;
    (void)l;
    if (n->outputs[0]->data != NULL)
        return 0;
    return dl_error(d, n, "internal: output '%s' should have been folded to a constant", n->outputs[0]->name);
}

static int check_data_type(dl_diag *d, const dl_node *n, const dl_value *x, const char *what)
{
    if (dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input '%s' has type %s, which is not supported", what, dl_dtype_name(x->dtype));
    return 0;
}

/* ----------------------------------------------------------- Expand, Tile */

typedef struct tile_params_t {
    dlk_tile_params k;      /* filled by infer */
} tile_params_t;

static int tile_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    tile_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    if (n->inputs[0] == NULL || n->inputs[1] == NULL)
        return dl_error(d, n, "both inputs are required");
    return 0;
}

/* Bidirectional broadcast of the input's shape with `shape` (right-aligned). */
static int expand_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_tile_params *k = &((tile_params_t *)n->params)->k;
    const dl_value *x = n->inputs[0];
    int64_t shape[DL_MAX_RANK];
    int len, rank, i;
    (void)g;
    if (check_data_type(d, n, x, "input") < 0)
        return -1;
    len = dl_const_ints(d, n, n->inputs[1], "shape input", shape, DL_MAX_RANK);
    if (len < 0)
        return -1;
    rank = len > x->rank ? len : x->rank;
    memset(k, 0, sizeof *k);
    k->rank = rank;
    k->elem_size = (int64_t)dl_dtype_size(x->dtype);
    for (i = 0; i < rank; i++) {
        const int xi = i - (rank - x->rank), si = i - (rank - len);
        const int64_t a = xi >= 0 ? x->dims[xi] : 1, b = si >= 0 ? shape[si] : 1;
        if (a != b && a != 1 && b != 1)
            return dl_error(d, n, "input dim %d (%lld) and shape dim %d (%lld) do not broadcast", xi,
                            (long long)a, si, (long long)b);
        k->in_dims[i] = a;
        k->out_dims[i] = a == 1 ? b : a;
    }
    dl_value_set_shape(n->outputs[0], x->dtype, rank, k->out_dims);
    return 0;
}

static int tile_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_tile_params *k = &((tile_params_t *)n->params)->k;
    const dl_value *x = n->inputs[0];
    int64_t reps[DL_MAX_RANK];
    int len, i;
    (void)g;
    if (check_data_type(d, n, x, "input") < 0)
        return -1;
    len = dl_const_ints(d, n, n->inputs[1], "repeats input", reps, DL_MAX_RANK);
    if (len < 0)
        return -1;
    if (len != x->rank)
        return dl_error(d, n, "input 'repeats' has %d elements; expected the input's rank %d", len, x->rank);
    memset(k, 0, sizeof *k);
    k->rank = x->rank;
    k->elem_size = (int64_t)dl_dtype_size(x->dtype);
    for (i = 0; i < x->rank; i++) {
        if (reps[i] < 0)
            return dl_error(d, n, "repeats[%d] is %lld; expected >= 0", i, (long long)reps[i]);
        k->in_dims[i] = x->dims[i];
        k->out_dims[i] = x->dims[i] * reps[i];
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, k->out_dims);
    return 0;
}

static int tile_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) > 0)
        dlk_tile(&((const tile_params_t *)n->params)->k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int tile_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_tile_params *k = &((const tile_params_t *)n->params)->k;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_tile");
    dl_lower_params_begin(l, "dlk_tile_params");
    dl_lower_param_int(l, "rank", k->rank);
    dl_lower_param_ints(l, "out_dims", k->out_dims, (int)k->rank);
    dl_lower_param_ints(l, "in_dims", k->in_dims, (int)k->rank);
    dl_lower_param_int(l, "elem_size", k->elem_size);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_tile");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Expand = {"Expand", 0, tile_setup, expand_infer, tile_eval, tile_lower};
const dl_op dl_op_Tile = {"Tile", 0, tile_setup, tile_infer, tile_eval, tile_lower};

/* ------------------------------------------------------------------ Trilu */

typedef struct trilu_params_t {
    bool upper;
} trilu_params_t;

static int trilu_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    trilu_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 2) < 0)
        return -1;
    p->upper = dl_attr_int(n, "upper", 1) != 0;
    return 0;
}

static int trilu_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0], *k = n->n_inputs > 1 ? n->inputs[1] : NULL;
    (void)g;
    if (check_data_type(d, n, x, "input") < 0)
        return -1;
    if (x->rank < 2)
        return dl_error(d, n, "input has rank %d; expected >= 2", x->rank);
    if (k != NULL && (k->dtype != DL_INT64 || dl_value_numel(k) != 1))
        return dl_error(d, n, "input 'k' must be one int64; found %s with %lld elements", dl_dtype_name(k->dtype),
                        (long long)dl_value_numel(k));
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

static void trilu_make_params(const dl_node *n, dlk_trilu_params *k)
{
    const dl_value *x = n->inputs[0];
    int i;
    k->batch = 1;
    for (i = 0; i < x->rank - 2; i++)
        k->batch *= x->dims[i];
    k->rows = x->dims[x->rank - 2];
    k->cols = x->dims[x->rank - 1];
    k->upper = ((const trilu_params_t *)n->params)->upper;
    k->elem_size = (int64_t)dl_dtype_size(x->dtype);
}

static const dl_value *trilu_k(const dl_node *n)
{
    return n->n_inputs > 1 ? n->inputs[1] : NULL;
}

static int trilu_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *k = trilu_k(n);
    dlk_trilu_params kp;
    (void)g;
    (void)d;
    trilu_make_params(n, &kp);
    dlk_trilu(&kp, n->inputs[0]->data, k != NULL ? k->data : NULL, n->outputs[0]->data);
    return 0;
}

static int trilu_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_trilu_params kp;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    trilu_make_params(n, &kp);
    dl_lower_need(l, "dlk_trilu");
    dl_lower_params_begin(l, "dlk_trilu_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "rows", kp.rows);
    dl_lower_param_int(l, "cols", kp.cols);
    dl_lower_param_int(l, "upper", kp.upper);
    dl_lower_param_int(l, "elem_size", kp.elem_size);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_trilu");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, trilu_k(n));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Trilu = {"Trilu", 0, trilu_setup, trilu_infer, trilu_eval, trilu_lower};

/* ---------------------------------------------------------------- EyeLike */

/* Types dlk_store_number writes. */
static bool number_type(dl_dtype t)
{
    return dl_dtype_size(t) != 0 && t != DL_FLOAT16;
}

static int eyelike_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    dl_value *y = n->outputs[0];
    const dl_dtype t = (dl_dtype)dl_attr_int(n, "dtype", x->dtype);
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (x->rank != 2)
        return dl_error(d, n, "input has rank %d; expected 2", x->rank);
    if (!number_type(t))
        return dl_error(d, n, "output type %s is not supported", dl_dtype_name(t));
    dl_value_set_shape(y, t, 2, x->dims);
    if (dl_value_alloc_data(g, y) == NULL)
        return dl_error(d, n, "out of memory");
    dlk_eyelike(y->data, x->dims[0], x->dims[1], dl_attr_int(n, "k", 0), t, (int64_t)dl_dtype_size(t));
    return 0;
}

const dl_op dl_op_EyeLike = {"EyeLike", 0, NULL, eyelike_infer, NULL, lower_folded};

/* ------------------------------------------------------------------ Range */

static double scalar_f64(const dl_value *v)
{
    switch (v->dtype) {
    case DL_FLOAT: return *(const float *)v->data;
    case DL_DOUBLE: return *(const double *)v->data;
    case DL_INT16: return *(const int16_t *)v->data;
    case DL_INT32: return *(const int32_t *)v->data;
    default: return (double)*(const int64_t *)v->data;
    }
}

static int64_t scalar_i64(const dl_value *v)
{
    switch (v->dtype) {
    case DL_INT16: return *(const int16_t *)v->data;
    case DL_INT32: return *(const int32_t *)v->data;
    default: return *(const int64_t *)v->data;
    }
}

static int range_check(dl_diag *d, const dl_node *n)
{
    static const char *const names[] = {"start", "limit", "delta"};
    const dl_dtype t = n->inputs[0]->dtype;
    int i;
    if (t != DL_FLOAT && t != DL_DOUBLE && t != DL_INT16 && t != DL_INT32 && t != DL_INT64)
        return dl_error(d, n, "input type %s is not supported; supported: float32, float64, int16, int32, int64",
                        dl_dtype_name(t));
    for (i = 0; i < 3; i++) {
        const dl_value *v = n->inputs[i];
        if (v == NULL || v->dtype != t || dl_value_numel(v) != 1)
            return dl_error(d, n, "input '%s' must be a scalar of type %s", names[i], dl_dtype_name(t));
        if (v->data == NULL)
            return dl_error_not_constant(d, n, v, "input", "it decides the output shape");
    }
    return 0;
}

static int range_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_dtype t = n->inputs[0] != NULL ? n->inputs[0]->dtype : DL_UNDEFINED;
    const bool is_float = t == DL_FLOAT || t == DL_DOUBLE;
    dl_value *y = n->outputs[0];
    double count;
    int64_t len;
    if (dl_check_inputs(d, n, 3, 3) < 0 || range_check(d, n) < 0)
        return -1;
    if (scalar_f64(n->inputs[2]) == 0)
        return dl_error(d, n, "input 'delta' is 0; expected non-zero");
    if (is_float) {
        count = ceil((scalar_f64(n->inputs[1]) - scalar_f64(n->inputs[0])) / scalar_f64(n->inputs[2]));
    } else {
        const int64_t s = scalar_i64(n->inputs[0]), l = scalar_i64(n->inputs[1]), dl = scalar_i64(n->inputs[2]);
        const int64_t span = l - s;
        /* ceil(span / dl) in integers */
        count = (double)(span / dl + ((span % dl != 0) && ((span > 0) == (dl > 0)) ? 1 : 0));
    }
    len = count > 0 ? (int64_t)count : 0;
    dl_value_set_shape(y, t, 1, &len);
    if (dl_value_alloc_data(g, y) == NULL)
        return dl_error(d, n, "out of memory");
    if (is_float)
        dlk_range_f64(y->data, len, scalar_f64(n->inputs[0]), scalar_f64(n->inputs[2]), t);
    else
        dlk_range_i64(y->data, len, scalar_i64(n->inputs[0]), scalar_i64(n->inputs[2]), t);
    return 0;
}

const dl_op dl_op_Range = {"Range", 0, NULL, range_infer, NULL, lower_folded};
