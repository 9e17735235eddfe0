#!/usr/bin/python3
"""Export the bundled torchvision models to ONNX, the fixtures of cnnscope's ONNX front end.

Usage (from the repository root; needs PyTorch, torchvision and onnx, e.g. Debian's
python3-torch / python3-torchvision / python3-onnx):

    /usr/bin/python3 scripts/onnx_exports.py [--keep-data] [--opset N]... [model | family ...]

Writes test/fixtures/onnx/<model>_opset<N>.onnx for opsets 13 and 17 (or those given), for every
model of scripts/torchvision_fixtures.py (or the ones named; a family name such as `regnet`
stands for all its models), except the aux-head variants, which are the same network in eval mode.

Each model is built with weights=None, put in eval mode and exported by torch.onnx.export with
the default constant folding (which folds every BatchNorm that follows a convolution into it) and
a dynamic batch axis, then saved with its tensors as external data in one file beside it:
tensors of 1 KiB or more go to <model>_opset<N>.onnx.data, so the .onnx keeps only the graph,
the small tensors and the shapes of the large ones (a few KiB to a few hundred KiB). The
static analysis needs only those, so the .data files are deleted unless --keep-data is given
(they are gitignored: the larger ones are gigabytes).
"""

import os
import sys
import tempfile

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchvision_fixtures as tf  # noqa: E402  (the same model builders and input sizes)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "onnx")
OPSETS = [13, 17]
# The aux variants are googlenet and inception_v3 with heads that do not run in eval mode.
MODELS = [m for m in tf.MODELS if not m.endswith("_aux")]


def export(name, opset, keep_data):
    model = tf.build(name).eval()
    size = tf.INPUT_SIZE.get(name, 224)
    x = torch.zeros(1, 3, size, size)
    base = "%s_opset%d.onnx" % (name, opset)
    out = os.path.join(OUT_DIR, base)
    data = base + ".data"
    with tempfile.TemporaryDirectory() as tmp:
        # Exported to a scratch directory first: a model over 2 GB comes out as one file per
        # tensor, which onnx.load gathers again.
        path = os.path.join(tmp, "model.onnx")
        with torch.no_grad():
            torch.onnx.export(
                model,
                x,
                path,
                opset_version=opset,
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            )
        proto = onnx.load(path)
    if os.path.exists(os.path.join(OUT_DIR, data)):
        os.remove(os.path.join(OUT_DIR, data))
    onnx.save_model(proto, out, save_as_external_data=True, all_tensors_to_one_file=True, location=data)
    if not keep_data:
        os.remove(os.path.join(OUT_DIR, data))
    print("%-22s opset %d  %8d bytes  %d nodes" % (name, opset, os.path.getsize(out), len(proto.graph.node)), flush=True)


def main(argv):
    keep_data = "--keep-data" in argv
    opsets = []
    names = []
    args = [a for a in argv if a != "--keep-data"]
    i = 0
    while i < len(args):
        if args[i] == "--opset":
            opsets.append(int(args[i + 1]))
            i += 2
            continue
        names.append(args[i])
        i += 1
    chosen = [m for m in tf.expand(names) if m in MODELS] if names else MODELS
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in chosen:
        for opset in opsets or OPSETS:
            export(name, opset, keep_data)


if __name__ == "__main__":
    main(sys.argv[1:])
