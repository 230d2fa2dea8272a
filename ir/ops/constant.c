/* Ops that make or retype constants: Shape, Size, Constant, ConstantOfShape,
 * Cast, CastLike.
 * Shapes are static in dlcc, so Shape and Constant produce their output in
 * infer and never run; a large ConstantOfShape is left to run time (fill.h);
 * Cast folds or runs through the same cast.h loops. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/cast.h"
#include "kernels/fill.h"

/* Shape and Constant never reach code generation with a non-constant output;
 * if one did, emitting nothing would leave garbage, so say so instead. */
static int lower_folded(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    (void)g;
    (void)l;
    if (n->outputs[0]->data != NULL)
        return 0;
    return dl_error(d, n, "internal: output '%s' should have been folded to a constant", n->outputs[0]->name);
}

/* ------------------------------------------------------------------ Shape */

typedef struct shape_params_t {
    int64_t start, end;     /* opset 15 attributes; end is used when has_end */
    bool has_end;
} shape_params_t;

static int shape_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    shape_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    p->start = dl_attr_int(n, "start", 0);
    p->has_end = dl_attr_find(n, "end") != NULL;
    p->end = dl_attr_int(n, "end", 0);
    return 0;
}

/* Opset 15: negative bounds count from the end, then both clamp to [0, rank]. */
static int64_t shape_clamp(int64_t i, int rank)
{
    if (i < 0)
        i += rank;
    return i < 0 ? 0 : (i > rank ? rank : i);
}

static void shape_fill(const dl_node *n)
{
    const shape_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t *out = n->outputs[0]->data;
    int64_t i, start = shape_clamp(p->start, x->rank);
    for (i = 0; i < n->outputs[0]->dims[0]; i++)
        out[i] = x->dims[start + i];
}

static int shape_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const shape_params_t *p = n->params;
    const int rank = n->inputs[0]->rank;
    const int64_t start = shape_clamp(p->start, rank);
    const int64_t end = p->has_end ? shape_clamp(p->end, rank) : rank;
    const int64_t len = end > start ? end - start : 0;
    if (rank < 0)
        return dl_error(d, n, "input '%s' has an unknown shape", n->inputs[0]->name);
    dl_value_set_shape(n->outputs[0], DL_INT64, 1, &len);
    /* The output is known now, whether or not the input is constant. */
    if (dl_value_alloc_data(g, n->outputs[0]) == NULL)
        return dl_error(d, n, "out of memory");
    shape_fill(n);
    return 0;
}

/* No eval: infer already made the output constant. */
const dl_op dl_op_Shape = {"Shape", 0, shape_setup, shape_infer, NULL, lower_folded};

/* ------------------------------------------------------------------- Size */

/* The element count as an int64 scalar: known from the static shape. */
static int size_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (x == NULL || x->rank < 0)
        return dl_error(d, n, "input has an unknown shape");
    dl_value_set_shape(n->outputs[0], DL_INT64, 0, NULL);
    if (dl_value_alloc_data(g, n->outputs[0]) == NULL)
        return dl_error(d, n, "out of memory");
    *(int64_t *)n->outputs[0]->data = dl_value_numel(x);
    return 0;
}

const dl_op dl_op_Size = {"Size", 0, NULL, size_infer, NULL, lower_folded};

/* --------------------------------------------------------------- Constant */

typedef struct constant_params_t {
    const dl_attr *attr;    /* the one value attribute */
} constant_params_t;

static const char *const constant_supported[] = {"value", "value_float", "value_floats", "value_int",
                                                 "value_ints"};
static const char *const constant_unsupported[] = {"value_string", "value_strings", "sparse_value"};

