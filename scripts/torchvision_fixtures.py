#!/usr/bin/python3
"""Generate torchvision reference fixtures for cnnscope's tests.

Usage (from the repository root; needs PyTorch + torchvision, e.g. Debian's
python3-torch / python3-torchvision):

    /usr/bin/python3 scripts/torchvision_fixtures.py [model ...]

Writes test/fixtures/torchvision/<model>.json for every model (or only the
ones named on the command line) and prints a MAC check table comparing the
counted multiply-accumulates against torchvision's published GFLOPS.

No weights are downloaded: every model is built with weights=None.  The tests
that read these fixtures must not need torch.
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torchvision")

MODELS = [
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "googlenet", "googlenet_aux",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2",
    "densenet121", "densenet161", "densenet169", "densenet201",
]

# GFLOPS published in torchvision's model documentation (weights meta "_ops",
# added in torchvision 0.15; counts multiply-accumulates of conv + linear).
PUBLISHED_GFLOPS = {
    "alexnet": 0.714,
    "vgg16": 15.47,
    "googlenet": 1.498,
    "resnet50": 4.089,
    "resnext50_32x4d": 4.23,
    "wide_resnet50_2": 11.398,
    "densenet121": 2.834,
}

# Weights enums, used only to read the published parameter count from their
# metadata (nothing is downloaded).
WEIGHTS_ENUM = {
    "alexnet": "AlexNet_Weights",
    "vgg11": "VGG11_Weights", "vgg11_bn": "VGG11_BN_Weights",
    "vgg13": "VGG13_Weights", "vgg13_bn": "VGG13_BN_Weights",
    "vgg16": "VGG16_Weights", "vgg16_bn": "VGG16_BN_Weights",
    "vgg19": "VGG19_Weights", "vgg19_bn": "VGG19_BN_Weights",
    "googlenet": "GoogLeNet_Weights",
    "resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights", "resnet101": "ResNet101_Weights",
    "resnet152": "ResNet152_Weights",
    "resnext50_32x4d": "ResNeXt50_32X4D_Weights",
    "resnext101_32x8d": "ResNeXt101_32X8D_Weights",
    "resnext101_64x4d": "ResNeXt101_64X4D_Weights",
    "wide_resnet50_2": "Wide_ResNet50_2_Weights",
    "wide_resnet101_2": "Wide_ResNet101_2_Weights",
    "densenet121": "DenseNet121_Weights", "densenet161": "DenseNet161_Weights",
    "densenet169": "DenseNet169_Weights", "densenet201": "DenseNet201_Weights",
}

BLOCK_PATTERNS = [
    r"^layer\d+$",
    r"^layer\d+\.\d+$",
    r"^features\.denseblock\d+$",
    r"^features\.transition\d+$",
    r"^inception\d+[a-z]$",
]


def build(name):
    if name == "googlenet":
        # GoogLeNet's class default is aux_logits=True; the published
        # (pretrained) model has the auxiliary heads removed.
        return tvm.googlenet(weights=None, aux_logits=False, init_weights=False)
    if name == "googlenet_aux":
        return tvm.googlenet(weights=None, aux_logits=True, init_weights=False)
    return getattr(tvm, name)(weights=None)


def published_params(name):
    enum_name = WEIGHTS_ENUM.get(name)
    if enum_name is None or not hasattr(tvm, enum_name):
        return None
    enum = getattr(tvm, enum_name)
    for w in enum:
        n = w.meta.get("num_params")
        if n is not None:
            return int(n)
    return None


def dtype_name(dt):
    if dt == torch.float32:
        return "float"
    if dt == torch.int64:
        return "int64"
    raise ValueError("unexpected dtype %s" % dt)


def shape_of(out):
    """Output shape without the batch dimension (None if not a tensor)."""
    if isinstance(out, torch.Tensor):
        return list(out.shape[1:])
    return None


def is_block(name, module):
    import re
    if not list(module.children()):
        return False
    if name and "." not in name:
        return True
    return any(re.match(p, name) for p in BLOCK_PATTERNS)


def trace(model, batch):
    """Run the model once with forward hooks on every module.

    Returns (output, first_shapes, macs) where first_shapes maps module name
    to the output shape of its first call and macs sums conv + linear
    multiply-accumulates per sample over every call.
    """
    first = {}
    macs = [0]
    handles = []

    def make_hook(name):
        def hook(mod, inp, out):
            if name not in first:
                first[name] = shape_of(out)
            if isinstance(mod, nn.Conv2d):
                kh, kw = mod.kernel_size
                per_out = (mod.in_channels // mod.groups) * kh * kw
                macs[0] += (out.numel() // out.shape[0]) * per_out
            elif isinstance(mod, nn.Linear):
                macs[0] += (out.numel() // out.shape[0]) * mod.in_features
        return hook

    for name, mod in model.named_modules():
        if name == "":
            continue
        handles.append(mod.register_forward_hook(make_hook(name)))
    try:
        torch.manual_seed(0)
        x = torch.randn(batch, 3, 224, 224)
        with torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return out, first, macs[0]


def dump(obj):
    """Sorted-key JSON; top-level lists of lists get one entry per line."""
    lines = ["{"]
    keys = sorted(obj)
    for i, k in enumerate(keys):
        v = obj[k]
        comma = "," if i < len(keys) - 1 else ""
        if isinstance(v, list) and v and all(isinstance(e, list) for e in v):
            lines.append(" %s: [" % json.dumps(k))
            for j, e in enumerate(v):
                ec = "," if j < len(v) - 1 else ""
                lines.append("  " + json.dumps(e, separators=(",", ":"), sort_keys=True) + ec)
            lines.append(" ]" + comma)
        else:
            lines.append(" %s: %s%s" % (json.dumps(k),
                                        json.dumps(v, separators=(",", ":"), sort_keys=True),
                                        comma))
    lines.append("}")
    return "\n".join(lines) + "\n"


def fixture(name):
    torch.manual_seed(0)
    model = build(name)
    model.eval()

    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for b in model.buffers())
    state_dict = [[k, list(v.shape), dtype_name(v.dtype)]
                  for k, v in model.state_dict().items()]

    out, first, macs = trace(model, 1)
    named = list(model.named_modules())
    modules = [[n, type(m).__name__, first.get(n)]
               for n, m in named if n and not list(m.children())]
    blocks = [[n, type(m).__name__, first.get(n)]
              for n, m in named if n and is_block(n, m)]

    data = {
        "model": name,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "params": int(params),
        "trainable_params": int(trainable),
        "buffers": int(buffers),
        "published_num_params": published_params(name),
        "input_shape": [1, 3, 224, 224],
        "state_dict": state_dict,
        "output_shape": list(out.shape),
        "modules": modules,
        "blocks": blocks,
        "macs": int(macs),
    }

    not_called = [n for n, m in named if n and n not in first]
    if not_called:
        data["not_called_in_eval"] = not_called

    if name == "googlenet_aux":
        # In eval mode the aux heads are skipped and only the main logits are
        # returned; run once in train mode (batch 2) to get the aux outputs.
        model.train()
        tout, tfirst, tmacs = trace(model, 2)
        data["aux_output_shapes"] = {
            "logits": list(tout.logits.shape),
            "aux_logits2": list(tout.aux_logits2.shape),
            "aux_logits1": list(tout.aux_logits1.shape),
        }
        data["aux_output_shapes_batch"] = 2
        # Shapes (without batch) of the modules that only run in train mode.
        data["train_only_modules"] = [[n, type(m).__name__, tfirst.get(n)]
                                      for n, m in named if n in not_called]
        data["train_macs"] = int(tmacs)
        model.eval()

    return data


def main(argv):
    names = argv or MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("unknown model(s): %s" % ", ".join(unknown))
    os.makedirs(OUT_DIR, exist_ok=True)
    print("torch %s, torchvision %s" % (torch.__version__, torchvision.__version__))
    summary = []
    for name in names:
        data = fixture(name)
        path = os.path.join(OUT_DIR, name + ".json")
        with open(path, "w") as f:
            f.write(dump(data))
        pub = data["published_num_params"]
        flag = "" if pub is None or pub == data["params"] else "  PARAMS DIFFER (published %d)" % pub
        print("%-18s params %12d  buffers %9d  macs %14d  out %s%s"
              % (name, data["params"], data["buffers"], data["macs"], data["output_shape"], flag))
        summary.append(data)

    print()
    print("MAC check against torchvision's published GFLOPS")
    print("%-18s %14s %10s %10s %9s" % ("model", "macs", "GMACs", "published", "diff"))
    for data in summary:
        pub = PUBLISHED_GFLOPS.get(data["model"])
        if pub is None:
            continue
        g = data["macs"] / 1e9
        print("%-18s %14d %10.3f %10.3f %+8.3f%s"
              % (data["model"], data["macs"], g, pub, g - pub,
                 "" if round(g, 3) == pub or abs(g - pub) < 0.0015 else "  MISMATCH"))


if __name__ == "__main__":
    main(sys.argv[1:])
