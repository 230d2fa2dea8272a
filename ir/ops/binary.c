/* Element-wise binary ops with numpy (multidirectional) broadcasting: Add Sub
 * Mul Div Pow PRelu Mod BitShift, the comparisons Equal Greater Less
 * GreaterOrEqual LessOrEqual, the logic And Or Xor, BitwiseAnd BitwiseOr
 * BitwiseXor, and the variadic Sum Mean Max Min.
 *
 * A node runs as one or more kernel calls ("steps"). A two-input op is one
 * step. A variadic op over inputs x0..xk computes y = x0 op x1 straight into
 * y's final shape, then y = y op xi for each later input (in place: y has its
 * own shape there), and Mean divides by the input count at the end.
 * Each step picks the cheapest kernel entry point after merging dims that
 * broadcast alike: same shapes, a scalar operand, or the general kernel. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/binary.h"
#include "kernels/compare.h"
#include "kernels/copy.h"

/* ------------------------------------------------------------ kernel table */

typedef enum bin_path { BIN_SAME, BIN_SCALAR_A, BIN_SCALAR_B, BIN_BCAST } bin_path;

/* One kernel call's entry point and arguments. */
typedef struct bin_plan {
    bin_path path;
    int64_t n;                  /* elements of y, for the fast paths */
    dlk_binary_params kp;       /* for BIN_BCAST */
} bin_plan;

typedef void (*bin_eval_fn)(const bin_plan *pl, const void *a, const void *b, void *y);

/* A kernel family: one op on one pair of element types. */
typedef struct bin_kernel {
    const char *op;             /* "add" */
    dl_dtype a_type, b_type, y_type;
    const char *entry[4];       /* section names, indexed by bin_path */
    bin_eval_fn eval;
    bool bcast_only;            /* only the general entry point exists: every call takes it */
} bin_kernel;

