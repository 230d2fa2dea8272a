#!/usr/bin/env python3
"""Writes the full-size benchmark networks MobileNetV2 (1.0, 224) and EfficientNet-B0.

    python gen_bench_models.py OUTDIR [--only mobilenetv2 efficientnet_b0] [--no-check]

Random weights from a seeded numpy generator (the seed is derived from the
model's name), IR version 8, opset 13, batch 1, input "input" 1x3x224x224,
output "logits" 1x1000. Every convolution is followed by BatchNormalization
with non-trivial statistics (mean ~ N(0, 0.1), var ~ U(0.5, 1.5),
gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1)), so BN folding is exercised.

Weight scale: convolution weights start He-initialised, then each one is
rescaled, in graph order, so that its output has unit RMS on a seeded
N(0, 1) input image (layer-sequential unit-variance init, run in
onnxruntime). Plain He scaling is not enough here: SiLU, the
squeeze-excitation gates and the BN affine maps each change the scale by a
constant factor per layer, which compounds over 50+ layers. With the
rescaling every activation stays O(1), so float32 rounding differences
between implementations stay comparable to what trained weights give.

Each model is checked with onnx.checker (full check) and run once in
onnxruntime.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "models"))
from gen_models import IR_VERSION, OPSET, Builder  # noqa: E402  (the project's builder, read-only)

INPUT = "input"
INPUT_SHAPE = [1, 3, 224, 224]


def _session(model_bytes):
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


class BenchBuilder(Builder):
    """Builder whose convolutions are rescaled to unit output RMS as they are added."""

    def __init__(self, name):
        super().__init__(name)
        self.image = np.random.default_rng(1234).standard_normal(INPUT_SHAPE).astype(np.float32)

    def partial_model(self, output):
        graph = helper.make_graph(self.nodes, self.name,
                                  [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, INPUT_SHAPE)],
                                  [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                                  initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = IR_VERSION
        return m

    def rescale(self, w_index, output):
        """Scales initializer w_index so that `output` has unit RMS on the calibration image."""
        y = _session(self.partial_model(output).SerializeToString()).run([output], {INPUT: self.image})[0]
        rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
        if not np.isfinite(rms) or rms == 0.0:
            raise RuntimeError("%s: output RMS %r during weight calibration" % (output, rms))
        t = self.inits[w_index]
        w = numpy_helper.to_array(t) / np.float32(rms)
        self.inits[w_index] = numpy_helper.from_array(w.astype(np.float32), t.name)

    def conv(self, x, cin, cout, k, stride=1, group=1, bias=False):
        """Conv with 'same' padding (k // 2), He-initialised then calibrated."""
        w_index = len(self.inits)
        w = self.const("W", self.weight((cout, cin // group, k, k), cin // group * k * k))
        inputs = [x, w] + ([self.const("B", self.bias(cout))] if bias else [])
        pad = k // 2
        y = self.op("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4,
                    group=group)
        self.rescale(w_index, y)
        return y

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, act="relu6"):
        y = self.bn(self.conv(x, cin, cout, k, stride=stride, group=group), cout)
        if act == "relu6":
            return self.relu6(y)
        if act == "silu":
            return self.silu(y)
        return y

    def silu(self, x):
        # SiLU / Swish as exported by PyTorch for opset 13: x * Sigmoid(x).
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def classifier(self, x, cin):
        x = self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1)
        return self.gemm(x, cin, 1000, out="logits")

    def finish(self):
        return self.model([(INPUT, INPUT_SHAPE)], ["logits"])


# ---------------------------------------------------------------- MobileNetV2

# (expansion t, output channels c, repeats n, first stride s): Sandler et al. 2018, table 2.
MOBILENETV2_TABLE = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                     (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenetv2():
    b = BenchBuilder("mobilenetv2_1.0_224")

    def inverted_residual(x, cin, cout, stride, t):
        h = cin * t
        y = b.conv_bn(x, cin, h, 1) if t != 1 else x                     # expansion (absent when t = 1)
        y = b.conv_bn(y, h, h, 3, stride=stride, group=h)                # depthwise 3x3
        y = b.conv_bn(y, h, cout, 1, act=None)                           # linear bottleneck
        return b.op("Add", [x, y]) if stride == 1 and cin == cout else y

    x, c = b.conv_bn(INPUT, 3, 32, 3, stride=2), 32                      # 32x112x112
    for t, cout, n, s in MOBILENETV2_TABLE:
        for i in range(n):
            x, c = inverted_residual(x, c, cout, s if i == 0 else 1, t), cout
    x = b.conv_bn(x, c, 1280, 1)                                         # 1280x7x7
    b.classifier(x, 1280)                                                # (dropout: identity at inference)
    return b.finish()


# ---------------------------------------------------------------- EfficientNet-B0

# (expansion, kernel, first stride, output channels, repeats): Tan & Le 2019, table 1.
EFFICIENTNET_B0_TABLE = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                         (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


def efficientnet_b0():
    b = BenchBuilder("efficientnet_b0")

    def squeeze_excite(x, h, squeeze):
        s = b.op("GlobalAveragePool", [x])
        s = b.silu(b.conv(s, h, squeeze, 1, bias=True))
        gate = b.op("Sigmoid", [b.conv(s, squeeze, h, 1, bias=True)])
        return b.op("Mul", [x, gate])

    def mbconv(x, cin, cout, k, stride, expand):
        h = cin * expand
        y = b.conv_bn(x, cin, h, 1, act="silu") if expand != 1 else x
        y = b.conv_bn(y, h, h, k, stride=stride, group=h, act="silu")    # depthwise kxk
        y = squeeze_excite(y, h, max(1, cin // 4))                       # SE ratio 0.25 of the block input
        y = b.conv_bn(y, h, cout, 1, act=None)                           # linear projection
        return b.op("Add", [x, y]) if stride == 1 and cin == cout else y  # no drop-connect at inference

    x, c = b.conv_bn(INPUT, 3, 32, 3, stride=2, act="silu"), 32          # 32x112x112
    for expand, k, s, cout, n in EFFICIENTNET_B0_TABLE:
        for i in range(n):
            x, c = mbconv(x, c, cout, k, s if i == 0 else 1, expand), cout
    x = b.conv_bn(x, c, 1280, 1, act="silu")                             # 1280x7x7
    b.classifier(x, 1280)
    return b.finish()


MODELS = {"mobilenetv2": mobilenetv2, "efficientnet_b0": efficientnet_b0}


def check(path):
    """onnx.checker, then one onnxruntime run; returns (output shape, output RMS)."""
    onnx.checker.check_model(path, full_check=True)
    image = np.random.default_rng(0).standard_normal(INPUT_SHAPE).astype(np.float32)
    y = _session(path).run(None, {INPUT: image})[0]
    if not np.all(np.isfinite(y)):
        raise RuntimeError("non-finite output")
    return y.shape, float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="*", choices=sorted(MODELS), help="models to write (default: all)")
    ap.add_argument("--no-check", action="store_true", help="skip onnx.checker and onnxruntime")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    failed = 0
    for name, make in MODELS.items():
        if args.only and name not in args.only:
            continue
        path = os.path.join(args.outdir, name + ".onnx")
        try:
            m = make()
            onnx.save(m, path)
            params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
            line = "wrote %-20s %4d nodes %9d params" % (name + ".onnx", len(m.graph.node), params)
            if not args.no_check:
                shape, rms = check(path)
                line += "  output %s rms %.3g" % ("x".join(map(str, shape)), rms)
            print(line, flush=True)
        except Exception as e:  # report every model, then fail
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
