#!/usr/bin/env python3
"""Writes the classify example's model, labels and sample image.

    python3 make_model.py [OUT_DIR]        (default: this script's folder)

Outputs: classify_model.onnx, labels.txt, sample.ppm.  Needs onnx and numpy;
if onnxruntime is installed the script also checks the model with it.

The model is a small CNN whose weights are designed by hand, not trained:
it names the dominant colour of an image (9 classes, see LABELS).  Every
layer computes something that can be written down:

  conv1  3x3, 3->9, no padding, + Relu   a 3x3 box blur of nine per-pixel
         colour features: R, G, B and the six one-sided differences
         relu(G-R), relu(R-G), relu(B-G), relu(B-R), relu(G-B), relu(R-B)
  conv2  1x1, 9->9, + Relu               hue memberships, using
         max(a,b) = a + relu(b-a) and min(a,b) = a - relu(a-b):
         red = relu(R - max(G,B)), yellow = relu(min(R,G) - B), ... and
         copies of R, relu(G-R), relu(R-G) for the next layer
  conv3  1x1, 9->9, + Relu               the six hues pass through; with
         max(R,G,B) = R + relu(G-R) + blue and
         min(R,G,B) = R - relu(R-G) - yellow it adds
         white = relu((min - 0.6) / 0.4), black = relu((0.3 - max) / 0.3),
         gray  = relu(1 - (max - min) / 0.2)
  pool   MaxPool 2x2: a colour counts if present in a 2x2 window
  gap    GlobalAveragePool: how much of the image has each colour
  gemm   logits = 8 * (1.5 * hue score) for the six hues (a hue's score is
         the pixel's chroma, below 1 unless fully saturated), 8 * score for
         white and black, 8 * (gray - black - white) for gray (black and
         white pixels are achromatic too, so gray must not win there)
  Softmax

So the output is "which colour covers most of the picture", not object
recognition.  Deterministic: there is nothing random in it.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LABELS = ["red", "green", "blue", "yellow", "cyan", "magenta", "white", "black", "gray"]
SIZE = 64          # model input: 1 x 3 x SIZE x SIZE, RGB in [0, 1]
TEMPERATURE = 8.0  # logit scale: a one-colour image gets p > 0.997
HUE_GAIN = 1.5     # a hue's score is its chroma (< 1 unless saturated): weigh it up


def conv1_weights():
    """Nine linear features of (R, G, B), each blurred by a 3x3 box filter."""
    R, G, B = np.eye(3, dtype=np.float32)
    rows = [R, G, B, G - R, R - G, B - G, B - R, G - B, R - B]
    a = np.stack(rows)                                   # [9, 3]
    w = np.repeat(a[:, :, None, None], 3, axis=2).repeat(3, axis=3) / 9.0
    return w.astype(np.float32), np.zeros(9, np.float32)


# conv1 channel order, named for the formulas below
C1 = {n: i for i, n in enumerate(["R", "G", "B", "GmR", "RmG", "BmG", "BmR", "GmB", "RmB"])}
C2_NAMES = ["red", "green", "blue", "yellow", "cyan", "magenta", "R", "GmR", "RmG"]
C2 = {n: i for i, n in enumerate(C2_NAMES)}


def conv2_weights():
    """Hue memberships; each sums to the pixel's chroma max-min over the six."""
    terms = {
        "red": {"R": 1, "G": -1, "BmG": -1},       # R - (G + relu(B-G)) = R - max(G,B)
        "green": {"G": 1, "R": -1, "BmR": -1},     # G - max(R,B)
        "blue": {"B": 1, "R": -1, "GmR": -1},      # B - max(R,G)
        "yellow": {"R": 1, "RmG": -1, "B": -1},    # (R - relu(R-G)) - B = min(R,G) - B
        "cyan": {"G": 1, "GmB": -1, "R": -1},      # min(G,B) - R
        "magenta": {"R": 1, "RmB": -1, "G": -1},   # min(R,B) - G
        "R": {"R": 1}, "GmR": {"GmR": 1}, "RmG": {"RmG": 1},
    }
    w = np.zeros((9, 9, 1, 1), np.float32)
    for o, name in enumerate(C2_NAMES):
        for src, k in terms[name].items():
            w[o, C1[src], 0, 0] = k
    return w, np.zeros(9, np.float32)


def conv3_weights():
    """Hues pass through; white, black and gray from max, min and chroma."""
    w = np.zeros((9, 9, 1, 1), np.float32)
    b = np.zeros(9, np.float32)
    for i in range(6):
        w[i, i, 0, 0] = 1.0
    mx = {"R": 1, "GmR": 1, "blue": 1}         # max(R,G,B)
    mn = {"R": 1, "RmG": -1, "yellow": -1}     # min(R,G,B)
    white, black, gray = 6, 7, 8
    for src, k in mn.items():                  # (min - 0.6) / 0.4
        w[white, C2[src], 0, 0] = k / 0.4
    b[white] = -0.6 / 0.4
    for src, k in mx.items():                  # (0.3 - max) / 0.3
        w[black, C2[src], 0, 0] = -k / 0.3
    b[black] = 1.0
    chroma = {"GmR": 1, "RmG": 1, "blue": 1, "yellow": 1}   # max - min
    for src, k in chroma.items():              # 1 - chroma / 0.2
        w[gray, C2[src], 0, 0] = -k / 0.2
    b[gray] = 1.0
    return w, b


