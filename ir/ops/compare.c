/* One-input element-wise Not BitwiseNot IsNaN IsInf Sign, and Where (three
 * inputs, numpy broadcasting). The two-input comparison, logic, bitwise, Mod
 * and BitShift ops live in binary.c, which owns the broadcast planning. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/compare.h"

/* ------------------------------------------------------- one input */

typedef void (*un_eval_fn)(const void *x, void *y, int64_t n);

/* One op on one input type. */
typedef struct un_kernel {
    const char *op_type;
    dl_dtype x_type, y_type;
    const char *entry;
    un_eval_fn eval;            /* NULL: IsInf, whose kernel takes its flags too */
} un_kernel;

#define UN_EVAL(fn, TX, TY)                                                       \
    static void eval_##fn(const void *x, void *y, int64_t n) { fn((const TX *)x, (TY *)y, n); }
UN_EVAL(dlk_not_bool, uint8_t, uint8_t)
UN_EVAL(dlk_bitwise_not_i8, int8_t, int8_t)
UN_EVAL(dlk_bitwise_not_i16, int16_t, int16_t)
UN_EVAL(dlk_bitwise_not_i32, int32_t, int32_t)
UN_EVAL(dlk_bitwise_not_i64, int64_t, int64_t)
UN_EVAL(dlk_bitwise_not_u8, uint8_t, uint8_t)
UN_EVAL(dlk_bitwise_not_u16, uint16_t, uint16_t)
UN_EVAL(dlk_bitwise_not_u32, uint32_t, uint32_t)
UN_EVAL(dlk_bitwise_not_u64, uint64_t, uint64_t)
UN_EVAL(dlk_isnan_f32, float, uint8_t)
UN_EVAL(dlk_isnan_f64, double, uint8_t)
UN_EVAL(dlk_sign_f32, float, float)
UN_EVAL(dlk_sign_f64, double, double)
UN_EVAL(dlk_sign_i8, int8_t, int8_t)
UN_EVAL(dlk_sign_i16, int16_t, int16_t)
UN_EVAL(dlk_sign_i32, int32_t, int32_t)
UN_EVAL(dlk_sign_i64, int64_t, int64_t)
UN_EVAL(dlk_sign_u8, uint8_t, uint8_t)
UN_EVAL(dlk_sign_u16, uint16_t, uint16_t)
UN_EVAL(dlk_sign_u32, uint32_t, uint32_t)
UN_EVAL(dlk_sign_u64, uint64_t, uint64_t)

#define UN(op, x, y, fn) {op, x, y, #fn, eval_##fn}
static const un_kernel un_kernels[] = {
    UN("Not", DL_BOOL, DL_BOOL, dlk_not_bool),
    UN("BitwiseNot", DL_INT8, DL_INT8, dlk_bitwise_not_i8),
    UN("BitwiseNot", DL_INT16, DL_INT16, dlk_bitwise_not_i16),
    UN("BitwiseNot", DL_INT32, DL_INT32, dlk_bitwise_not_i32),
    UN("BitwiseNot", DL_INT64, DL_INT64, dlk_bitwise_not_i64),
    UN("BitwiseNot", DL_UINT8, DL_UINT8, dlk_bitwise_not_u8),
    UN("BitwiseNot", DL_UINT16, DL_UINT16, dlk_bitwise_not_u16),
    UN("BitwiseNot", DL_UINT32, DL_UINT32, dlk_bitwise_not_u32),
    UN("BitwiseNot", DL_UINT64, DL_UINT64, dlk_bitwise_not_u64),
    UN("IsNaN", DL_FLOAT, DL_BOOL, dlk_isnan_f32),
    UN("IsNaN", DL_DOUBLE, DL_BOOL, dlk_isnan_f64),
    {"IsInf", DL_FLOAT, DL_BOOL, "dlk_isinf_f32", NULL},
    {"IsInf", DL_DOUBLE, DL_BOOL, "dlk_isinf_f64", NULL},
    UN("Sign", DL_FLOAT, DL_FLOAT, dlk_sign_f32),
    UN("Sign", DL_DOUBLE, DL_DOUBLE, dlk_sign_f64),
    UN("Sign", DL_INT8, DL_INT8, dlk_sign_i8),
    UN("Sign", DL_INT16, DL_INT16, dlk_sign_i16),
    UN("Sign", DL_INT32, DL_INT32, dlk_sign_i32),
    UN("Sign", DL_INT64, DL_INT64, dlk_sign_i64),
    UN("Sign", DL_UINT8, DL_UINT8, dlk_sign_u8),
    UN("Sign", DL_UINT16, DL_UINT16, dlk_sign_u16),
    UN("Sign", DL_UINT32, DL_UINT32, dlk_sign_u32),
    UN("Sign", DL_UINT64, DL_UINT64, dlk_sign_u64),
};
#define N_UN_KERNELS ((int)(sizeof un_kernels / sizeof un_kernels[0]))

