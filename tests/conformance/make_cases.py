#!/usr/bin/env python3
"""Writes the ONNX backend conformance cases as test-data folders.

    make_cases.py OUT_DIR

The pip `onnx` package no longer ships the node-test files; it rebuilds them from its case
definitions (`onnx.backend.test.case.node.collect_testcases()`). This script writes

    OUT_DIR/node/<case>/model.onnx                              every node case, as generated
    OUT_DIR/node/<case>/test_data_set_N/input_K.pb|output_K.pb  (no version rewriting)
    OUT_DIR/<family>/<case>/...        copied from onnx/backend/test/data/<family>, for
                                       family in pytorch-converted, pytorch-operator, simple
    OUT_DIR/light/<case>/...           the `light` model-zoo nets: model.onnx, the input the
                                       ONNX test runner makes for them (arange(n)/n in the
                                       input's shape, float32) and the expected output the
                                       package ships (light_<name>_output_0.pb)
    OUT_DIR/cases.json                 [{"id": "family/case", "family", "name", "dir",
                                         "rtol", "atol", "data_sets"}], sorted by id

Tolerances are the case's own (node cases carry rtol/atol; shipped folders may have a
data.json), else what the ONNX test runner uses: rtol 1e-3, atol 1e-7. The folder is rewritten
from scratch every run; it belongs in the build folder, never in git.
"""
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7
SHIPPED_FAMILIES = ("pytorch-converted", "pytorch-operator", "simple")
DATA_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")


def serialize_value(value, value_info):
    """One input/output value as the bytes of its .pb file (as onnx's cmd_tools writes it)."""
    t = value_info.type
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, value_info.name).SerializeToString()


def write_node_cases(out_dir):
    from onnx.backend.test.case import node

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the case generators overflow casts on purpose
        cases = node.collect_testcases(None)
    entries = []
    for case in cases:
        case_dir = os.path.join(out_dir, "node", case.name)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(ds)
            for j, value in enumerate(inputs):
                with open(os.path.join(ds, f"input_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, graph.input[j]))
            for j, value in enumerate(outputs):
                with open(os.path.join(ds, f"output_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, graph.output[j]))
        entries.append(entry("node", case.name, case_dir, case.rtol, case.atol))
    return entries


def entry(family, name, case_dir, rtol, atol):
    n_sets = len([d for d in os.listdir(case_dir) if d.startswith("test_data_set_")])
    return {"id": f"{family}/{name}", "family": family, "name": name, "dir": case_dir,
            "rtol": rtol, "atol": atol, "data_sets": n_sets}


def write_shipped_family(out_dir, family):
    src_root = os.path.join(DATA_DIR, family)
    entries = []
    if not os.path.isdir(src_root):
        print(f"make_cases: warning: {src_root} is missing; family '{family}' skipped", file=sys.stderr)
        return entries
    for name in sorted(os.listdir(src_root)):
        src = os.path.join(src_root, name)
        if not os.path.isfile(os.path.join(src, "model.onnx")):
            continue
        dst = os.path.join(out_dir, family, name)
        shutil.copytree(src, dst)
        rtol, atol = DEFAULT_RTOL, DEFAULT_ATOL
        if os.path.exists(os.path.join(src, "data.json")):
            with open(os.path.join(src, "data.json")) as f:
                data = json.load(f)
            rtol, atol = data.get("rtol", rtol), data.get("atol", atol)
        entries.append(entry(family, name, dst, rtol, atol))
    return entries


def light_input(value_info):
    """The input onnx's backend test runner feeds the light models (generate_dummy_data,
    random=False): arange(n)/n in the input's shape, symbolic dims as 1, float32."""
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1
                  for d in value_info.type.tensor_type.shape.dim)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def write_light(out_dir):
    src_root = os.path.join(DATA_DIR, "light")
    entries = []
    if not os.path.isdir(src_root):
        return entries
    for fname in sorted(os.listdir(src_root)):
        if not (fname.startswith("light_") and fname.endswith(".onnx")):
            continue
        stem = fname[:-len(".onnx")]
        outputs = []
        model = onnx.load(os.path.join(src_root, fname))
        for i in range(len(model.graph.output)):
            path = os.path.join(src_root, f"{stem}_output_{i}.pb")
            if not os.path.exists(path):
                outputs = None
                break
            outputs.append(path)
        if outputs is None:
            print(f"make_cases: warning: {stem}: no shipped expected output; skipped", file=sys.stderr)
            continue
        name = "test_" + stem[len("light_"):]
        dst = os.path.join(out_dir, "light", name)
        ds = os.path.join(dst, "test_data_set_0")
        os.makedirs(ds)
        shutil.copy(os.path.join(src_root, fname), os.path.join(dst, "model.onnx"))
        inits = {t.name for t in model.graph.initializer}
        k = 0
        for vi in model.graph.input:
            if vi.name in inits:
                continue
            with open(os.path.join(ds, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(light_input(vi), vi.name).SerializeToString())
            k += 1
        for i, path in enumerate(outputs):
            shutil.copy(path, os.path.join(ds, f"output_{i}.pb"))
        entries.append(entry("light", name, dst, DEFAULT_RTOL, DEFAULT_ATOL))
    return entries


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out_dir = os.path.abspath(sys.argv[1])
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    entries = write_node_cases(out_dir)
    for family in SHIPPED_FAMILIES:
        entries += write_shipped_family(out_dir, family)
    entries += write_light(out_dir)
    entries.sort(key=lambda e: e["id"])
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(entries, f, indent=1)
    counts = {}
    for e in entries:
        counts[e["family"]] = counts.get(e["family"], 0) + 1
    print(f"make_cases: onnx {onnx.__version__}: {len(entries)} cases in {out_dir} ("
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
