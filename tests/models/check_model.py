#!/usr/bin/env python3
"""Compares dlcc's generated code with onnxruntime on whole models.

    check_model.py --dlcc PATH MODEL.onnx [MODEL.onnx ...] [--atol 1e-4] [--seed 0] [--workdir DIR]
    check_model.py --dlcc PATH --light                 # the model-zoo nets shipped in the onnx package
    check_model.py --dlcc PATH --all-generated DIR     # every .onnx in DIR (see gen_models.py)

For each model: random inputs (seeded; shapes and dtypes from the graph inputs
that are not initializers; symbolic dims bound to 1), the reference from
onnxruntime (CPUExecutionProvider, graph optimizations disabled), then

    DLCC MODEL.onnx -o WORKDIR/NAME.c              timed: dlcc_compile_s, and c_bytes
    ${CC:-cc} -std=c99 -O2 -c WORKDIR/NAME.c       timed: cc_O2_s
    DLCC run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR

and every output DIR/<output name>.npy (characters outside [A-Za-z0-9_.-]
replaced by '_') is compared with the reference. One line per model:

    PASS lenet5  max_abs_err=1.2e-06  dlcc_compile_s=0.05  c_bytes=123456  cc_O2_s=0.80  run_s=0.01

run_s is the inference time `dlcc run` reports (a `run_s=SECONDS` token on its
stdout or stderr); when it reports none, the wall time of the whole `dlcc run`
command. The last line is `N passed, N failed`; the exit status is non-zero if
any model failed.
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import helper

SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
REPORTED_RUN_S = re.compile(r"\brun_s\s*[=:]\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)")


def safe_name(name):
    """The file name dlcc uses for a tensor name (same rule as the CLI)."""
    return SAFE_NAME.sub("_", name)


class Failure(Exception):
    """A model did not pass; the message says why, details go after it."""

    def __init__(self, why, details=""):
        super().__init__(why)
        self.details = details


# ---------------------------------------------------------------- inputs and reference

def graph_inputs(model):
    """[(name, shape, numpy dtype)] of the inputs that are not initializers."""
    inits = {t.name for t in model.graph.initializer}
    result = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.WhichOneof("value") == "dim_value" else 1 for d in tt.shape.dim]
        result.append((vi.name, shape, helper.tensor_dtype_to_np_dtype(tt.elem_type)))
    return result


def random_input(rng, shape, dtype):
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 10, shape).astype(dtype)   # small: likely valid indices
    return rng.standard_normal(shape).astype(dtype)


def make_inputs(model, seed):
    rng = np.random.default_rng(seed)
    return {name: random_input(rng, shape, dtype) for name, shape, dtype in graph_inputs(model)}


def reference_outputs(path, feeds):
    import onnxruntime as ort
    ort.set_default_logger_severity(3)   # no warnings about unused initializers
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


# ---------------------------------------------------------------- running dlcc

def run_timed(cmd, timeout, what):
    """Runs cmd in its own process group, so that a timeout also ends the
    children it started (cc1 under cc, the model under dlcc run)."""
    shown = " ".join(map(shlex.quote, cmd))
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    except OSError as e:
        raise Failure("%s could not start: %s" % (what, e), shown)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException as e:   # timeout or Ctrl-C: leave nothing running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            raise Failure("%s timed out after %d s" % (what, timeout), shown)
        raise
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise Failure("%s exited with status %d" % (what, proc.returncode),
                      "$ %s\n%s%s" % (shown, stdout, stderr))
    return stdout + stderr, seconds


def compile_figures(args, model_path, name, work, stats):
    c_file = os.path.join(work, name + ".c")
    _, stats["dlcc_compile_s"] = run_timed([args.dlcc, model_path, "-o", c_file] + args.flag, args.timeout, "dlcc")
    if not os.path.isfile(c_file):
        raise Failure("dlcc wrote no %s" % c_file)
    stats["c_bytes"] = os.path.getsize(c_file)
    cc = shlex.split(os.environ.get("CC") or "cc")
    warn = ["-Wall", "-Wextra", "-pedantic", "-Werror"] if args.werror else []
    cmd = cc + ["-std=c99", "-O2"] + warn + ["-I", work, "-c", c_file, "-o", os.path.join(work, name + ".o")]
    _, stats["cc_O2_s"] = run_timed(cmd, args.timeout, "cc -O2")


def dlcc_run(args, model_path, feeds, work, stats):
    in_dir, out_dir = os.path.join(work, "inputs"), os.path.join(work, "outputs")
    os.makedirs(in_dir, exist_ok=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = [args.dlcc, "run", model_path]
    for name, value in feeds.items():
        path = os.path.join(in_dir, safe_name(name) + ".npy")
        np.save(path, value)
        cmd += ["--input", "%s=%s" % (name, path)]
    cmd += ["--output-dir", out_dir] + args.flag
    output, seconds = run_timed(cmd, args.timeout, "dlcc run")
    reported = REPORTED_RUN_S.search(output)
    stats["run_s"] = float(reported.group(1)) if reported else seconds
    return out_dir, output


# ---------------------------------------------------------------- comparing

def max_abs_error(name, ref, got):
    if got.shape != ref.shape:
        raise Failure("output %r has shape %s, onnxruntime gives %s" % (name, got.shape, ref.shape))
    if ref.dtype.kind in "biu" or got.dtype.kind in "biu":
        if got.dtype != ref.dtype:
            raise Failure("output %r has dtype %s, onnxruntime gives %s" % (name, got.dtype, ref.dtype))
        diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        return float(diff.max()) if diff.size else 0.0
    a, b = ref.astype(np.float64), got.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    err = np.where(both_nan, 0.0, np.abs(a - b))
    err = np.where(np.isnan(err), np.inf, err)   # NaN on one side only
    return float(err.max()) if err.size else 0.0


def compare_outputs(refs, out_dir, atol, dlcc_output):
    worst = 0.0
    for name, ref in refs.items():
        path = os.path.join(out_dir, safe_name(name) + ".npy")
        if not os.path.isfile(path):
            raise Failure("dlcc run wrote no %s for output %r" % (path, name), dlcc_output)
        err = max_abs_error(name, ref, np.load(path))
        if err > atol:
            raise Failure("output %r differs: max_abs_err=%.3g > atol %g" % (name, err, atol))
        worst = max(worst, err)
    return worst


def compare_levels(args, model_path, feeds, work, refs, stats):
    """--levels A,B: the outputs at -OA and -OB agree within 1e-5 relative (to each element or to
    the tensor's largest magnitude, whichever is larger), and two
    compiles at -OB give byte-identical files."""
    lo, hi = args.levels
    outs = {}
    for level in (lo, hi):
        level_args = argparse.Namespace(**vars(args))
        level_args.flag = [f for f in args.flag if not f.startswith("-O")] + ["-O" + level]
        level_work = os.path.join(work, "O" + level)
        os.makedirs(level_work, exist_ok=True)
        outs[level], _ = dlcc_run(level_args, model_path, feeds, level_work, {})
    worst = 0.0
    for name in refs:
        a = np.load(os.path.join(outs[lo], safe_name(name) + ".npy")).astype(np.float64)
        b = np.load(os.path.join(outs[hi], safe_name(name) + ".npy")).astype(np.float64)
        # relative to each element and to the tensor's scale: folding reorders sums, so an element
        # near zero in a tensor that reaches 30 may differ by 1e-6 absolute, not 1e-5 of itself
        scale = float(np.nanmax(np.abs(a))) if a.size else 0.0
        bad = ~np.isclose(b, a, rtol=1e-5, atol=1e-5 * scale, equal_nan=True)
        if bad.any():
            raise Failure("output %r: -O%s and -O%s disagree on %d of %d elements beyond 1e-5 relative"
                          % (name, lo, hi, int(bad.sum()), a.size))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(a != 0, np.abs(a - b) / np.abs(a), 0.0)
        worst = max(worst, float(np.nanmax(rel)) if rel.size else 0.0)
    stats["O%s_vs_O%s_rel" % (lo, hi)] = worst
    texts = []
    for k in range(2):
        folder = os.path.join(work, "twice%d" % k)
        os.makedirs(folder, exist_ok=True)
        c_file = os.path.join(folder, "m.c")
        run_timed([args.dlcc, model_path, "-o", c_file, "-O" + hi], args.timeout, "dlcc")
        texts.append(open(c_file, "rb").read() + open(os.path.join(folder, "m.h"), "rb").read())
    if texts[0] != texts[1]:
        raise Failure("compiling twice at -O%s gave different files" % hi)


# ---------------------------------------------------------------- one model, many models

def format_stats(stats):
    keys = ("max_abs_err", "dlcc_compile_s", "c_bytes", "cc_O2_s", "run_s") + tuple(
        k for k in stats if k.endswith("_rel"))
    fmt = {"max_abs_err": "%.2g", "c_bytes": "%d"}
    return "  ".join(("%s=" + fmt.get(k, "%.3g")) % (k, stats[k]) for k in keys if k in stats)


def check_one(args, model_path, work_root):
    name = os.path.splitext(os.path.basename(model_path))[0]
    work = os.path.join(work_root, safe_name(name))
    os.makedirs(work, exist_ok=True)
    stats = {}
    try:
        model = onnx.load(model_path)
        feeds = make_inputs(model, args.seed)
        refs = reference_outputs(model_path, feeds)
        compile_figures(args, model_path, name, work, stats)
        out_dir, output = dlcc_run(args, model_path, feeds, work, stats)
        stats["max_abs_err"] = compare_outputs(refs, out_dir, args.atol, output)
        if args.levels:
            compare_levels(args, model_path, feeds, work, refs, stats)
    except Failure as f:
        print(("FAIL %s  %s  %s" % (name, f, format_stats(stats))).rstrip(), flush=True)
        if f.details:
            details = f.details if len(f.details) <= 8000 else "...\n" + f.details[-8000:]
            print("  " + details.rstrip().replace("\n", "\n  "), flush=True)
        return False
    print("PASS %s  %s" % (name, format_stats(stats)), flush=True)
    return True


def light_models():
    folder = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
    return sorted(glob.glob(os.path.join(folder, "*.onnx")))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("models", nargs="*", metavar="MODEL.onnx")
    ap.add_argument("--dlcc", default=os.environ.get("DLCC"), help="the dlcc executable (default: $DLCC)")
    ap.add_argument("--atol", type=float, default=1e-4, help="largest allowed absolute error (default 1e-4)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    ap.add_argument("--workdir", help="keep generated files here (default: a temporary folder, removed)")
    ap.add_argument("--light", action="store_true", help="also check onnx's light model-zoo nets")
    ap.add_argument("--all-generated", metavar="DIR", help="also check every .onnx in DIR")
    ap.add_argument("--timeout", type=int, default=600, help="seconds allowed to each command (default 600)")
    ap.add_argument("--werror", action="store_true", help="compile with -Wall -Wextra -pedantic -Werror")
    ap.add_argument("--levels", metavar="A,B",
                    help="also check that -OA and -OB outputs agree within rtol 1e-5 and that compiling "
                         "twice at -OB gives byte-identical files, e.g. --levels 0,3")
    ap.add_argument("--flag", action="append", default=[], metavar="ARG",
                    help="pass ARG to dlcc (repeatable), e.g. --flag=-O0 --flag=--disable-pass=bn-fold")
    args = ap.parse_args(argv)
    if not args.dlcc:
        ap.error("--dlcc PATH (or $DLCC) is required")
    args.dlcc = os.path.abspath(args.dlcc) if os.sep in args.dlcc else args.dlcc
    if args.levels:
        args.levels = args.levels.replace("O", "").replace("-", "").split(",")
        if len(args.levels) != 2 or not all(l in ("0", "1", "2", "3") for l in args.levels):
            ap.error("--levels takes two -O levels, e.g. 0,3")
    return args


def main(argv=None):
    args = parse_args(argv)
    models = list(args.models)
    if args.light:
        found = light_models()
        if not found:
            print("no light models under %s" % os.path.dirname(onnx.__file__), file=sys.stderr)
            return 2
        models += found
    if args.all_generated:
        found = sorted(glob.glob(os.path.join(args.all_generated, "*.onnx")))
        if not found:
            print("no .onnx files in %s (gen_models.py writes them)" % args.all_generated, file=sys.stderr)
            return 2
        models += found
    if not models:
        print("nothing to check: give MODEL.onnx, --light or --all-generated DIR", file=sys.stderr)
        return 2
    work_root = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="dlcc_check_")
    os.makedirs(work_root, exist_ok=True)
    try:
        passed = sum(check_one(args, m, work_root) for m in models)
    finally:
        if not args.workdir:
            shutil.rmtree(work_root, ignore_errors=True)
    failed = len(models) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
