#!/usr/bin/env python3
"""Runs the ONNX backend conformance cases through `dlcc compare` and classifies every case.

    run_conformance.py --dlcc PATH --cases DIR [-j 2] [--timeout 120] [--report FILE]
                       [--expected FILE] [--out-of-scope FILE] [--families F,F] [--filter REGEX]
                       [--update-expected] [-v]

DIR is what make_cases.py wrote (DIR/cases.json lists the cases). For every case and every
test_data_set_N of it:

    DLCC compare DIR/<family>/<case>/model.onnx test_data_set_N --rtol R --atol A

with the case's tolerances (ONNX test runner defaults: rtol 1e-3, atol 1e-7). Cases run in
parallel (-j workers), each under a time limit for all its data sets together.

Run-time inputs that decide shapes (Reduce axes, Resize sizes, Pad pads, a Loop's trip count
fed as graph inputs): dlcc compiles static shapes and refuses them, naming the graph inputs
and the option that fixes them ("... use --bind axes=FILE"). The runner then compiles again
with that data set's value bound (`--bind axes=test_data_set_N/input_K.pb`): the generated
code is specialised to that value and returns an error for any other, so the numbers it
checks are still computed by dlcc. Such cases count as passed and are reported separately
("passed with --bind"), with the pass rate without them; --no-bind turns the retry off.

Classes:

    passed        dlcc compare exited 0 on every data set
    failed        wrong numbers (an output outside tolerance, of the wrong shape or dtype), or
                  dlcc rejected a valid model with an error that does not say it is unsupported
    unsupported   dlcc said cleanly that it does not support something (an operator, an
                  attribute value, a dtype, a run-time input it needs constant, the model's IR
                  or opset version), exit status 1; the words are in UNSUPPORTED below
    crashed       always a bug: a signal, an exit status other than 0/1, "internal error", a C
                  compiler error in the generated code, the compiled model failing to run, or
                  the time limit
    out of scope  the model matches a rule in out_of_scope.txt (not run)

Writes the report (default: conformance.md beside DIR): totals, the in-scope pass rate, rates
per family and per op, and every non-passing case with dlcc's message. Checks the passing set
against expected_pass.txt: exits 1 if a listed case does not pass (or is missing), prints the
cases that pass but are not listed ("newly passing: ..."); --update-expected rewrites the list.
The last line is `N passed, N failed, N skipped` (failed = failed + crashed, skipped =
unsupported + out of scope).
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ("passed", "failed", "unsupported", "crashed", "out of scope")
FAMILY_ORDER = ("node", "pytorch-converted", "pytorch-operator", "simple", "light")

# dlcc's clean "I do not support this" messages: the words it uses for a limitation (an op,
# an attribute value, a dtype -- "Add supports float32, int64, int32" --, an input that must be
# constant because shapes are static, the IR/opset version). Any other exit-1 message on a valid
# model that is not about wrong numbers counts as failed (dlcc rejected a valid model).
UNSUPPORTED = re.compile(r"unsupported|not supported|is supported|\bsupports\b|\bsupported:|newer than|"
                         r"not implemented|needs it constant|must be a constant|inference only|"
                         r"has type \w+, expected", re.I)
# Messages that mean a bug whatever else is said.
CRASH = re.compile(r"internal error|the C compiler failed|the compiled model failed to run|"
                   r"was killed by signal|Segmentation fault|Assertion .* failed|AddressSanitizer|"
                   r"runtime error:", re.I)
WRONG_NUMBERS = re.compile(r"^output \d+ .*(: FAIL|: MISMATCH:)", re.M)
BIND_HINT = re.compile(r"--bind (\S+?)=FILE")
UNSUPPORTED_OP = re.compile(r"unsupported operator:? '?([A-Za-z0-9_.]+)")
NODE_OP = re.compile(r"node '[^']*' \(([A-Za-z0-9_.]+)\)")


# ---------------------------------------------------------------- out-of-scope rules

class ScopeRules:
    """out_of_scope.txt: groups of `op NAME`, `dtype NAME`, `type KIND` rules."""

    def __init__(self, path):
        self.reasons = {}           # group -> reason
        self.ops = {}               # op type -> group
        self.dtypes = {}            # TensorProto data type number -> group
        self.kinds = {}             # sequence/map/optional -> group
        self.order = []
        group = None
        with open(path) as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                m = re.match(r"^\[([^\]]+)\]\s*(.*)$", line)
                if m:
                    group = m.group(1)
                    self.reasons[group] = m.group(2)
                    self.order.append(group)
                    continue
                parts = line.split()
                if group is None or len(parts) != 2 or parts[0] not in ("op", "dtype", "type"):
                    raise SystemExit(f"{path}:{lineno}: expected '[group] reason', 'op NAME', "
                                     f"'dtype NAME' or 'type KIND'")
                kind, name = parts
                if kind == "op":
                    self.ops[name] = group
                elif kind == "dtype":
                    if name not in TensorProto.DataType.keys():
                        raise SystemExit(f"{path}:{lineno}: unknown TensorProto data type {name}")
                    self.dtypes[TensorProto.DataType.Value(name)] = group
                else:
                    if name not in ("sequence", "map", "optional"):
                        raise SystemExit(f"{path}:{lineno}: type must be sequence, map or optional")
                    self.kinds[name] = group

    def classify(self, model):
        """(group, why) of the first rule the model matches, or None."""
        hits = []

        def type_hits(tp, where):
            which = tp.WhichOneof("value")
            if which == "tensor_type" or which == "sparse_tensor_type":
                et = getattr(tp, which).elem_type
                if et in self.dtypes:
                    hits.append((self.dtypes[et], f"{TensorProto.DataType.Name(et)} {where}"))
            elif which == "sequence_type":
                if "sequence" in self.kinds:
                    hits.append((self.kinds["sequence"], f"sequence type {where}"))
                type_hits(tp.sequence_type.elem_type, where)
            elif which == "optional_type":
                if "optional" in self.kinds:
                    hits.append((self.kinds["optional"], f"optional type {where}"))
                type_hits(tp.optional_type.elem_type, where)
            elif which == "map_type":
                if "map" in self.kinds:
                    hits.append((self.kinds["map"], f"map type {where}"))
                if tp.map_type.key_type in self.dtypes:
                    hits.append((self.dtypes[tp.map_type.key_type],
                                 f"{TensorProto.DataType.Name(tp.map_type.key_type)} map key {where}"))
                type_hits(tp.map_type.value_type, where)

        def tensor_hit(t, where):
            if t.data_type in self.dtypes:
                hits.append((self.dtypes[t.data_type], f"{TensorProto.DataType.Name(t.data_type)} {where}"))

        def graph_hits(g):
            for vi in g.input:
                type_hits(vi.type, f"input '{vi.name}'")
            for vi in g.output:
                type_hits(vi.type, f"output '{vi.name}'")
            for vi in g.value_info:
                type_hits(vi.type, f"value '{vi.name}'")
            for t in g.initializer:
                tensor_hit(t, f"initializer '{t.name}'")
            for n in g.node:
                if n.op_type in self.ops:
                    hits.append((self.ops[n.op_type], f"op {n.op_type}"))
                for a in n.attribute:
                    if a.HasField("t"):
                        tensor_hit(a.t, f"attribute of {n.op_type}")
                    for t in a.tensors:
                        tensor_hit(t, f"attribute of {n.op_type}")
                    if a.HasField("g"):
                        graph_hits(a.g)
                    for sub in a.graphs:
                        graph_hits(sub)

        graph_hits(model.graph)
        for fn in model.functions:
            for n in fn.node:
                if n.op_type in self.ops:
                    hits.append((self.ops[n.op_type], f"op {n.op_type} in function {fn.name}"))
        if not hits:
            return None
        hits.sort(key=lambda h: self.order.index(h[0]))
        return hits[0]


# ---------------------------------------------------------------- the case's main op

class OpNamer:
    """The op a case is about: the op of its single (non-Constant) node type; for `_expanded`
    node cases, the op of the case they expand; else the longest ONNX op name that starts the
    case name (underscores and case ignored)."""

    def __init__(self):
        names = {s.name for s in onnx.defs.get_all_schemas_with_history()}
        self.by_key = {}
        for n in names:
            self.by_key.setdefault(n.lower().replace("_", ""), n)

    def from_name(self, name):
        key = re.sub(r"^test_(operator_)?", "", name).lower().replace("_", "")
        best = None
        for k, op in self.by_key.items():
            if key.startswith(k) and (best is None or len(k) > len(best[0])):
                best = (k, op)
        return best[1] if best else None

    def main_op(self, name, op_types, family):
        distinct = sorted(set(op_types) - {"Constant"})
        if len(distinct) == 1:
            return distinct[0]
        if family != "node":        # whole models and pytorch exports: no single op
            return "(model)"
        guess = self.from_name(name)
        if guess and (guess in op_types or not op_types):
            return guess
        if len(distinct) == 0:
            return op_types[0] if op_types else "(empty)"
        return guess or "(model)"


def op_types_of(model):
    return [n.op_type for n in model.graph.node]


# ---------------------------------------------------------------- running one case

class Runner:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.done = 0

    def run_one(self, case):
        """Runs every data set of a case; returns (class, message, seconds)."""
        t0 = time.monotonic()
        deadline = t0 + self.args.timeout
        case_dir = case["dir"]
        model = os.path.join(case_dir, "model.onnx")
        sets = sorted((d for d in os.listdir(case_dir) if d.startswith("test_data_set_")),
                      key=lambda d: int(d.rsplit("_", 1)[1]) if d.rsplit("_", 1)[1].isdigit() else 0)
        if not sets:
            return "crashed", "the case has no test_data_set_N folder", 0.0
        scratch = tempfile.mkdtemp(prefix=re.sub(r"[^A-Za-z0-9_.-]", "_", case["id"]) + ".",
                                   dir=self.args.workdir)
        env = dict(os.environ, TMPDIR=scratch)
        result = ("passed", "", 0.0)
        bound = {}
        for ds in sets:
            cls, msg, binds = self.run_data_set(case, model, ds, env, deadline, len(sets))
            if ds == sets[0]:
                bound = binds
            if cls != "passed":
                result = (cls, msg, 0.0)
                break
        case["bound"] = sorted(bound)
        if result[0] == "passed" and self.args.levels:
            result = self.compare_levels(case, model, sets[0], bound, env, deadline, scratch)
        seconds = time.monotonic() - t0
        if result[0] == "crashed":
            keep = os.path.join(self.args.workdir, "crashed")
            os.makedirs(keep, exist_ok=True)
            dst = os.path.join(keep, re.sub(r"[^A-Za-z0-9_.-]", "_", case["id"]))
            shutil.rmtree(dst, ignore_errors=True)
            if os.listdir(scratch):   # dlcc kept its build folder: keep it for a look
                shutil.move(scratch, dst)
                result = (result[0], result[1].replace(scratch, dst), 0.0)
        shutil.rmtree(scratch, ignore_errors=True)
        return result[0], result[1], seconds

    def run_data_set(self, case, model, ds, env, deadline, n_sets):
        """dlcc compare on one data set; binds the inputs dlcc asks to have fixed, one retry each."""
        binds = {}
        while True:
            cmd = [self.args.dlcc, "compare", model, os.path.join(case["dir"], ds),
                   "--rtol", repr(float(case["rtol"])), "--atol", repr(float(case["atol"]))]
            for name, path in sorted(binds.items()):
                cmd += ["--bind", f"{name}={path}"]
            cls, msg = self.run_compare(cmd, env, deadline - time.monotonic(), ds, n_sets)
            wanted = [n for n in BIND_HINT.findall(msg) if n not in binds] if cls == "unsupported" else []
            inputs = case.get("runtime_inputs", [])
            if self.args.no_bind or not wanted or any(n not in inputs for n in wanted):
                return cls, msg, binds
            for n in wanted:
                binds[n] = os.path.join(case["dir"], ds, f"input_{inputs.index(n)}.pb")

    def compare_levels(self, case, model, ds, binds, env, deadline, scratch):
        """--levels A,B: two compiles at -OB give byte-identical files; where the code generated at -OA
        differs from -OB's, dlcc run at both levels on the data set must agree within 1e-5 relative
        (to the element or to the tensor's largest magnitude). Identical code needs no run."""
        lo, hi = self.args.levels
        bind_args = [a for n, p in sorted(binds.items()) for a in ("--bind", f"{n}={p}")]
        texts = {}
        for key, level in (("a", hi), ("b", hi), ("lo", lo)):
            folder = os.path.join(scratch, "gen_" + key)
            os.makedirs(folder, exist_ok=True)
            c_file = os.path.join(folder, "m.c")   # same name everywhere: the .c includes "m.h"
            cmd = [self.args.dlcc, model, "-o", c_file, "--name", "m"] + bind_args + ["-O" + level]
            cls, msg = self.run_compare(cmd, env, deadline - time.monotonic(), ds, 1)
            if cls != "passed":
                return "failed" if cls == "unsupported" else cls, f"-O{level}: {msg}", 0.0
            texts[key] = b"".join(open(p, "rb").read() for p in (c_file, c_file[:-2] + ".h"))
        if texts["a"] != texts["b"]:
            return "failed", f"compiling twice at -O{hi} gave different files", 0.0
        if texts["lo"] == texts["a"]:
            return "passed", "", 0.0
        inputs = case.get("runtime_inputs", [])
        in_args = []
        for k, name in enumerate(inputs):
            path = os.path.join(case["dir"], ds, f"input_{k}.pb")
            if os.path.exists(path):
                in_args += ["--input", f"{name}={path}"]
        outs = {}
        for level in (lo, hi):
            out = os.path.join(scratch, "O" + level)
            cmd = [self.args.dlcc, "run", model] + in_args + bind_args + ["-O" + level, "--output-dir", out]
            cls, msg = self.run_compare(cmd, env, deadline - time.monotonic(), ds, 1)
            if cls != "passed":
                return "failed" if cls == "unsupported" else cls, f"-O{level}: {msg}", 0.0
            outs[level] = out
        for f in sorted(os.listdir(outs[lo])):
            a, b = np.load(os.path.join(outs[lo], f)), np.load(os.path.join(outs[hi], f))
            if a.shape != b.shape or a.dtype != b.dtype:
                return "failed", f"-O{lo} and -O{hi} disagree on {f}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}", 0.0
            if a.dtype.kind in "fc":   # relative to the element or to the tensor's largest magnitude
                scale = float(np.nanmax(np.abs(a))) if a.size and not np.isnan(a).all() else 0.0
                bad = ~np.isclose(b, a, rtol=1e-5, atol=1e-5 * scale if np.isfinite(scale) else 0.0,
                                  equal_nan=True)
            else:
                bad = a != b
            if bad.any():
                return "failed", (f"-O{lo} and -O{hi} disagree on {f}: {int(bad.sum())} of {a.size} elements "
                                  f"beyond 1e-5 relative"), 0.0
        case["levels_ran"] = True
        return "passed", "", 0.0

    def run_compare(self, cmd, env, left, ds, n_sets):
        if left <= 0:
            return "crashed", f"timed out: the case took over {self.args.timeout:g} s"
        where = f" ({ds})" if n_sets > 1 else ""
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)   # dlcc, its cc and the compiled model
            proc.communicate()
            return "crashed", f"timed out: the case took over {self.args.timeout:g} s{where}"
        text = out.decode("utf-8", "replace")
        rc = proc.returncode
        if rc == 0:
            return "passed", ""
        msg = first_message(text, cmd[2])
        if rc < 0:
            return "crashed", f"dlcc killed by signal {-rc}{where}" + (f": {msg}" if msg else "")
        if rc != 1:
            return "crashed", f"dlcc exited with status {rc}{where}" + (f": {msg}" if msg else "")
        if CRASH.search(text):
            return "crashed", crash_message(text, cmd[2]) + where
        if WRONG_NUMBERS.search(text):
            return "failed", wrong_numbers_message(text) + where
        if msg and UNSUPPORTED.search(msg):
            return "unsupported", msg
        return "failed", (msg or "exit status 1 without a message") + where


