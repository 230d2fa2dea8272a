#!/usr/bin/env python3
"""Benchmarks dlcc-generated C against onnxruntime (CPU provider), batch 1.

    run_bench.py [--dlcc build/dlcc] [--models a,b] [--threads 1,2] [--runs N] [--rounds R] [--quick]

For every model: compile with `dlcc -O3 --weights=file` (weights loaded once at start-up,
as onnxruntime loads them; it also folds constant-only computations such as the light
nets' ConstantOfShape weights, as onnxruntime does at load; --threads when this dlcc has it), build it with bench/bench_main.c using
`cc -O3 -march=native`, run it and onnxruntime on the same seeded N(0, 1)
input, compare the outputs (a model whose max abs error exceeds 1e-3 x the
largest |reference output| is FAILED and gets no time), then time both in
--rounds alternating rounds (warm-up runs, then the median of --runs runs
each; the median of the rounds is reported). The FP32 FMA peak (bench/peak.c)
is measured at the same thread counts, before and after the models (the
better figure is kept). Prints a table and writes it to
bench/results/<machine>.md (<machine>-partial.md for --quick or a subset of
models). Exits 1 if any model failed the correctness check, 2 on a setup
error. See bench/README.md.
"""
import argparse
import datetime
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIME = os.path.join(ROOT, "runtime")
LIGHT_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")

LIGHT_MODELS = ["resnet50", "inception_v1", "densenet121", "shufflenet", "squeezenet", "vgg19"]
GENERATED_MODELS = ["mobilenetv2", "efficientnet_b0"]
ALL_MODELS = LIGHT_MODELS + GENERATED_MODELS

RTOL = 1e-3                    # of the largest |reference output|
SEED = 0
TIMEOUT_S = 3600


class Failure(Exception):
    pass


# ---------------------------------------------------------------- processes

def run(cmd, what, timeout=TIMEOUT_S, cwd=None):
    """Runs cmd in its own process group (a timeout ends its children too); returns stdout+stderr."""
    shown = " ".join(map(shlex.quote, cmd))
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True, cwd=cwd)
    except OSError as e:
        raise Failure("%s could not start: %s\n$ %s" % (what, e, shown))
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException as e:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            raise Failure("%s timed out after %d s\n$ %s" % (what, timeout, shown))
        raise
    if proc.returncode != 0:
        raise Failure("%s exited with status %d\n$ %s\n%s" % (what, proc.returncode, shown, out))
    return out


# ---------------------------------------------------------------- the machine

def cpu_info():
    """(model name, flags list, cpu family or None) from /proc/cpuinfo; platform.processor() elsewhere."""
    model, flags, family = platform.processor() or "unknown cpu", [], None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("unknown cpu", platform.processor()):
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = value.split()
                elif key == "cpu family" and family is None and value.strip().isdigit():
                    family = int(value)
    except OSError:
        pass
    return model, flags, family


