/* The C backend: the generated file reads top to bottom as includes, the
 * kernels this model uses, its constants, then NAME_run in execution order. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/c/codegen_c.h"
#include "codegen/c/lower_c.h"
#include "codegen/c/weights.h"
#include "ir/ops/op.h"
#include "passes/passes.h"

void dl_c_identifier(const char *name, char *out, size_t size)
{
    size_t at = 0;
    if (!isalpha((unsigned char)name[0]) && name[0] != '_' && at + 1 < size)
        out[at++] = 't';
    for (const char *p = name; *p && at + 1 < size; p++)
        out[at++] = isalnum((unsigned char)*p) ? *p : '_';
    out[at] = 0;
}

void dl_file_safe_name(const char *name, char *out, size_t size)
{
    size_t at = 0;
    for (const char *p = name; *p && at + 1 < size; p++)
        out[at++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_') ? *p : '_';
    out[at] = 0;
    if (at == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, size, "output");
}

/* ---------------------------------------------------------- parameter names */

typedef struct signature {
    char **names;      /* per graph input then output */
    int n;
    const char **by_value; /* per value id: the parameter that holds it */
} signature;

static bool is_reserved(const char *s)
{
    static const char *const words[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Complex", "_Imaginary", "bool", "true", "false", "NULL", "main", "memcpy", "w_f32", "w_i64",
        "par", "ctx"}; /* par: the kernels' thread context; ctx: NAME_run_in's */
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return true;
    return strncmp(s, "dlk_", 4) == 0 || strncmp(s, "w_", 2) == 0;
}

static bool name_taken(char **names, int n, const char *s)
{
    if (is_reserved(s))
        return true;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return true;
    return strcmp(s, "workspace") == 0 || strcmp(s, "arena") == 0;
}

static int make_signature(const dl_graph *g, signature *s)
{
    s->n = g->n_inputs + g->n_outputs;
    s->names = dl_malloc(sizeof(char *) * (size_t)(s->n + 1));
    if (s->names)
        memset(s->names, 0, sizeof(char *) * (size_t)(s->n + 1));
    s->by_value = dl_malloc(sizeof(char *) * (size_t)(g->n_values + 1));
    if (!s->names || !s->by_value)
        return -1;
    memset(s->by_value, 0, sizeof(char *) * (size_t)(g->n_values + 1));
    for (int i = 0; i < s->n; i++) {
        const dl_value *v = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];
        char name[200], base[210], unique[230];
        dl_c_identifier(v->name, name, sizeof name);
        /* A name in the generated code's own namespaces (w_*, dlk_*, keywords) gets a prefix;
           suffixes alone would keep it there. */
        snprintf(base, sizeof base, is_reserved(name) ? "p_%s" : "%s", name);
        snprintf(unique, sizeof unique, "%s", base);
        for (int k = 2; name_taken(s->names, i, unique); k++)
            snprintf(unique, sizeof unique, "%s_%d", base, k);
        s->names[i] = dl_malloc(strlen(unique) + 1);
        if (!s->names[i])
            return -1;
        strcpy(s->names[i], unique);
        if (!s->by_value[v->id] && !v->data)
            s->by_value[v->id] = s->names[i];
    }
    return 0;
}

static void free_signature(const dl_graph *g, signature *s)
{
    for (int i = 0; s->names && i < s->n; i++)
        if (s->names[i])
            dl_free(s->names[i], strlen(s->names[i]) + 1);
    dl_free(s->names, sizeof(char *) * (size_t)(s->n + 1));
    dl_free(s->by_value, sizeof(char *) * (size_t)(g->n_values + 1));
}

/* "const float *x, float *y, void *workspace" */
static void write_params(FILE *f, const dl_graph *g, const signature *s)
{
    for (int i = 0; i < s->n; i++) {
        const dl_value *v = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];
        fprintf(f, "%s%s%s *%s", i ? ", " : "", i < g->n_inputs ? "const " : "", dl_dtype_ctype(v->dtype), s->names[i]);
    }
    fprintf(f, "%svoid *workspace", s->n ? ", " : "");
}