typedef struct unary_params {
    const un_kernel *kernel;    /* chosen by infer from the input type */
    int64_t detect_negative, detect_positive;   /* IsInf */
} unary_params;

static int unary_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    unary_params *up = dl_node_params(g, n, sizeof *up);
    if (!up)
        return dl_error(d, n, "out of memory");
    up->detect_negative = dl_attr_int(n, "detect_negative", 1) != 0;
    up->detect_positive = dl_attr_int(n, "detect_positive", 1) != 0;
    return 0;
}

static int unary_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    unary_params *up = n->params;
    const dl_value *x;
    int i;
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    if (!x || x->rank < 0)
        return dl_error(d, n, "input 0 has no known shape");
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    up->kernel = NULL;
    for (i = 0; i < N_UN_KERNELS; i++)
        if (strcmp(un_kernels[i].op_type, n->op_type) == 0 && un_kernels[i].x_type == x->dtype)
            up->kernel = &un_kernels[i];
    if (!up->kernel)
        return dl_error(d, n, "input 0 ('%s') is %s: not supported by %s", x->name, dl_dtype_name(x->dtype),
                        n->op_type);
    dl_value_set_shape(n->outputs[0], up->kernel->y_type, x->rank, x->dims);
    return 0;
}

static int unary_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const unary_params *up = n->params;
    const dl_value *x = n->inputs[0];
    dl_value *y = n->outputs[0];
    int64_t numel = dl_value_numel(y);
    (void)g;
    (void)d;
    if (up->kernel->eval)
        up->kernel->eval(x->data, y->data, numel);
    else if (x->dtype == DL_FLOAT)
        dlk_isinf_f32(x->data, y->data, numel, up->detect_negative, up->detect_positive);
    else
        dlk_isinf_f64(x->data, y->data, numel, up->detect_negative, up->detect_positive);
    return 0;
}

static int unary_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const unary_params *up = n->params;
    int64_t numel = dl_value_numel(n->outputs[0]);
    (void)g;
    (void)d;
    if (numel == 0)
        return 0;
    dl_lower_need(l, up->kernel->entry);
    dl_lower_call(l, up->kernel->entry);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, numel);
    if (!up->kernel->eval) {
        dl_lower_arg_int(l, up->detect_negative);
        dl_lower_arg_int(l, up->detect_positive);
    }
    dl_lower_call_end(l);
    return 0;
}

#define UNARY_OP(name) const dl_op dl_op_##name = {#name, 0, unary_setup, unary_infer, unary_eval, unary_lower};
UNARY_OP(Not)
UNARY_OP(BitwiseNot)
UNARY_OP(IsNaN)
UNARY_OP(IsInf)
UNARY_OP(Sign)

/* ----------------------------------------------------------- Where */