static int constant_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    constant_params_t *p = dl_node_params(g, n, sizeof *p);
    size_t i;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 0, 0) < 0)
        return -1;
    for (i = 0; i < sizeof constant_unsupported / sizeof *constant_unsupported; i++)
        if (dl_attr_find(n, constant_unsupported[i]) != NULL)
            return dl_error(d, n, "attribute '%s' is not supported; dlcc handles numeric tensors only",
                            constant_unsupported[i]);
    for (i = 0; i < sizeof constant_supported / sizeof *constant_supported; i++) {
        const dl_attr *a = dl_attr_find(n, constant_supported[i]);
        if (a == NULL)
            continue;
        if (p->attr != NULL)
            return dl_error(d, n, "attributes '%s' and '%s' both given; expected exactly one", p->attr->name,
                            a->name);
        p->attr = a;
    }
    if (p->attr == NULL)
        return dl_error(d, n, "no value attribute; expected one of value, value_float, value_floats, "
                        "value_int, value_ints");
    return 0;
}

static int constant_check_kind(dl_node *n, dl_diag *d, const dl_attr *a, dl_attr_kind kind, const char *what)
{
    if (a->kind == kind && (kind != DL_ATTR_TENSOR || a->tensor != NULL))
        return 0;
    return dl_error(d, n, "attribute '%s' is not %s", a->name, what);
}

/* The output's data is the attribute's, which the frontend already copied
 * into the graph arena: no copy, even for weights stored as Constant nodes.
 * It is set here, not by folding, because the fold pass leaves nodes whose
 * output is much larger than their (here empty) inputs to run time. */
static int constant_bind(dl_graph *g, dl_node *n, dl_diag *d, const dl_attr *a)
{
    dl_value *out = n->outputs[0];
    void *src;
    if (strcmp(a->name, "value") == 0)
        src = a->tensor->data;
    else if (strcmp(a->name, "value_float") == 0)
        src = (void *)&a->f;
    else if (strcmp(a->name, "value_floats") == 0)
        src = a->floats;
    else if (strcmp(a->name, "value_int") == 0)
        src = (void *)&a->i;
    else
        src = a->ints;
    if (src != NULL && dl_value_bytes(out) > 0)
        out->data = src;
    else if (dl_value_alloc_data(g, out) == NULL)   /* empty: still a constant */
        return dl_error(d, n, "out of memory");
    return 0;
}

static int constant_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_attr *a = ((const constant_params_t *)n->params)->attr;
    const dl_value *t = a->tensor;
    int64_t len = a->n;
    if (strcmp(a->name, "value") == 0) {
        if (constant_check_kind(n, d, a, DL_ATTR_TENSOR, "a tensor") < 0)
            return -1;
        if (dl_dtype_size(t->dtype) == 0)
            return dl_error(d, n, "attribute 'value' is a %s tensor; dlcc handles numeric tensors only",
                            dl_dtype_name(t->dtype));
        if (t->data == NULL && dl_value_numel(t) > 0)
            return dl_error(d, n, "attribute 'value' has no data");
        dl_value_set_shape(n->outputs[0], t->dtype, t->rank, t->dims);
    } else if (strcmp(a->name, "value_float") == 0) {
        if (constant_check_kind(n, d, a, DL_ATTR_FLOAT, "a float") < 0)
            return -1;
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 0, NULL);
    } else if (strcmp(a->name, "value_floats") == 0) {
        if (constant_check_kind(n, d, a, DL_ATTR_FLOATS, "a list of floats") < 0)
            return -1;
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 1, &len);
    } else if (strcmp(a->name, "value_int") == 0) {
        if (constant_check_kind(n, d, a, DL_ATTR_INT, "an int") < 0)
            return -1;
        dl_value_set_shape(n->outputs[0], DL_INT64, 0, NULL);
    } else {
        if (constant_check_kind(n, d, a, DL_ATTR_INTS, "a list of ints") < 0)
            return -1;
        dl_value_set_shape(n->outputs[0], DL_INT64, 1, &len);
    }
    return constant_bind(g, n, d, a);
}

/* No eval: infer already made the output constant. */
const dl_op dl_op_Constant = {"Constant", 0, constant_setup, constant_infer, NULL, lower_folded};

/* -------------------------------------------------------- ConstantOfShape */

/* Which fill.h kernel writes the value. */
typedef enum cos_fill_kind {
    COS_FILL_ZERO, COS_FILL_BYTES, COS_FILL_F32, COS_FILL_F64, COS_FILL_I32, COS_FILL_I64,
} cos_fill_kind;