/* "x, y, workspace" */
static void write_args(FILE *f, const signature *s)
{
    for (int i = 0; i < s->n; i++)
        fprintf(f, "%s, ", s->names[i]);
    fprintf(f, "workspace");
}

static void write_prototype(FILE *f, const dl_graph *g, const dl_c_options *opt, const signature *s)
{
    fprintf(f, "int %s_run(", opt->name);
    write_params(f, g, s);
    fprintf(f, ")");
}

/* ------------------------------------------------------------------ header */

static void write_tensor_macros(FILE *f, const char *upper, const char *kind, int i, const dl_value *v)
{
    fprintf(f, "#define %s_%s_%d_NAME \"%s\"\n", upper, kind, i, v->name);
    fprintf(f, "#define %s_%s_%d_RANK %d\n", upper, kind, i, v->rank);
    fprintf(f, "#define %s_%s_%d_SHAPE {", upper, kind, i);
    for (int k = 0; k < v->rank; k++)
        fprintf(f, k ? ", %" PRId64 : "%" PRId64, v->dims[k]);
    fprintf(f, v->rank ? "}\n" : "1}\n");
    fprintf(f, "#define %s_%s_%d_SIZE %" PRId64 "\n", upper, kind, i, dl_value_numel(v));
    fprintf(f, "#define %s_%s_%d_DTYPE %d /* %s */\n", upper, kind, i, (int)v->dtype, dl_dtype_name(v->dtype));
}

/* --threads: the pool's state type (a kernel section, so the caller can own the context) and the API. */
static void write_header_threads(FILE *f, const dl_graph *g, const dl_c_options *opt, const signature *s,
                                 const dl_section *state)
{
    const char *m = opt->name;
    fprintf(f, "\n/* Threads (dlcc --threads). A context holds a pool of threads-1 workers that %s_run_in shares\n"
               "   each layer with (the calling thread takes a share too); 1 thread starts none. Initialise it once,\n"
               "   do not copy or move it, free it at the end; one run at a time per context. Link with -pthread. */\n",
            m);
    fprintf(f, "#ifndef DLK_THREADPOOL_STATE_DEFINED\n#define DLK_THREADPOOL_STATE_DEFINED\n");
    fwrite(state->body, 1, state->body_len, f);
    fprintf(f, "#endif\n\ntypedef struct %s_context {\n    dlk_threadpool pool;\n} %s_context;\n\n", m, m);
    fprintf(f, "/* threads: 1 to 64 (fewer counts as 1, more as 64). Returns 0, or -1 if the threads could not\n"
               "   start; the context then runs on one thread and must still be freed. */\n");
    fprintf(f, "int %s_context_init(%s_context *ctx, int threads);\n", m, m);
    fprintf(f, "void %s_context_free(%s_context *ctx);\n", m, m);
    fprintf(f, "/* %s_run on the context's threads. */\nint %s_run_in(%s_context *ctx, ", m, m, m);
    write_params(f, g, s);
    fprintf(f, ");\n");
}

static void write_header_profile(FILE *f, const dl_c_options *opt)
{
    fprintf(f, "\n/* Profiling (dlcc --profile): every run adds each node's time to a static table, so the runs of\n"
               "   a profile build must not overlap. %s_profile_print writes the nodes, slowest first: name, op\n"
               "   (+ the ops fused into it), calls, total ms, ms per call, %% of the run time. */\n", opt->name);
    fprintf(f, "void %s_profile_print(FILE *f);\nvoid %s_profile_reset(void);\n", opt->name, opt->name);
}

