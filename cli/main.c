/* dlcc: compile an ONNX model to C. Subcommands: run, compare. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ir/ops/op.h"
#include "passes/passes.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dlcc MODEL.onnx -o OUT.c [options]\n"
            "       dlcc run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR [options]\n"
            "       dlcc compare MODEL.onnx DATASET_DIR [--rtol R] [--atol A] [options]\n"
            "\n"
            "Compiles an ONNX model into C99 code (OUT.c and OUT.h) that needs no runtime library.\n"
            "\n"
            "options:\n"
            "  -o OUT.c               the generated source; OUT.h (and OUT.weights) are written beside it\n"
            CLI_COMPILE_HELP
            "  --threads              also generate NAME_context, NAME_context_init(ctx, threads),\n"
            "                         NAME_context_free(ctx) and NAME_run_in(ctx, ...): the run on a pool of\n"
            "                         threads (pthreads; link with -pthread); NAME_run stays one-threaded\n"
            "  --list-ops             list the supported ONNX operators\n"
            "  --list-passes          list the passes, the -O level that runs each, what it does\n"
            "  --report               print the memory plan (per tensor offset, size, live range; arena,\n"
            "                         naive sum, max-live bound, weight bytes) instead of writing files\n"
            "  --help, --version\n"
            "\n"
            "Run 'dlcc run --help' or 'dlcc compare --help' for the subcommands.\n");
}

void cli_print_diag(const dl_diag *d)
{
    for (int i = 0; i < d->n_messages; i++)
        fprintf(stderr, "dlcc: error: %s\n", d->messages[i]);
    if (d->out_of_memory)
        fprintf(stderr, "dlcc: error: out of memory\n");
}

static int parse_shape(dl_shape_binding *b, const char *arg)
{
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "dlcc: error: --shape '%s': expected INPUT=d,d,... (e.g. x=1,3,224,224)\n", arg);
        return -1;
    }
    char *name = malloc((size_t)(eq - arg) + 1);
    if (!name)
        return -1;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    b->input = name;
    b->rank = 0;
    for (const char *p = eq + 1; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || (*end && *end != ',') || b->rank == DL_MAX_RANK) {
            fprintf(stderr, "dlcc: error: --shape '%s': dims must be non-negative integers separated by commas (at most %d)\n",
                    arg, DL_MAX_RANK);
            return -1;
        }
        b->dims[b->rank++] = v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int parse_value_binding(dl_value_binding *b, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "dlcc: error: --bind '%s': expected INPUT=FILE (a .npy or a TensorProto .pb)\n", arg);
        return -1;
    }
    char *name = malloc((size_t)(eq - arg) + 1);
    if (!name)
        return -1;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    b->input = name;
    b->path = eq + 1;
    return 0;
}

void cli_compile_args_free(compile_args *a)
{
    for (int i = 0; i < a->opt.n_shapes; i++)
        free((char *)a->shapes[i].input);
    for (int i = 0; i < a->opt.n_values; i++)
        free((char *)a->values[i].input);
}

static int check_pass_name(const char *option, const char *name)
{
    char names[1024];
    if (dl_pass_exists(name))
        return 0;
    fprintf(stderr, "dlcc: error: %s=%s: no such pass (passes: %s)\n", option, name,
            dlcc_pass_names(names, sizeof names));
    return -1;
}

int cli_parse_threads(const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end || n < 1 || n > 64) {
        fprintf(stderr, "dlcc: error: --threads %s: expected a thread count from 1 to 64\n", arg);
        return -1;
    }
    return (int)n;
}

void cli_compile_args_init(compile_args *a)
{
    memset(a, 0, sizeof *a);
    a->opt.opt_level = 2;
}

int cli_compile_option(compile_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_NAME: a->opt.name = arg; return 1;
    case OPT_SHAPE:
        if (a->opt.n_shapes == MAX_SHAPES) {
            fprintf(stderr, "dlcc: error: at most %d --shape options\n", MAX_SHAPES);
            return -1;
        }
        if (parse_shape(&a->shapes[a->opt.n_shapes], arg))
            return -1;
        a->opt.n_shapes++;
        a->opt.shapes = a->shapes;
        return 1;
    case OPT_BIND:
        if (a->opt.n_values == MAX_SHAPES) {
            fprintf(stderr, "dlcc: error: at most %d --bind options\n", MAX_SHAPES);
            return -1;
        }
        if (parse_value_binding(&a->values[a->opt.n_values], arg))
            return -1;
        a->opt.n_values++;
        a->opt.values = a->values;
        return 1;
    case OPT_WEIGHTS:
        if (strcmp(arg, "embed") == 0)
            a->opt.weights = DL_WEIGHTS_EMBED;
        else if (strcmp(arg, "file") == 0)
            a->opt.weights = DL_WEIGHTS_FILE;
        else {
            fprintf(stderr, "dlcc: error: --weights=%s: expected embed or file\n", arg);
            return -1;
        }
        return 1;
    case OPT_DUMP_AFTER:
        if (strcmp(arg, "all") != 0 && check_pass_name("--dump-after", arg))
            return -1;
        a->opt.dump_after = arg;
        return 1;
    case OPT_ENABLE_PASS:
    case OPT_DISABLE_PASS: {
        bool enable = opt == OPT_ENABLE_PASS;
        int *n = enable ? &a->opt.n_enable_passes : &a->opt.n_disable_passes;
        if (check_pass_name(enable ? "--enable-pass" : "--disable-pass", arg))
            return -1;
        if (*n == MAX_SHAPES) {
            fprintf(stderr, "dlcc: error: at most %d --enable-pass/--disable-pass options\n", MAX_SHAPES);
            return -1;
        }
        (enable ? a->enable : a->disable)[(*n)++] = arg;
        a->opt.enable_passes = a->enable;
        a->opt.disable_passes = a->disable;
        return 1;
    }
    case OPT_DUMP_FILE: a->opt.dump_path = arg; return 1;
    case OPT_DUMP_FORMAT:
        if (strcmp(arg, "dot") != 0 && strcmp(arg, "text") != 0) {
            fprintf(stderr, "dlcc: error: --dump-format=%s: expected text or dot\n", arg);
            return -1;
        }
        a->opt.dump_dot = strcmp(arg, "dot") == 0;
        return 1;
    case OPT_PROFILE: a->opt.profile = true; return 1;
    case OPT_CPU:
        if (dlcc_cpu_vector_bits(arg) < 0) {
            fprintf(stderr, "dlcc: error: --cpu=%s: expected native, avx512, avx2 or generic\n", arg);
            return -1;
        }
        a->opt.cpu = arg;
        return 1;
    case 'v': a->verbose = true; a->opt.log = stderr; return 1;
    case 'O':
        if (!arg || !strchr("0123", arg[0]) || !arg[0] || arg[1]) {
            fprintf(stderr, "dlcc: error: -O%s: expected -O0, -O1, -O2 or -O3\n", arg ? arg : "");
            return -1;
        }
        a->opt.opt_level = arg[0] - '0';
        return 1;
    default: return 0;
    }
}

static void list_ops(void)
{
    int n;
    const dl_op *const *ops = dl_op_all(&n);
    for (int i = 0; i < n; i++)
        if (ops[i] && !(ops[i]->flags & DL_OP_INTERNAL))
            printf("%s\n", ops[i]->name);
}

static int compile_command(int argc, char **argv)
{
    static const struct option longs[] = {
        CLI_COMPILE_LONG_OPTIONS,
        {"output", required_argument, NULL, 'o'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"list-ops", no_argument, NULL, OPT_LIST_OPS},
        {"list-passes", no_argument, NULL, OPT_LIST_PASSES},
        {"report", no_argument, NULL, OPT_REPORT},
        {"threads", no_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    compile_args a;
    cli_compile_args_init(&a);
    bool report = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:vO:", longs, NULL)) != -1) {
        int used = cli_compile_option(&a, c, optarg);
        if (used < 0)
            return 1;
        if (used)
            continue;
        switch (c) {
        case 'o': a.opt.output_path = optarg; break;
        case OPT_HELP: usage(stdout); return 0;
        case OPT_VERSION: printf("dlcc %s\n", DLCC_VERSION); return 0;
        case OPT_LIST_OPS: list_ops(); return 0;
        case OPT_LIST_PASSES: dlcc_list_passes(stdout); return 0;
        case OPT_REPORT: report = true; break;
        case OPT_THREADS: a.opt.threads = true; break;
        default: usage(stderr); return 1;
        }
    }
    if (optind != argc - 1 || (!a.opt.output_path && !report)) {
        fprintf(stderr, optind >= argc ? "dlcc: error: no model given\n"
                        : optind < argc - 1 ? "dlcc: error: one model at a time\n"
                                            : "dlcc: error: no output given (-o OUT.c)\n");
        usage(stderr);
        return 1;
    }
    a.opt.model_path = argv[optind];
    dl_diag d;
    dl_diag_init(&d, a.opt.model_path);
    int rc = report ? dlcc_report(&a.opt, stdout, &d) : dlcc_compile(&a.opt, &d);
    cli_print_diag(&d);
    dl_diag_free(&d);
    cli_compile_args_free(&a);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cli_run_command(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "compare") == 0)
        return cli_compare_command(argc - 1, argv + 1);
    return compile_command(argc, argv);
}
