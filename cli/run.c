/* dlcc run / dlcc compare: compile to C in a temporary folder, build it with
 * the system C compiler, run it, and write or check the outputs. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dlrt.h"

#define MAX_INPUTS 64

typedef struct workdir {
    char path[4096];
    bool keep;
} workdir;

static int make_workdir(workdir *w)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(w->path, sizeof w->path, "%s/dlcc-run-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(w->path)) {
        fprintf(stderr, "dlcc: error: cannot create a temporary folder in %s: %s\n", tmp ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(dir);
    }
    rmdir(path);
}

static void finish_workdir(workdir *w)
{
    if (w->keep)
        fprintf(stderr, "dlcc: kept %s\n", w->path);
    else
        remove_tree(w->path);
}

static int write_embedded(const char *dir, const char *name)
{
    size_t size;
    const char *text = dl_embedded_text(name, &size);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = text ? fopen(path, "wb") : NULL;
    if (!f || fwrite(text, 1, size, f) != size || fclose(f)) {
        fprintf(stderr, "dlcc: error: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* Runs argv[0] with argv, waits; returns its exit status, or -1. */
static int spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "dlcc: error: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "dlcc: error: %s was killed by signal %d\n", argv[0], WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

/* Compiles the model and its driver in w and builds the program w/model. */
static int build(compile_args *a, workdir *w, dlcc_model_info *info)
{
    char c_path[4200], driver[4200], prog[4200], weights[4200];
    snprintf(c_path, sizeof c_path, "%s/model.c", w->path);
    snprintf(driver, sizeof driver, "%s/main.c", w->path);
    snprintf(prog, sizeof prog, "%s/model", w->path);
    snprintf(weights, sizeof weights, "%s/model.weights", w->path);
    a->opt.output_path = c_path;
    a->opt.name = "model";
    a->opt.driver_path = driver;
    a->opt.info = info;
    dl_diag d;
    dl_diag_init(&d, a->opt.model_path);
    int rc = dlcc_compile(&a->opt, &d);
    cli_print_diag(&d);
    dl_diag_free(&d);
    if (rc)
        return -1;
    if (write_embedded(w->path, "dlrt.h") || write_embedded(w->path, "tensor_io.c") ||
        write_embedded(w->path, "timing.c"))
        return -1;
    /* $CC and $CFLAGS may hold several words: let the shell split them. */
    char *const cc[] = {"/bin/sh", "-c",
                        a->opt.threads ? "exec ${CC:-cc} -std=c99 -O2 ${CFLAGS} -I\"$0\" -o \"$1\" \"$0/model.c\" \"$0/main.c\" "
                                         "\"$0/tensor_io.c\" \"$0/timing.c\" -lm -pthread"
                                       : "exec ${CC:-cc} -std=c99 -O2 ${CFLAGS} -I\"$0\" -o \"$1\" \"$0/model.c\" \"$0/main.c\" "
                                         "\"$0/tensor_io.c\" \"$0/timing.c\" -lm",
                        w->path, prog, NULL};
    if (spawn(cc) != 0) {
        fprintf(stderr, "dlcc: error: the C compiler failed on the generated code (in %s)\n", w->path);
        w->keep = true;
        return -1;
    }
    return 0;
}