static void write_header(FILE *f, const dl_graph *g, const dl_c_options *opt, const signature *s, int64_t weights_bytes,
                         const dl_section *threadpool_state)
{
    char upper[200];
    size_t i;
    for (i = 0; opt->name[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)opt->name[i]);
    upper[i] = 0;
    fprintf(f, "/* Generated by dlcc %s from %s. */\n", DLCC_VERSION, g->file);
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n", upper, upper);
    if (opt->threads)
        fprintf(f, "#include <pthread.h>\n");
    if (opt->profile)
        fprintf(f, "#include <stdio.h>\n");
    fprintf(f, "\n");
    fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    fprintf(f, "/* Bytes of scratch memory NAME_run needs; pass it 64-byte aligned. */\n");
    fprintf(f, "#define %s_ARENA_BYTES %" PRId64 "\n", upper, g->arena_bytes > 0 ? g->arena_bytes : 16);
    fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", upper, g->n_inputs, upper, g->n_outputs);
    for (int k = 0; k < g->n_inputs; k++)
        write_tensor_macros(f, upper, "INPUT", k, g->inputs[k]);
    for (int k = 0; k < g->n_outputs; k++)
        write_tensor_macros(f, upper, "OUTPUT", k, g->outputs[k]);
    fprintf(f, "\n/* Runs the model: inputs, then outputs, then the workspace. Returns 0, or a negative error");
    for (int k = 0; k < g->n_inputs; k++)
        if (g->inputs[k]->data) {
            fprintf(f, ":\n   -2 when an input fixed at compile time (dlcc --bind) is given another value");
            break;
        }
    fprintf(f, ". */\n");
    write_prototype(f, g, opt, s);
    fprintf(f, ";\n");
    if (opt->weights == DL_WEIGHTS_FILE) {
        fprintf(f, "\n/* Weights live in a separate file (dlcc --weights=file); load it once before %s_run.\n"
                   "   Returns 0, -1 if the file cannot be read, -2 if it is not this model's. */\n", opt->name);
        fprintf(f, "#define %s_WEIGHTS_BYTES %" PRId64 "\n", upper, weights_bytes);
        fprintf(f, "int %s_load_weights(const char *path);\n", opt->name);
    }
    if (opt->threads)
        write_header_threads(f, g, opt, s, threadpool_state);
    if (opt->profile)
        write_header_profile(f, opt);
    fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ------------------------------------------------------------ the body */

/* With profile, each node's code is timed into row k of the profile table (live nodes in order). */
static int lower_nodes(const dl_graph *g, struct dl_lower *l, bool profile, dl_diag *d)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        dl_lower_node_begin(l, n);
        if (profile)
            fprintf(l->out, "    dlk_prof_t = dlk_prof_now();\n");
        if (n->op->lower((dl_graph *)g, n, l, d))
            return -1;
        dl_lower_node_end(l, n);
        if (profile)
            fprintf(l->out, "    dlk_prof_add(%d, dlk_prof_t);\n", k++);
        if (l->failed)
            return dl_error(d, n, "code generation failed: %s", l->error);
    }
    return 0;
}

static int live_nodes(const dl_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i]->dead;
    return n;
}

