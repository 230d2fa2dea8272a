/* What the compiler knows about each operator. An op lives in one file of
 * ir/ops/ (attributes, shape inference, constant evaluation, lowering) and
 * its run-time code in one file of runtime/kernels/; ops.def lists them. */
#ifndef DLCC_OP_H
#define DLCC_OP_H

#include "ir/ir.h"

/* A backend-neutral description of the kernel calls a node lowers to.
 * ir/ops/ builds it through these calls; each backend implements them. */
typedef struct dl_lower dl_lower;

/* The kernel section (see runtime/kernels/README.md) the call needs. */
void dl_lower_need(dl_lower *l, const char *section);
/* A constant parameter struct: begin, fields, end. Its address is the
 * argument written by dl_lower_arg_params. */
void dl_lower_params_begin(dl_lower *l, const char *struct_type);
void dl_lower_param_int(dl_lower *l, const char *field, int64_t v);
void dl_lower_param_ints(dl_lower *l, const char *field, const int64_t *v, int n);
void dl_lower_param_float(dl_lower *l, const char *field, double v);
void dl_lower_param_floats(dl_lower *l, const char *field, const float *v, int n);
void dl_lower_params_end(dl_lower *l);
/* One call: dl_lower_call(l, "dlk_conv_f32"), then its arguments in order,
 * then dl_lower_call_end(l). */
void dl_lower_call(dl_lower *l, const char *kernel);
void dl_lower_arg_value(dl_lower *l, const dl_value *v);     /* pointer to v's data (NULL if v is NULL) */
void dl_lower_arg_params(dl_lower *l);                       /* &params of the last struct */
void dl_lower_arg_params_at(dl_lower *l, int k);             /* &params of the node's struct k (0: first) */
void dl_lower_arg_int(dl_lower *l, int64_t v);
void dl_lower_arg_float(dl_lower *l, double v);
/* The run's thread context (`const dlk_par *`, runtime/kernels/parallel.h;
 * NULL when the model runs on one thread), for kernels that split their work. */
void dl_lower_arg_par(dl_lower *l);
void dl_lower_call_end(dl_lower *l);
/* dlk_copy(from, to, bytes of to): an op that only moves bytes. */
void dl_lower_copy(dl_lower *l, const dl_value *from, const dl_value *to);

typedef enum dl_op_flags {
    DL_OP_VIEW = 1,   /* output 0 is input 0's bytes with another shape: no code unless the planner must copy */
    DL_OP_INTERNAL = 2, /* made by passes only (fused ops): not an ONNX operator, never read from a model */
} dl_op_flags;

struct dl_op {
    const char *name;   /* ONNX op_type */
    int flags;
    /* Reads and checks attributes (node->opset says which version's
     * semantics apply) into a typed struct stored in node->params. May be NULL. */
    int (*setup)(dl_graph *g, dl_node *n, dl_diag *d);
    /* Sets every output's dtype and shape from the inputs'; may read the data
     * of constant inputs (Reshape's shape). */
    int (*infer)(dl_graph *g, dl_node *n, dl_diag *d);
    /* All inputs are constant: fill the outputs' data (already allocated) with
     * the same kernels the generated code runs. NULL: never folded. */
    int (*eval)(dl_graph *g, dl_node *n, dl_diag *d);
    /* Describe the kernel calls. */
    int (*lower)(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d);
};

const dl_op *dl_op_find(const char *op_type);
/* The same for op types read from a model: internal ops are not found. */
const dl_op *dl_op_find_onnx(const char *op_type);
/* All ops, for listings (dlcc --list-ops). */
const dl_op *const *dl_op_all(int *count);

/* ONNX schema versions (ir/ops/schema.c, from the generated schema_versions.def). */
#define DL_IMPLEMENTED_OPSET 23       /* ops follow every schema change through this opset */
int dl_schema_newest_opset(void);     /* the newest opset the table knows */
int dl_schema_newest_ir(void);        /* the newest IR version the table's onnx knew */
/* The schema version op follows in a model of this opset (0: unknown op). */
int dl_schema_version(const char *op, int opset);
/* The same, stepping back over versions that changed type lists only. */
int dl_semantic_version(const char *op, int opset);
/* The newest schema version of op whose semantics dlcc implements. */
int dl_schema_implemented(const char *op);

/* Helpers shared by op files. */
int dl_check_inputs(dl_diag *d, const dl_node *n, int min, int max);
int dl_check_dtype(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, dl_dtype expected);
void dl_value_set_shape(dl_value *v, dl_dtype dtype, int rank, const int64_t *dims);
/* Read a constant integer tensor (int64 or int32) into out[max]; returns its
 * element count, or -1 with an error if it is not constant. */
int dl_const_ints(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, int64_t *out, int max);
/* The error for v, which must be known at compile time ("what 'v' must be a
 * constant (why)"); when v comes from graph inputs, names them with the
 * --bind option that fixes them. Returns -1. */
int dl_error_not_constant(dl_diag *d, const dl_node *n, const dl_value *v, const char *what, const char *why);
/* Normalise a possibly negative axis against rank; error if out of range. */
int dl_norm_axis(dl_diag *d, const dl_node *n, int64_t axis, int rank, int *out);
/* numpy matmul geometry of a (m x k, or k) times b (k x n, or k): the batch
 * axes broadcast right-aligned, with a's and b's matrix strides (in elements)
 * per axis, 0 where one broadcasts; out_rank/out_dims: the product's shape.
 * a_name/b_name name the inputs in messages. */
typedef struct dl_matmul_geometry {
    int64_t m, k, n;
    int batch_rank;
    int64_t batch[DL_MAX_RANK], a_stride[DL_MAX_RANK], b_stride[DL_MAX_RANK];
    int out_rank;
    int64_t out_dims[DL_MAX_RANK];
} dl_matmul_geometry;
int dl_matmul_geometry_of(dl_diag *d, const dl_node *n, const dl_value *a, const char *a_name, const dl_value *b,
                          const char *b_name, dl_matmul_geometry *geo);
/* numpy broadcasting of a and b's shapes into out (rank and dims). */
int dl_broadcast_shape(dl_diag *d, const dl_node *n, const dl_value *a, const dl_value *b, int *rank, int64_t *dims);
/* Allocate n's typed attribute struct. */
void *dl_node_params(dl_graph *g, dl_node *n, size_t size);

#endif
