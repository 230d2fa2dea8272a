/* The ONNX frontend: a model file in, an unsorted IR graph out. */
#ifndef DLCC_FRONTEND_H
#define DLCC_FRONTEND_H

#include "ir/ir.h"

/* A compile-time shape for a graph input (--shape x=1,3,224,224). It
 * replaces the input's whole shape; symbolic dims must be bound this way. */
typedef struct dl_shape_binding {
    const char *input;
    int rank;
    int64_t dims[DL_MAX_RANK];
} dl_shape_binding;

typedef struct dl_load_options {
    const dl_shape_binding *shapes;
    int n_shapes;
} dl_load_options;

/* Loads path into a new graph (nodes in file order, not sorted). Returns NULL
 * with the errors in d. Does not run shape inference. opt may be NULL. */
dl_graph *dl_load_onnx(const char *path, const dl_load_options *opt, dl_diag *d);

/* The newest default-domain opset the compiled onnx.proto knows. */
int dl_max_supported_opset(void);
/* The oldest one dlcc accepts (numpy-style broadcasting arrived in opset 7). */
int dl_min_supported_opset(void);

/* ---------------------------------------- internal to frontend/ (onnx_tensor.c) */

struct Onnx__TensorProto;
struct Onnx__NodeProto;

/* Decodes t into a constant value: added to g, or detached (a tensor
 * attribute) with data in g's arena. what ("initializer 'W'") and node
 * (may be NULL) name it in messages; external data is resolved against
 * model_dir. NULL with an error in d. */
dl_value *dl_onnx_tensor_value(dl_graph *g, dl_diag *d, const dl_node *node, const char *what,
                               const char *model_dir, const struct Onnx__TensorProto *t, bool detached);
/* TensorProto.DataType to dl_dtype; an error for string and unknown types. */
int dl_onnx_dtype(dl_diag *d, const dl_node *node, const char *what, int32_t type, dl_dtype *out);
const char *dl_onnx_type_name(int32_t type);
/* Converts np's attributes into n->attrs (tensors detached, in g's arena);
 * -1 after reporting every bad attribute, or at once when out of memory. */
int dl_onnx_node_attrs(dl_graph *g, dl_diag *d, dl_node *n, const struct Onnx__NodeProto *np,
                       const char *model_dir);
int dl_onnx_out_of_memory(dl_diag *d);

#endif