/* s as a C string literal: quotes, backslashes and bytes outside printable ASCII escaped. */
static void write_c_string(FILE *f, const char *s, char comma_to)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ',' && comma_to)
            fputc(comma_to, f);
        else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 32 || *p > 126 || *p == '?') /* '?': no trigraphs */
            fprintf(f, "\\%03o", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Graph outputs that no node wrote into the caller's buffer: constants, inputs, repeated outputs. */
static void copy_outputs(const dl_graph *g, struct dl_lower *l, const signature *s)
{
    for (int k = 0; k < g->n_outputs; k++) {
        const dl_value *v = g->outputs[k];
        const char *param = s->names[g->n_inputs + k];
        if (s->by_value[v->id] == param)
            continue;
        char src[256];
        dl_lower_value_expr(l, v, src, sizeof src);
        fprintf(l->out, "\n    /* graph output '%s' */\n    memcpy(%s, %s, %" PRId64 ");\n", v->name, param, src,
                dl_value_bytes(v));
    }
}

/* An input fixed at compile time (--bind): the bytes it was compiled for. */
static void write_bound_values(FILE *f, const dl_graph *g)
{
    for (int k = 0; k < g->n_inputs; k++) {
        const dl_value *v = g->inputs[k];
        int64_t bytes = dl_value_bytes(v);
        if (!v->data)
            continue;
        fprintf(f, "/* input '%s', fixed with --bind */\nstatic const unsigned char bound_%d[%" PRId64 "] = {", v->name,
                k, bytes > 0 ? bytes : 1);
        for (int64_t i = 0; i < bytes; i++)
            fprintf(f, "%s%s%u", i ? "," : "", i % 24 == 0 ? "\n    " : "", ((const unsigned char *)v->data)[i]);
        fprintf(f, bytes > 0 ? "\n};\n" : "0};\n");
    }
}

static void write_bound_checks(FILE *f, const dl_graph *g, const signature *s)
{
    for (int k = 0; k < g->n_inputs; k++)
        if (g->inputs[k]->data)
            fprintf(f, "    if (memcmp(%s, bound_%d, %" PRId64 ") != 0)\n        return -2; /* not the --bind value */\n",
                    s->names[k], k, dl_value_bytes(g->inputs[k]));
}

/* --profile: the node table, the clock, NAME_profile_reset and NAME_profile_print. */
static void write_profile_support(FILE *f, const dl_graph *g, const dl_c_options *opt)
{
    int n = live_nodes(g), rows = n > 0 ? n : 1;
    fprintf(f, "\n/* ---- profile (dlcc --profile) ---- */\n\n");
    fprintf(f, "/* Seconds and calls per node, summed over runs: static, mutable state that only profile builds\n"
               "   have (runs must not overlap). Row k is the k-th node of %s_run. */\n", opt->name);
    fprintf(f, "#define DLK_PROF_NODES %d\n", n);
    for (int pass = 0; pass < 2; pass++) {
        fprintf(f, "static const char *const dlk_prof_%s[%d] = {", pass ? "op" : "node", rows);
        int k = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            const dl_node *nd = g->nodes[i];
            if (nd->dead)
                continue;
            fprintf(f, "%s\n    ", k++ ? "," : "");
            bool unnamed = !nd->name[0] && nd->n_outputs > 0 && nd->outputs[0];
            if (pass == 0) /* a node without a name goes by its first output */
                write_c_string(f, unnamed ? nd->outputs[0]->name : nd->name, 0);
            else if (nd->fused && nd->fused[0]) {
                char op[512];
                snprintf(op, sizeof op, "%s+%s", nd->op_type, nd->fused);
                write_c_string(f, op, '+');
            } else
                write_c_string(f, nd->op_type, 0);
        }
        fprintf(f, n ? "\n};\n" : "\"\"};\n");
    }
    fprintf(f, "static double dlk_prof_seconds[%d];\nstatic long dlk_prof_calls[%d];\n", rows, rows);
    fprintf(f, "static double dlk_prof_run_seconds;\nstatic long dlk_prof_runs;\n\n");
    fprintf(f, "static double dlk_prof_now(void)\n{\n    struct timespec t;\n    clock_gettime(CLOCK_MONOTONIC, &t);\n"
               "    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;\n}\n\n");
    if (n > 0) /* a graph folded to constants has no node to time */
        fprintf(f, "static void dlk_prof_add(int node, double since)\n{\n    dlk_prof_seconds[node] += dlk_prof_now() - since;\n"
                   "    dlk_prof_calls[node]++;\n}\n\n");
    fprintf(f, "void %s_profile_reset(void)\n{\n    memset(dlk_prof_seconds, 0, sizeof dlk_prof_seconds);\n"
               "    memset(dlk_prof_calls, 0, sizeof dlk_prof_calls);\n    dlk_prof_run_seconds = 0;\n"
               "    dlk_prof_runs = 0;\n}\n\n", opt->name);
    fprintf(f, "void %s_profile_print(FILE *f)\n{\n    int order[%d], i, j, k;\n"
               "    double run = dlk_prof_run_seconds, sum = 0;\n", opt->name, rows);
    fprintf(f, "    for (i = 0; i < DLK_PROF_NODES; i++) { /* insertion sort, slowest first */\n"
               "        sum += dlk_prof_seconds[i];\n"
               "        for (j = i; j > 0 && dlk_prof_seconds[order[j - 1]] < dlk_prof_seconds[i]; j--)\n"
               "            order[j] = order[j - 1];\n        order[j] = i;\n    }\n"
               "    if (run <= 0)\n        run = sum;\n");
    fprintf(f, "    fprintf(f, \"profile of %s: %%ld runs, %%.3f ms per run, %%d nodes (%%.3f ms per run inside them)\\n\",\n"
               "            dlk_prof_runs, dlk_prof_runs ? 1e3 * run / (double)dlk_prof_runs : 0.0, DLK_PROF_NODES,\n"
               "            dlk_prof_runs ? 1e3 * sum / (double)dlk_prof_runs : 0.0);\n", opt->name);
    fprintf(f, "    fprintf(f, \"%%-40s %%-36s %%8s %%12s %%10s %%7s\\n\", \"node\", \"op\", \"calls\", \"total_ms\", "
               "\"ms/call\", \"%%run\");\n");
    fprintf(f, "    for (i = 0; i < DLK_PROF_NODES; i++) {\n        k = order[i];\n"
               "        fprintf(f, \"%%-40s %%-36s %%8ld %%12.3f %%10.4f %%7.2f\\n\", dlk_prof_node[k], dlk_prof_op[k],\n"
               "                dlk_prof_calls[k], 1e3 * dlk_prof_seconds[k],\n"
               "                dlk_prof_calls[k] ? 1e3 * dlk_prof_seconds[k] / (double)dlk_prof_calls[k] : 0.0,\n"
               "                run > 0 ? 100 * dlk_prof_seconds[k] / run : 0.0);\n    }\n}\n");
}