def core_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Microarchitecture guessed for CPU model strings that name none (virtual machines often report
# just "Intel(R) Xeon(R) Processor" or "AMD EPYC"): Intel's from the ISA flags, AMD's from the
# cpu family (0x17 Zen/Zen 2, 0x19 Zen 3/Zen 4 -- Zen 4 has AVX-512 --, 0x1a Zen 5).
ISA_CLASSES = [("amx_fp16", "granite-rapids"), ("amx_tile", "sapphire-rapids"), ("avx512_bf16", "cooper-lake"),
               ("avx512_vnni", "cascade-lake"), ("avx512f", "skylake-avx512")]


def amd_class(flags, family):
    if family == 0x1a:
        return "zen5"
    if family == 0x19:
        return "zen4" if "avx512f" in flags else "zen3"
    if family == 0x17:
        return "zen2" if "clwb" in flags else "zen"
    return None


def machine_name(model, flags, cores, family=None):
    """'Intel(R) Xeon(R) Processor' + amx flags + 2 cores -> 'xeon-sapphire-rapids-2c';
    'AMD EPYC' + cpu family 26 + 2 cores -> 'epyc-zen5-2c'."""
    s = re.sub(r"\((R|TM|tm|r)\)", " ", model)
    s = re.sub(r"@.*$", " ", s)
    amd = re.search(r"\bAMD\b", s) is not None
    s = re.sub(r"\b(Intel|AMD|CPU|Processor|\d+-Core)\b", " ", s, flags=re.I)
    words = re.findall(r"[A-Za-z0-9]+", s.lower())
    if not any(ch.isdigit() for w in words for ch in w):
        guess = amd_class(flags, family) if amd else next((c for flag, c in ISA_CLASSES if flag in flags), None)
        words += [guess] if guess else []
    return "-".join(words + ["%dc" % cores]) or "unknown-%dc" % cores


def compiler_version(cc):
    try:
        return run(cc + ["--version"], "cc --version").splitlines()[0].strip()
    except Failure:
        return "unknown"


# ---------------------------------------------------------------- peak

def measure_peak(cc, work, max_threads):
    """{(bits, threads): GFLOP/s} from bench/peak.c built -O3 -march=native."""
    exe = os.path.join(work, "peak")
    run(cc + ["-O3", "-march=native", "-pthread", os.path.join(HERE, "peak.c"), "-o", exe], "cc peak.c")
    out = run([exe, str(max_threads)], "peak")
    peaks = {}
    for m in re.finditer(r"peak bits=(\d+) threads=(\d+) gflops=([-0-9.]+)", out):
        peaks[(int(m.group(1)), int(m.group(2)))] = float(m.group(3))
    return peaks, out


# ---------------------------------------------------------------- models

def model_path(name, work):
    if name in LIGHT_MODELS:
        return os.path.join(LIGHT_DIR, "light_%s.onnx" % name)
    path = os.path.join(work, "models", name + ".onnx")
    if not os.path.isfile(path):
        run([sys.executable, os.path.join(HERE, "gen_bench_models.py"), os.path.dirname(path), "--only", name],
            "gen_bench_models.py")
    return path


def with_logits(model, path, work):
    """The model to run: when its last node is a Softmax whose input is not already an output, a copy
    (in work) that also outputs that input. The light nets' softmax outputs are all close to 1/1000,
    so comparing them alone would show almost nothing; the logits carry the numbers."""
    last = model.graph.node[-1] if len(model.graph.node) else None
    outputs = {o.name for o in model.graph.output}
    if last is None or last.op_type != "Softmax" or last.input[0] in outputs:
        return model, path
    model.graph.output.append(onnx.helper.make_tensor_value_info(last.input[0], onnx.TensorProto.FLOAT, None))
    path = os.path.join(work, "model_with_logits.onnx")
    onnx.save(model, path)
    return model, path


def graph_inputs(model):
    """[(name, shape, numpy dtype)] of the inputs that are not initializers (unknown dims: 1)."""
    inits = {t.name for t in model.graph.initializer}
    result = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.WhichOneof("value") == "dim_value" else 1 for d in tt.shape.dim]
        result.append((vi.name, shape, onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)))
    return result


