/* Fused epilogues on the compiler side (passes/fuse_epilogue.c sets them).
 *
 * A Conv, Gemm, float32 MatMul or BatchNormalization node may carry an epilogue: an activation
 * and/or a residual tensor added before or after it (dlk_epilogue in
 * runtime/kernels/epilogue.h, the same struct the kernels read). It lives in
 * the node's typed params, next to the attributes setup read, and is all
 * zero (none) until the pass sets it; eval and lower both hand it to the
 * kernel, so a folded constant and the generated code compute the same.
 *
 * The residual is an extra input after the op's own: slot 3 of Conv (X, W,
 * B, R) and Gemm (A, B, C, R), slot 2 of MatMul (A, B, R), slot 5 of
 * BatchNormalization (X, scale, B, mean, var, R); absent optional
 * inputs before it are NULL. It has the output's shape and dtype and must
 * not share bytes with the output. Setup is not run again after the pass. */
#ifndef DLCC_OPS_EPILOGUE_H
#define DLCC_OPS_EPILOGUE_H

#include <string.h>

#include "ir/ops/op.h"
#include "kernels/epilogue.h"

/* The epilogue of a node of that op (defined in conv.c, gemm.c, norm.c), or
 * NULL when the node cannot carry one (ConvTranspose, float64 MatMul) or
 * has no params yet. The pointer is into n->params: write it to fuse. */
dlk_epilogue *dl_conv_epilogue(dl_node *n);
dlk_epilogue *dl_gemm_epilogue(dl_node *n);
dlk_epilogue *dl_matmul_epilogue(dl_node *n);
dlk_epilogue *dl_bn_epilogue(dl_node *n);
dlk_epilogue *dl_winograd_epilogue(dl_node *n);   /* WinogradConv (winograd.c): X, U, B, R */
int64_t *dl_winograd_u16(dl_node *n);             /* its U's layout (winograd.c): 1 by blocks of 16 */
dlk_epilogue *dl_conv16_epilogue(dl_node *n);     /* ConvNCHW16c (blocked.c): X, W, B, R */

/* A Conv's input prologue (passes/bn_fold.c, conv-prologue): a pointwise
 * Conv may take its input through a per-channel scale (input 4) and shift
 * (input 5; absent for SCALE), then Relu: a BatchNormalization [-> Relu] or
 * a per-channel Mul that fed only that conv, applied while its kernel packs
 * the input. The pointer is into n->params (NULL for ConvTranspose or a
 * node without params). */
#define DL_CONV_PROLOGUE_NONE 0
#define DL_CONV_PROLOGUE_AFFINE 1   /* x s + t */
#define DL_CONV_PROLOGUE_RELU 2     /* max(x s + t, 0) */
#define DL_CONV_PROLOGUE_SCALE 3    /* x s */
int64_t *dl_conv_prologue(dl_node *n);

/* A grouped Conv's output may come channel-shuffled (passes/fuse_epilogue.c,
 * fuse-shuffle): 1 when output channel i of group g is stored as channel
 * i x group + g, the Reshape -> Transpose -> Reshape of ShuffleNet's channel
 * shuffle done by the conv's stores (dlk_conv_params.shuffle). The pointer
 * is into n->params (NULL for ConvTranspose or a node without params). */
int64_t *dl_conv_shuffle(dl_node *n);

/* A Conv's kernel parameters (geometry with auto_pad resolved, the
 * epilogue), as its eval and lower compute them, for passes that rewrite
 * it (passes/layout.c, fuse-shuffle); -1 with an error in d for a node that
 * fails them. dl_conv_shuffle_fits: whether such a conv can store its
 * output shuffled (grouped, not depthwise). */
struct dlk_conv_params;
int dl_conv_params(dl_diag *d, const dl_node *n, struct dlk_conv_params *kp);
bool dl_conv_shuffle_fits(const struct dlk_conv_params *kp);
/* Whether such a conv can also write its output planes' means as a second
 * output (depthwise; passes/fuse_epilogue.c, fuse-mean). */
