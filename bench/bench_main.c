/* Benchmark harness for one dlcc-generated model, compiled together with it:
 *
 *     dlcc MODEL.onnx -o DIR/bm.c --name bm -O3 [--weights=file] [--threads]
 *     cc -O3 -march=native -I DIR -I runtime [-DBENCH_WEIGHTS=1] [-DBENCH_THREADS=1 -pthread] \
 *        bench/bench_main.c DIR/bm.c runtime/tensor_io.c runtime/timing.c -lm -o DIR/bench
 *     DIR/bench [--threads T] [--warmup W] [--runs N] [--weights FILE] [--out-dir DIR] IN0.npy ...
 *
 * The generated code must be named "bm" (its header bm.h). Inputs are .npy
 * files, one per graph input in order; outputs go to OUT_DIR/output_<i>.npy
 * after the timed runs. Each run is timed on its own (monotonic clock); the
 * harness prints
 *     median_ms=... min_ms=... max_ms=... runs=N warmup=W threads=T
 *
 * BENCH_THREADS=1 (set by the driver when `dlcc --help` lists --threads)
 * runs through bm_context / bm_run_in with T threads; without it only
 * T = 1 is accepted and bm_run is called. BENCH_WEIGHTS=1 when the model was
 * compiled with --weights=file: bm_load_weights(FILE) is called first. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bm.h"
#include "dlrt.h"

#ifndef BENCH_THREADS
#define BENCH_THREADS 0
#endif
#ifndef BENCH_WEIGHTS
#define BENCH_WEIGHTS 0
#endif

#if BM_NUM_INPUTS < 1 || BM_NUM_INPUTS > 4 || BM_NUM_OUTPUTS < 1 || BM_NUM_OUTPUTS > 4
#error "bench_main.c handles models with 1 to 4 inputs and 1 to 4 outputs"
#endif

/* ---------------------------------------------------------------- the model's signature */

/* The run function takes its inputs and outputs as separate arguments; these
 * spell the argument lists for the model's arity (void * converts to the
 * generated parameter types). */
#if BM_NUM_INPUTS == 1
#define BENCH_IN_ARGS(in) in[0]
#elif BM_NUM_INPUTS == 2
#define BENCH_IN_ARGS(in) in[0], in[1]
#elif BM_NUM_INPUTS == 3
#define BENCH_IN_ARGS(in) in[0], in[1], in[2]
#else
#define BENCH_IN_ARGS(in) in[0], in[1], in[2], in[3]
#endif
#if BM_NUM_OUTPUTS == 1
#define BENCH_OUT_ARGS(out) out[0]
#elif BM_NUM_OUTPUTS == 2
#define BENCH_OUT_ARGS(out) out[0], out[1]
#elif BM_NUM_OUTPUTS == 3
#define BENCH_OUT_ARGS(out) out[0], out[1], out[2]
#else
#define BENCH_OUT_ARGS(out) out[0], out[1], out[2], out[3]
#endif

static const size_t bench_in_size[] = {
    BM_INPUT_0_SIZE
#if BM_NUM_INPUTS > 1
    , BM_INPUT_1_SIZE
#endif
#if BM_NUM_INPUTS > 2
    , BM_INPUT_2_SIZE
#endif
#if BM_NUM_INPUTS > 3
    , BM_INPUT_3_SIZE
#endif
};
static const int bench_in_dtype[] = {
    BM_INPUT_0_DTYPE
#if BM_NUM_INPUTS > 1
    , BM_INPUT_1_DTYPE
#endif
#if BM_NUM_INPUTS > 2
    , BM_INPUT_2_DTYPE
#endif
#if BM_NUM_INPUTS > 3
    , BM_INPUT_3_DTYPE
#endif
};

/* Output shapes; a rank-0 output is given the dims {1} here, never read. */
#if BM_OUTPUT_0_RANK > 0
static const int64_t bench_out0_dims[] = BM_OUTPUT_0_SHAPE;
#else
static const int64_t bench_out0_dims[] = {1};
#endif
#if BM_NUM_OUTPUTS > 1
#if BM_OUTPUT_1_RANK > 0
static const int64_t bench_out1_dims[] = BM_OUTPUT_1_SHAPE;
#else
static const int64_t bench_out1_dims[] = {1};
#endif
#endif
#if BM_NUM_OUTPUTS > 2
#if BM_OUTPUT_2_RANK > 0
static const int64_t bench_out2_dims[] = BM_OUTPUT_2_SHAPE;
#else
static const int64_t bench_out2_dims[] = {1};
#endif
#endif
#if BM_NUM_OUTPUTS > 3
#if BM_OUTPUT_3_RANK > 0
static const int64_t bench_out3_dims[] = BM_OUTPUT_3_SHAPE;
#else
static const int64_t bench_out3_dims[] = {1};
#endif
#endif

