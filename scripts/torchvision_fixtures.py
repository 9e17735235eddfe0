#!/usr/bin/python3
"""Generate torchvision reference fixtures for cnnscope's tests.

Usage (from the repository root; needs PyTorch + torchvision, e.g. Debian's
python3-torch / python3-torchvision):

    /usr/bin/python3 scripts/torchvision_fixtures.py [model ...]

    /usr/bin/python3 scripts/torchvision_fixtures.py --published [model ...]

Writes test/fixtures/torchvision/<model>.json for every model (or only the
ones named on the command line; a family name such as `regnet` stands for all
its models) and prints a MAC check table comparing the counted
multiply-accumulates against torchvision's published GFLOPS.

--published writes test/fixtures/torchvision/published.json instead: per
model, torchvision's published num_params and, per weights, the published
GFLOPS, the resolution they were measured at and the MACs our hooks count at
that resolution; it prints the comparison table.

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

# Added for the model zoo (issue 11); grouped by family for the command line.
FAMILIES = {
    "squeezenet": ["squeezenet1_0", "squeezenet1_1"],
    "mobilenet": ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"],
    "mnasnet": ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"],
    "shufflenet": ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                   "shufflenet_v2_x2_0"],
    "efficientnet": ["efficientnet_b%d" % i for i in range(8)]
                    + ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"],
    "regnet": ["regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf",
               "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf",
               "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf",
               "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf"],
    "inception": ["inception_v3", "inception_v3_aux"],
    "convnext": ["convnext_tiny", "convnext_small", "convnext_base", "convnext_large"],
    "unet": ["unet"],
}
MODELS += [m for family in FAMILIES.values() for m in family]

# Fixture input size (square); everything else is 224.
INPUT_SIZE = {"inception_v3": 299, "inception_v3_aux": 299, "unet": 256}

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

# torchvision's published GFLOPS (weights meta "_ops", torchvision >= 0.15;
# conv + linear multiply-accumulates) per weights, with the resolution they
# were measured at (the weights' transforms crop_size, checked against the
# local 0.14 metadata at run time).  Copied from torchvision's
# torchvision/models/*.py after 0.15 (0.14 has num_params but no _ops).
PUBLISHED_OPS = {
    "squeezenet1_0": [("IMAGENET1K_V1", 0.819, 224)],
    "squeezenet1_1": [("IMAGENET1K_V1", 0.349, 224)],
    "mobilenet_v2": [("IMAGENET1K_V1", 0.301, 224), ("IMAGENET1K_V2", 0.301, 224)],
    "mobilenet_v3_large": [("IMAGENET1K_V1", 0.217, 224), ("IMAGENET1K_V2", 0.217, 224)],
    "mobilenet_v3_small": [("IMAGENET1K_V1", 0.057, 224)],
    "mnasnet0_5": [("IMAGENET1K_V1", 0.104, 224)],
    "mnasnet0_75": [("IMAGENET1K_V1", 0.215, 224)],
    "mnasnet1_0": [("IMAGENET1K_V1", 0.314, 224)],
    "mnasnet1_3": [("IMAGENET1K_V1", 0.526, 224)],
    "shufflenet_v2_x0_5": [("IMAGENET1K_V1", 0.04, 224)],
    "shufflenet_v2_x1_0": [("IMAGENET1K_V1", 0.145, 224)],
    "shufflenet_v2_x1_5": [("IMAGENET1K_V1", 0.296, 224)],
    "shufflenet_v2_x2_0": [("IMAGENET1K_V1", 0.583, 224)],
    "efficientnet_b0": [("IMAGENET1K_V1", 0.386, 224)],
    "efficientnet_b1": [("IMAGENET1K_V1", 0.687, 240), ("IMAGENET1K_V2", 0.687, 240)],
    "efficientnet_b2": [("IMAGENET1K_V1", 1.088, 288)],
    "efficientnet_b3": [("IMAGENET1K_V1", 1.827, 300)],
    "efficientnet_b4": [("IMAGENET1K_V1", 4.394, 380)],
    "efficientnet_b5": [("IMAGENET1K_V1", 10.266, 456)],
    "efficientnet_b6": [("IMAGENET1K_V1", 19.068, 528)],
    "efficientnet_b7": [("IMAGENET1K_V1", 37.746, 600)],
    "efficientnet_v2_s": [("IMAGENET1K_V1", 8.366, 384)],
    "efficientnet_v2_m": [("IMAGENET1K_V1", 24.582, 480)],
    "efficientnet_v2_l": [("IMAGENET1K_V1", 56.08, 480)],
    "regnet_x_400mf": [("IMAGENET1K_V1", 0.414, 224), ("IMAGENET1K_V2", 0.414, 224)],
    "regnet_x_800mf": [("IMAGENET1K_V1", 0.8, 224), ("IMAGENET1K_V2", 0.8, 224)],
    "regnet_x_1_6gf": [("IMAGENET1K_V1", 1.603, 224), ("IMAGENET1K_V2", 1.603, 224)],
    "regnet_x_3_2gf": [("IMAGENET1K_V1", 3.177, 224), ("IMAGENET1K_V2", 3.177, 224)],
    "regnet_x_8gf": [("IMAGENET1K_V1", 7.995, 224), ("IMAGENET1K_V2", 7.995, 224)],
    "regnet_x_16gf": [("IMAGENET1K_V1", 15.941, 224), ("IMAGENET1K_V2", 15.941, 224)],
    "regnet_x_32gf": [("IMAGENET1K_V1", 31.736, 224), ("IMAGENET1K_V2", 31.736, 224)],
    "regnet_y_400mf": [("IMAGENET1K_V1", 0.402, 224), ("IMAGENET1K_V2", 0.402, 224)],
    "regnet_y_800mf": [("IMAGENET1K_V1", 0.834, 224), ("IMAGENET1K_V2", 0.834, 224)],
    "regnet_y_1_6gf": [("IMAGENET1K_V1", 1.612, 224), ("IMAGENET1K_V2", 1.612, 224)],
    "regnet_y_3_2gf": [("IMAGENET1K_V1", 3.176, 224), ("IMAGENET1K_V2", 3.176, 224)],
    "regnet_y_8gf": [("IMAGENET1K_V1", 8.473, 224), ("IMAGENET1K_V2", 8.473, 224)],
    "regnet_y_16gf": [("IMAGENET1K_V1", 15.912, 224), ("IMAGENET1K_V2", 15.912, 224),
                      ("IMAGENET1K_SWAG_E2E_V1", 46.735, 384),
                      ("IMAGENET1K_SWAG_LINEAR_V1", 15.912, 224)],
    "regnet_y_32gf": [("IMAGENET1K_V1", 32.28, 224), ("IMAGENET1K_V2", 32.28, 224),
                      ("IMAGENET1K_SWAG_E2E_V1", 94.826, 384),
                      ("IMAGENET1K_SWAG_LINEAR_V1", 32.28, 224)],
    "regnet_y_128gf": [("IMAGENET1K_SWAG_E2E_V1", 374.57, 384),
                       ("IMAGENET1K_SWAG_LINEAR_V1", 127.518, 224)],
    # Published for the weights, which carry the AuxLogits head (num_params
    # counts it); the GFLOPS are of the eval-mode pass, which skips it.
    "inception_v3": [("IMAGENET1K_V1", 5.713, 299)],
    "convnext_tiny": [("IMAGENET1K_V1", 4.456, 224)],
    "convnext_small": [("IMAGENET1K_V1", 8.684, 224)],
    "convnext_base": [("IMAGENET1K_V1", 15.355, 224)],
    "convnext_large": [("IMAGENET1K_V1", 34.361, 224)],
}
PUBLISHED_OPS.update({name: [("IMAGENET1K_V1", g, 224)] for name, g in PUBLISHED_GFLOPS.items()})

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
    # model-zoo families (checked not to match any name of the models above)
    r"^features\.\d+$",          # squeezenet, mobilenet, efficientnet, convnext stages
    r"^features\.\d+\.\d+$",     # mobilenet_v3/efficientnet/convnext blocks
    r"^layers\.\d+$",            # mnasnet stacks
    r"^layers\.\d+\.\d+$",       # mnasnet inverted residuals
    r"^stage\d+\.\d+$",          # shufflenet units
    r"^trunk_output\.block\d+$",  # regnet stages
    r"^trunk_output\.block\d+\.block\d+-\d+$",  # regnet blocks
]


def build(name):
    if name == "unet":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from unet import UNet
        return UNet(in_channels=3, n_classes=2)
    if name == "inception_v3":
        # Like googlenet: the class default is aux_logits=True; the bundled
        # default is the eval-mode network without the auxiliary head.
        return tvm.inception_v3(weights=None, aux_logits=False, init_weights=False)
    if name == "inception_v3_aux":
        return tvm.inception_v3(weights=None, aux_logits=True, init_weights=False)
    if name == "googlenet":
        # GoogLeNet's class default is aux_logits=True; the published
        # (pretrained) model has the auxiliary heads removed.
        return tvm.googlenet(weights=None, aux_logits=False, init_weights=False)
    if name == "googlenet_aux":
        return tvm.googlenet(weights=None, aux_logits=True, init_weights=False)
    return getattr(tvm, name)(weights=None)


def weights_enum(name):
    """The local (0.14) weights enum whose architecture is `name`, or None."""
    if name in WEIGHTS_ENUM:
        return getattr(tvm, WEIGHTS_ENUM[name], None)
    if name == "inception_v3_aux":
        # The published inception_v3 weights include the AuxLogits head.
        return tvm.Inception_V3_Weights
    if name in ("inception_v3", "googlenet_aux", "unet"):
        return None
    return tvm.get_model_weights(name)


def published_params(name):
    enum = weights_enum(name)
    if enum is None:
        return None
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


def trace(model, batch, size=224):
    """Run the model once with forward hooks on every module.

    Returns (output, first_shapes, macs) where first_shapes maps module name
    to the output shape of its first call and macs sums conv + linear
    multiply-accumulates per sample over every call.  Grouped and depthwise
    convs count in_channels/groups inputs per output; nn.Linear counts
    in_features per output element, so on a channels-last [N, H, W, C] tensor
    (ConvNeXt) it is in*out*H*W; a transposed conv scatters every input
    element to (out_channels/groups)*kh*kw outputs.
    """
    first = {}
    macs = [0]
    handles = []

    def make_hook(name):
        def hook(mod, inp, out):
            if name not in first:
                first[name] = shape_of(out)
            if isinstance(mod, nn.ConvTranspose2d):
                kh, kw = mod.kernel_size
                per_in = (mod.out_channels // mod.groups) * kh * kw
                macs[0] += (inp[0].numel() // inp[0].shape[0]) * per_in
            elif isinstance(mod, nn.Conv2d):
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
        x = torch.randn(batch, 3, size, size)
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

    size = INPUT_SIZE.get(name, 224)
    out, first, macs = trace(model, 1, size)
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
        "input_shape": [1, 3, size, size],
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

    if name == "inception_v3_aux":
        # Same as googlenet_aux: the AuxLogits head only runs in train mode.
        model.train()
        tout, tfirst, tmacs = trace(model, 2, size)
        data["aux_output_shapes"] = {
            "logits": list(tout.logits.shape),
            "aux_logits": list(tout.aux_logits.shape),
        }
        data["aux_output_shapes_batch"] = 2
        data["train_only_modules"] = [[n, type(m).__name__, tfirst.get(n)]
                                      for n, m in named if n in not_called]
        data["train_macs"] = int(tmacs)
        model.eval()

    return data


def expand(names):
    out = []
    for n in names:
        out += FAMILIES.get(n, [n])
    unknown = [n for n in out if n not in MODELS]
    if unknown:
        sys.exit("unknown model(s): %s" % ", ".join(unknown))
    return out


def published(names):
    """published.json entries: torchvision's figures and our MACs at their resolution."""
    entries = {}
    rows = []
    for name in names:
        # inception_v3's published weights are those of the aux architecture
        enum = weights_enum("inception_v3_aux" if name == "inception_v3" else name)
        ops = PUBLISHED_OPS.get(name, [])
        if enum is None and not ops:
            continue
        weights = {}
        model = None
        macs_at = {}
        for wname, gflops, res in ops:
            w = enum[wname]
            crop = w.transforms.keywords["crop_size"]
            if crop != res:
                sys.exit("%s %s: crop_size %s, recorded %s" % (name, wname, crop, res))
            if res not in macs_at:
                # the fixture already counted the MACs at its own input size
                fixture_path = os.path.join(OUT_DIR, name + ".json")
                if os.path.exists(fixture_path):
                    with open(fixture_path) as f:
                        data = json.load(f)
                    if data["input_shape"][-1] == res:
                        macs_at[res] = data["macs"]
            if res not in macs_at:
                if model is None:
                    torch.manual_seed(0)
                    model = build(name)
                    model.eval()
                macs_at[res] = int(trace(model, 1, res)[2])
            weights[wname] = {"gflops": gflops, "resolution": res, "macs": macs_at[res]}
            rows.append((name, wname, res, macs_at[res], gflops))
        entry = {"num_params": published_params(name),
                 "default_weights": enum.DEFAULT.name if enum is not None else None,
                 "min_size": list(enum.DEFAULT.meta["min_size"]) if enum is not None else None,
                 "weights": weights}
        if name == "inception_v3":
            entry["note"] = ("published num_params (27161264) and weights include the AuxLogits "
                             "head, i.e. inception_v3_aux; the GFLOPS are of the eval pass")
            entry["num_params"] = published_params("inception_v3_aux")
        entries[name] = entry
        del model
    path = os.path.join(OUT_DIR, "published.json")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(
            " %s: %s" % (json.dumps(k), json.dumps(entries[k], separators=(",", ":"), sort_keys=True))
            for k in sorted(entries)) + "\n}\n")

    print("MAC check against torchvision's published GFLOPS (at the weights' resolution)")
    print("%-20s %-26s %4s %15s %10s %10s  %s" % ("model", "weights", "res", "macs", "GMACs", "published", "equal"))
    for name, wname, res, macs, gflops in rows:
        ours = macs / 1e9
        # published figures are rounded to 3 decimals, trailing zeros dropped
        same = round(ours, 3) == round(gflops, 3)
        print("%-20s %-26s %4d %15d %10.3f %10.3f  %s"
              % (name, wname, res, macs, ours, gflops, "yes" if same else "NO (%+.3f)" % (ours - gflops)))


def main(argv):
    if argv and argv[0] == "--published":
        published(expand(argv[1:] or MODELS))
        return
    names = expand(argv or MODELS)
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
        size = data["input_shape"][-1]
        pubs = [g for _, g, res in PUBLISHED_OPS.get(data["model"], []) if res == size]
        if not pubs:
            continue
        pub = pubs[0]
        g = data["macs"] / 1e9
        print("%-18s %14d %10.3f %10.3f %+8.3f%s"
              % (data["model"], data["macs"], g, pub, g - pub,
                 "" if round(g, 3) == pub or abs(g - pub) < 0.0015 else "  MISMATCH"))


if __name__ == "__main__":
    main(sys.argv[1:])
