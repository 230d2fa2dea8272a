#!/usr/bin/env python3
"""Writes the small model-level test networks, one .onnx file per family.

    python gen_models.py OUTDIR [--only NAME ...] [--no-check]

Each model is built with onnx.helper and numpy from a fixed seed (derived from
its name, so adding a model changes no other), with He-scaled random weights,
IR version 8 and opset 13 (14 where an op needs it: HardSwish). Every model is
checked with onnx.checker (full check, including shape inference) and run once
with onnxruntime. The families follow the architectures of the seed notes
(ARCHITECTURE.md / SEED-NOTES.md section 2), scaled down to run in milliseconds.
"""
import argparse
import os
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 8
OPSET = 13


class Builder:
    """Accumulates nodes and initializers; names values n0, n1, ... in order."""

    def __init__(self, name):
        self.name = name
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes = []
        self.inits = []
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return "%s_%d" % (hint, self.count)

    def const(self, hint, array):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, hint, values):
        return self.const(hint, np.array(values, dtype=np.int64))

    def op(self, op_type, inputs, outputs=1, name=None, **attrs):
        outs = [self.fresh(op_type.lower()) for _ in range(outputs)] if isinstance(outputs, int) else outputs
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name or self.fresh(op_type), **attrs))
        return outs[0] if len(outs) == 1 else outs

    # ---- layers with random weights ----

    def weight(self, shape, fan_in):
        std = np.sqrt(2.0 / fan_in)   # He initialization: keeps activations O(1) through ReLUs
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def bias(self, n):
        return (self.rng.standard_normal(n) * 0.1).astype(np.float32)

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True, dilation=1, out=None):
        pad = (k // 2) * dilation if pad is None else pad
        w = self.const("W", self.weight((cout, cin // group, k, k), cin // group * k * k))
        inputs = [x, w] + ([self.const("B", self.bias(cout))] if bias else [])
        return self.op("Conv", inputs, [out] if out else 1, kernel_shape=[k, k], strides=[stride, stride],
                       pads=[pad] * 4, group=group, dilations=[dilation, dilation])

    def bn(self, x, c):
        r = self.rng
        scale = self.const("gamma", r.uniform(0.5, 1.5, c).astype(np.float32))
        shift = self.const("beta", (r.standard_normal(c) * 0.1).astype(np.float32))
        mean = self.const("mean", (r.standard_normal(c) * 0.1).astype(np.float32))
        var = self.const("var", r.uniform(0.5, 1.5, c).astype(np.float32))
        return self.op("BatchNormalization", [x, scale, shift, mean, var], epsilon=1e-5)

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, act="relu"):
        y = self.bn(self.conv(x, cin, cout, k, stride=stride, group=group, bias=False), cout)
        if act == "relu":
            return self.op("Relu", [y])
        if act == "relu6":
            return self.relu6(y)
        return y

    def relu6(self, x):
        # ReLU6 as PyTorch exports it since opset 11: Clip with min and max inputs.
        lo = self.const("clip_min", np.array(0.0, dtype=np.float32))
        hi = self.const("clip_max", np.array(6.0, dtype=np.float32))
        return self.op("Clip", [x, lo, hi])

    def gemm(self, x, fin, fout, trans_b=1, out=None, **attrs):
        w = self.weight((fout, fin) if trans_b else (fin, fout), fin)
        return self.op("Gemm", [x, self.const("W", w), self.const("B", self.bias(fout))], [out] if out else 1,
                       transB=trans_b, **attrs)

    def maxpool(self, x, k, s, pad=0, ceil=0):
        return self.op("MaxPool", [x], kernel_shape=[k, k], strides=[s, s], pads=[pad] * 4, ceil_mode=ceil)

    def avgpool(self, x, k, s, pad=0):
        return self.op("AveragePool", [x], kernel_shape=[k, k], strides=[s, s], pads=[pad] * 4)

    def model(self, inputs, outputs, opset=OPSET):
        """inputs: [(name, shape)], outputs: [name]; float32 throughout."""
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
            initializer=self.inits)
        m = helper.make_model(graph, producer_name="dlcc-tests",
                              opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = IR_VERSION
        # Static output shapes, from a run: shape inference cannot see through
        # Shape->Gather->Reshape (torch_flatten).
        for out, shape in zip(m.graph.output, run_once(m.SerializeToString())):
            out.CopyFrom(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, list(shape)))
        return m


# ---------------------------------------------------------------- the families

def lenet5():
    b = Builder("lenet5")
    x = b.op("Relu", [b.conv("input", 1, 6, 5, pad=2)])            # 6x28x28
    x = b.maxpool(x, 2, 2)                                          # 6x14x14
    x = b.op("Relu", [b.conv(x, 6, 16, 5, pad=0)])                  # 16x10x10
    x = b.maxpool(x, 2, 2)                                          # 16x5x5
    x = b.op("Flatten", [x], axis=1)                                # 400
    x = b.op("Relu", [b.gemm(x, 400, 120)])
    x = b.op("Relu", [b.gemm(x, 120, 84)])
    b.gemm(x, 84, 10, out="logits")
    return b.model([("input", [1, 1, 28, 28])], ["logits"])


def alexnet_lrn():
    b = Builder("alexnet_lrn")
    x = b.op("Relu", [b.conv("data", 3, 16, 11, stride=4, pad=0)])  # (64-11)/4+1 = 14
    x = b.op("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=2.0)   # AlexNet's constants
    x = b.maxpool(x, 3, 2, ceil=1)                                  # ceil((14-3)/2)+1 = 7 (floor: 6)
    x = b.op("Relu", [b.conv(x, 16, 32, 5)])                        # 32x7x7
    x = b.op("LRN", [x], size=3, alpha=0.5, beta=0.75, bias=1.0)    # strong enough to matter
    x = b.maxpool(x, 3, 2)                                          # 32x3x3
    x = b.op("Relu", [b.conv(x, 32, 32, 3)])
    x = b.op("Flatten", [x])                                        # 288
    ratio = b.const("ratio", np.array(0.5, dtype=np.float32))
    x = b.op("Dropout", [x, ratio])                                 # inference: identity
    x = b.op("Relu", [b.gemm(x, 288, 64)])
    x = b.op("Dropout", [x])
    x = b.gemm(x, 64, 10)
    b.op("Softmax", [x], ["prob"], axis=1)
    return b.model([("data", [1, 3, 64, 64])], ["prob"])


def vgg_block():
    b = Builder("vgg_block")
    x = "input"
    for cin, cout in ((3, 16), (16, 16)):
        x = b.op("Relu", [b.conv(x, cin, cout, 3)])
    x = b.maxpool(x, 2, 2)                                          # 16x16x16
    for cin, cout in ((16, 32), (32, 32), (32, 32)):
        x = b.op("Relu", [b.conv(x, cin, cout, 3)])
    x = b.maxpool(x, 2, 2)                                          # 32x8x8
    x = b.op("Flatten", [x])
    b.gemm(x, 32 * 8 * 8, 10, out="output")
    return b.model([("input", [1, 3, 32, 32])], ["output"])


def inception_block():
    b = Builder("inception_block")
    x = b.op("Relu", [b.conv("input", 3, 16, 3)])
    b1 = b.op("Relu", [b.conv(x, 16, 8, 1)])
    b2 = b.op("Relu", [b.conv(b.op("Relu", [b.conv(x, 16, 8, 1)]), 8, 12, 3)])
    b3 = b.op("Relu", [b.conv(b.op("Relu", [b.conv(x, 16, 4, 1)]), 4, 6, 5)])
    b4 = b.op("Relu", [b.conv(b.maxpool(x, 3, 1, pad=1), 16, 6, 1)])
    y = b.op("Concat", [b1, b2, b3, b4], axis=1)                    # 8+12+6+6 = 32 channels
    b.op("AveragePool", [y], ["output"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    return b.model([("input", [1, 3, 32, 32])], ["output"])


def resnet_bottleneck():
    b = Builder("resnet_bottleneck")
    x = b.conv_bn("input.1", 3, 16, 3)                              # torch-style input name
    # Bottleneck with a projection shortcut (stride 2, 16 -> 32 channels).
    y = b.conv_bn(x, 16, 8, 1)
    y = b.conv_bn(y, 8, 8, 3, stride=2)
    y = b.conv_bn(y, 8, 32, 1, act=None)
    s = b.bn(b.conv(x, 16, 32, 1, stride=2, bias=False), 32)
    x = b.op("Relu", [b.op("Add", [y, s])])                         # 32x16x16
    # Bottleneck with an identity shortcut.
    y = b.conv_bn(b.conv_bn(b.conv_bn(x, 32, 8, 1), 8, 8, 3), 8, 32, 1, act=None)
    x = b.op("Relu", [b.op("Add", [y, x])])
    # The model zoo's ResNet-50 pools its last 7x7 maps with a 7x7 AveragePool (dlcc runs it as a global one).
    x = b.op("Flatten", [b.op("AveragePool", [x], kernel_shape=[16, 16])])
    b.gemm(x, 32, 10, out="resnet/logits")                          # '/' as in exported names
    return b.model([("input.1", [1, 3, 32, 32])], ["resnet/logits"])


def densenet_block():
    b = Builder("densenet_block")
    x, c, growth = b.conv("input", 3, 16, 3), 16, 8
    for _ in range(3):   # DenseNet-B layer: BN-ReLU-Conv1x1-BN-ReLU-Conv3x3, concatenated onto its input
        y = b.conv(b.op("Relu", [b.bn(x, c)]), c, 4 * growth, 1, bias=False)
        y = b.conv(b.op("Relu", [b.bn(y, 4 * growth)]), 4 * growth, growth, 3, bias=False)
        x, c = b.op("Concat", [x, y], axis=1), c + growth            # 24, 32, 40 channels
    y = b.conv(b.op("Relu", [b.bn(x, c)]), c, c // 2, 1, bias=False)  # transition
    b.op("AveragePool", [y], ["output"], kernel_shape=[2, 2], strides=[2, 2])
    return b.model([("input", [1, 3, 32, 32])], ["output"])


def mobilenetv2():
    b = Builder("mobilenetv2")

    def inverted_residual(x, cin, cout, stride, expand=6):
        h = cin * expand
        y = b.conv_bn(x, cin, h, 1, act="relu6")
        y = b.conv_bn(y, h, h, 3, stride=stride, group=h, act="relu6")   # depthwise
        y = b.conv_bn(y, h, cout, 1, act=None)                          # linear bottleneck
        return b.op("Add", [x, y]) if stride == 1 and cin == cout else y

    x = b.conv_bn("input", 3, 16, 3, stride=2, act="relu6")         # 16x16x16
    x = inverted_residual(x, 16, 16, 1)
    x = inverted_residual(x, 16, 24, 2)                             # 24x8x8
    x = inverted_residual(x, 24, 24, 1)
    x = b.op("HardSwish", [b.conv_bn(x, 24, 64, 1, act=None)])      # as in MobileNetV3's head
    x = b.op("Flatten", [b.op("GlobalAveragePool", [x])])
    b.gemm(x, 64, 10, out="output")
    return b.model([("input", [1, 3, 32, 32])], ["output"], opset=14)   # HardSwish is opset 14


def shufflenet_unit():
    b = Builder("shufflenet_unit")
    g, hw = 3, 32

    def shuffle(x, c, size):
        # ShuffleNet's channel shuffle as exported: Reshape(N,g,C/g,H,W), Transpose, Reshape.
        x = b.op("Reshape", [x, b.ints("shape", [1, g, c // g, size, size])])
        x = b.op("Transpose", [x], perm=[0, 2, 1, 3, 4])
        return b.op("Reshape", [x, b.ints("shape", [0, -1, size, size])])   # 0 copies N, -1 infers C

    def branch(x, stride, size):
        y = b.conv_bn(x, 24, 12, 1, group=g)                         # grouped 1x1
        y = shuffle(y, 12, size)
        y = b.conv_bn(y, 12, 12, 3, stride=stride, group=12, act=None)   # depthwise
        return b.conv_bn(y, 12, 24, 1, group=g, act=None)

    x = b.op("Relu", [b.conv("input", 3, 24, 3)])
    x = b.op("Relu", [b.op("Add", [x, branch(x, 1, hw)])])          # stride-1 unit: Add
    y = branch(x, 2, hw)
    s = b.avgpool(x, 3, 2, pad=1)
    b.op("Relu", [b.op("Concat", [s, y], axis=1)], ["output"])      # stride-2 unit: Concat, 48x16x16
    return b.model([("input", [1, 3, hw, hw])], ["output"])


def squeezenet_fire():
    b = Builder("squeezenet_fire")

    def fire(x, cin, squeeze, expand):
        s = b.op("Relu", [b.conv(x, cin, squeeze, 1)])
        e1 = b.op("Relu", [b.conv(s, squeeze, expand, 1)])
        e3 = b.op("Relu", [b.conv(s, squeeze, expand, 3)])
        return b.op("Concat", [e1, e3], axis=1)

    x = b.op("Relu", [b.conv("input", 3, 32, 3)])
    x = b.maxpool(x, 3, 2, ceil=1)                                  # Caffe's ceil mode: 32 -> 16
    x = fire(x, 32, 8, 16)
    x = fire(x, 32, 8, 16)
    x = b.op("Dropout", [x])
    x = b.op("Relu", [b.conv(x, 32, 10, 1)])
    x = b.op("GlobalAveragePool", [x])
    b.op("Softmax", [b.op("Flatten", [x])], ["output"], axis=1)
    return b.model([("input", [1, 3, 32, 32])], ["output"])


def upsample_decoder():
    b = Builder("upsample_decoder")
    x = b.op("Relu", [b.conv("input", 3, 8, 3, stride=2)])          # 8x8x8
    w = b.const("W", b.weight((8, 8, 3, 3), 8 * 9))                 # ConvTranspose: (C_in, C_out, k, k)
    x = b.op("ConvTranspose", [x, w, b.const("B", b.bias(8))], strides=[2, 2], pads=[1, 1, 1, 1],
             output_padding=[1, 1], kernel_shape=[3, 3])            # (8-1)*2 - 2 + 3 + 1 = 16
    b.op("Relu", [x], ["features"])                                 # an output that is also used
    scales = b.const("scales", np.array([1, 1, 2, 2], dtype=np.float32))
    x = b.op("Resize", ["features", "", scales], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")   # 32x32, as torch exports
    x = b.op("Relu", [b.conv(x, 8, 4, 3)])
    x = b.op("Resize", [x, "", scales], mode="linear", coordinate_transformation_mode="half_pixel")  # 64x64
    b.op("Sigmoid", [b.conv(x, 4, 1, 1)], ["mask"])
    return b.model([("input", [1, 3, 16, 16])], ["mask", "features"])


def mlp_softmax():
    b = Builder("mlp_softmax")
    x = b.op("Relu", [b.gemm("x", 64, 32)])
    x = b.gemm(x, 32, 10, trans_b=0, alpha=0.5, beta=2.0)            # the other layout and scalars
    b.op("Softmax", [x], ["probs"], axis=-1)
    return b.model([("x", [4, 64])], ["probs"])


def torch_flatten():
    b = Builder("torch_flatten")
    x = b.op("Relu", [b.conv("input", 3, 4, 3)])                    # 4x16x16
    # torch.flatten(x, 1) as exported by torch.onnx (opset 13): a shape subgraph
    # that must fold at compile time.
    shape = b.op("Shape", [x])
    zero = b.op("Constant", [], value=numpy_helper.from_array(np.array(0, dtype=np.int64)))
    batch = b.op("Gather", [shape, zero], axis=0)
    batch = b.op("Unsqueeze", [batch, b.ints("axes", [0])])
    target = b.op("Concat", [batch, b.ints("minus_one", [-1])], axis=0)
    x = b.op("Reshape", [x, target])
    b.gemm(x, 4 * 16 * 16, 10, out="output")
    return b.model([("input", [1, 3, 16, 16])], ["output"])


MODELS = [lenet5, alexnet_lrn, vgg_block, inception_block, resnet_bottleneck, densenet_block, mobilenetv2,
          shufflenet_unit, squeezenet_fire, upsample_decoder, mlp_softmax, torch_flatten]


def run_once(model):
    """Runs a model (path or bytes) once in onnxruntime on random inputs; returns the output shapes."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {i.name: rng.standard_normal(i.shape).astype(np.float32) for i in sess.get_inputs()}
    outs = sess.run(None, feeds)
    for o in outs:
        if not np.all(np.isfinite(o)):
            raise RuntimeError("non-finite output")
    return [o.shape for o in outs]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="*", help="model names to write (default: all)")
    ap.add_argument("--no-check", action="store_true", help="skip onnx.checker and onnxruntime")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    failed = 0
    for make in MODELS:
        if args.only and make.__name__ not in args.only:
            continue
        path = os.path.join(args.outdir, make.__name__ + ".onnx")
        try:
            m = make()
            onnx.save(m, path)
            shapes = "unchecked"
            if not args.no_check:
                onnx.checker.check_model(path, full_check=True)
                shapes = " ".join("x".join(map(str, s)) for s in run_once(path))
            params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
            print("wrote %-22s %3d nodes %7d params  opset %d  outputs %s"
                  % (make.__name__ + ".onnx", len(m.graph.node), params, m.opset_import[0].version, shapes))
        except Exception as e:  # report every model, then fail
            failed += 1
            print("FAIL %s: %s: %s" % (make.__name__, type(e).__name__, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