typedef struct bench_output {
    int rank, dtype;
    size_t size;
    const int64_t *dims;
} bench_output;

static const bench_output bench_outputs[] = {
    {BM_OUTPUT_0_RANK, BM_OUTPUT_0_DTYPE, BM_OUTPUT_0_SIZE, bench_out0_dims}
#if BM_NUM_OUTPUTS > 1
    , {BM_OUTPUT_1_RANK, BM_OUTPUT_1_DTYPE, BM_OUTPUT_1_SIZE, bench_out1_dims}
#endif
#if BM_NUM_OUTPUTS > 2
    , {BM_OUTPUT_2_RANK, BM_OUTPUT_2_DTYPE, BM_OUTPUT_2_SIZE, bench_out2_dims}
#endif
#if BM_NUM_OUTPUTS > 3
    , {BM_OUTPUT_3_RANK, BM_OUTPUT_3_DTYPE, BM_OUTPUT_3_SIZE, bench_out3_dims}
#endif
};

/* ---------------------------------------------------------------- options */

typedef struct bench_options {
    int threads, warmup, runs;
    const char *weights, *out_dir;
    const char *inputs[BM_NUM_INPUTS];
} bench_options;

static int bench_usage(const char *why)
{
    fprintf(stderr, "bench: %s\nusage: bench [--threads T] [--warmup W] [--runs N] [--weights FILE] "
                    "[--out-dir DIR] INPUT.npy x %d\n", why, BM_NUM_INPUTS);
    return 2;
}

static int bench_int_option(const char *text, int lo, int *value)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < lo || v > 1000000)
        return -1;
    *value = (int)v;
    return 0;
}

static int bench_parse(int argc, char **argv, bench_options *o)
{
    int i, n = 0;
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->warmup = 3;
    o->runs = 20;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--threads") == 0 && has_value) {
            if (bench_int_option(argv[++i], 1, &o->threads))
                return bench_usage("--threads needs an integer >= 1");
        } else if (strcmp(a, "--warmup") == 0 && has_value) {
            if (bench_int_option(argv[++i], 0, &o->warmup))
                return bench_usage("--warmup needs an integer >= 0");
        } else if (strcmp(a, "--runs") == 0 && has_value) {
            if (bench_int_option(argv[++i], 1, &o->runs))
                return bench_usage("--runs needs an integer >= 1");
        } else if (strcmp(a, "--weights") == 0 && has_value) {
            o->weights = argv[++i];
        } else if (strcmp(a, "--out-dir") == 0 && has_value) {
            o->out_dir = argv[++i];
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "bench: unknown option or missing value: %s\n", a);
            return 2;
        } else if (n < BM_NUM_INPUTS) {
            o->inputs[n++] = a;
        } else {
            return bench_usage("too many input files");
        }
    }
    if (n != BM_NUM_INPUTS)
        return bench_usage("one .npy file per graph input is needed");
    if (BENCH_WEIGHTS && !o->weights)
        return bench_usage("this model keeps its weights in a file: give --weights FILE");
    if (!BENCH_THREADS && o->threads != 1)
        return bench_usage("built without the context API (dlcc --threads): only --threads 1 runs");
    return 0;
}

/* ---------------------------------------------------------------- running */