bool dl_conv_mean_fits(const struct dlk_conv_params *kp);

/* A Conv may take in the 2-D MaxPool that reads its output (passes/
 * fuse_epilogue.c, fuse-pool; runtime/kernels/conv_pool.h): then its
 * output 0 is the pool's, output 1 a scratch tensor of the conv's output
 * size, and *dl_conv_pool(n) the pool's parameters (rank 0: no pool). The
 * pointer is into n->params (NULL for ConvTranspose or a node without
 * params). dl_maxpool_params: a MaxPool's parameters (pool.c), -1 with an
 * error in d; dl_maxpool_plain: whether it is a 2-D MaxPool whose indices
 * nobody reads. */
struct dlk_pool_params;
struct dlk_pool_params *dl_conv_pool(dl_node *n);

/* A Conv whose weights input holds them reordered by blocks of 16 output
 * channels (passes/winograd.c, conv-tiles; dlk_conv_tiles_weights_f32, W's
 * shape kept) runs dlk_conv_tiles_f32: *dl_conv_tiles(n) is 1, and output 1
 * is a scratch tensor for the zero-padded image. NULL as dl_conv_pool. */
int64_t *dl_conv_tiles(dl_node *n);

/* A pointwise Conv whose output only a GlobalAveragePool read gives that
 * pool's output instead (passes/fuse_epilogue.c, fuse-mean;
 * runtime/kernels/conv_mean.h): *dl_conv_mean_only(n) is 1, its weights
 * are reordered as conv-tiles' and output 0 is N x C_out x 1 x 1. NULL as
 * dl_conv_pool. */
int64_t *dl_conv_mean_only(dl_node *n);
int dl_maxpool_params(dl_diag *d, const dl_node *n, struct dlk_pool_params *kp);
bool dl_maxpool_plain(const dl_node *n);

/* The input slot that holds the residual of an epilogue-carrying op. */
static inline int dl_epilogue_residual_slot(const dl_node *n)
{
    if (strcmp(n->op_type, "BatchNormalization") == 0)
        return 5;
    return strcmp(n->op_type, "MatMul") == 0 ? 2 : 3;
}

/* Any node: its epilogue, or NULL if it has no place for one. */
static inline dlk_epilogue *dl_node_epilogue(dl_node *n)
{
    if (n->dead || n->params == NULL)
        return NULL;
    if (strcmp(n->op_type, "Conv") == 0)
        return dl_conv_epilogue(n);
    if (strcmp(n->op_type, "Gemm") == 0)
        return dl_gemm_epilogue(n);
    if (strcmp(n->op_type, "MatMul") == 0)
        return dl_matmul_epilogue(n);
    if (strcmp(n->op_type, "BatchNormalization") == 0)
        return dl_bn_epilogue(n);
    if (strcmp(n->op_type, "WinogradConv") == 0)
        return dl_winograd_epilogue(n);
    if (strcmp(n->op_type, "ConvNCHW16c") == 0)
        return dl_conv16_epilogue(n);
    return NULL;
}

/* The residual input of n (NULL: none). */
static inline const dl_value *dl_epilogue_residual(const dl_node *n)
{
    int slot = dl_epilogue_residual_slot(n);
    return slot < n->n_inputs ? n->inputs[slot] : NULL;
}

/* Emit the epilogue's fields into the params struct being lowered (they are
 * the struct member `ep`); nothing when there is none, so unfused code reads
 * as before. */
static inline void dl_epilogue_lower(dl_lower *l, const dlk_epilogue *e)
{
    if (e == NULL || (e->act == DLK_ACT_NONE && e->residual == DLK_RES_NONE))
        return;
    dl_lower_param_int(l, "ep.act", e->act);
    dl_lower_param_int(l, "ep.residual", e->residual);
    if (e->alpha != 0.0f)
        dl_lower_param_float(l, "ep.alpha", e->alpha);
    if (e->beta != 0.0f)
        dl_lower_param_float(l, "ep.beta", e->beta);
}

#endif