def strip_path(line, model):
    line = line.strip()
    if line.startswith("dlcc: error: "):
        line = line[len("dlcc: error: "):]
    if line.startswith(model + ": "):
        line = line[len(model) + 2:]
    return line


def first_message(text, model):
    for line in text.splitlines():
        if line.startswith("dlcc: error:"):
            return strip_path(line, model)
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("run_s=")]
    return strip_path(lines[0], model) if lines else ""


def crash_message(text, model):
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if CRASH.search(line):
            msg = strip_path(line, model)
            # a C compiler error: add the compiler's first error line
            if "C compiler failed" in line:
                errs = [l for l in lines[:i] if ": error:" in l and not l.startswith("dlcc:")]
                if errs:
                    msg += " — " + errs[0].split("/")[-1].strip()
            return msg
    return first_message(text, model)


def wrong_numbers_message(text):
    for line in text.splitlines():
        if WRONG_NUMBERS.search(line):
            return line.strip()
    return "wrong numbers"


# ---------------------------------------------------------------- report

def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "–"


def md_escape(s):
    return s.replace("|", "\\|").replace("\n", " ")


def write_report(path, results, args, wall, scope_rules, extra):
    by_class = collections.Counter(r["class"] for r in results)
    in_scope = [r for r in results if r["class"] != "out of scope"]
    n_pass = by_class["passed"]
    L = []
    L.append("# dlcc ONNX backend conformance")
    L.append("")
    L.append(f"onnx {onnx.__version__}; dlcc `{args.dlcc}`; {len(results)} cases; -j {args.jobs}, "
             f"time limit {args.timeout:g} s per case; wall time {wall:.0f} s. "
             f"Generated by `tests/conformance/run_conformance.py`.")
    L.append("")
    n_bound = sum(1 for r in results if r["class"] == "passed" and r["bound"])
    L.append(f"**In-scope pass rate: {n_pass}/{len(in_scope)} = {pct(n_pass, len(in_scope))}** "
             f"(all cases: {pct(n_pass, len(results))})")
    L.append("")
    L.append(f"Of the passing cases, {n_bound} pass with run-time inputs that decide shapes fixed at compile "
             f"time (`--bind`, the data set's own value; the generated code refuses any other value). "
             f"Without them the in-scope pass rate is {n_pass - n_bound}/{len(in_scope)} = "
             f"{pct(n_pass - n_bound, len(in_scope))}.")
    L.append("")
    L.append("| class | cases |")
    L.append("|---|---:|")
    for c in CLASSES:
        L.append(f"| {c} | {by_class[c]} |")
    L.append(f"| **total** | {len(results)} |")
    L.append("")

    # out of scope by group
    L.append("## Out of scope (by `tests/conformance/out_of_scope.txt`)")
    L.append("")
    L.append("| group | reason | cases |")
    L.append("|---|---|---:|")
    og = collections.Counter(r["scope_group"] for r in results if r["class"] == "out of scope")
    for g in scope_rules.order:
        L.append(f"| {g} | {md_escape(scope_rules.reasons[g])} | {og[g]} |")
    L.append("")

    def rate_table(key, title, keys=None):
        groups = collections.defaultdict(list)
        for r in results:
            groups[key(r)].append(r)
        L.append(f"| {title} | cases | in scope | passed | of which with --bind | failed | unsupported | crashed "
                 f"| pass rate (in scope) |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k in (keys or sorted(groups)):
            rs = groups.get(k, [])
            if not rs:
                continue
            c = collections.Counter(r["class"] for r in rs)
            ins = len(rs) - c["out of scope"]
            nb = sum(1 for r in rs if r["class"] == "passed" and r["bound"])
            L.append(f"| {k} | {len(rs)} | {ins} | {c['passed']} | {nb} | {c['failed']} | {c['unsupported']} | "
                     f"{c['crashed']} | {pct(c['passed'], ins)} |")
        L.append("")

    L.append("## Per family")
    L.append("")
    rate_table(lambda r: r["family"], "family",
               [f for f in FAMILY_ORDER] + sorted({r["family"] for r in results} - set(FAMILY_ORDER)))

    # what blocks the in-scope cases
    L.append("## What the non-passing in-scope cases need")
    L.append("")
    L.append("Unsupported cases by dlcc's reason (the first thing dlcc refused; a case may need more):")
    L.append("")
    L.append("| reason | cases |")
    L.append("|---|---:|")
    for reason, n in collections.Counter(r["reason"] for r in in_scope if r["class"] == "unsupported").most_common():
        L.append(f"| {md_escape(reason)} | {n} |")
    L.append("")
    L.append("Ops missing from `dlcc --list-ops` in the in-scope cases that do not pass, counted over "
             "the cases whose only missing op it is (then over all cases that use it):")
    L.append("")
    L.append("| op | cases needing only this op | cases using it |")
    L.append("|---|---:|---:|")
    only = collections.Counter()
    anyc = collections.Counter()
    for r in in_scope:
        if r["class"] == "passed":
            continue
        miss = r["missing_ops"]
        for op in miss:
            anyc[op] += 1
        if len(miss) == 1:
            only[miss[0]] += 1
    for op, n in sorted(anyc.items(), key=lambda kv: (-only[kv[0]], -kv[1], kv[0])):
        L.append(f"| {op} | {only[op]} | {n} |")
    L.append("")
    if extra.get("versions"):
        L.append("In-scope cases by the model's versions:")
        L.append("")
        L.append("| | cases | passed | all their ops in `dlcc --list-ops` |")
        L.append("|---|---:|---:|---:|")
        for k, (n, p, a) in extra["versions"]:
            L.append(f"| {k} | {n} | {p} | {a} |")
        L.append("")

    L.append("## Per op (the case's main op)")
    L.append("")
    ops = collections.defaultdict(list)
    for r in results:
        ops[r["op"]].append(r)
    order = sorted(ops, key=lambda o: (-sum(1 for r in ops[o] if r["class"] not in ("passed", "out of scope")),
                                       o))
    L.append("Sorted by the number of in-scope cases that do not pass (most to gain first).")
    L.append("")
    rate_table(lambda r: r["op"], "op", order)

    L.append("## Non-passing cases")
    L.append("")
    L.append("Out-of-scope cases are listed in the last table.")
    L.append("")
    L.append("| case | op | class | dlcc's message |")
    L.append("|---|---|---|---|")
    rank = {"crashed": 0, "failed": 1, "unsupported": 2}
    for r in sorted((r for r in in_scope if r["class"] != "passed"),
                    key=lambda r: (rank[r["class"]], r["id"])):
        L.append(f"| {r['id']} | {r['op']} | {r['class']} | {md_escape(r['message'])} |")
    L.append("")
    L.append("### Out-of-scope cases")
    L.append("")
    L.append("| case | group | matched |")
    L.append("|---|---|---|")
    for r in sorted((r for r in results if r["class"] == "out of scope"), key=lambda r: r["id"]):
        L.append(f"| {r['id']} | {r['scope_group']} | {md_escape(r['message'])} |")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def unsupported_reason(msg):
    """A short key for the report: what dlcc refused."""
    m = re.search(r"unsupported operators: (.*?)(?: \(dlcc --list-ops|$)", msg)
    if m:
        return "unsupported operators " + ", ".join(re.findall(r"([A-Za-z0-9_.]+) \(nodes? #", m.group(1)))
    m = UNSUPPORTED_OP.search(msg)
    if m:
        return f"unsupported operator {m.group(1)}"
    if re.search(r"default-domain opset \d+ \(the model has no opset_import\)", msg):
        return "no default-domain opset_import (other domains only)"
    m = re.search(r"default-domain opset (\d+) is not supported", msg)
    if m and int(m.group(1)) < 7:
        return "opset older than dlcc supports (< 7)"
    if re.search(r"IR version \d+ is newer", msg):
        return "IR version newer than dlcc knows (> 8)"
    m = re.search(r"opset (\d+)[^;]*newer", msg)
    if m:
        return "opset newer than dlcc supports (> 17)"
    m = NODE_OP.search(msg)
    if m:
        rest = msg[m.end():].lstrip(": ")
        d = re.search(r"(?:is|are) [a-z0-9]+(?: and [a-z0-9]+)?; \S+ supports (.*)$", rest)
        if d:
            return f"{m.group(1)}: dtype not supported (supports {d.group(1)})"
        rest = re.sub(r"'[^']*'", "'…'", rest)
        rest = re.sub(r"\b\d+\b", "N", rest)
        return f"{m.group(1)}: {rest[:90]}"
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", msg))[:100]


# ---------------------------------------------------------------- main

def dlcc_ops(dlcc):
    try:
        out = subprocess.run([dlcc, "--list-ops"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return set(out.split())


def read_expected(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--cases", required=True, help="the folder make_cases.py wrote")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case (all its data sets)")
    ap.add_argument("--report", help="default: conformance.md beside --cases")
    ap.add_argument("--workdir", help="scratch folder (default: CASES-work); crashed cases keep "
                                      "their dlcc build folder in WORKDIR/crashed/")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected_pass.txt"))
    ap.add_argument("--out-of-scope", default=os.path.join(HERE, "out_of_scope.txt"))
    ap.add_argument("--families", help="comma-separated families to run (default: all)")
    ap.add_argument("--filter", help="only cases whose id matches this regular expression")
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite --expected with the cases that pass")
    ap.add_argument("--json", help="also write every case's result as JSON here")
    ap.add_argument("--levels", metavar="A,B",
                    help="also check, for every passing case, that dlcc run at -OA and -OB agree within "
                         "1e-5 relative and that compiling twice at -OB gives identical files")
    ap.add_argument("--no-bind", action="store_true",
                    help="do not retry with --bind for inputs dlcc needs fixed at compile time")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    args = ap.parse_args()
    if args.levels:
        args.levels = args.levels.replace("O", "").replace("-", "").split(",")
        if len(args.levels) != 2 or not all(l in ("0", "1", "2", "3") for l in args.levels):
            ap.error("--levels takes two -O levels, e.g. 0,3")

    args.dlcc = os.path.abspath(args.dlcc)
    args.cases = os.path.abspath(args.cases)
    report = args.report or os.path.join(os.path.dirname(args.cases), "conformance.md")
    args.workdir = os.path.abspath(args.workdir or args.cases.rstrip("/") + "-work")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    if not os.access(args.dlcc, os.X_OK):
        print(f"run_conformance: error: {args.dlcc} is not an executable", file=sys.stderr)
        return 2
    manifest = os.path.join(args.cases, "cases.json")
    if not os.path.exists(manifest):
        print(f"run_conformance: error: {manifest} is missing: run make_cases.py {args.cases} first",
              file=sys.stderr)
        return 2
    with open(manifest) as f:
        all_cases = json.load(f)
    for c in all_cases:   # the folder may have moved since make_cases.py ran
        c["dir"] = os.path.join(args.cases, c["family"], c["name"])

    selected = all_cases
    if args.families:
        fams = set(args.families.split(","))
        selected = [c for c in selected if c["family"] in fams]
    if args.filter:
        rx = re.compile(args.filter)
        selected = [c for c in selected if rx.search(c["id"])]
    filtered = len(selected) != len(all_cases)

    rules = ScopeRules(args.out_of_scope)
    namer = OpNamer()
    supported_ops = dlcc_ops(args.dlcc) or set()
    results = {}
    to_run = []
    main_ops = {}
    for c in selected:
        model = onnx.load(os.path.join(c["dir"], "model.onnx"), load_external_data=False)
        inits = {i.name for i in model.graph.initializer}
        c["runtime_inputs"] = [i.name for i in model.graph.input if i.name not in inits]
        types = op_types_of(model)
        all_types = set(types)
        for n in model.graph.node:      # ops inside subgraphs count as used
            for a in n.attribute:
                for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    all_types.update(x.op_type for x in g.node)
        opset = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])
        r = {"id": c["id"], "family": c["family"], "name": c["name"], "op_types": types,
             "missing_ops": sorted(all_types - supported_ops) if supported_ops else [],
             "ir_version": model.ir_version, "opset": opset, "class": None, "message": "",
             "scope_group": "", "reason": "", "seconds": 0.0, "bound": []}
        main_ops[c["id"]] = namer.main_op(c["name"], types, c["family"])
        results[c["id"]] = r
        hit = rules.classify(model)
        if hit:
            r["class"], r["scope_group"], r["message"] = "out of scope", hit[0], hit[1]
        else:
            to_run.append(c)
    for r in results.values():
        m = re.match(r"^(.*)_expanded(_ver\d+)?$", r["name"])
        base = m and main_ops.get(r["family"] + "/" + m.group(1))
        r["op"] = base if (r["family"] == "node" and base) else main_ops[r["id"]]

    print(f"run_conformance: {len(selected)} cases ({len(selected) - len(to_run)} out of scope), "
          f"running {len(to_run)} with {args.jobs} workers, {args.timeout:g} s limit per case", flush=True)
    # the slow ones (whole networks) first, so they do not make a tail
    to_run.sort(key=lambda c: (c["family"] not in ("light", "pytorch-converted"), c["id"]))
    runner = Runner(args)
    t0 = time.monotonic()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(runner.run_one, c): c for c in to_run}
        for fut in concurrent.futures.as_completed(futures):
            c = futures[fut]
            r = results[c["id"]]
            try:
                r["class"], r["message"], r["seconds"] = fut.result()
                r["bound"] = c.get("bound", [])
                r["levels_ran"] = c.get("levels_ran", False)
            except Exception as e:  # the runner itself failed: count it, do not hide it
                r["class"], r["message"] = "crashed", f"runner error: {e!r}"
            if r["class"] == "unsupported":
                r["reason"] = unsupported_reason(r["message"])
            done += 1
            if args.verbose or r["class"] in ("failed", "crashed"):
                print(f"{r['class'].upper():11} {r['id']}  {r['seconds']:.1f}s"
                      + (f"  {r['message']}" if r["message"] else ""), flush=True)
            elif done % 200 == 0:
                print(f"... {done}/{len(to_run)} run, {time.monotonic() - t0:.0f} s", flush=True)
    wall = time.monotonic() - t0

    res = [results[c["id"]] for c in selected]
    in_scope = [r for r in res if r["class"] != "out of scope"]
    ver = collections.OrderedDict()
    for label, pred in (("IR ≤ 8, opset 7..17", lambda r: r["ir_version"] <= 8 and 7 <= r["opset"] <= 17),
                        ("IR > 8 or opset > 17", lambda r: r["ir_version"] > 8 or r["opset"] > 17),
                        ("IR ≤ 8, opset < 7 (or none)", lambda r: r["ir_version"] <= 8 and r["opset"] < 7)):
        sel = [r for r in in_scope if pred(r)]
        ver[label] = (len(sel), sum(1 for r in sel if r["class"] == "passed"),
                      sum(1 for r in sel if not r["missing_ops"]))
    os.makedirs(os.path.dirname(os.path.abspath(report)), exist_ok=True)
    write_report(report, res, args, wall, rules, {"versions": list(ver.items())})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)

    # expected_pass.txt
    passed = {r["id"] for r in res if r["class"] == "passed"}
    selected_ids = {r["id"] for r in res}
    known_ids = {c["id"] for c in all_cases}
    expected = read_expected(args.expected)
    rc = 0
    missing = [e for e in expected if e not in known_ids]
    regressed = [e for e in expected if e in selected_ids and e not in passed]
    new = sorted(passed - set(expected))
    for e in missing:
        print(f"REGRESSION {e}: listed in {os.path.basename(args.expected)} but there is no such case")
    for e in regressed:
        r = results[e]
        print(f"REGRESSION {e}: listed in {os.path.basename(args.expected)} but {r['class']}: {r['message']}")
    if new:
        hint = "" if args.update_expected else "; add them with --update-expected"
        print(f"newly passing ({len(new)}{hint}): " + " ".join(new))
    if args.update_expected:
        keep = {e for e in expected if e not in selected_ids and e in known_ids}
        with open(args.expected, "w") as f:
            f.write("\n".join(sorted(keep | passed)) + "\n")
        print(f"run_conformance: wrote {len(keep | passed)} cases to {args.expected}")
    elif missing or regressed:
        rc = 1

    c = collections.Counter(r["class"] for r in res)
    n_bound = sum(1 for r in res if r["class"] == "passed" and r["bound"])
    print(f"run_conformance: report in {report}; wall time {wall:.0f} s")
    if args.levels:
        n_ran = sum(1 for r in res if r.get("levels_ran"))
        print(f"--levels {','.join(args.levels)}: every passing case compiled twice identically; "
              f"{n_ran} generated different code at the two levels and were run at both (agreed)")
    print(f"passed with --bind (shape-deciding run-time inputs fixed at compile time): {n_bound}; "
          f"in-scope pass rate without them {pct(c['passed'] - n_bound, len(in_scope))}")
    print(f"classes: passed {c['passed']}, failed {c['failed']}, unsupported {c['unsupported']}, "
          f"crashed {c['crashed']}, out of scope {c['out of scope']}; in-scope pass rate "
          f"{pct(c['passed'], len(in_scope))}" + (" (a filtered run)" if filtered else ""))
    print(f"{c['passed']} passed, {c['failed'] + c['crashed']} failed, "
          f"{c['unsupported'] + c['out of scope']} skipped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