/* Runs w/model OUTDIR [WEIGHTS] INPUT... */
static int execute(compile_args *a, workdir *w, const char *out_dir, char **inputs, int n_inputs)
{
    char prog[4200], weights[4200];
    snprintf(prog, sizeof prog, "%s/model", w->path);
    snprintf(weights, sizeof weights, "%s/model.weights", w->path);
    char *argv[MAX_INPUTS + 4];
    int n = 0;
    argv[n++] = prog;
    argv[n++] = (char *)out_dir;
    if (a->opt.weights == DL_WEIGHTS_FILE)
        argv[n++] = weights;
    for (int i = 0; i < n_inputs; i++)
        argv[n++] = inputs[i];
    argv[n] = NULL;
    if (spawn(argv) != 0) {
        fprintf(stderr, "dlcc: error: the compiled model failed to run\n");
        return -1;
    }
    return 0;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "dlcc: error: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

/* ------------------------------------------------------------------ run */

static void run_usage(FILE *f)
{
    fprintf(f, "usage: dlcc run MODEL.onnx --input NAME=FILE ... --output-dir DIR [options]\n\n"
               "Compiles MODEL to C, builds it with $CC (default cc) -O2 $CFLAGS, runs it on the inputs\n"
               "(.npy, or ONNX TensorProto .pb), and writes DIR/<output name>.npy for every graph output\n"
               "(characters outside [A-Za-z0-9_.-] in names become '_'). It prints run_s=SECONDS on\n"
               "stderr: the time of one inference, the median of $DLCC_REPEAT runs (default 1).\n\noptions:\n"
               "  --input NAME=FILE      one per graph input\n"
               "  --output-dir DIR       where the outputs go (created if missing)\n"
               "  --keep                 keep the temporary build folder\n"
               "  --threads N            compile with --threads and run through a context of N threads (1-64)\n"
               CLI_COMPILE_HELP);
}

/* --threads N: compile with the context API and let the driver run on N threads. */
static int threads_option(compile_args *a, const char *arg)
{
    int n = cli_parse_threads(arg);
    if (n < 0)
        return -1;
    a->opt.threads = true;
    a->opt.run_threads = n;
    return 0;
}

typedef struct named_input {
    const char *name, *file;
} named_input;

/* Orders the --input files as the model's inputs; names every missing or unknown one. */
static int order_inputs(const dlcc_model_info *info, named_input *given, int n_given, char **ordered)
{
    int rc = 0;
    for (int i = 0; i < n_given; i++) {
        bool known = false;
        for (int k = 0; k < info->n_inputs; k++)
            known = known || strcmp(info->inputs[k], given[i].name) == 0;
        if (!known) {
            fprintf(stderr, "dlcc: error: --input %s: the model has no input of that name (inputs:", given[i].name);
            for (int k = 0; k < info->n_inputs; k++)
                fprintf(stderr, " %s", info->inputs[k]);
            fprintf(stderr, ")\n");
            rc = -1;
        }
    }
    for (int k = 0; k < info->n_inputs; k++) {
        ordered[k] = NULL;
        for (int i = 0; i < n_given; i++)
            if (strcmp(info->inputs[k], given[i].name) == 0)
                ordered[k] = (char *)given[i].file;
        if (!ordered[k]) {
            fprintf(stderr, "dlcc: error: input '%s' is not given (use --input %s=FILE.npy)\n", info->inputs[k],
                    info->inputs[k]);
            rc = -1;
        }
    }
    return rc;
}

int cli_run_command(int argc, char **argv)
{
    static const struct option longs[] = {
        CLI_COMPILE_LONG_OPTIONS,
        {"input", required_argument, NULL, OPT_INPUT},
        {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"threads", required_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    compile_args a;
    cli_compile_args_init(&a);
    named_input given[MAX_INPUTS];
    int n_given = 0, c;
    const char *out_dir = NULL;
    workdir w = {"", false};
    while ((c = getopt_long(argc, argv, "vO:", longs, NULL)) != -1) {
        int used = cli_compile_option(&a, c, optarg);
        if (used < 0)
            return 1;
        if (used)
            continue;
        if (c == OPT_HELP) {
            run_usage(stdout);
            return 0;
        } else if (c == OPT_INPUT) {
            const char *eq = strrchr(optarg, '=');
            if (!eq || eq == optarg || n_given == MAX_INPUTS) {
                fprintf(stderr, "dlcc: error: --input '%s': expected NAME=FILE\n", optarg);
                return 1;
            }
            given[n_given].name = strndup(optarg, (size_t)(eq - optarg));
            given[n_given++].file = eq + 1;
        } else if (c == OPT_OUTPUT_DIR) {
            out_dir = optarg;
        } else if (c == OPT_THREADS) {
            if (threads_option(&a, optarg))
                return 1;
        } else if (c == OPT_KEEP) {
            w.keep = true;
        } else {
            run_usage(stderr);
            return 1;
        }
    }
    if (optind != argc - 1 || !out_dir) {
        fprintf(stderr, "dlcc: error: %s\n", optind != argc - 1 ? "expected one model" : "no --output-dir given");
        run_usage(stderr);
        return 1;
    }
    a.opt.model_path = argv[optind];
    dlcc_model_info info = {0};
    char *ordered[MAX_INPUTS];
    int rc = 1;
    if (make_workdir(&w))
        return 1;
    if (build(&a, &w, &info) == 0 && order_inputs(&info, given, n_given, ordered) == 0 && make_dir(out_dir) == 0 &&
        execute(&a, &w, out_dir, ordered, info.n_inputs) == 0)
        rc = 0;
    dlcc_model_info_free(&info);
    finish_workdir(&w);
    for (int i = 0; i < n_given; i++)
        free((char *)given[i].name);
    cli_compile_args_free(&a);
    return rc;
}

/* -------------------------------------------------------------- compare */

static void compare_usage(FILE *f)
{
    fprintf(f, "usage: dlcc compare MODEL.onnx DATASET_DIR [--rtol R] [--atol A] [options]\n\n"
               "DATASET_DIR is an ONNX test-data folder (input_0.pb ..., output_0.pb ...). Compiles and runs\n"
               "the model as 'dlcc run' does, and prints for every output its max absolute and relative\n"
               "error and the number of elements outside |actual - expected| <= atol + rtol * |expected|.\n"
               "Exits 0 only if every output is within tolerance.\n\noptions:\n"
               "  --rtol R               relative tolerance (default 1e-3)\n"
               "  --atol A               absolute tolerance (default 1e-5)\n"
               "  --keep                 keep the temporary build folder\n"
               "  --threads N            compile with --threads and run through a context of N threads (1-64)\n"
               CLI_COMPILE_HELP);
}

/* IEEE half bits to double (exact). */
static double half_value(uint16_t h)
{
    int e = (h >> 10) & 31;
    double m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m != 0 ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Element i as a double; *exact gets the integer types' value for an exact comparison. */
static double element(const dlrt_tensor *t, size_t i, bool *is_int, int64_t *exact)
{
    *is_int = true;
    switch (t->dtype) {
    case 2: case 9: return (double)(*exact = ((const uint8_t *)t->data)[i]);
    case 3: return (double)(*exact = ((const int8_t *)t->data)[i]);
    case 4: return (double)(*exact = ((const uint16_t *)t->data)[i]);
    case 5: return (double)(*exact = ((const int16_t *)t->data)[i]);
    case 6: return (double)(*exact = ((const int32_t *)t->data)[i]);
    case 7: return (double)(*exact = ((const int64_t *)t->data)[i]);
    case 12: return (double)(*exact = ((const uint32_t *)t->data)[i]);
    case 13: /* the bits, for the exact test; the double for the error */
        *exact = (int64_t)((const uint64_t *)t->data)[i];
        return (double)((const uint64_t *)t->data)[i];
    }
    *is_int = false;
    switch (t->dtype) {
    case 1: return ((const float *)t->data)[i];
    case 10: return half_value(((const uint16_t *)t->data)[i]);
    default: return ((const double *)t->data)[i];
    }
}

static bool comparable(int dtype)
{
    static const int known[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] == dtype)
            return true;
    return false;
}

static bool same_shape(const dlrt_tensor *a, const dlrt_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

/* Prints one line for output k; returns 0 if within tolerance. */
static int compare_output(int k, const char *name, const dlrt_tensor *got, const dlrt_tensor *want, double rtol, double atol)
{
    if (!same_shape(got, want) || got->dtype != want->dtype) {
        fprintf(stdout, "output %d '%s': MISMATCH: dlcc gave %s with %d dims, expected %s with %d dims\n", k, name,
                dlrt_dtype_name(got->dtype), got->rank, dlrt_dtype_name(want->dtype), want->rank);
        return -1;
    }
    if (!comparable(want->dtype)) {
        fprintf(stdout, "output %d '%s': MISMATCH: dlcc compare cannot compare %s values\n", k, name,
                dlrt_dtype_name(want->dtype));
        return -1;
    }
    size_t n = want->bytes / (dlrt_dtype_size(want->dtype) ? dlrt_dtype_size(want->dtype) : 1);
    double max_abs = 0, max_rel = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool is_int;
        int64_t xi = 0, ei = 0;
        double x = element(got, i, &is_int, &xi), e = element(want, i, &is_int, &ei);
        if (is_int ? xi == ei : (isnan(x) && isnan(e)) || x == e) /* x == e also covers equal infinities */
            continue;
        double err = is_int && x == e ? 1.0 : fabs(x - e); /* 64-bit values closer than a double resolves */
        if (isnan(err) || (isinf(x) || isinf(e) ? x != e : err > atol + rtol * fabs(e))) {
            bad++;
            err = isnan(err) || isinf(err) ? INFINITY : err;
        }
        if (isnan(err))
            err = INFINITY;
        max_abs = err > max_abs ? err : max_abs;
        if (e != 0 && err / fabs(e) > max_rel)
            max_rel = err / fabs(e);
    }
    printf("output %d '%s': %zu elements, max_abs_err %.3g, max_rel_err %.3g, mismatches %zu (rtol %g, atol %g): %s\n", k,
           name, n, max_abs, max_rel, bad, rtol, atol, bad ? "FAIL" : "ok");
    return bad ? -1 : 0;
}

static int check_outputs(const dlcc_model_info *info, const char *dataset, const char *out_dir, double rtol, double atol)
{
    int rc = 0;
    for (int k = 0; k < info->n_outputs; k++) {
        char want_path[4200], got_path[4200], safe[256], err[512];
        dl_file_safe_name(info->outputs[k], safe, sizeof safe);
        snprintf(want_path, sizeof want_path, "%.4000s/output_%d.pb", dataset, k);
        snprintf(got_path, sizeof got_path, "%.3900s/%.255s.npy", out_dir, safe);
        dlrt_tensor want = {0}, got = {0};
        if (dlrt_read_pb(want_path, &want, err, sizeof err) || dlrt_read_npy(got_path, &got, err, sizeof err)) {
            fprintf(stderr, "dlcc: error: %s\n", err);
            rc = -1;
        } else if (compare_output(k, info->outputs[k], &got, &want, rtol, atol)) {
            rc = -1;
        }
        dlrt_tensor_free(&want);
        dlrt_tensor_free(&got);
    }
    return rc;
}

static int dataset_inputs(const dlcc_model_info *info, const char *dataset, char **paths)
{
    for (int k = 0; k < info->n_inputs; k++) {
        paths[k] = malloc(strlen(dataset) + 32);
        if (!paths[k])
            return -1;
        sprintf(paths[k], "%s/input_%d.pb", dataset, k);
        if (access(paths[k], R_OK) != 0) {
            fprintf(stderr, "dlcc: error: %s: missing (the model has %d inputs; input %d is '%s')\n", paths[k],
                    info->n_inputs, k, info->inputs[k]);
            return -1;
        }
    }
    return 0;
}

static bool parse_tolerance(const char *arg, double *out)
{
    char *end;
    *out = strtod(arg, &end);
    if (end == arg || *end || *out < 0) {
        fprintf(stderr, "dlcc: error: tolerance '%s' is not a non-negative number\n", arg);
        return false;
    }
    return true;
}

int cli_compare_command(int argc, char **argv)
{
    static const struct option longs[] = {
        CLI_COMPILE_LONG_OPTIONS,
        {"rtol", required_argument, NULL, OPT_RTOL},
        {"atol", required_argument, NULL, OPT_ATOL},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"threads", required_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    compile_args a;
    cli_compile_args_init(&a);
    double rtol = 1e-3, atol = 1e-5;
    workdir w = {"", false};
    int c;
    while ((c = getopt_long(argc, argv, "vO:", longs, NULL)) != -1) {
        int used = cli_compile_option(&a, c, optarg);
        if (used < 0)
            return 1;
        if (used)
            continue;
        if (c == OPT_HELP) {
            compare_usage(stdout);
            return 0;
        } else if (c == OPT_RTOL) {
            if (!parse_tolerance(optarg, &rtol))
                return 1;
        } else if (c == OPT_ATOL) {
            if (!parse_tolerance(optarg, &atol))
                return 1;
        } else if (c == OPT_THREADS) {
            if (threads_option(&a, optarg))
                return 1;
        } else if (c == OPT_KEEP) {
            w.keep = true;
        } else {
            compare_usage(stderr);
            return 1;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "dlcc: error: expected MODEL.onnx and DATASET_DIR\n");
        compare_usage(stderr);
        return 1;
    }
    a.opt.model_path = argv[optind];
    const char *dataset = argv[optind + 1];
    dlcc_model_info info = {0};
    char *inputs[MAX_INPUTS] = {0}, out_dir[4200];
    int rc = 1;
    if (make_workdir(&w))
        return 1;
    snprintf(out_dir, sizeof out_dir, "%s/out", w.path);
    if (build(&a, &w, &info) == 0 && info.n_inputs <= MAX_INPUTS && dataset_inputs(&info, dataset, inputs) == 0 &&
        make_dir(out_dir) == 0 && execute(&a, &w, out_dir, inputs, info.n_inputs) == 0 &&
        check_outputs(&info, dataset, out_dir, rtol, atol) == 0)
        rc = 0;
    for (int k = 0; k < MAX_INPUTS; k++)
        free(inputs[k]);
    dlcc_model_info_free(&info);
    finish_workdir(&w);
    cli_compile_args_free(&a);
    return rc;
}