/* Reads every input, checking its dtype and element count against the model. */
static int bench_read_inputs(const bench_options *o, dlrt_tensor *t, void **in)
{
    char err[512];
    int i;
    for (i = 0; i < BM_NUM_INPUTS; i++) {
        if (dlrt_read_npy(o->inputs[i], &t[i], err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            return -1;
        }
        if (t[i].dtype != bench_in_dtype[i] || dlrt_tensor_count(&t[i]) != bench_in_size[i]) {
            fprintf(stderr, "bench: %s: %s with %lu elements, the model's input %d wants %s with %lu\n",
                    o->inputs[i], dlrt_dtype_name(t[i].dtype), (unsigned long)dlrt_tensor_count(&t[i]), i,
                    dlrt_dtype_name(bench_in_dtype[i]), (unsigned long)bench_in_size[i]);
            return -1;
        }
        in[i] = t[i].data;
    }
    return 0;
}

static int bench_alloc_outputs(void **out)
{
    int i;
    for (i = 0; i < BM_NUM_OUTPUTS; i++) {
        size_t bytes = bench_outputs[i].size * dlrt_dtype_size(bench_outputs[i].dtype);
        out[i] = calloc(bytes ? bytes : 1, 1);
        if (!out[i]) {
            fprintf(stderr, "bench: out of memory for output %d (%lu bytes)\n", i, (unsigned long)bytes);
            return -1;
        }
    }
    return 0;
}

static int bench_write_outputs(const char *dir, void **out)
{
    char path[4096], err[512];
    int i;
    for (i = 0; i < BM_NUM_OUTPUTS; i++) {
        dlrt_tensor t;
        memset(&t, 0, sizeof t);
        t.dtype = bench_outputs[i].dtype;
        t.rank = bench_outputs[i].rank;
        memcpy(t.dims, bench_outputs[i].dims, sizeof(int64_t) * (size_t)t.rank);
        t.data = out[i];
        t.bytes = bench_outputs[i].size * dlrt_dtype_size(t.dtype);
        snprintf(path, sizeof path, "%s/output_%d.npy", dir, i);
        if (dlrt_write_npy(path, &t, err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int bench_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#if BENCH_THREADS
typedef bm_context bench_ctx;
#define BENCH_RUN(ctx, in, out, ws) bm_run_in(ctx, BENCH_IN_ARGS(in), BENCH_OUT_ARGS(out), ws)
#else
typedef int bench_ctx;   /* no context API: bm_run, one thread */
#define BENCH_RUN(ctx, in, out, ws) ((void)(ctx), bm_run(BENCH_IN_ARGS(in), BENCH_OUT_ARGS(out), ws))
#endif

/* Warm-up, then o->runs timed runs; times[] gets each run's seconds. */
static int bench_time(const bench_options *o, bench_ctx *ctx, void **in, void **out, void *ws, double *times)
{
    int i, rc;
    for (i = 0; i < o->warmup; i++)
        if ((rc = BENCH_RUN(ctx, in, out, ws)) != 0) {
            fprintf(stderr, "bench: bm_run returned %d\n", rc);
            return -1;
        }
    for (i = 0; i < o->runs; i++) {
        double start = dlrt_now_seconds();
        rc = BENCH_RUN(ctx, in, out, ws);
        times[i] = dlrt_now_seconds() - start;
        if (rc != 0) {
            fprintf(stderr, "bench: bm_run returned %d\n", rc);
            return -1;
        }
    }
    return 0;
}

static void bench_report(const bench_options *o, double *times)
{
    int n = o->runs;
    double median;
    qsort(times, (size_t)n, sizeof *times, bench_compare_double);
    median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    printf("median_ms=%.4f min_ms=%.4f max_ms=%.4f runs=%d warmup=%d threads=%d\n", median * 1e3,
           times[0] * 1e3, times[n - 1] * 1e3, n, o->warmup, o->threads);
}

/* Loads weights and starts the context; everything the timed loop needs. */
static int bench_setup(const bench_options *o, bench_ctx *ctx)
{
#if BENCH_WEIGHTS
    int rc = bm_load_weights(o->weights);
    if (rc != 0) {
        fprintf(stderr, "bench: bm_load_weights(%s) returned %d\n", o->weights, rc);
        return -1;
    }
#endif
#if BENCH_THREADS
    if (bm_context_init(ctx, o->threads) != 0) {
        fprintf(stderr, "bench: bm_context_init with %d threads failed\n", o->threads);
        return -1;
    }
#else
    *ctx = 0;
#endif
    (void)o;
    return 0;
}

static void bench_teardown(bench_ctx *ctx)
{
#if BENCH_THREADS
    bm_context_free(ctx);
#else
    (void)ctx;
#endif
}

int main(int argc, char **argv)
{
    bench_options o;
    dlrt_tensor tensors[BM_NUM_INPUTS];
    void *in[BM_NUM_INPUTS], *out[BM_NUM_OUTPUTS], *ws = NULL;
    double *times = NULL;
    bench_ctx ctx;
    int rc, i, status = 1;

    if ((rc = bench_parse(argc, argv, &o)) != 0)
        return rc;
    memset(tensors, 0, sizeof tensors);
    memset(out, 0, sizeof out);
    if (bench_read_inputs(&o, tensors, in) || bench_alloc_outputs(out))
        goto done;
    times = malloc(sizeof *times * (size_t)o.runs);
    if (!times || posix_memalign(&ws, 64, BM_ARENA_BYTES ? BM_ARENA_BYTES : 64) != 0) {
        ws = NULL;
        fprintf(stderr, "bench: out of memory (workspace %lu bytes)\n", (unsigned long)BM_ARENA_BYTES);
        goto done;
    }
    if (bench_setup(&o, &ctx))
        goto done;
    rc = bench_time(&o, &ctx, in, out, ws, times);
    bench_teardown(&ctx);
    if (rc)
        goto done;
    bench_report(&o, times);
    if (o.out_dir && bench_write_outputs(o.out_dir, out))
        goto done;
    status = 0;
done:
    for (i = 0; i < BM_NUM_INPUTS; i++)
        dlrt_tensor_free(&tensors[i]);
    for (i = 0; i < BM_NUM_OUTPUTS; i++)
        free(out[i]);
    free(ws);
    free(times);
    return status;
}