def make_inputs(model):
    rng = np.random.default_rng(SEED)
    feeds = {}
    for name, shape, dtype in graph_inputs(model):
        if not np.issubdtype(dtype, np.floating):
            raise Failure("input %r is %s; the bench feeds float inputs only" % (name, dtype))
        feeds[name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def count_flops(model):
    """Multiply-accumulates x 2 of Conv, ConvTranspose, Gemm and MatMul, from onnx shape inference.
    Bias, BatchNormalization, activations, pooling and element-wise ops are not counted."""
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    g = inferred.graph
    shapes = {t.name: list(t.dims) for t in g.initializer}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = [d.dim_value for d in tt.shape.dim]
    total, missing = 0, []
    for n in g.node:
        if n.op_type not in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            continue
        a, b, y = (shapes.get(x) for x in (n.input[0], n.input[1], n.output[0]))
        if a is None or b is None or y is None:
            missing.append(n.name or n.output[0])
            continue
        attrs = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        if n.op_type == "Conv":      # 2 * N * Cout * (Cin / group) * prod(kernel) * prod(output spatial)
            total += 2 * y[0] * y[1] * int(np.prod(b[1:])) * int(np.prod(y[2:]))
        elif n.op_type == "ConvTranspose":   # every input pixel scatters Cin x (Cout / group) x kernel MACs
            total += 2 * a[0] * a[1] * int(np.prod(b[1:])) * int(np.prod(a[2:]))
        elif n.op_type == "Gemm":    # 2 * M * N * K
            k = a[0] if attrs.get("transA", 0) else a[-1]
            total += 2 * int(np.prod(y)) * k
        else:                        # MatMul: 2 * batch * M * N * K
            total += 2 * int(np.prod(y)) * a[-1]
    if missing:
        print("  warning: no shapes for %d of the counted nodes (%s...): FLOPs undercounted"
              % (len(missing), missing[0]), flush=True)
    return total


# ---------------------------------------------------------------- dlcc side

def dlcc_features(dlcc):
    text = run([dlcc, "--help"], "dlcc --help")
    return {"threads": "--threads" in text, "weights_file": "--weights=" in text}


def weight_bytes(dlcc, path):
    out = run([dlcc, path, "-O3", "--weights=file", "--report"], "dlcc --report")
    m = re.search(r"weight bytes\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def build_dlcc(args, features, path, work):
    """dlcc -O3 then cc -O3 -march=native with bench_main.c; returns (exe, weights file or None, flags)."""
    c_file = os.path.join(work, "bm.c")
    flags = ["-O3"]
    use_file = features["weights_file"]
    if use_file:
        flags.append("--weights=file")
    if features["threads"]:
        flags.append("--threads")
    start = time.perf_counter()
    run([args.dlcc, path, "-o", c_file, "--name", "bm"] + flags, "dlcc")
    dlcc_s = time.perf_counter() - start
    exe = os.path.join(work, "bench")
    defines = ["-DBENCH_WEIGHTS=%d" % use_file, "-DBENCH_THREADS=%d" % features["threads"]]
    cmd = (args.cc + ["-O3", "-march=native", "-I", work, "-I", RUNTIME] + defines
           + (["-pthread"] if features["threads"] else [])
           + [os.path.join(HERE, "bench_main.c"), c_file, os.path.join(RUNTIME, "tensor_io.c"),
              os.path.join(RUNTIME, "timing.c"), "-lm", "-o", exe])
    start = time.perf_counter()
    run(cmd, "cc")
    cc_s = time.perf_counter() - start
    print("  dlcc %s: %.1f s, cc -O3 -march=native: %.1f s" % (" ".join(flags), dlcc_s, cc_s), flush=True)
    return exe, (os.path.join(work, "bm.weights") if use_file else None), flags


def run_dlcc(exe, weights, input_files, threads, warmup, runs, out_dir):
    """Returns (median ms, [outputs])."""
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, f))
    cmd = [exe, "--threads", str(threads), "--warmup", str(warmup), "--runs", str(runs), "--out-dir", out_dir]
    cmd += (["--weights", weights] if weights else []) + input_files
    out = run(cmd, "generated model")
    m = re.search(r"median_ms=([0-9.eE+-]+)", out)
    if not m:
        raise Failure("the harness printed no median_ms:\n" + out)
    outputs, i = [], 0
    while os.path.isfile(os.path.join(out_dir, "output_%d.npy" % i)):
        outputs.append(np.load(os.path.join(out_dir, "output_%d.npy" % i)))
        i += 1
    return float(m.group(1)), outputs


# ---------------------------------------------------------------- onnxruntime side

def ort_session(path, threads):
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def time_ort(sess, feeds, warmup, runs):
    """Median ms of sess.run, timed in Python with perf_counter (includes the binding overhead)."""
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


# ---------------------------------------------------------------- comparing