static const char *const cos_kernel_names[] = {"dlk_fill_zero", "dlk_fill_bytes", "dlk_fill_f32",
                                               "dlk_fill_f64", "dlk_fill_i32", "dlk_fill_i64"};

typedef struct cos_params_t {
    dl_dtype dtype;
    unsigned char value[8];     /* the element's bytes */
    cos_fill_kind kind;
} cos_params_t;

static bool cos_value_is_zero(const cos_params_t *p)
{
    size_t i;
    for (i = 0; i < sizeof p->value; i++)
        if (p->value[i] != 0)
            return false;
    return true;
}

static int cos_choose_kind(dl_node *n, dl_diag *d, cos_params_t *p)
{
    if (cos_value_is_zero(p))
        p->kind = COS_FILL_ZERO;
    else if (dl_dtype_size(p->dtype) == 1)
        p->kind = COS_FILL_BYTES;
    else if (p->dtype == DL_FLOAT)
        p->kind = COS_FILL_F32;
    else if (p->dtype == DL_DOUBLE)
        p->kind = COS_FILL_F64;
    else if (p->dtype == DL_INT32)
        p->kind = COS_FILL_I32;
    else if (p->dtype == DL_INT64)
        p->kind = COS_FILL_I64;
    else
        return dl_error(d, n, "a non-zero %s 'value' is not supported; supported: float32, float64, int64, "
                        "int32, int8, uint8, bool (or zero of any type)", dl_dtype_name(p->dtype));
    return 0;
}

static int cos_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    cos_params_t *p = dl_node_params(g, n, sizeof *p);
    const dl_attr *a = dl_attr_find(n, "value");
    size_t size;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    p->dtype = DL_FLOAT;    /* default: float32 zero */
    if (a != NULL) {
        if (a->kind != DL_ATTR_TENSOR || a->tensor == NULL)
            return dl_error(d, n, "attribute 'value' is not a tensor");
        size = dl_dtype_size(a->tensor->dtype);
        if (size == 0 || size > sizeof p->value)
            return dl_error(d, n, "attribute 'value' has unsupported type %s", dl_dtype_name(a->tensor->dtype));
        if (dl_value_numel(a->tensor) != 1 || a->tensor->data == NULL)
            return dl_error(d, n, "attribute 'value' has %lld elements; expected one",
                            (long long)dl_value_numel(a->tensor));
        p->dtype = a->tensor->dtype;
        memcpy(p->value, a->tensor->data, size);
    }
    return cos_choose_kind(n, d, p);
}

static int cos_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const cos_params_t *p = n->params;
    const dl_value *shape = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    int rank, i;
    (void)g;
    if (shape == NULL || (shape->dtype != DL_INT64 && shape->dtype != DL_INT32))
        return dl_error(d, n, "input 'input' must be an int64 shape tensor");
    if (dl_value_numel(shape) > DL_MAX_RANK)
        return dl_error(d, n, "input 'input' asks for rank %lld; at most %d is supported",
                        (long long)dl_value_numel(shape), DL_MAX_RANK);
    rank = dl_const_ints(d, n, shape, "input", dims, DL_MAX_RANK);
    if (rank < 0)
        return -1;
    for (i = 0; i < rank; i++)
        if (dims[i] < 0)
            return dl_error(d, n, "input 'input' has dim %d = %lld; expected >= 0", i, (long long)dims[i]);
    dl_value_set_shape(n->outputs[0], p->dtype, rank, dims);
    return 0;
}