/* --threads: NAME_run (one thread), the context functions and NAME_run_in. With no kernel taking par the
   model has no NAME_run_par and NAME_run_in just calls NAME_run. */
static void write_threads_api(FILE *f, const dl_graph *g, const dl_c_options *opt, const signature *s, bool par)
{
    const char *m = opt->name;
    fprintf(f, "\n/* ---- threads (dlcc --threads) ---- */\n");
    if (par) {
        fprintf(f, "\n");
        write_prototype(f, g, opt, s);
        fprintf(f, "\n{\n    return %s_run_par(NULL, ", m);
        write_args(f, s);
        fprintf(f, ");\n}\n");
    }
    fprintf(f, "\nint %s_context_init(%s_context *ctx, int threads)\n{\n"
               "    return dlk_threadpool_init(&ctx->pool, threads);\n}\n", m, m);
    fprintf(f, "\nvoid %s_context_free(%s_context *ctx)\n{\n    dlk_threadpool_free(&ctx->pool);\n}\n", m, m);
    fprintf(f, "\nint %s_run_in(%s_context *ctx, ", m, m);
    write_params(f, g, s);
    if (!par) {
        fprintf(f, ")\n{\n    (void)ctx; /* no kernel of this model splits its work */\n    return %s_run(", m);
        write_args(f, s);
        fprintf(f, ");\n}\n");
        return;
    }
    fprintf(f, ")\n{\n    dlk_par par;\n    if (ctx->pool.threads <= 1)\n        return %s_run_par(NULL, ", m);
    write_args(f, s);
    fprintf(f, ");\n    par.threads = ctx->pool.threads;\n    par.run = dlk_threadpool_par_run;\n"
               "    par.pool = &ctx->pool;\n    return %s_run_par(&par, ", m);
    write_args(f, s);
    fprintf(f, ");\n}\n");
}

