#!/usr/bin/env python3
"""What the passes achieve on every generated family model and every light model-zoo net.

    pass_figures.py --dlcc build/dlcc --models build/models [--light] [--report build/pass_figures.md]

For each model: ONNX nodes vs nodes that reach the C backend at -O2, BatchNormalization nodes in the
model vs left at -O2 (and why each is left: "none" = neither its producer nor its reader is a
Conv/Gemm/MatMul; "shared" = it follows a conv whose output other nodes read too, so the conv's own
result is still needed; "act" = an activation (now fused into the BN) stands between it and the conv
it feeds; "padded" = it feeds a conv that pads, where folding forward is not exact),
1x1 convolutions merged, the arena vs the max-live lower bound vs the naive
sum of all intermediates (from `dlcc -v`), and the run time of the generated C at -O0 and -O2 (the
same seeded random inputs, `dlcc run`'s median of DLCC_REPEAT runs, same machine, same run).
Prints a markdown table (also written to --report) and every pass's -v line per model.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_model import light_models, make_inputs, safe_name  # noqa: E402

PLAN = re.compile(r"arena (\d+) bytes \(naive sum (\d+), max-live bound (\d+)\)")
CODEGEN = re.compile(r"codegen-c: (\d+) nodes")
MERGED = re.compile(r"merge-1x1: .*?(\d+) convs? merged")
RUN_S = re.compile(r"run_s=([0-9.eE+-]+)")


def dlcc(args, cmd, env=None):
    proc = subprocess.run([args.dlcc] + cmd, capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError("dlcc %s failed:\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
    return proc.stdout + proc.stderr


NODE = re.compile(r'^\s+(%.*?) = ([A-Za-z0-9_]+)(\+\S*)? "[^"]*" \((.*?)\)(?: \{.*\})?$')
LINEAR = ("Conv", "Gemm", "MatMul")


def bn_left_reasons(dump):
    """Each BatchNormalization left in a --dump-format=text graph, classified (see the docstring)."""
    producer, readers, bns = {}, {}, []
    for line in dump.splitlines():
        m = NODE.match(line)
        if not m:
            continue
        outs = re.findall(r"%([^\s:,]+):", m.group(1))
        ins = [t.strip()[1:] for t in m.group(4).split(",") if t.strip().startswith("%")]
        node = (m.group(2), outs, ins, m.group(3) or "")
        for v in outs:
            producer[v] = node
        for v in ins:
            readers.setdefault(v, []).append(node)
        if m.group(2) == "BatchNormalization":
            bns.append(node)
    reasons = {}
    for _, outs, ins, fused in bns:
        before = producer.get(ins[0])
        after = [r for r in readers.get(outs[0], []) if r[0] in LINEAR]
        if before is not None and before[0] in LINEAR:
            why = "shared"
        elif after and fused:
            why = "act"
        elif after:
            why = "padded"
        else:
            why = "none"
        reasons[why] = reasons.get(why, 0) + 1
    return reasons


def compile_info(args, model, level, work):
    out = os.path.join(work, "O%d" % level, "m.c")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    dump = os.path.join(work, "O%d.txt" % level)
    log = dlcc(args, [model, "-o", out, "-O%d" % level, "-v", "--dump-after=plan-memory", "--dump-file=" + dump])
    text = open(dump).read()
    bn_left = len(re.findall(r"= BatchNormalization\b(?!,)", text))
    reasons = bn_left_reasons(text)
    assert sum(reasons.values()) == bn_left, "BN count %d vs classified %s" % (bn_left, reasons)
    m = PLAN.search(log)
    info = {"log": [l for l in log.splitlines() if re.match(r"^[a-z0-9-]+: ", l)],
            "nodes": int(CODEGEN.search(log).group(1)), "bn_left": bn_left,
            "bn_why": ", ".join("%d %s" % (k, w) for w, k in sorted(reasons.items())),
            "arena": int(m.group(1)), "naive": int(m.group(2)), "bound": int(m.group(3))}
    merged = MERGED.search(log)
    info["merged"] = int(merged.group(1)) if merged else 0
    return info


def run_time(args, model, feeds, level, work):
    in_dir = os.path.join(work, "inputs")
    os.makedirs(in_dir, exist_ok=True)
    cmd = ["run", model, "-O%d" % level, "--output-dir", os.path.join(work, "out%d" % level)]
    for name, value in feeds.items():
        path = os.path.join(in_dir, safe_name(name) + ".npy")
        np.save(path, value)
        cmd += ["--input", "%s=%s" % (name, path)]
    env = dict(os.environ, DLCC_REPEAT=str(args.repeat))
    return float(RUN_S.search(dlcc(args, cmd, env)).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--models", help="a folder of .onnx files (gen_models.py output)")
    ap.add_argument("--light", action="store_true", help="also the light model-zoo nets")
    ap.add_argument("--repeat", type=int, default=21, help="runs per timing, the median is reported (default 21)")
    ap.add_argument("--report", help="also write the table here")
    args = ap.parse_args()
    models = sorted(glob.glob(os.path.join(args.models, "*.onnx"))) if args.models else []
    if args.light:
        models += light_models()
    if not models:
        ap.error("no models: give --models DIR and/or --light")
    rows, logs, failed = [], [], 0
    with tempfile.TemporaryDirectory(prefix="dlcc_figures_") as tmp:
        for path in models:
            name = os.path.splitext(os.path.basename(path))[0]
            work = os.path.join(tmp, safe_name(name))
            try:
                m = onnx.load(path)
                n_onnx = len(m.graph.node)
                bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
                o0, o2 = compile_info(args, path, 0, work), compile_info(args, path, 2, work)
                feeds = make_inputs(m, 0)
                t0, t2 = run_time(args, path, feeds, 0, work), run_time(args, path, feeds, 2, work)
            except Exception as e:  # report and go on: one broken model must not hide the others
                print("FAIL %s: %s" % (name, e), flush=True)
                failed += 1
                continue
            rows.append("| %s | %d | %d | %d | %d | %s | %d | %d | %d | %d | %.3f | %.1f | %.4g | %.4g | %.2f |" % (
                name, n_onnx, o2["nodes"], bn, o2["bn_left"], o2["bn_why"] or "-", o2["merged"], o2["arena"], o2["bound"], o2["naive"],
                o2["arena"] / max(o2["bound"], 1), o2["naive"] / max(o2["arena"], 1), t0, t2, t0 / max(t2, 1e-12)))
            logs.append("%s (-O2):\n  %s" % (name, "\n  ".join(o2["log"])))
            print(rows[-1], flush=True)
    head = ["| model | ONNX nodes | nodes -O2 | BN in model | BN left | why left | 1x1 convs merged | arena B | "
            "max-live bound B | naive sum B | arena/bound | naive/arena | run -O0 s | run -O2 s | -O0/-O2 |",
            "|---|" + "---:|" * 4 + "---|" + "---:|" * 9]
    table = "\n".join(head + rows)
    print("\n" + table + "\n")
    print("\n".join(logs))
    if args.report:
        with open(args.report, "w") as f:
            f.write("# dlcc pass figures\n\n`tests/models/pass_figures.py`; run times are the median of %d runs "
                    "of the generated C (cc -O2) on this machine.\n\n%s\n\n## -v lines at -O2\n\n```\n%s\n```\n"
                    % (args.repeat, table, "\n".join(logs)))
    print("%d models, %d failed" % (len(models), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