static int cos_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const cos_params_t *p = n->params;
    void *y = n->outputs[0]->data;
    const int64_t count = dl_value_numel(n->outputs[0]);
    float f32;
    double f64;
    int32_t i32;
    int64_t i64;
    (void)g;
    (void)d;
    switch (p->kind) {
    case COS_FILL_ZERO:
        dlk_fill_zero(y, dl_value_bytes(n->outputs[0]));
        break;
    case COS_FILL_BYTES:
        dlk_fill_bytes(y, count, p->value[0]);
        break;
    case COS_FILL_F32:
        memcpy(&f32, p->value, sizeof f32);
        dlk_fill_f32(y, count, f32);
        break;
    case COS_FILL_F64:
        memcpy(&f64, p->value, sizeof f64);
        dlk_fill_f64(y, count, f64);
        break;
    case COS_FILL_I32:
        memcpy(&i32, p->value, sizeof i32);
        dlk_fill_i32(y, count, i32);
        break;
    case COS_FILL_I64:
        memcpy(&i64, p->value, sizeof i64);
        dlk_fill_i64(y, count, i64);
        break;
    }
    return 0;
}

/* The value as the last argument of the fill call. */
static void cos_lower_value(dl_lower *l, const cos_params_t *p)
{
    float f32;
    double f64;
    int32_t i32;
    int64_t i64;
    switch (p->kind) {
    case COS_FILL_ZERO:
        break;
    case COS_FILL_BYTES:
        dl_lower_arg_int(l, p->value[0]);
        break;
    case COS_FILL_F32:
        memcpy(&f32, p->value, sizeof f32);
        dl_lower_arg_float(l, f32);
        break;
    case COS_FILL_F64:
        memcpy(&f64, p->value, sizeof f64);
        dl_lower_arg_float(l, f64);
        break;
    case COS_FILL_I32:
        memcpy(&i32, p->value, sizeof i32);
        dl_lower_arg_int(l, i32);
        break;
    case COS_FILL_I64:
        memcpy(&i64, p->value, sizeof i64);
        dl_lower_arg_int(l, i64);
        break;
    }
}

static int cos_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const cos_params_t *p = n->params;
    const char *kernel = cos_kernel_names[p->kind];
    (void)g;
    (void)d;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, n->outputs[0]);
    if (p->kind == COS_FILL_ZERO)
        dl_lower_arg_int(l, dl_value_bytes(n->outputs[0]));
    else
        dl_lower_arg_int(l, dl_value_numel(n->outputs[0]));
    cos_lower_value(l, p);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_ConstantOfShape = {"ConstantOfShape", 0, cos_setup, cos_infer, cos_eval, cos_lower};

/* ------------------------------------------------------------------- Cast */

/* The types cast.h converts between, with their kernel-name suffixes. */
static const struct {
    dl_dtype dtype;
    const char *suffix;
} cast_types[] = {
    {DL_FLOAT, "f32"}, {DL_DOUBLE, "f64"}, {DL_INT64, "i64"}, {DL_INT32, "i32"},
    {DL_INT8, "i8"}, {DL_UINT8, "u8"}, {DL_BOOL, "bool"}, {DL_FLOAT16, "f16"},
};

/* Every (source, destination) pair of distinct types, once. */
#define CAST_PAIRS(X)                                                                                  \
    X(f32, f64) X(f32, i64) X(f32, i32) X(f32, i8) X(f32, u8) X(f32, bool)                             \
    X(f64, f32) X(f64, i64) X(f64, i32) X(f64, i8) X(f64, u8) X(f64, bool)                             \
    X(i64, f32) X(i64, f64) X(i64, i32) X(i64, i8) X(i64, u8) X(i64, bool)                             \
    X(i32, f32) X(i32, f64) X(i32, i64) X(i32, i8) X(i32, u8) X(i32, bool)                             \
    X(i8, f32) X(i8, f64) X(i8, i64) X(i8, i32) X(i8, u8) X(i8, bool)                                  \
    X(u8, f32) X(u8, f64) X(u8, i64) X(u8, i32) X(u8, i8) X(u8, bool)                                  \
    X(bool, f32) X(bool, f64) X(bool, i64) X(bool, i32) X(bool, i8) X(bool, u8)                         \
    X(f16, f32) X(f16, f64) X(f16, i64) X(f16, i32) X(f16, i8) X(f16, u8) X(f16, bool)                 \
    X(f32, f16) X(f64, f16) X(i64, f16) X(i32, f16) X(i8, f16) X(u8, f16) X(bool, f16)

