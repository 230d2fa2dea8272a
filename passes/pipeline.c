/* The standard pass pipeline. */
#include <string.h>

#include "passes/passes.h"

static int sort_pass(dl_graph *g, dl_pass_context *ctx) { return dl_graph_sort(g, ctx->diag); }

static const dl_pass pipeline[] = {
    {"sort", sort_pass},
    {"infer", dl_infer_and_fold},
    {"dce", dl_eliminate_dead_code},
    {"schedule", dl_schedule},
    {"plan-memory", dl_plan_memory},
};

int dl_run_passes(dl_graph *g, dl_pass_context *ctx)
{
    for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++) {
        const dl_pass *p = &pipeline[i];
        if (p->run(g, ctx))
            return -1;
        if (dl_graph_verify(g, ctx->diag))
            return dl_error(ctx->diag, NULL, "internal error: the graph is invalid after pass '%s'", p->name);
        if (ctx->dump_after && ctx->dump && strcmp(ctx->dump_after, p->name) == 0) {
            if (ctx->dump_dot)
                dl_graph_print_dot(g, ctx->dump);
            else
                dl_graph_print(g, ctx->dump);
        }
    }
    return 0;
}

int dl_pass_exists(const char *name)
{
    for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++)
        if (strcmp(pipeline[i].name, name) == 0)
            return 1;
    return 0;
}