def compare(refs, outs):
    """(max abs error, max abs error / max |ref|, ok)."""
    if len(outs) != len(refs):
        return float("inf"), float("inf"), False
    worst_abs, worst_rel = 0.0, 0.0
    for ref, got in zip(refs, outs):
        if got.shape != ref.shape:
            got = got.reshape(ref.shape) if got.size == ref.size else None
        if got is None or not np.all(np.isfinite(got)):
            return float("inf"), float("inf"), False
        err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if ref.size else 0.0
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        worst_abs = max(worst_abs, err)
        worst_rel = max(worst_rel, err / scale if scale > 0 else (0.0 if err == 0 else float("inf")))
    return worst_abs, worst_rel, worst_rel <= RTOL


# ---------------------------------------------------------------- one model

def bench_model(args, name, features):
    """Returns a dict: name, gflop, weight_mb, flags, status, errors, rows [(threads, dlcc ms, ort ms)]."""
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    path = model_path(name, args.workdir)
    model, path = with_logits(onnx.load(path), path, work)
    res = {"name": name, "gflop": count_flops(model) / 1e9, "rows": [], "status": "ok", "abs": None, "rel": None}
    feeds = make_inputs(model)
    input_files = []
    for i, value in enumerate(feeds.values()):
        input_files.append(os.path.join(work, "input_%d.npy" % i))
        np.save(input_files[-1], value)
    wbytes = weight_bytes(args.dlcc, path)
    res["weight_mb"] = wbytes / 1e6
    print("%s: %.3f GFLOP, %.1f MB of weights" % (name, res["gflop"], res["weight_mb"]), flush=True)
    exe, weights, res["flags"] = build_dlcc(args, features, path, work)

    sessions = {t: ort_session(path, t) for t in args.threads}
    refs = sessions[args.threads[0]].run(None, feeds)
    for t in args.threads:
        # Rounds alternate the two sides, so a slow spell of the machine (a shared
        # VM drifts by 5-10 % over minutes) lands on both rather than on one.
        dlcc_meds, ort_meds = [], []
        for rnd in range(args.rounds):
            if t > 1 and not features["threads"]:
                pass   # this dlcc has no --threads: the generated code runs on one thread only
            else:
                ms, outs = run_dlcc(exe, weights, input_files, t, args.warmup, args.runs,
                                    os.path.join(work, "out_%d" % t))
                dlcc_meds.append(ms)
                err_abs, err_rel, ok = compare(refs, outs)
                if res["abs"] is None or err_rel > res["rel"]:
                    res["abs"], res["rel"] = err_abs, err_rel
                if not ok:
                    res["status"] = "FAILED"
                    print("  FAILED at %d thread(s): max abs error %.3g = %.3g x max |ref| > %g"
                          % (t, err_abs, err_rel, RTOL), flush=True)
                    res["rows"] = []
                    return res
            ort_meds.append(time_ort(sessions[t], feeds, args.warmup, args.runs))
        dlcc_ms = float(np.median(dlcc_meds)) if dlcc_meds else None
        ort_ms = float(np.median(ort_meds))
        res["rows"].append((t, dlcc_ms, ort_ms, dlcc_meds, ort_meds))
        print("  %d thread(s): dlcc %s, onnxruntime %.2f ms (rounds: dlcc %s, onnxruntime %s)"
              % (t, "%.2f ms" % dlcc_ms if dlcc_ms is not None else "n/a (no --threads)", ort_ms,
                 " ".join("%.2f" % x for x in dlcc_meds) or "-", " ".join("%.2f" % x for x in ort_meds)),
              flush=True)
    print("  max abs error %.3g (%.3g x max |ref|)" % (res["abs"], res["rel"]), flush=True)
    return res


# ---------------------------------------------------------------- the report

def fmt(x, spec):
    return spec % x if x is not None else "n/a"


def spread(meds):
    """The rounds' medians as 'lowest-highest' ms."""
    return "%.2f-%.2f" % (min(meds), max(meds)) if meds else "-"