#define BIN_FAMILIES(X)                                                          \
    X(add, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(add, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(add, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(sub, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(sub, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(sub, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(mul, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(mul, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(mul, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(div, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(div, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(div, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(max, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(max, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(max, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(min, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(min, i64, int64_t, int64_t, int64_t, DL_INT64, DL_INT64)                   \
    X(min, i32, int32_t, int32_t, int32_t, DL_INT32, DL_INT32)                   \
    X(pow, f32, float, float, float, DL_FLOAT, DL_FLOAT)                         \
    X(pow, f32_i64, float, int64_t, float, DL_FLOAT, DL_INT64)                   \
    X(prelu, f32, float, float, float, DL_FLOAT, DL_FLOAT)

/* eval_add_f32() etc.: the family's four entry points behind one signature. */
#define BIN_EVAL(op, t, TA, TB, TY, DA, DB)                                      \
    static void eval_##op##_##t(const bin_plan *pl, const void *a, const void *b, void *y) \
    {                                                                            \
        switch (pl->path) {                                                      \
        case BIN_SAME: dlk_##op##_##t(a, b, y, pl->n); break;                    \
        case BIN_SCALAR_A: dlk_##op##_scalar_a_##t(a, b, y, pl->n); break;       \
        case BIN_SCALAR_B: dlk_##op##_scalar_b_##t(a, b, y, pl->n); break;       \
        case BIN_BCAST: dlk_##op##_bcast_##t(&pl->kp, a, b, y); break;           \
        }                                                                        \
    }
BIN_FAMILIES(BIN_EVAL)

/* Families with the general entry point only (kernels/binary.h's wider
 * element types, kernels/compare.h): W(op, t, a type, b type, y type). */
#define W_INT(W, op)                                                             \
    W(op, i8, DL_INT8, DL_INT8, DL_INT8) W(op, i16, DL_INT16, DL_INT16, DL_INT16) \
    W(op, i32, DL_INT32, DL_INT32, DL_INT32) W(op, i64, DL_INT64, DL_INT64, DL_INT64) \
    W(op, u8, DL_UINT8, DL_UINT8, DL_UINT8) W(op, u16, DL_UINT16, DL_UINT16, DL_UINT16) \
    W(op, u32, DL_UINT32, DL_UINT32, DL_UINT32) W(op, u64, DL_UINT64, DL_UINT64, DL_UINT64)
#define W_FLOAT(W, op) W(op, f32, DL_FLOAT, DL_FLOAT, DL_FLOAT) W(op, f64, DL_DOUBLE, DL_DOUBLE, DL_DOUBLE)
/* The types binary.h has no four-entry family for. */
#define W_MORE(W, op)                                                            \
    W(op, f64, DL_DOUBLE, DL_DOUBLE, DL_DOUBLE) W(op, i8, DL_INT8, DL_INT8, DL_INT8) \
    W(op, i16, DL_INT16, DL_INT16, DL_INT16) W(op, u8, DL_UINT8, DL_UINT8, DL_UINT8) \
    W(op, u16, DL_UINT16, DL_UINT16, DL_UINT16) W(op, u32, DL_UINT32, DL_UINT32, DL_UINT32) \
    W(op, u64, DL_UINT64, DL_UINT64, DL_UINT64)
/* Comparisons: any numeric type in, bool out. */
#define W_CMP(W, op)                                                             \
    W(op, f32, DL_FLOAT, DL_FLOAT, DL_BOOL) W(op, f64, DL_DOUBLE, DL_DOUBLE, DL_BOOL) \
    W(op, i8, DL_INT8, DL_INT8, DL_BOOL) W(op, i16, DL_INT16, DL_INT16, DL_BOOL) \
    W(op, i32, DL_INT32, DL_INT32, DL_BOOL) W(op, i64, DL_INT64, DL_INT64, DL_BOOL) \
    W(op, u8, DL_UINT8, DL_UINT8, DL_BOOL) W(op, u16, DL_UINT16, DL_UINT16, DL_BOOL) \
    W(op, u32, DL_UINT32, DL_UINT32, DL_BOOL) W(op, u64, DL_UINT64, DL_UINT64, DL_BOOL)
#define W_BOOL(W, op) W(op, bool, DL_BOOL, DL_BOOL, DL_BOOL)

#define WIDE_FAMILIES(W)                                                         \
    W_MORE(W, add) W_MORE(W, sub) W_MORE(W, mul) W_MORE(W, div) W_MORE(W, max) W_MORE(W, min) \
    W(pow, f64, DL_DOUBLE, DL_DOUBLE, DL_DOUBLE) W(pow, f32_i32, DL_FLOAT, DL_INT32, DL_FLOAT) \
    W(pow, f32_u32, DL_FLOAT, DL_UINT32, DL_FLOAT) W(pow, f32_u64, DL_FLOAT, DL_UINT64, DL_FLOAT) \
    W(pow, i32, DL_INT32, DL_INT32, DL_INT32) W(pow, i32_f32, DL_INT32, DL_FLOAT, DL_INT32) \
    W(pow, i64, DL_INT64, DL_INT64, DL_INT64) W(pow, i64_f32, DL_INT64, DL_FLOAT, DL_INT64) \
    W_CMP(W, equal) W(equal, bool, DL_BOOL, DL_BOOL, DL_BOOL) W_CMP(W, greater) W_CMP(W, less) \
    W_CMP(W, greater_equal) W_CMP(W, less_equal)                                 \
    W_BOOL(W, and) W_BOOL(W, or) W_BOOL(W, xor)                                  \
    W_INT(W, bitwise_and) W_INT(W, bitwise_or) W_INT(W, bitwise_xor)             \
    W_INT(W, mod) W_FLOAT(W, mod) W_INT(W, fmod) W_FLOAT(W, fmod)                \
    W_INT(W, shl) W_INT(W, shr)

#define WIDE_EVAL(op, t, DA, DB, DY)                                             \
    static void eval_##op##_##t(const bin_plan *pl, const void *a, const void *b, void *y) \
    {                                                                            \
        dlk_##op##_bcast_##t(&pl->kp, a, b, y);                                  \
    }
WIDE_FAMILIES(WIDE_EVAL)

#define BIN_ENTRY(op, t, TA, TB, TY, DA, DB)                                     \
    {#op, DA, DB, DA,                                                            \
     {"dlk_" #op "_" #t, "dlk_" #op "_scalar_a_" #t, "dlk_" #op "_scalar_b_" #t, \
      "dlk_" #op "_bcast_" #t},                                                  \
     eval_##op##_##t, false},
#define WIDE_ENTRY(op, t, DA, DB, DY)                                            \
    {#op, DA, DB, DY, {NULL, NULL, NULL, "dlk_" #op "_bcast_" #t}, eval_##op##_##t, true},
static const bin_kernel bin_kernels[] = {BIN_FAMILIES(BIN_ENTRY) WIDE_FAMILIES(WIDE_ENTRY)};
#define N_BIN_KERNELS ((int)(sizeof bin_kernels / sizeof bin_kernels[0]))

/* --------------------------------------------------------------- op table */

typedef struct bin_op {
    const char *op_type;
    const char *kernel;         /* bin_kernel.op */
    bool variadic;              /* Sum Mean Max Min: 1..N inputs */
    bool mean;                  /* divide by the input count at the end */
    bool float_only;
    bool legacy_attrs;          /* opset < 7: `broadcast` and `axis` attributes */
    bool unidirectional;        /* B broadcasts to A's shape, never the reverse */
} bin_op;

static const bin_op bin_ops[] = {
    {"Add", "add", .legacy_attrs = true},
    {"Sub", "sub", .legacy_attrs = true},
    {"Mul", "mul", .legacy_attrs = true},
    {"Div", "div", .legacy_attrs = true},
    {"Pow", "pow", .legacy_attrs = true},
    {"PRelu", "prelu", .unidirectional = true, .float_only = true},
    {"Max", "max", .variadic = true},
    {"Min", "min", .variadic = true},
    {"Sum", "add", .variadic = true},
    {"Mean", "add", .variadic = true, .mean = true, .float_only = true},
    {"Equal", "equal", .legacy_attrs = true},
    {"Greater", "greater", .legacy_attrs = true},
    {"Less", "less", .legacy_attrs = true},
    {"GreaterOrEqual", "greater_equal", .variadic = false},
    {"LessOrEqual", "less_equal", .variadic = false},
    {"And", "and", .legacy_attrs = true},
    {"Or", "or", .legacy_attrs = true},
    {"Xor", "xor", .legacy_attrs = true},
    {"BitwiseAnd", "bitwise_and", .variadic = false},
    {"BitwiseOr", "bitwise_or", .variadic = false},
    {"BitwiseXor", "bitwise_xor", .variadic = false},
    {"Mod", "mod", .variadic = false},             /* "fmod" with fmod=1 */
    {"BitShift", "shl", .variadic = false},        /* "shr" with direction=RIGHT */
};

typedef struct binary_params {
    const bin_op *op;
    const char *kname;          /* bin_kernel.op: op->kernel, or what Mod's and BitShift's attributes pick */
    const bin_kernel *kernel;   /* chosen by infer from the input element types */
    bool legacy_same;           /* opset < 7 without broadcast=1: B must have A's shape */
    bool legacy_broadcast;      /* opset < 7 with broadcast=1: B broadcasts to A */
    bool has_axis;              /* ... aligned at `axis` rather than at A's last dims */
    int64_t axis;
    int b_at;                   /* infer's result: A's dim where B's dims start; -1: numpy alignment */
} binary_params;

static const bin_op *find_bin_op(const char *op_type)
{
    size_t i;
    for (i = 0; i < sizeof bin_ops / sizeof bin_ops[0]; i++)
        if (strcmp(bin_ops[i].op_type, op_type) == 0)
            return &bin_ops[i];
    return NULL;
}

static int binary_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    const bin_op *op = find_bin_op(n->op_type);
    binary_params *bp;
    if (!op)
        return dl_error(d, n, "binary.c has no op type '%s'", n->op_type);
    bp = dl_node_params(g, n, sizeof *bp);
    if (!bp)
        return dl_error(d, n, "out of memory");
    bp->op = op;
    bp->kname = op->kernel;
    bp->b_at = -1;
    if (strcmp(op->op_type, "Mod") == 0 && dl_attr_int(n, "fmod", 0) != 0)
        bp->kname = "fmod";
    if (strcmp(op->op_type, "BitShift") == 0) {
        const char *dir = dl_attr_string(n, "direction", "");
        if (strcmp(dir, "RIGHT") == 0)
            bp->kname = "shr";
        else if (strcmp(dir, "LEFT") != 0)
            return dl_error(d, n, "attribute direction is '%s'; expected LEFT or RIGHT", dir);
    }
    if (strcmp(op->op_type, "PRelu") == 0 && n->opset < 7) {
        /* PRelu-6 and older: a 1-D slope of length C is per channel of [N, C, ...],
         * as PyTorch exported it and onnxruntime reads it. */
        const dl_value *x = n->inputs[0], *slope = n->inputs[1];
        if (x && slope && x->rank >= 2 && slope->rank == 1 && slope->dims[0] == x->dims[1] && slope->dims[0] != 1) {
            bp->legacy_broadcast = true;
            bp->has_axis = true;
            bp->axis = 1;
        }
    }
    if (op->legacy_attrs && n->opset < 7) {
        /* Add-6 etc.: B broadcasts to A only with broadcast=1, either at A's
         * trailing dims or starting at `axis`. */
        if (dl_attr_int(n, "broadcast", 0) != 0)
            bp->legacy_broadcast = true;
        else
            bp->legacy_same = true;
        if (dl_attr_find(n, "axis")) {
            bp->has_axis = true;
            bp->axis = dl_attr_int(n, "axis", 0);
        }
    }
    return 0;
}

/* -------------------------------------------------------------- shapes */

static bool same_shape(const dl_value *a, const dl_value *b)
{
    return a->rank == b->rank && memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]) == 0;
}

/* v's dims seen at rank `rank`: placed from dim `at`, or (at = -1) at the
 * last dims as numpy aligns them; 1 elsewhere. */
static void align_dims(const dl_value *v, int rank, int at, int64_t *dims)
{
    int start = at >= 0 ? at : rank - v->rank;
    int k;
    for (k = 0; k < rank; k++)
        dims[k] = 1;
    for (k = 0; k < v->rank; k++)
        dims[start + k] = v->dims[k];
}

static int check_known(dl_diag *d, const dl_node *n, int i)
{
    const dl_value *v = n->inputs[i];
    if (!v)
        return dl_error(d, n, "input %d is missing; %s needs it", i, n->op_type);
    if (v->rank < 0)
        return dl_error(d, n, "input %d ('%s') has no known shape", i, v->name);
    return 0;
}

/* B as the legacy broadcast sees it: A's rank, B's dims from b_at. */
static int legacy_b_shape(dl_diag *d, const dl_node *n, binary_params *bp, dl_value *b_eff)
{
    const dl_value *a = n->inputs[0], *b = n->inputs[1];
    int at = -1;
    if (b->rank > a->rank)
        return dl_error(d, n, "opset %d broadcast: input B has rank %d, more than input A's %d",
                        n->opset, b->rank, a->rank);
    if (bp->has_axis) {
        if (dl_norm_axis(d, n, bp->axis, a->rank, &at) != 0)
            return -1;
        if (at + b->rank > a->rank)
            return dl_error(d, n, "attribute axis=%lld places input B (rank %d) past input A's rank %d",
                            (long long)bp->axis, b->rank, a->rank);
    }
    bp->b_at = at;
    *b_eff = *b;
    b_eff->rank = a->rank;
    align_dims(b, a->rank, at, b_eff->dims);
    return 0;
}

/* The output shape: all inputs broadcast together. */
static int broadcast_all(dl_diag *d, const dl_node *n, binary_params *bp, int *rank, int64_t *dims)
{
    char sa[96], sb[96];
    dl_value acc = *n->inputs[0], b_eff;
    int i;
    bp->b_at = -1;
    if (bp->legacy_same && !same_shape(n->inputs[0], n->inputs[1]))
        return dl_error(d, n, "opset %d %s without broadcast=1 needs inputs of one shape; A is %s, B is %s",
                        n->opset, n->op_type, dl_shape_str(n->inputs[0], sa, sizeof sa),
                        dl_shape_str(n->inputs[1], sb, sizeof sb));
    for (i = 1; i < n->n_inputs; i++) {
        const dl_value *b = n->inputs[i];
        int r;
        int64_t out[DL_MAX_RANK];
        if (bp->legacy_broadcast) {
            if (legacy_b_shape(d, n, bp, &b_eff) != 0)
                return -1;
            b = &b_eff;
        }
        if (dl_broadcast_shape(d, n, &acc, b, &r, out) != 0)
            return -1;
        acc.rank = r;
        memcpy(acc.dims, out, sizeof out);
    }
    if ((bp->op->unidirectional || bp->legacy_broadcast) && !same_shape(&acc, n->inputs[0]))
        return dl_error(d, n, "input B (%s) must broadcast to input A's shape %s, not widen it",
                        dl_shape_str(n->inputs[1], sb, sizeof sb), dl_shape_str(n->inputs[0], sa, sizeof sa));
    *rank = acc.rank;
    memcpy(dims, acc.dims, sizeof acc.dims);
    return 0;
}

/* ------------------------------------------------------------ dtypes */

static const bin_kernel *find_kernel(const char *op, dl_dtype a, dl_dtype b)
{
    int i;
    for (i = 0; i < N_BIN_KERNELS; i++)
        if (strcmp(bin_kernels[i].op, op) == 0 && bin_kernels[i].a_type == a && bin_kernels[i].b_type == b)
            return &bin_kernels[i];
    return NULL;
}

/* "float32, int64, int32" or "float32 with float32, float32 with int64" */
static const char *supported_types(const bin_op *op, const char *kname, char *buf, size_t size)
{
    size_t len = 0;
    int i;
    buf[0] = '\0';
    for (i = 0; i < N_BIN_KERNELS && len < size; i++) {
        const bin_kernel *k = &bin_kernels[i];
        if (strcmp(k->op, kname) != 0 || (op->float_only && k->a_type != DL_FLOAT))
            continue;
        if (strcmp(op->op_type, "Pow") == 0)
            len += (size_t)snprintf(buf + len, size - len, "%s%s base with %s exponent", len ? ", " : "",
                                    dl_dtype_name(k->a_type), dl_dtype_name(k->b_type));
        else
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", dl_dtype_name(k->a_type));
    }
    return buf;
}

static int choose_kernel(dl_diag *d, const dl_node *n, binary_params *bp)
{
    const dl_value *a = n->inputs[0];
    const dl_value *b = n->n_inputs > 1 ? n->inputs[1] : a;
    const bin_kernel *k;
    char list[400];
    int i;
    /* Only Pow's exponent may differ in type from the base. */
    for (i = 1; i < n->n_inputs; i++) {
        const dl_value *v = n->inputs[i];
        if (v->dtype != a->dtype && (strcmp(bp->op->op_type, "Pow") != 0 || i != 1))
            return dl_error(d, n, "input %d ('%s') is %s but input 0 ('%s') is %s; %s needs one element type",
                            i, v->name, dl_dtype_name(v->dtype), a->name, dl_dtype_name(a->dtype), n->op_type);
    }
    k = find_kernel(bp->kname, a->dtype, b->dtype);
    if (!k || (bp->op->float_only && a->dtype != DL_FLOAT)) {
        if (b->dtype != a->dtype)
            return dl_error(d, n, "inputs are %s and %s: not supported; %s supports %s", dl_dtype_name(a->dtype),
                            dl_dtype_name(b->dtype), n->op_type,
                            supported_types(bp->op, bp->kname, list, sizeof list));
        return dl_error(d, n, "input 0 ('%s') is %s: not supported; %s supports %s", a->name,
                        dl_dtype_name(a->dtype), n->op_type, supported_types(bp->op, bp->kname, list, sizeof list));
    }
    bp->kernel = k;
    return 0;
}

static int binary_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    binary_params *bp = n->params;
    int64_t dims[DL_MAX_RANK];
    int rank = 0, i;
    (void)g;
    if (dl_check_inputs(d, n, bp->op->variadic ? 1 : 2, bp->op->variadic ? 1 << 16 : 2) != 0)
        return -1;
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    for (i = 0; i < n->n_inputs; i++)
        if (check_known(d, n, i) != 0)
            return -1;
    if (choose_kernel(d, n, bp) != 0 || broadcast_all(d, n, bp, &rank, dims) != 0)
        return -1;
    dl_value_set_shape(n->outputs[0], bp->kernel->y_type, rank, dims);
    return 0;
}

/* ------------------------------------------------------------- plans */

/* Element strides of an operand with the given aligned dims; 0 on its
 * size-1 dims, which broadcast (or have size 1 in y too). */
static void operand_strides(const int64_t *dims, int rank, int64_t *strides)
{
    int64_t s = 1;
    int k;
    for (k = rank - 1; k >= 0; k--) {
        strides[k] = dims[k] == 1 ? 0 : s;
        s *= dims[k];
    }
}

/* y's dims `out` and the operands' aligned dims → the kernel call. Size-1
 * dims are dropped and neighbours that both operands step through alike are
 * merged, so equal shapes become one flat loop and a scalar one stride 0. */
static void make_plan(int rank, const int64_t *out, const int64_t *ad, const int64_t *bd, bin_plan *pl)
{
    dlk_binary_params *kp = &pl->kp;
    int64_t as[DL_MAX_RANK], bs[DL_MAX_RANK];
    int k, m = 0;
    bool a_step, b_step;
    memset(pl, 0, sizeof *pl);
    operand_strides(ad, rank, as);
    operand_strides(bd, rank, bs);
    pl->n = 1;
    for (k = 0; k < rank; k++) {
        pl->n *= out[k];
        if (out[k] == 1)
            continue;
        if (m > 0 && kp->a_strides[m - 1] == as[k] * out[k] && kp->b_strides[m - 1] == bs[k] * out[k]) {
            kp->dims[m - 1] *= out[k];
        } else {
            kp->dims[m] = out[k];
            m++;
        }
        kp->a_strides[m - 1] = as[k];
        kp->b_strides[m - 1] = bs[k];
    }
    if (m == 0)
        kp->dims[m++] = 1;
    kp->rank = m;
    a_step = kp->a_strides[0] != 0;
    b_step = kp->b_strides[0] != 0;
    if (m > 1)
        pl->path = BIN_BCAST;
    else if (pl->n == 1 || (a_step && b_step))
        pl->path = BIN_SAME;
    else if (b_step)
        pl->path = BIN_SCALAR_A;
    else if (a_step)
        pl->path = BIN_SCALAR_B;
    else
        pl->path = BIN_BCAST;   /* both operands are single elements spread over y */
}

/* One kernel call of the node: y = a op b. */
typedef struct bin_step {
    const dl_value *a, *b;
    bin_plan plan;
} bin_step;

/* Step i (0-based) of n; the node has n_inputs - 1 steps. */
static void make_step(const dl_node *n, int i, bin_step *st)
{
    const binary_params *bp = n->params;
    const dl_value *y = n->outputs[0];
    int64_t ad[DL_MAX_RANK], bd[DL_MAX_RANK];
    st->a = i == 0 ? n->inputs[0] : y;
    st->b = n->inputs[i + 1];
    align_dims(st->a, y->rank, -1, ad);
    align_dims(st->b, y->rank, i == 0 ? bp->b_at : -1, bd);
    make_plan(y->rank, y->dims, ad, bd, &st->plan);
    if (bp->kernel->bcast_only)
        st->plan.path = BIN_BCAST;
}

/* -------------------------------------------------------- eval, lower */

/* C's integer division traps on a zero divisor and on MIN / -1: refuse to
 * fold them rather than crash the compiler. */
/* Element i of an integer constant, widened (uint64 above INT64_MAX wraps,
 * which only the signed checks below could misread, and they skip it). */
static int64_t int_elem(const dl_value *v, int64_t i)
{
    switch (v->dtype) {
    case DL_INT8: return ((const int8_t *)v->data)[i];
    case DL_INT16: return ((const int16_t *)v->data)[i];
    case DL_INT32: return ((const int32_t *)v->data)[i];
    case DL_UINT8: return ((const uint8_t *)v->data)[i];
    case DL_UINT16: return ((const uint16_t *)v->data)[i];
    case DL_UINT32: return ((const uint32_t *)v->data)[i];
    case DL_UINT64: return (int64_t)((const uint64_t *)v->data)[i];
    default: return ((const int64_t *)v->data)[i];
    }
}

static bool is_signed_int(dl_dtype t)
{
    return t == DL_INT8 || t == DL_INT16 || t == DL_INT32 || t == DL_INT64;
}

static bool is_int_min(const dl_value *v, int64_t i)
{
    int64_t x = int_elem(v, i);
    switch (v->dtype) {
    case DL_INT8: return x == INT8_MIN;
    case DL_INT16: return x == INT16_MIN;
    case DL_INT32: return x == INT32_MIN;
    case DL_INT64: return x == INT64_MIN;
    default: return false;
    }
}

static int check_int_divisors(dl_diag *d, const dl_node *n, const dl_value *a, const dl_value *b)
{
    int64_t i, nb = dl_value_numel(b);
    bool a_has_min = false;
    for (i = 0; i < dl_value_numel(a); i++)
        a_has_min |= is_int_min(a, i);
    for (i = 0; i < nb; i++) {
        int64_t v = int_elem(b, i);
        if (v == -1 && !is_signed_int(b->dtype))
            continue;
        if (v == 0)
            return dl_error(d, n, "input B ('%s') has a zero at element %lld: integer division by zero",
                            b->name, (long long)i);
        if (v == -1 && a_has_min)
            return dl_error(d, n, "integer division overflows: input A ('%s') holds the type's minimum "
                            "and input B ('%s') holds -1", a->name, b->name);
    }
    return 0;
}

static int binary_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const binary_params *bp = n->params;
    dl_value *y = n->outputs[0];
    int64_t numel = dl_value_numel(y);
    int i;
    (void)g;
    if (numel == 0)
        return 0;
    if (n->n_inputs == 1) {
        dlk_copy(n->inputs[0]->data, y->data, (size_t)dl_value_bytes(y));
        return 0;
    }
    for (i = 0; i + 1 < n->n_inputs; i++) {
        bin_step st;
        make_step(n, i, &st);
        if (strcmp(bp->kernel->op, "div") == 0 && bp->kernel->b_type != DL_FLOAT && bp->kernel->b_type != DL_DOUBLE &&
            check_int_divisors(d, n, st.a, st.b) != 0)
            return -1;
        bp->kernel->eval(&st.plan, st.a->data, st.b->data, y->data);
    }
    if (bp->op->mean)
        dlk_mean_divide_f32(y->data, y->data, numel, (float)n->n_inputs);
    return 0;
}

static void lower_step(dl_lower *l, const bin_kernel *k, const bin_step *st, const dl_value *y)
{
    const char *entry = k->entry[st->plan.path];
    const dlk_binary_params *kp = &st->plan.kp;
    dl_lower_need(l, entry);
    if (st->plan.path == BIN_BCAST) {
        dl_lower_params_begin(l, "dlk_binary_params");
        dl_lower_param_int(l, "rank", kp->rank);
        dl_lower_param_ints(l, "dims", kp->dims, (int)kp->rank);
        dl_lower_param_ints(l, "a_strides", kp->a_strides, (int)kp->rank);
        dl_lower_param_ints(l, "b_strides", kp->b_strides, (int)kp->rank);
        dl_lower_params_end(l);
    }
    dl_lower_call(l, entry);
    if (st->plan.path == BIN_BCAST)
        dl_lower_arg_params(l);
    dl_lower_arg_value(l, st->a);
    dl_lower_arg_value(l, st->b);
    dl_lower_arg_value(l, y);
    if (st->plan.path != BIN_BCAST)
        dl_lower_arg_int(l, st->plan.n);
    dl_lower_call_end(l);
}

static int binary_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const binary_params *bp = n->params;
    const dl_value *y = n->outputs[0];
    int64_t numel = dl_value_numel(y);
    int i;
    (void)g;
    (void)d;
    if (numel == 0)
        return 0;
    if (n->n_inputs == 1) {
        dl_lower_copy(l, n->inputs[0], y);
        return 0;
    }
    for (i = 0; i + 1 < n->n_inputs; i++) {
        bin_step st;
        make_step(n, i, &st);
        lower_step(l, bp->kernel, &st, y);
    }
    if (bp->op->mean) {
        dl_lower_need(l, "dlk_mean_divide_f32");
        dl_lower_call(l, "dlk_mean_divide_f32");
        dl_lower_arg_value(l, y);
        dl_lower_arg_value(l, y);
        dl_lower_arg_int(l, numel);
        dl_lower_arg_float(l, (double)n->n_inputs);
        dl_lower_call_end(l);
    }
    return 0;
}

#define BINARY_OP(name) const dl_op dl_op_##name = {#name, 0, binary_setup, binary_infer, binary_eval, binary_lower};
BINARY_OP(Add)
BINARY_OP(Sub)
BINARY_OP(Mul)
BINARY_OP(Div)
BINARY_OP(Pow)
BINARY_OP(Max)
BINARY_OP(Min)
BINARY_OP(Sum)
BINARY_OP(Mean)
BINARY_OP(PRelu)
BINARY_OP(Equal)
BINARY_OP(Greater)
BINARY_OP(Less)
BINARY_OP(GreaterOrEqual)
BINARY_OP(LessOrEqual)
BINARY_OP(And)
BINARY_OP(Or)
BINARY_OP(Xor)
BINARY_OP(BitwiseAnd)
BINARY_OP(BitwiseOr)
BINARY_OP(BitwiseXor)
BINARY_OP(Mod)
BINARY_OP(BitShift)
