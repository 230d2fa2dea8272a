/* The compiler's passes. Each takes the graph, keeps it valid, and reports
 * what it did in one line when verbose. */
#ifndef DLCC_PASSES_H
#define DLCC_PASSES_H

#include <stdio.h>

#include "ir/ir.h"

typedef struct dl_pass_context {
    dl_diag *diag;
    FILE *log;              /* one line per pass when non-NULL (-v) */
    const char *dump_after; /* pass name whose result is dumped, or NULL */
    FILE *dump;             /* where the dump goes */
    bool dump_dot;          /* DOT instead of text */
    int64_t fold_limit_bytes; /* generators (ConstantOfShape...) whose output is larger stay at run time */
    int opt_level;          /* -O0..-O3 */
    const char *const *enabled, *const *disabled; /* --enable-pass / --disable-pass names */
    int n_enabled, n_disabled;
    const char *cpu;        /* --cpu as given (NULL: native), for messages */
    int vector_bits;        /* the target's widest float vectors: 512, 256 or 0 (generic C) */
} dl_pass_context;

/* The level of a pass that no -O level runs: only --enable-pass does. */
#define DL_PASS_OPT_IN 99

typedef struct dl_pass {
    const char *name;
    int level;              /* the lowest -O level that runs it, or DL_PASS_OPT_IN */
    bool required;          /* runs at every level; cannot be disabled */
    int (*run)(dl_graph *g, dl_pass_context *ctx);
    const char *what;       /* one line, for --list-passes */
} dl_pass;

/* One line of -v output: "NAME: what changed". */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void dl_pass_log(const dl_pass_context *ctx, const char *pass, const char *fmt, ...);
bool dl_pass_enabled(const dl_pass *p, const dl_pass_context *ctx);
/* The pipeline, in order. */
const dl_pass *dl_pass_list(int *count);

/* Shape inference in topological order, folding every node whose inputs are constant. */
int dl_infer_and_fold(dl_graph *g, dl_pass_context *ctx);
/* float16 legalization (legalize.c), called by the infer walk: does node n
 * read float16 while its op computes in float32? Then widen its float16
 * inputs by Cast nodes placed at nodes[at..] (returns how many), and after
 * its infer round its float32 outputs back by Cast nodes placed after it. */
bool dl_legalize_f16_wanted(const dl_node *n);
int dl_legalize_f16_inputs(dl_graph *g, int at, dl_diag *d);
int dl_legalize_f16_outputs(dl_graph *g, int at, dl_diag *d);
/* ---- rewriting passes; each returns 0 or -1 with an error in ctx->diag, keeps
 * every value's shape valid, and logs one line with dl_pass_log. */
/* simplify, bn-fold (passes/simplify.c, passes/bn_fold.c) */
/* Identity/Dropout removal; MatMul + constant bias Add -> Gemm (exact). */
int dl_simplify(dl_graph *g, dl_pass_context *ctx);
/* BatchNormalization and per-channel Mul/Add folded into Conv/ConvTranspose/Gemm/MatMul weights. */
int dl_fold_batchnorm(dl_graph *g, dl_pass_context *ctx);
/* BatchNormalization [+ Relu] or a per-channel Mul feeding only a pointwise Conv -> its input prologue */
int dl_fold_conv_prologue(dl_graph *g, dl_pass_context *ctx);
/* layout (passes/layout.c): regions of convs -> NCHW16c (ConvNCHW16c) with reorders at their edges */
int dl_select_layout(dl_graph *g, dl_pass_context *ctx);
/* Rewrite helpers (simplify.c): re-run n's setup and infer after an edit;
 * turn MatMul mm into Gemm(A, B, c) in place (c may be NULL). */
int dl_node_refresh(dl_graph *g, dl_node *n, dl_diag *d);
/* Moves the node just appended to index at, so a new node takes the place of the one it replaces. */
void dl_graph_place_last_at(dl_graph *g, int at);
/* Gives n (one output) a second output slot, NULL until set: fuse-mean's
 * means, the scratch tensors of fuse-pool and conv-tiles. False: out of memory. */
bool dl_node_add_output_slot(dl_graph *g, dl_node *n);
/* A new 1-D float value "BASE_SUFFIX" (base's name, or "conv") for a
 * kernel's scratch; its node's infer gives it its size. NULL: out of memory. */
dl_value *dl_scratch_value(dl_graph *g, const dl_value *base, const char *suffix);
int dl_matmul_to_gemm(dl_graph *g, dl_node *mm, dl_value *c, dl_diag *d);
/* 1x1-conv passes (passes/fuse_conv1x1.c) */
int dl_merge_1x1(dl_graph *g, dl_pass_context *ctx);
int dl_fold_1x1_chain(dl_graph *g, dl_pass_context *ctx);
int dl_fuse_dw_pw(dl_graph *g, dl_pass_context *ctx);
/* epilogue fusion (passes/fuse_epilogue.c) */
int dl_fuse_epilogue(dl_graph *g, dl_pass_context *ctx);
/* a grouped Conv's output channel shuffle (Reshape -> Transpose -> Reshape) done by its stores */
int dl_fuse_shuffle(dl_graph *g, dl_pass_context *ctx);
/* a GlobalAveragePool of a depthwise conv's output taken by the conv (a second output) */
int dl_fuse_mean(dl_graph *g, dl_pass_context *ctx);
/* a stem conv's MaxPool taken by the conv (runtime/kernels/conv_pool.h) */
int dl_fuse_pool(dl_graph *g, dl_pass_context *ctx);
/* 3x3 stride-1 convs -> WinogradConv (passes/winograd.c) */
int dl_winograd(dl_graph *g, dl_pass_context *ctx);
/* the other non-pointwise convs with output channels in blocks of 32 -> the channel tiles (passes/winograd.c) */
int dl_conv_tiles_pass(dl_graph *g, dl_pass_context *ctx);

/* Remove nodes whose results nobody uses. */
int dl_eliminate_dead_code(dl_graph *g, dl_pass_context *ctx);
/* Move nodes that read only constants next to their first user (keeps run-time generated weights short-lived). */
int dl_schedule(dl_graph *g, dl_pass_context *ctx);
/* Views, liveness and arena offsets. */
int dl_plan_memory(dl_graph *g, dl_pass_context *ctx);

/* Runs the standard pipeline: sort, infer+fold, dce, schedule, plan memory; verifies after each. */
int dl_run_passes(dl_graph *g, dl_pass_context *ctx);
int dl_pass_exists(const char *name);   /* for --dump-after, --enable-pass, --disable-pass */

/* The storage a value's bytes live in (follows view aliases). */
const dl_value *dl_value_storage(const dl_value *v);

#endif