static void write_includes(FILE *f, const dl_c_options *opt)
{
    if (opt->threads || opt->profile)
        fprintf(f, "#define _POSIX_C_SOURCE 200809L /* %s */\n",
                opt->threads && opt->profile ? "pthreads, clock_gettime" : opt->threads ? "pthreads" : "clock_gettime");
    fprintf(f, "#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n");
    if (opt->weights == DL_WEIGHTS_FILE || opt->profile)
        fprintf(f, "#include <stdio.h>\n");
    if (opt->threads)
        fprintf(f, "#include <pthread.h>\n");
    if (opt->profile)
        fprintf(f, "#include <time.h>\n");
}

static bool needs_section(const struct dl_lower *l, const char *name)
{
    int i = dl_section_find(l->sections, name, strlen(name));
    return i >= 0 && l->needed[i];
}

static void write_source(FILE *f, const dl_graph *g, const dl_c_options *opt, const signature *s,
                         const struct dl_lower *l, const char *body, const char *header_name)
{
    fprintf(f, "/* Generated by dlcc %s from %s: %d nodes, arena %" PRId64 " bytes.\n", DLCC_VERSION, g->file,
            g->n_nodes, g->arena_bytes);
    fprintf(f, "   C99; compile with -lm%s. Do not edit: regenerate with dlcc. */\n", opt->threads ? " -pthread" : "");
    write_includes(f, opt);
    fprintf(f, "\n#include \"%s\"\n", header_name);

    fprintf(f, "\n/* ---- kernels ---- */\n\n");
    bool *done = calloc((size_t)l->sections->n + 1, 1);
    int state = dl_section_find(l->sections, "dlk_threadpool_state", strlen("dlk_threadpool_state"));
    if (done && opt->threads && state >= 0)
        done[state] = true; /* the header has it */
    for (int i = 0; done && i < l->sections->n; i++)
        if (l->needed[i])
            dl_section_emit(l->sections, i, done, f);
    free(done);

    fprintf(f, "/* ---- constants ---- */\n\n");
    if (opt->weights == DL_WEIGHTS_FILE)
        dl_write_weights_loader(f, l, opt->name);
    else
        for (int p = 0; p < l->n_pools; p++)
            dl_write_pool(f, g, l, p);

    write_bound_values(f, g);
    if (opt->profile)
        write_profile_support(f, g, opt);

    /* Kernels that split their work take par: NULL in NAME_run (one thread); with --threads the body is
       NAME_run_par, which NAME_run and NAME_run_in call. */
    bool par = needs_section(l, "dlk_parallel");
    fprintf(f, "\n/* ---- the model ---- */\n\n");
    if (opt->threads && par) {
        fprintf(f, "static int %s_run_par(const dlk_par *par, ", opt->name);
        write_params(f, g, s);
        fprintf(f, ")");
    } else {
        write_prototype(f, g, opt, s);
    }
    fprintf(f, "\n{\n    unsigned char *arena = (unsigned char *)workspace;\n    (void)arena;\n");
    for (int i = 0; i < s->n; i++) /* an input the graph never reads (Shape, Size) is still a parameter */
        fprintf(f, "    (void)%s;\n", s->names[i]);
    if (par && !opt->threads)
        fprintf(f, "    const dlk_par *par = NULL;\n");
    if (opt->weights == DL_WEIGHTS_FILE)
        fprintf(f, "    if (!weights_loaded)\n        return -1;\n");
    write_bound_checks(f, g, s);
    if (opt->profile)
        fprintf(f, "    double dlk_prof_start = dlk_prof_now()%s;\n", live_nodes(g) ? ", dlk_prof_t" : "");
    fputs(body, f);
    if (opt->profile)
        fprintf(f, "    dlk_prof_run_seconds += dlk_prof_now() - dlk_prof_start;\n    dlk_prof_runs++;\n");
    fprintf(f, "    return 0;\n}\n");
    if (opt->threads)
        write_threads_api(f, g, opt, s, par);
}

/* ------------------------------------------------------------ files */

typedef struct out_file {
    const char *path;
    char tmp[4096];
    FILE *f;
} out_file;

