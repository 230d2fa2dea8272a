/* The pass manager: the pipeline in order, each pass with the lowest -O
 * level that runs it. Required passes (sort, infer, plan-memory...) run at
 * every level and cannot be disabled; the others follow -O and
 * --enable-pass / --disable-pass. The verifier runs after every pass. */
#include <stdarg.h>
#include <string.h>

#include "passes/passes.h"

static int sort_pass(dl_graph *g, dl_pass_context *ctx) { return dl_graph_sort(g, ctx->diag); }

static const dl_pass pipeline[] = {
    {"sort", 0, true, sort_pass, "topological order"},
    {"infer", 0, true, dl_infer_and_fold, "shape inference; constant folding with the reference kernels"},
    {"dce", 0, true, dl_eliminate_dead_code, "dead-code elimination"},
    /* simplify, bn-fold (passes/simplify.c, passes/bn_fold.c) */
    {"simplify", 1, false, dl_simplify, "remove Identity/Dropout; MatMul + constant bias Add -> Gemm"},
    {"bn-fold", 1, false, dl_fold_batchnorm, "fold BatchNormalization and per-channel Mul/Add into conv/gemm weights; a lone BN takes the Mul/Add after it"},
    /* 1x1-conv passes (passes/fuse_conv1x1.c) */
    {"merge-1x1", 2, false, dl_merge_1x1, "sibling 1x1 convs reading one tensor -> one conv + a channel Split"},
    {"fold-1x1-chain", 2, false, dl_fold_1x1_chain, "1x1 conv -> 1x1 conv with nothing between -> one conv"},
    /* Opt-in (--enable-pass): its tiled kernel is still slower than the depthwise and packed-GEMM
     * kernels the two convs run otherwise (MobileNetV2: 19.9 ms against 10.4 ms at -O2). */
    {"fuse-dw-pw", DL_PASS_OPT_IN, false, dl_fuse_dw_pw, "depthwise conv [-> Relu/Clip] -> 1x1 conv -> one DepthwisePointwiseConv"},
    /* epilogue fusion (passes/fuse_epilogue.c) */
    {"fuse-epilogue", 2, false, dl_fuse_epilogue, "residual Add and activation run inside the producing Conv/Gemm/MatMul/BatchNormalization"},
    {"fuse-shuffle", 2, false, dl_fuse_shuffle, "a channel shuffle (Reshape -> Transpose -> Reshape) after a grouped Conv is done by the conv's stores"},
    {"fuse-mean", 2, false, dl_fuse_mean, "a GlobalAveragePool of a depthwise conv's output is taken by the conv while each plane is in cache; of a pointwise conv only it reads, the conv gives the means alone (AVX-512 targets)"},
    /* Winograd F(4x4, 3x3) (passes/winograd.c), after fuse-epilogue: the new node keeps the Conv's epilogue */
    {"winograd", 2, false, dl_winograd, "3x3 stride-1 convs where Winograd F(4x4,3x3) is faster -> WinogradConv (weights transformed at compile time)"},
    /* after fuse-epilogue (the BN carries its Relu) and winograd (only plain Convs take it) */
    {"conv-prologue", 2, false, dl_fold_conv_prologue, "BatchNormalization [-> Relu] or a per-channel Mul feeding only a pointwise conv runs inside the conv's input packing"},
    /* after conv-prologue and winograd: a stem is neither pointwise nor 3x3 stride 1 with many channels */
    {"fuse-pool", 2, false, dl_fuse_pool, "a MaxPool of a stem conv's output is taken by the conv, its output blocked by channels in a ring of rows that stays in cache"},
    /* It takes the pointwise and depthwise Convs the others left (passes/layout.c), before
     * conv-tiles. Its other convs' kernel (3x3, 7x7...) is slower than Winograd and the conv tiles,
     * so it takes no other (light ResNet-50 with them: 59-61 ms against 57.5). */
    {"layout", 2, false, dl_select_layout, "regions of pointwise and depthwise convs on planes up to 28x28 -> blocked NCHW16c on AVX-512 targets (--cpu), where the blocked kernels save more than the reorders at the edges cost"},
    /* after winograd, fuse-pool and layout: the convs they left (passes/winograd.c) */
    {"conv-tiles", 2, false, dl_conv_tiles_pass, "on AVX-512 targets, other convs wider than 1x1 with output channels in blocks of 32 run on tiles of 32 channels x 14 pixels (weights reordered at compile time)"},
    {"dce-late", 0, true, dl_eliminate_dead_code, "dead-code elimination of what the rewrites left"},
    {"schedule", 0, true, dl_schedule, "the execution order"},
    {"plan-memory", 0, true, dl_plan_memory, "views, live ranges and offsets in one arena"},
};

#define N_PASSES ((int)(sizeof pipeline / sizeof pipeline[0]))

static bool listed(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

bool dl_pass_enabled(const dl_pass *p, const dl_pass_context *ctx)
{
    if (p->required)
        return true;
    if (listed(ctx->disabled, ctx->n_disabled, p->name))
        return false;
    return p->level <= ctx->opt_level || listed(ctx->enabled, ctx->n_enabled, p->name);
}

void dl_pass_log(const dl_pass_context *ctx, const char *pass, const char *fmt, ...)
{
    if (!ctx->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(ctx->log, "%s: ", pass);
    vfprintf(ctx->log, fmt, ap);
    fputc('\n', ctx->log);
    va_end(ap);
}

static void dump(const dl_graph *g, const dl_pass_context *ctx, const char *pass)
{
    if (!ctx->dump_after || !ctx->dump)
        return;
    if (strcmp(ctx->dump_after, "all") != 0 && strcmp(ctx->dump_after, pass) != 0)
        return;
    if (strcmp(ctx->dump_after, "all") == 0 && !ctx->dump_dot)
        fprintf(ctx->dump, "# after %s\n", pass);
    if (ctx->dump_dot)
        dl_graph_print_dot(g, ctx->dump);
    else
        dl_graph_print(g, ctx->dump);
}

int dl_run_passes(dl_graph *g, dl_pass_context *ctx)
{
    for (int i = 0; i < N_PASSES; i++) {
        const dl_pass *p = &pipeline[i];
        if (!dl_pass_enabled(p, ctx))
            continue;
        if (p->run(g, ctx))
            return -1;
        if (dl_graph_verify(g, ctx->diag))
            return dl_error(ctx->diag, NULL, "internal error: the graph is invalid after pass '%s'", p->name);
        dump(g, ctx, p->name);
    }
    return 0;
}

const dl_pass *dl_pass_list(int *count)
{
    *count = N_PASSES;
    return pipeline;
}

int dl_pass_exists(const char *name)
{
    for (int i = 0; i < N_PASSES; i++)
        if (strcmp(pipeline[i].name, name) == 0)
            return 1;
    return 0;
}