def gemm_weights():
    w = np.eye(9, dtype=np.float32)
    w[:6] *= HUE_GAIN
    w[8, 6] = -1.0   # gray logit: gray - white - black
    w[8, 7] = -1.0
    return (TEMPERATURE * w).astype(np.float32), np.zeros(9, np.float32)


def build_model():
    w1, b1 = conv1_weights()
    w2, b2 = conv2_weights()
    w3, b3 = conv3_weights()
    wg, bg = gemm_weights()
    inits = [numpy_helper.from_array(a, name) for a, name in [
        (w1, "conv1.weight"), (b1, "conv1.bias"), (w2, "conv2.weight"), (b2, "conv2.bias"),
        (w3, "conv3.weight"), (b3, "conv3.bias"), (wg, "fc.weight"), (bg, "fc.bias")]]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight", "conv1.bias"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2",
                         kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "conv3.weight", "conv3.bias"], ["c3"], name="conv3",
                         kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
        helper.make_node("MaxPool", ["r3"], ["p3"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "classify_colour",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, len(LABELS)])],
        initializer=inits)
    graph.doc_string = "Hand-designed dominant-colour classifier; classes: " + " ".join(LABELS)
    model = helper.make_model(graph, producer_name="dlcc examples/classify/make_model.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def sample_image():
    """A red apple with a green leaf and a brown stem on a light-gray table."""
    h = w = SIZE
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (0.55, 0.55, 0.57)                                     # background
    img[y > 48] = (0.78, 0.78, 0.76)                                # table top
    apple = (x - 32) ** 2 + ((y - 35) * 1.1) ** 2 < 27 ** 2
    shade = np.clip(1.0 - 0.01 * np.hypot(x - 24, y - 28), 0.6, 1.0)[..., None]
    img[apple] = (np.array([0.85, 0.08, 0.10]) * shade)[apple]      # shaded red
    highlight = (x - 23) ** 2 + (y - 27) ** 2 < 3 ** 2
    img[highlight] = (0.97, 0.85, 0.85)
    leaf = ((x - 42) / 9.0) ** 2 + ((y - 6) / 3.5) ** 2 < 1
    img[leaf] = (0.20, 0.65, 0.15)
    stem = (abs(x - 32) < 1.5) & (y > 2) & (y < 12)
    img[stem] = (0.35, 0.22, 0.08)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def write_ppm(path, rgb):
    h, w, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(b"P6\n# sample.ppm: made by examples/classify/make_model.py\n")
        f.write(b"%d %d\n255\n" % (w, h))
        f.write(rgb.tobytes())


def to_input(rgb):
    return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None].copy()


def expected_for_colour(rgb):
    """The docstring's formulas, computed directly, for a one-colour image."""
    r, g, b = rgb
    mx, mn = max(rgb), min(rgb)
    relu = lambda v: max(v, 0.0)
    hues = [relu(r - max(g, b)), relu(g - max(r, b)), relu(b - max(r, g)),
            relu(min(r, g) - b), relu(min(g, b) - r), relu(min(r, b) - g)]
    white, black = relu((mn - 0.6) / 0.4), relu((0.3 - mx) / 0.3)
    gray = relu(1 - (mx - mn) / 0.2)
    logits = TEMPERATURE * np.array([HUE_GAIN * h for h in hues] + [white, black, gray - white - black])
    e = np.exp(logits - logits.max())
    return e / e.sum()


def check_with_onnxruntime(path, sample):
    """Each pure colour must be its own class, random one-colour images must
    match expected_for_colour; prints the sample's top 5."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: model not checked")
        return
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    pure = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0),
            "cyan": (0, 1, 1), "magenta": (1, 0, 1), "white": (1, 1, 1), "black": (0, 0, 0),
            "gray": (0.5, 0.5, 0.5)}
    for name, colour in pure.items():
        rgb = np.empty((SIZE, SIZE, 3), np.uint8)
        rgb[:] = np.array(colour) * 255
        p = sess.run(None, {"image": to_input(rgb)})[0][0]
        got = LABELS[int(p.argmax())]
        if got != name:
            sys.exit(f"check failed: a {name} image is classified as {got}: {p}")
    rng = np.random.default_rng(7)
    for _ in range(200):
        rgb = np.empty((SIZE, SIZE, 3), np.uint8)
        rgb[:] = rng.integers(0, 256, 3)
        p = sess.run(None, {"image": to_input(rgb)})[0][0]
        want = expected_for_colour(rgb[0, 0] / 255.0)
        if np.abs(p - want).max() > 1e-4:
            sys.exit(f"check failed for colour {rgb[0, 0]}: got {p}, expected {want}")
    p = sess.run(None, {"image": to_input(sample)})[0][0]
    print("onnxruntime: pure colours OK, 200 random colours match the formulas; sample.ppm top 5:")
    for rank, i in enumerate(np.argsort(-p)[:5], 1):
        print(f"  {rank}. {LABELS[i]:<8} {p[i]:.4f}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    model_path = os.path.join(out, "classify_model.onnx")
    onnx.save(build_model(), model_path)
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    sample = sample_image()
    write_ppm(os.path.join(out, "sample.ppm"), sample)
    print(f"wrote {model_path} ({os.path.getsize(model_path)} bytes), labels.txt, sample.ppm")
    check_with_onnxruntime(model_path, sample)


if __name__ == "__main__":
    main()