def perf_table(results, peaks):
    lines = ["| model | threads | dlcc ms | ORT ms | dlcc/ORT | dlcc GFLOP/s | % of peak | dlcc rounds | ORT rounds |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        if r["status"] != "ok":
            lines.append("| %s | - | %s | - | - | - | - | - | - |" % (r["name"], r["status"]))
            continue
        for t, dlcc_ms, ort_ms, dlcc_meds, ort_meds in r["rows"]:
            gflops = r["gflop"] / (dlcc_ms * 1e-3) if dlcc_ms else None
            peak = peaks.get((512, t)) or peaks.get((256, t)) or peaks.get((32, t))
            pct = 100.0 * gflops / peak if gflops is not None and peak else None
            ratio = dlcc_ms / ort_ms if dlcc_ms is not None else None
            lines.append("| %s | %d | %s | %.2f | %s | %s | %s | %s | %s |" % (
                r["name"], t, fmt(dlcc_ms, "%.2f"), ort_ms, fmt(ratio, "%.2f"), fmt(gflops, "%.1f"),
                fmt(pct, "%.1f%%"), spread(dlcc_meds), spread(ort_meds)))
    return lines


def model_table(results):
    lines = ["| model | GFLOP | weights MB | dlcc flags | max abs err | err / max abs ref | check |",
             "|---|---:|---:|---|---:|---:|---|"]
    for r in results:
        flags = " ".join(r.get("flags", [])) or "-"
        lines.append("| %s | %.3f | %.1f | %s | %s | %s | %s |" % (
            r["name"], r["gflop"], r.get("weight_mb", 0.0), flags, fmt(r["abs"], "%.2g"), fmt(r["rel"], "%.2g"),
            r["status"]))
    return lines


def report(args, env, peaks, results):
    peak_line = ", ".join("%d-bit %d thread%s: %.1f" % (bits, t, "s" if t > 1 else "", g)
                          for (bits, t), g in sorted(peaks.items(), reverse=True))
    lines = [
        "# dlcc vs onnxruntime on %s" % env["machine"],
        "",
        "- Date: %s" % env["date"],
        "- CPU: %s, %d cores available; flags: %s" % (env["cpu"], env["cores"], env["isa"]),
        "- Compiler: %s; generated C built `%s -O3 -march=native`" % (env["cc_version"], " ".join(args.cc)),
        "- dlcc: `%s` (%s); context API (--threads): %s" % (args.dlcc, env["dlcc_version"],
                                                           "yes" if env["threads"] else "no, 1 thread only"),
        "- onnxruntime %s (CPUExecutionProvider, graph optimizations ALL, intra_op_num_threads = threads, "
        "inter_op 1, sequential), onnx %s, numpy %s, Python %s" % (env["ort"], onnx.__version__, np.__version__,
                                                                   platform.python_version()),
        "- Runs: %d round%s, dlcc and onnxruntime alternating; in each, %d warm-up runs, then the median of %d%s; "
        "the tables give the median of the rounds' medians and their range; batch 1; input N(0, 1), seed %d" % (
            args.rounds, "s" if args.rounds > 1 else "", args.warmup, args.runs, " (--quick)" if args.quick else "",
            SEED),
        "- FP32 FMA peak (bench/peak.c, GFLOP/s, best of before and after the models): %s" % peak_line,
        "",
        "dlcc ms: median of the harness's own per-run timings (bench_main.c, monotonic clock around "
        "`bm_run`/`bm_run_in`). ORT ms: median of `sess.run` timed in Python (perf_counter), so it "
        "includes the Python binding's overhead (tens of microseconds). dlcc/ORT below 1 means dlcc is "
        "faster. GFLOP/s = counted FLOPs / dlcc time; FLOPs are 2 x the multiply-accumulates of Conv, "
        "ConvTranspose, Gemm and MatMul only (bias, BN, activations, pooling not counted). % of peak is "
        "against the 512-bit FMA peak at the same thread count.",
        "",
    ] + perf_table(results, peaks) + [""] + model_table(results) + [""]
    if any(r["status"] != "ok" for r in results):
        lines += ["FAILED: max abs error above %g x the largest |reference output|, or non-finite output; "
                  "such a model gets no timing." % RTOL, ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dlcc", default=os.path.join(ROOT, "build", "dlcc"), help="the dlcc binary (default build/dlcc)")
    ap.add_argument("--models", default=",".join(ALL_MODELS),
                    help="comma-separated, from: %s (default: all)" % ",".join(ALL_MODELS))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--runs", type=int, help="timed runs per measurement (default 20; --quick: 5)")
    ap.add_argument("--warmup", type=int, help="untimed runs first (default 3; --quick: 1)")
    ap.add_argument("--rounds", type=int, help="rounds per measurement, dlcc and onnxruntime alternating "
                    "(default 3; --quick: 1)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, for testing the harness")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dlcc-bench"),
                    help="build folder (default $TMPDIR/dlcc-bench)")
    ap.add_argument("--output", help="the .md to write (default bench/results/<machine>.md, "
                                     "or <machine>-partial.md for --quick or a subset of models)")
    args = ap.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    unknown = [m for m in args.models if m not in ALL_MODELS]
    if unknown:
        ap.error("unknown model(s) %s; known: %s" % (",".join(unknown), ",".join(ALL_MODELS)))
    try:
        args.threads = [int(t) for t in args.threads.split(",") if t]
    except ValueError:
        ap.error("--threads wants integers, e.g. 1,2")
    if not args.threads or min(args.threads) < 1:
        ap.error("--threads wants integers >= 1")
    args.runs = args.runs or (5 if args.quick else 20)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.rounds < 1 or args.runs < 1:
        ap.error("--rounds and --runs want integers >= 1")
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    args.cc = shlex.split(os.environ.get("CC") or "cc")
    args.dlcc = os.path.abspath(args.dlcc)
    return args


def environment(args, features):
    cpu, flags, family = cpu_info()
    cores = core_count()
    isa = " ".join(f for f in flags if re.match(r"(avx|fma|amx)", f)) or "none of avx/fma/amx"
    try:
        version = run([args.dlcc, "--version"], "dlcc --version").strip().splitlines()[0]
    except (Failure, IndexError):
        version = "unknown version"
    import onnxruntime
    return {"cpu": cpu, "cores": cores, "isa": isa, "machine": machine_name(cpu, flags, cores, family),
            "cc_version": compiler_version(args.cc), "ort": onnxruntime.__version__, "dlcc_version": version,
            "threads": features["threads"], "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip()}


def main(argv=None):
    args = parse_args(argv)
    if not os.access(args.dlcc, os.X_OK):
        print("run_bench: no dlcc at %s (build it, or give --dlcc)" % args.dlcc, file=sys.stderr)
        return 2
    os.makedirs(args.workdir, exist_ok=True)
    try:
        features = dlcc_features(args.dlcc)
        env = environment(args, features)
        print("machine %s: %s, %d cores; %s; onnxruntime %s; dlcc --threads: %s"
              % (env["machine"], env["cpu"], env["cores"], env["cc_version"], env["ort"],
                 "yes" if features["threads"] else "no"), flush=True)
        peaks, peak_out = measure_peak(args.cc, args.workdir, max(args.threads))
        print(peak_out.strip(), flush=True)
    except Failure as e:
        print("run_bench: %s" % e, file=sys.stderr)
        return 2
    results = []
    for name in args.models:
        try:
            results.append(bench_model(args, name, features))
        except Failure as e:
            print("  FAILED: %s" % e, flush=True)
            results.append({"name": name, "gflop": 0.0, "rows": [], "status": "FAILED (error)",
                            "abs": None, "rel": None})
    try:   # again at the end, keeping the better figure: on a shared machine the first may be low
        again, peak_out = measure_peak(args.cc, args.workdir, max(args.threads))
        print(peak_out.strip(), flush=True)
        peaks = {k: max(v, again.get(k, v)) for k, v in peaks.items()}
    except Failure as e:
        print("run_bench: second peak measurement: %s" % e, file=sys.stderr)
    text = report(args, env, peaks, results)
    print("\n" + text)
    partial = args.quick or set(args.models) != set(ALL_MODELS)
    out = args.output or os.path.join(HERE, "results", env["machine"] + ("-partial" if partial else "") + ".md")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print("wrote %s" % out)
    return 1 if any(r["status"] != "ok" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