static int open_tmp(out_file *o, dl_diag *d)
{
    snprintf(o->tmp, sizeof o->tmp, "%s.tmpXXXXXX", o->path);
    int fd = mkstemp(o->tmp);
    if (fd >= 0) { /* mkstemp makes 0600; give the file the mode an ordinary create would */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        o->tmp[0] = 0;
        return dl_error(d, NULL, "cannot write '%s': %s", o->path, strerror(errno));
    }
    return 0;
}

/* Closes o; with keep, moves it into place. Returns -1 if it could not be kept. */
static int close_tmp(out_file *o, bool keep, dl_diag *d)
{
    int rc = 0;
    if (o->f && (ferror(o->f) | fclose(o->f)) && keep)
        rc = dl_error(d, NULL, "cannot write '%s': %s", o->path, strerror(errno));
    o->f = NULL;
    if (!o->tmp[0])
        return rc;
    if (keep && rc == 0 && rename(o->tmp, o->path) == 0)
        return 0;
    if (keep && rc == 0)
        rc = dl_error(d, NULL, "cannot write '%s': %s", o->path, strerror(errno));
    unlink(o->tmp);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int dl_emit_c(const dl_graph *g, const dl_c_options *opt, dl_diag *d)
{
    static dl_sections sections;  /* read-only after load; large, so not on the stack */
    if (dl_sections_load(&sections))
        return dl_error(d, NULL, "internal error: the embedded kernel sources are malformed");
    signature s = {0};
    struct dl_lower l;
    char *body = NULL;
    size_t body_size = 0;
    int rc = -1;
    FILE *body_f = open_memstream(&body, &body_size);
    dl_lower_init(&l, g, body_f, &sections);
    if (!body_f || l.failed || make_signature(g, &s)) {
        dl_error(d, NULL, "out of memory in code generation");
        goto done;
    }
    l.param_names = s.by_value;
    if (lower_nodes(g, &l, opt->profile, d))
        goto done;
    int state = dl_section_find(&sections, "dlk_threadpool_state", strlen("dlk_threadpool_state"));
    if (opt->threads) {
        if (state < 0 || dl_section_find(&sections, "dlk_threadpool_par", strlen("dlk_threadpool_par")) < 0) {
            dl_error(d, NULL, "internal error: the embedded kernels have no thread pool (runtime/kernels/threadpool.h)");
            goto done;
        }
        dl_lower_need(&l, "dlk_threadpool");
        if (needs_section(&l, "dlk_parallel"))
            dl_lower_need(&l, "dlk_threadpool_par");
    }
    copy_outputs(g, &l, &s);
    fclose(body_f);
    body_f = NULL;

    out_file files[3] = {{opt->c_path, "", NULL}, {opt->h_path, "", NULL}, {opt->weights_path, "", NULL}};
    int n_files = opt->weights == DL_WEIGHTS_FILE ? 3 : 2;
    bool ok = true;
    for (int i = 0; i < n_files && ok; i++)
        ok = open_tmp(&files[i], d) == 0;
    if (ok) {
        write_source(files[0].f, g, opt, &s, &l, body, base_name(opt->h_path));
        write_header(files[1].f, g, opt, &s, dl_weights_file_bytes(&l), state >= 0 ? &sections.items[state] : NULL);
        if (n_files == 3)
            ok = dl_write_weights_file(files[2].f, g, &l) == 0;
    }
    for (int i = 0; i < n_files; i++)
        if (files[i].f && ferror(files[i].f))
            ok = false;
    /* Close all; move into place only if every file was written. */
    bool placed[3] = {false, false, false};
    for (int i = 0; i < n_files; i++) {
        if (close_tmp(&files[i], ok, d))
            ok = false;
        else
            placed[i] = ok;
    }
    if (!ok)
        for (int i = 0; i < n_files; i++)
            if (placed[i])
                unlink(files[i].path);
    rc = ok ? 0 : -1;
done:
    if (body_f)
        fclose(body_f);
    free(body);
    dl_lower_free(&l);
    free_signature(g, &s);
    return rc;
}
