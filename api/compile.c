/* The whole pipeline behind `dlcc MODEL -o OUT.c`: frontend, passes, C backend. */
#include <string.h>

#include "dlcc/dlcc.h"
#include "passes/passes.h"

/* Generators (ConstantOfShape, Expand, Tile) whose result exceeds this stay run-time code. */
/* Constant computations whose result is larger (ConstantOfShape, Expand,
 * Tile of constants) stay as run-time code when weights are embedded in the
 * C file, which must stay small enough for a C compiler; with --weights=file
 * they are folded whatever their size (written once to NAME.weights, loaded
 * once), as a runtime folds them when it loads a model. */
#define FOLD_LIMIT_BYTES (64 << 10)
#define FOLD_LIMIT_FILE_BYTES ((int64_t)1 << 40)

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* OUT.c -> OUT + ext */
static void sibling_path(const char *out, const char *ext, char *buf, size_t size)
{
    size_t n = strlen(out);
    const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (dot && (!slash || dot > slash))
        n = (size_t)(dot - out);
    snprintf(buf, size, "%.*s%s", (int)n, out, ext);
}

static void default_name(const char *out, char *buf, size_t size)
{
    char stem[512];
    const char *slash = strrchr(out, '/');
    sibling_path(slash ? slash + 1 : out, "", stem, sizeof stem);
    dl_c_identifier(stem[0] ? stem : "model", buf, size);
}

static int check_output_kind(const char *out, dl_diag *d)
{
    if (ends_with(out, ".c"))
        return 0;
    if (ends_with(out, ".cu"))
        return dl_error(d, NULL, "'%s': the CUDA backend (.cu) is not implemented yet; write a .c file", out);
    if (ends_with(out, ".o"))
        return dl_error(d, NULL, "'%s': the LLVM backend (.o) is not implemented yet; write a .c file", out);
    return dl_error(d, NULL, "'%s': unknown output kind; the output file must end in .c", out);
}

static int emit(const dl_graph *g, const dlcc_options *opt, dl_diag *d)
{
    char name[256], h_path[4096], w_path[4096];
    if (opt->name)
        dl_c_identifier(opt->name, name, sizeof name);
    else
        default_name(opt->output_path, name, sizeof name);
    sibling_path(opt->output_path, ".h", h_path, sizeof h_path);
    sibling_path(opt->output_path, ".weights", w_path, sizeof w_path);
    dl_c_options c = {name, opt->output_path, h_path, w_path, opt->weights, opt->threads, opt->profile, opt->run_threads};
    if (dl_emit_c(g, &c, d))
        return -1;
    if (!opt->driver_path)
        return 0;
    FILE *f = fopen(opt->driver_path, "w");
    if (!f)
        return dl_error(d, NULL, "cannot write '%s'", opt->driver_path);
    int rc = dl_emit_driver(g, &c, f);
    if (fclose(f) || rc)
        return dl_error(d, NULL, "cannot write '%s'", opt->driver_path);
    return 0;
}

static char *copy_string(const char *s)
{
    char *c = dl_malloc(strlen(s) + 1);
    if (c)
        strcpy(c, s);
    return c;
}

static int fill_info(const dl_graph *g, dlcc_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->inputs = dl_malloc(sizeof(char *) * (size_t)(g->n_inputs + 1));
    info->outputs = dl_malloc(sizeof(char *) * (size_t)(g->n_outputs + 1));
    if (!info->inputs || !info->outputs)
        return -1;
    for (; info->n_inputs < g->n_inputs; info->n_inputs++)
        if (!(info->inputs[info->n_inputs] = copy_string(g->inputs[info->n_inputs]->name)))
            return -1;
    for (; info->n_outputs < g->n_outputs; info->n_outputs++)
        if (!(info->outputs[info->n_outputs] = copy_string(g->outputs[info->n_outputs]->name)))
            return -1;
    return 0;
}

void dlcc_model_info_free(dlcc_model_info *info)
{
    for (int i = 0; i < info->n_inputs; i++)
        dl_free(info->inputs[i], strlen(info->inputs[i]) + 1);
    for (int i = 0; i < info->n_outputs; i++)
        dl_free(info->outputs[i], strlen(info->outputs[i]) + 1);
    dl_free(info->inputs, sizeof(char *) * (size_t)(info->n_inputs + 1));
    dl_free(info->outputs, sizeof(char *) * (size_t)(info->n_outputs + 1));
    memset(info, 0, sizeof *info);
}

int dlcc_cpu_vector_bits(const char *name)
{
    if (name == NULL || strcmp(name, "native") == 0) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f"))
            return 512;
        return __builtin_cpu_supports("avx2") ? 256 : 0;
#else
        return 0;
#endif
    }
    if (strcmp(name, "avx512") == 0)
        return 512;
    if (strcmp(name, "avx2") == 0)
        return 256;
    return strcmp(name, "generic") == 0 ? 0 : -1;
}

dl_graph *dlcc_build_graph(const dlcc_options *opt, dl_diag *d)
{
    dl_load_options load = {opt->shapes, opt->n_shapes, opt->values, opt->n_values};
    dl_graph *g = dl_load_onnx(opt->model_path, &load, d);
    if (!g)
        return NULL;
    FILE *dump = NULL;
    if (opt->dump_after && opt->dump_path && !(dump = fopen(opt->dump_path, "w"))) {
        dl_error(d, NULL, "cannot write '%s'", opt->dump_path);
        dl_graph_free(g);
        return NULL;
    }
    int64_t fold_limit = opt->weights == DL_WEIGHTS_FILE ? FOLD_LIMIT_FILE_BYTES : FOLD_LIMIT_BYTES;
    dl_pass_context ctx = {d, opt->log, opt->dump_after, dump ? dump : stderr, opt->dump_dot, fold_limit,
                           opt->opt_level, opt->enable_passes, opt->disable_passes, opt->n_enable_passes,
                           opt->n_disable_passes, opt->cpu, dlcc_cpu_vector_bits(opt->cpu)};
    int rc = dl_run_passes(g, &ctx);
    if (dump)
        fclose(dump);
    if (rc) {
        dl_graph_free(g);
        return NULL;
    }
    return g;
}

int dlcc_compile(const dlcc_options *opt, dl_diag *d)
{
    if (check_output_kind(opt->output_path, d))
        return -1;
    dl_graph *g = dlcc_build_graph(opt, d);
    if (!g)
        return -1;
    int rc = emit(g, opt, d);
    if (rc == 0 && opt->info && fill_info(g, opt->info)) {
        dlcc_model_info_free(opt->info);
        rc = dl_error(d, NULL, "out of memory");
    }
    if (rc == 0 && opt->log)
        fprintf(opt->log, "codegen-c: %d nodes, arena %lld bytes -> %s\n", g->n_nodes, (long long)g->arena_bytes,
                opt->output_path);
    dl_graph_free(g);
    return rc;
}

const char *dlcc_pass_names(char *buf, size_t size)
{
    int n;
    const dl_pass *p = dl_pass_list(&n);
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", p[i].name);
    return buf;
}

void dlcc_list_passes(FILE *f)
{
    int n;
    const dl_pass *p = dl_pass_list(&n);
    for (int i = 0; i < n; i++) {
        char level[16];
        if (p[i].level == DL_PASS_OPT_IN)
            snprintf(level, sizeof level, "opt-in");
        else
            snprintf(level, sizeof level, "-O%d", p[i].level);
        fprintf(f, "%-22s %-9s %s\n", p[i].name, p[i].required ? "always" : level, p[i].what);
    }
}