static int where_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *c, *x, *z;
    dl_value cx;
    int64_t dims[DL_MAX_RANK];
    int rank, i;
    (void)g;
    if (dl_check_inputs(d, n, 3, 3) != 0)
        return -1;
    for (i = 0; i < 3; i++)
        if (!n->inputs[i] || n->inputs[i]->rank < 0)
            return dl_error(d, n, "input %d has no known shape", i);
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; Where has one");
    c = n->inputs[0];
    x = n->inputs[1];
    z = n->inputs[2];
    if (c->dtype != DL_BOOL)
        return dl_error(d, n, "input condition ('%s') is %s; expected bool", c->name, dl_dtype_name(c->dtype));
    if (x->dtype != z->dtype)
        return dl_error(d, n, "inputs X ('%s') and Y ('%s') are %s and %s; Where needs one element type",
                        x->name, z->name, dl_dtype_name(x->dtype), dl_dtype_name(z->dtype));
    if (dl_dtype_size(x->dtype) == 0 || dl_dtype_size(x->dtype) > 8 || x->dtype == DL_STRING)
        return dl_error(d, n, "input X ('%s') is %s: not supported by Where", x->name, dl_dtype_name(x->dtype));
    if (dl_broadcast_shape(d, n, c, x, &rank, dims) != 0)
        return -1;
    cx = *c;
    cx.rank = rank;
    memcpy(cx.dims, dims, sizeof dims);
    if (dl_broadcast_shape(d, n, &cx, z, &rank, dims) != 0)
        return -1;
    dl_value_set_shape(n->outputs[0], x->dtype, rank, dims);
    return 0;
}

/* Element strides of v seen at y's rank (numpy alignment), 0 on broadcast dims. */
static void where_strides(const dl_value *v, int rank, int64_t *strides)
{
    int64_t s = 1;
    int k, off = rank - v->rank;
    for (k = rank - 1; k >= 0; k--) {
        int64_t dim = k >= off ? v->dims[k - off] : 1;
        strides[k] = dim == 1 ? 0 : s;
        s *= dim;
    }
}

/* y's dims with size-1 dims dropped and neighbours all three operands step
 * through alike merged, as binary.c does for two operands. */
static void where_params(const dl_node *n, dlk_where_params *p)
{
    const dl_value *y = n->outputs[0];
    int64_t st[3][DL_MAX_RANK];
    int64_t *out[3];
    int k, j, m = 0;
    memset(p, 0, sizeof *p);
    out[0] = p->c_strides;
    out[1] = p->x_strides;
    out[2] = p->z_strides;
    for (j = 0; j < 3; j++)
        where_strides(n->inputs[j], y->rank, st[j]);
    for (k = 0; k < y->rank; k++) {
        bool merge = m > 0;
        if (y->dims[k] == 1)
            continue;
        for (j = 0; j < 3 && merge; j++)
            merge = out[j][m - 1] == st[j][k] * y->dims[k];
        if (merge) {
            p->dims[m - 1] *= y->dims[k];
        } else {
            p->dims[m] = y->dims[k];
            m++;
        }
        for (j = 0; j < 3; j++)
            out[j][m - 1] = st[j][k];
    }
    if (m == 0)
        p->dims[m++] = 1;
    p->rank = m;
}

static const char *where_entry(const dl_value *y)
{
    switch (dl_dtype_size(y->dtype)) {
    case 1: return "dlk_where_1";
    case 2: return "dlk_where_2";
    case 4: return "dlk_where_4";
    default: return "dlk_where_8";
    }
}

static int where_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_where_params p;
    const void *c = n->inputs[0]->data, *x = n->inputs[1]->data, *z = n->inputs[2]->data;
    void *y = n->outputs[0]->data;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    where_params(n, &p);
    switch (dl_dtype_size(n->outputs[0]->dtype)) {
    case 1: dlk_where_1(&p, c, x, z, y); break;
    case 2: dlk_where_2(&p, c, x, z, y); break;
    case 4: dlk_where_4(&p, c, x, z, y); break;
    default: dlk_where_8(&p, c, x, z, y); break;
    }
    return 0;
}

static int where_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_where_params p;
    const char *entry = where_entry(n->outputs[0]);
    int i;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    where_params(n, &p);
    dl_lower_need(l, entry);
    dl_lower_params_begin(l, "dlk_where_params");
    dl_lower_param_int(l, "rank", p.rank);
    dl_lower_param_ints(l, "dims", p.dims, (int)p.rank);
    dl_lower_param_ints(l, "c_strides", p.c_strides, (int)p.rank);
    dl_lower_param_ints(l, "x_strides", p.x_strides, (int)p.rank);
    dl_lower_param_ints(l, "z_strides", p.z_strides, (int)p.rank);
    dl_lower_params_end(l);
    dl_lower_call(l, entry);
    dl_lower_arg_params(l);
    for (i = 0; i < 3; i++)
        dl_lower_arg_value(l, n->inputs[i]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Where = {"Where", 0, NULL, where_infer, where_eval, where_lower};