/* Untyped wrappers, so one table can hold every kernel for folding. */
#define CAST_WRAPPER(s, d) \
    static void cast_run_##s##_##d(const void *x, void *y, int64_t n) { dlk_cast_##s##_##d(x, y, n); }
CAST_PAIRS(CAST_WRAPPER)

static const struct cast_kernel {
    const char *from, *to;      /* suffixes */
    const char *name;
    void (*run)(const void *x, void *y, int64_t n);
} cast_kernels[] = {
#define CAST_ENTRY(s, d) {#s, #d, "dlk_cast_" #s "_" #d, cast_run_##s##_##d},
    CAST_PAIRS(CAST_ENTRY)
#undef CAST_ENTRY
};

static const char *cast_suffix(dl_dtype t)
{
    size_t i;
    for (i = 0; i < sizeof cast_types / sizeof *cast_types; i++)
        if (cast_types[i].dtype == t)
            return cast_types[i].suffix;
    return NULL;
}

/* NULL for the same type (a plain copy). */
static const struct cast_kernel *cast_find(dl_dtype from, dl_dtype to)
{
    const char *s = cast_suffix(from), *d = cast_suffix(to);
    size_t i;
    for (i = 0; i < sizeof cast_kernels / sizeof *cast_kernels; i++)
        if (strcmp(cast_kernels[i].from, s) == 0 && strcmp(cast_kernels[i].to, d) == 0)
            return &cast_kernels[i];
    return NULL;
}

typedef struct cast_params_t {
    dl_dtype to;
} cast_params_t;

static int cast_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    cast_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (dl_attr_find(n, "to") == NULL)
        return dl_error(d, n, "attribute 'to' is missing");
    p->to = (dl_dtype)dl_attr_int(n, "to", DL_UNDEFINED);
    if (cast_suffix(p->to) == NULL)
        return dl_error(d, n, "attribute 'to' is %s (%d); supported: float32, float64, int64, int32, int8, "
                        "uint8, bool, float16", dl_dtype_name(p->to), (int)p->to);
    return 0;
}

static int cast_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const cast_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    (void)g;
    if (cast_suffix(x->dtype) == NULL)
        return dl_error(d, n, "input is %s; supported: float32, float64, int64, int32, int8, uint8, bool, float16",
                        dl_dtype_name(x->dtype));
    dl_value_set_shape(n->outputs[0], p->to, x->rank, x->dims);
    return 0;
}

static int cast_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    const struct cast_kernel *k = cast_find(x->dtype, n->outputs[0]->dtype);
    (void)g;
    (void)d;
    if (k == NULL)
        dlk_cast_copy(x->data, n->outputs[0]->data, dl_value_bytes(x));
    else
        k->run(x->data, n->outputs[0]->data, dl_value_numel(x));
    return 0;
}

static int cast_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    const struct cast_kernel *k = cast_find(x->dtype, n->outputs[0]->dtype);
    const char *kernel = k ? k->name : "dlk_cast_copy";
    (void)g;
    (void)d;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, k ? dl_value_numel(x) : dl_value_bytes(x));
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Cast = {"Cast", 0, cast_setup, cast_infer, cast_eval, cast_lower};

/* --------------------------------------------------------------- CastLike */

/* Cast to the type of input 1 ('target_type', whose data is not read). */
static int castlike_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    cast_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    if (n->inputs[0] == NULL || n->inputs[1] == NULL)
        return dl_error(d, n, "inputs 'input' and 'target_type' are both required");
    return 0;
}

static int castlike_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    cast_params_t *p = n->params;
    p->to = n->inputs[1]->dtype;
    if (cast_suffix(p->to) == NULL || cast_suffix(n->inputs[0]->dtype) == NULL)
        return dl_error(d, n, "casting %s to %s is not supported; supported: float32, float64, int64, int32, "
                        "int8, uint8, bool, float16", dl_dtype_name(n->inputs[0]->dtype), dl_dtype_name(p->to));
    return cast_infer(g, n, d);
}

const dl_op dl_op_CastLike = {"CastLike", 0, castlike_setup, castlike_infer, cast_eval, cast_lower};
