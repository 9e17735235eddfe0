#!/usr/bin/python3
"""Generate numeric reference outputs for cnnscope's execute mode.

Usage (from the repository root; needs PyTorch, e.g. Debian's python3-torch, and
torchvision for the full networks):

    /usr/bin/python3 scripts/torch_reference_nets.py               # everything
    /usr/bin/python3 scripts/torch_reference_nets.py --tiny        # kinds/*.json and the safetensors files
    /usr/bin/python3 scripts/torch_reference_nets.py --kind relu6  # kinds/relu6.json only (repeatable)

Writes, in test/fixtures/reference/:

- kinds/<kind>.json: the small nets of one layer kind (KIND_NETS below); all of them
  together cover every kind.  A new kind adds its nets under its name in KIND_NETS
  (and, if torch computes it with a plain function, one entry in FUNCTIONS), and
  `--kind <kind>` writes its file without touching any other;
- tiny_inception.safetensors (F32, with the I64 num_batches_tracked counters) and
  tiny_inception_half.safetensors (F16 and BF16): the state_dict of the net
  "inception_branches" written in the safetensors format, by the small writer
  below (the format is 8-byte little-endian header length, JSON header, data);
- full networks at a small input (resnet18, googlenet, densenet121, squeezenet1_1,
  mobilenet_v2, mobilenet_v3_small, mnasnet0_5, shufflenet_v2_x0_5, efficientnet_b0,
  regnet_y_400mf, convnext_tiny and the U-Net of scripts/unet.py at 64x64, inception_v3
  at 75x75, the smallest it takes),
  with weights from a deterministic formula that cnnscope reimplements
  (syntheticWeights in src/execute/weights.ts, see synthetic_state_dict below),
  so that no weights are stored: full_input_3x<S>x<S>.npy (the inputs, float32),
  full_<model>_output.npy and the outputs of some modules, full_<model>_<module>.npy
  (resnet18's layer1..layer4, mobilenet_v3_small's features, shufflenet_v2_x0_5's
  stage2..stage4), plus full_nets.json describing them.

Tiny nets: every net is built right after
torch.manual_seed(0) (default PyTorch initialisation), its input is drawn with
torch.randn after the parameters, and batch-norm running statistics are set
deterministically to non-trivial values.  All values are float32 stored as
Python floats (the exact float32 value, printed with repr precision).

Each tiny net also carries "model": the same net as a cnnscope model (YAML's
JSON subset), generated from "layers" by to_cnnscope(); its layer names are the
parameter key prefixes, so "params" are its state_dict.

Layer description format (one plain dict per layer, executed in order):
    {"name": str, "kind": str, "inputs": [str, ...], "args": {...}}
"inputs" names earlier layers ("input" is the network input).  Layers with
parameters find them in "params" under "<name>.<weight|bias|...>".
Kinds: conv, batchnorm, linear, lrn, dropout (torch modules, make_module) and
those of FUNCTIONS (softmax, add and concat act on dim 1; add takes two or more
inputs).  A conv's "padding" is either [ph, pw]
(symmetric, as nn.Conv2d) or {"top", "bottom", "left", "right"} (explicit
asymmetric zero padding, i.e. F.pad(x, [left, right, top, bottom]) followed by
a conv with padding 0).
"""

import json
import os
import re
import struct
import sys

import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTDIR = os.path.join(ROOT, "test", "fixtures", "reference")
KINDS_DIR = os.path.join(OUTDIR, "kinds")


def flat(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def conv_args(c, padding=None):
    return {
        "in_channels": c.in_channels,
        "out_channels": c.out_channels,
        "kernel_size": list(c.kernel_size),
        "stride": list(c.stride),
        "padding": padding if padding is not None else list(c.padding),
        "dilation": list(c.dilation),
        "groups": c.groups,
        "bias": c.bias is not None,
    }


def bn_args(b):
    return {"num_features": b.num_features, "eps": b.eps, "momentum": b.momentum,
            "affine": b.affine, "track_running_stats": b.track_running_stats}


def set_bn_stats(bn, offset):
    """Deterministic, non-trivial running stats and affine parameters."""
    n = bn.num_features
    with torch.no_grad():
        i = torch.arange(n, dtype=torch.float32)
        bn.running_mean.copy_(0.1 * (i + 1) * (-1) ** i + offset)
        bn.running_var.copy_(0.5 + 0.25 * i + offset)
        bn.weight.copy_(1.0 + 0.1 * i - offset)
        bn.bias.copy_(-0.2 + 0.05 * i + offset)
        bn.num_batches_tracked.fill_(10)


class Sequential(nn.Module):
    """Runs named modules / functions in order; used for all nets."""

    def __init__(self, fn, **mods):
        super().__init__()
        for k, v in mods.items():
            self.add_module(k, v)
        self._fn = fn

    def forward(self, x):
        return self._fn(self, x)


def net_conv_relu_maxpool():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    net = Sequential(lambda m, x: F.max_pool2d(F.relu(m.conv(x)), 2), conv=conv)
    layers = [
        {"name": "conv", "kind": "conv", "inputs": ["input"], "args": conv_args(conv)},
        {"name": "relu", "kind": "relu", "inputs": ["conv"], "args": {}},
        {"name": "pool", "kind": "maxpool", "inputs": ["relu"],
         "args": {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0],
                  "dilation": [1, 1], "ceil_mode": False}},
    ]
    x = torch.randn(1, 3, 8, 8)
    return "conv_relu_maxpool", "conv 3->4 k3 p1, ReLU, max_pool2d(2)", net, layers, x


def net_grouped_bn_avgpool():
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2)
    bn = nn.BatchNorm2d(4)
    set_bn_stats(bn, 0.3)
    pool = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    net = Sequential(lambda m, x: m.pool(m.bn(m.conv(x))), conv=conv, bn=bn, pool=pool)
    layers = [
        {"name": "conv", "kind": "conv", "inputs": ["input"], "args": conv_args(conv)},
        {"name": "bn", "kind": "batchnorm", "inputs": ["conv"], "args": bn_args(bn)},
        {"name": "pool", "kind": "avgpool", "inputs": ["bn"],
         "args": {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1],
                  "ceil_mode": True, "count_include_pad": True, "divisor_override": None}},
    ]
    # 12x12 -> conv 6x6 -> avgpool 4x4 with ceil_mode: the last window starts
    # on the last real row/column and covers one padded row/column plus one
    # beyond the padding (the divisor counts the padded one but not the one
    # beyond, i.e. 2 elements per axis for the last window).
    x = torch.randn(1, 4, 12, 12)
    return ("grouped_conv_bn_avgpool_ceil",
            "conv 4->4 k3 s2 p1 groups=2, BatchNorm2d (eval), "
            "AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=True)",
            net, layers, x)


def net_residual():
    torch.manual_seed(0)
    conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    bn1 = nn.BatchNorm2d(4)
    conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    bn2 = nn.BatchNorm2d(4)
    set_bn_stats(bn1, 0.1)
    set_bn_stats(bn2, 0.2)

    def fwd(m, x):
        y = F.relu(m.bn1(m.conv1(x)))
        y = m.bn2(m.conv2(y))
        return F.relu(y + x)

    net = Sequential(fwd, conv1=conv1, bn1=bn1, conv2=conv2, bn2=bn2)
    layers = [
        {"name": "conv1", "kind": "conv", "inputs": ["input"], "args": conv_args(conv1)},
        {"name": "bn1", "kind": "batchnorm", "inputs": ["conv1"], "args": bn_args(bn1)},
        {"name": "relu1", "kind": "relu", "inputs": ["bn1"], "args": {}},
        {"name": "conv2", "kind": "conv", "inputs": ["relu1"], "args": conv_args(conv2)},
        {"name": "bn2", "kind": "batchnorm", "inputs": ["conv2"], "args": bn_args(bn2)},
        {"name": "add", "kind": "add", "inputs": ["bn2", "input"], "args": {}},
        {"name": "relu2", "kind": "relu", "inputs": ["add"], "args": {}},
    ]
    x = torch.randn(1, 4, 6, 6)
    return ("residual_block", "conv-bn-relu-conv-bn + identity, ReLU (BasicBlock)",
            net, layers, x)


def net_adaptive_linear_softmax():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    fc = nn.Linear(36, 5)

    def fwd(m, x):
        y = F.adaptive_avg_pool2d(m.conv(x), 3)
        return F.softmax(m.fc(torch.flatten(y, 1)), dim=1)

    net = Sequential(fwd, conv=conv, fc=fc)
    layers = [
        {"name": "conv", "kind": "conv", "inputs": ["input"], "args": conv_args(conv)},
        {"name": "gap", "kind": "adaptive_avgpool", "inputs": ["conv"],
         "args": {"output_size": [3, 3]}},
        {"name": "flatten", "kind": "flatten", "inputs": ["gap"],
         "args": {"start_dim": 1, "end_dim": -1}},
        {"name": "fc", "kind": "linear", "inputs": ["flatten"],
         "args": {"in_features": 36, "out_features": 5, "bias": True}},
        {"name": "softmax", "kind": "softmax", "inputs": ["fc"], "args": {"dim": 1}},
    ]
    # 7 -> 3: windows [0,3), [2,5), [4,7) (start=floor(i*7/3), end=ceil((i+1)*7/3)),
    # overlapping, 3 elements each.
    x = torch.randn(1, 3, 7, 7)
    return ("adaptive_avgpool_linear_softmax",
            "conv 3->4 k3 p1, adaptive_avg_pool2d(3) on 7x7, flatten, linear 36->5, softmax",
            net, layers, x)


def lrn_net(key, size, alpha, beta, k, scale, desc):
    torch.manual_seed(0)
    lrn = nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)
    net = Sequential(lambda m, x: m.lrn(x), lrn=lrn)
    layers = [{"name": "lrn", "kind": "lrn", "inputs": ["input"],
               "args": {"size": size, "alpha": alpha, "beta": beta, "k": k}}]
    x = torch.randn(1, 8, 5, 5) * scale
    return key, desc, net, layers, x


def net_lrn():
    return lrn_net("lrn", 5, 1e-4, 0.75, 1.0, 1.0,
                   "LocalResponseNorm(size=5) with defaults alpha=1e-4, beta=0.75, k=1")


def net_lrn_strong():
    # Extra case: the default alpha makes LRN nearly the identity, so also a
    # strong one where the cross-channel sum (window clipped at the channel
    # edges, alpha divided by size) visibly matters.
    return lrn_net("lrn_strong", 5, 1.0, 0.75, 2.0, 2.0,
                   "LocalResponseNorm(size=5, alpha=1.0, beta=0.75, k=2.0), input scaled by 2")


def net_dilated_asym_pad():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 2, 3, dilation=2)
    pad = {"left": 1, "right": 2, "top": 0, "bottom": 3}
    net = Sequential(lambda m, x: m.conv(F.pad(x, [pad["left"], pad["right"],
                                                   pad["top"], pad["bottom"]])),
                     conv=conv)
    layers = [{"name": "conv", "kind": "conv", "inputs": ["input"],
               "args": conv_args(conv, padding=dict(pad)),
               "torch": "conv(F.pad(x, [left, right, top, bottom]))"}]
    x = torch.randn(1, 3, 7, 6)
    return ("dilated_conv_asym_pad",
            "F.pad(x, [1, 2, 0, 3]) then conv 3->2 k3 dilation 2 (input 7x6 -> 6x5)",
            net, layers, x)



# ---- nets described by their layer list alone, run by an interpreter of torch calls ----------

def make_module(layer):
    a = layer["args"]
    if layer["kind"] == "conv":
        pad = a["padding"]
        return nn.Conv2d(a["in_channels"], a["out_channels"], a["kernel_size"], stride=a["stride"],
                         padding=0 if isinstance(pad, dict) else pad, dilation=a["dilation"],
                         groups=a["groups"], bias=a["bias"])
    if layer["kind"] == "batchnorm":
        cls = nn.BatchNorm1d if a.get("dims", 2) == 1 else nn.BatchNorm2d
        return cls(a["num_features"], eps=a["eps"], momentum=a["momentum"], affine=a["affine"])
    if layer["kind"] == "linear":
        return nn.Linear(a["in_features"], a["out_features"], bias=a["bias"])
    if layer["kind"] == "lrn":
        return nn.LocalResponseNorm(a["size"], alpha=a["alpha"], beta=a["beta"], k=a["k"])
    if layer["kind"] == "dropout":
        return nn.Dropout(a["p"])
    # Issue 11's normalizations, ConvNeXt's channels-last linear, the transposed convolution.
    if layer["kind"] == "layernorm":
        return nn.LayerNorm(a["normalized_shape"], eps=a["eps"], elementwise_affine=a["elementwise_affine"])
    if layer["kind"] == "groupnorm":
        return nn.GroupNorm(a["num_groups"], a["num_channels"], eps=a["eps"], affine=a["affine"])
    if layer["kind"] == "channel_linear":
        return nn.Linear(a["in_features"], a["out_features"], bias=a["bias"])
    if layer["kind"] == "conv_transpose":
        return nn.ConvTranspose2d(a["in_channels"], a["out_channels"], a["kernel_size"], stride=a["stride"],
                                  padding=a["padding"], output_padding=a["output_padding"], groups=a["groups"],
                                  bias=a["bias"], dilation=a["dilation"])
    return None


# The kinds torch computes with a plain function of the inputs xs and the layer's arguments a.
FUNCTIONS = {
    "relu": lambda xs, a: F.relu(xs[0]),
    "relu6": lambda xs, a: F.relu6(xs[0]),
    "maxpool": lambda xs, a: F.max_pool2d(xs[0], a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                                          ceil_mode=a["ceil_mode"]),
    "avgpool": lambda xs, a: F.avg_pool2d(xs[0], a["kernel_size"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"],
                                          count_include_pad=a["count_include_pad"]),
    "adaptive_avgpool": lambda xs, a: F.adaptive_avg_pool2d(xs[0], a["output_size"]),
    "global_avgpool": lambda xs, a: F.adaptive_avg_pool2d(xs[0], 1),
    "flatten": lambda xs, a: torch.flatten(xs[0], 1),
    "softmax": lambda xs, a: F.softmax(xs[0], dim=1),
    "add": lambda xs, a: sum_all(xs),
    "concat": lambda xs, a: torch.cat(xs, dim=1),
    "identity": lambda xs, a: xs[0],
    # The vocabulary of modern CNNs (issue 11): activations, gating, channel moves.
    "hardswish": lambda xs, a: F.hardswish(xs[0]),
    "hardsigmoid": lambda xs, a: F.hardsigmoid(xs[0]),
    "sigmoid": lambda xs, a: torch.sigmoid(xs[0]),
    "silu": lambda xs, a: F.silu(xs[0]),
    "gelu": lambda xs, a: F.gelu(xs[0], approximate=a["approximate"]),
    "leaky_relu": lambda xs, a: F.leaky_relu(xs[0], a["negative_slope"]),
    "tanh": lambda xs, a: torch.tanh(xs[0]),
    "mul": lambda xs, a: mul_per_sample(xs[0], xs[1]),
    "stochastic_depth": lambda xs, a: stochastic_depth_eval(xs[0], a),
    "channel_shuffle": lambda xs, a: F.channel_shuffle(xs[0], a["groups"]),
    "channel_slice": lambda xs, a: xs[0][:, a["start"]:a["end"]],
    "upsample": lambda xs, a: F.interpolate(xs[0], size=a["size"], scale_factor=a["scale_factor"], mode=a["mode"],
                                            align_corners=a["align_corners"],
                                            recompute_scale_factor=a["recompute_scale_factor"]),
}


def mul_per_sample(x, y):
    """x * y with cnnscope's broadcasting of per-sample shapes: the lower-rank one is viewed as
    [N, 1, ..., *shape], so that ranks are aligned after the batch, not across it."""
    rank = max(x.dim(), y.dim())
    x = x.reshape(x.shape[0], *([1] * (rank - x.dim())), *x.shape[1:])
    y = y.reshape(y.shape[0], *([1] * (rank - y.dim())), *y.shape[1:])
    return x * y


def stochastic_depth_eval(x, a):
    import torchvision.ops
    return torchvision.ops.stochastic_depth(x, a["p"], a["mode"], training=False)


def sum_all(xs):
    y = xs[0]
    for t in xs[1:]:
        y = y + t
    return y


class Interpreted(nn.Module):
    """Runs a layer list with torch's own modules and functions."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers
        for layer in layers:
            m = make_module(layer)
            if m is not None:
                self.add_module(layer["name"], m)
            if layer["kind"] == "layer_scale":
                # A bare parameter, as CNBlock's: its state_dict key is the layer's name.
                c = layer["args"]["dim"]
                self.register_parameter(layer["name"], nn.Parameter(torch.ones(c, 1, 1) * layer["args"]["layer_scale"]))

    def forward(self, x):
        values = {"input": x}
        for layer in self.layers:
            a = layer["args"]
            xs = [values[i] for i in layer["inputs"]]
            k = layer["kind"]
            m = getattr(self, layer["name"], None) if make_module(layer) is not None else None
            if k == "conv":
                pad = a["padding"]
                y = xs[0]
                if isinstance(pad, dict):
                    y = F.pad(y, [pad["left"], pad["right"], pad["top"], pad["bottom"]])
                y = m(y)
            elif k in ("batchnorm", "linear", "lrn", "dropout"):
                y = m(xs[0])
            elif k in ("layernorm", "channel_linear") and xs[0].dim() == 4:
                # Channels last and back, as torchvision's LayerNorm2d and ConvNeXt's CNBlock.
                y = m(xs[0].permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            elif k in ("layernorm", "groupnorm", "conv_transpose"):
                y = m(xs[0])
            elif k == "layer_scale":
                y = getattr(self, layer["name"]) * xs[0]
            elif k in FUNCTIONS:
                y = FUNCTIONS[k](xs, a)
            else:
                raise ValueError(k)
            values[layer["name"]] = y
        return y


def L(name, kind, inputs, **args):
    return {"name": name, "kind": kind, "inputs": inputs if isinstance(inputs, list) else [inputs], "args": args}


def conv_layer(name, inputs, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
    pair = lambda v: list(v) if isinstance(v, (list, tuple)) else [v, v]
    return L(name, "conv", inputs, in_channels=cin, out_channels=cout, kernel_size=pair(k), stride=pair(stride),
             padding=padding if isinstance(padding, dict) else pair(padding), dilation=pair(dilation), groups=groups, bias=bias)


def bn_layer(name, inputs, c, eps=1e-5, dims=2, affine=True):
    return L(name, "batchnorm", inputs, num_features=c, eps=eps, momentum=0.1, affine=affine,
             track_running_stats=True, dims=dims)


def pool_layer(name, kind, inputs, k, stride, padding=0, dilation=1, ceil=False, count_include_pad=True):
    pair = lambda v: list(v) if isinstance(v, (list, tuple)) else [v, v]
    args = {"kernel_size": pair(k), "stride": pair(stride), "padding": pair(padding), "ceil_mode": ceil}
    if kind == "maxpool":
        args["dilation"] = pair(dilation)
    else:
        args["count_include_pad"] = count_include_pad
        args["divisor_override"] = None
    return L(name, kind, inputs, **args)


def interpreted(key, desc, layers, shape, bn_offsets=(), scale=None, setup=None):
    def make():
        torch.manual_seed(0)
        net = Interpreted(layers)
        for i, name in enumerate(bn_offsets):
            set_bn_stats(getattr(net, name), 0.1 * (i + 1))
        if setup is not None:
            setup(net)
        x = torch.randn(*shape)
        if scale is not None:
            x = x * scale
        return key, desc, net, layers, x
    make.__name__ = "net_" + key
    return make


net_maxpool_dilated_ceil = interpreted(
    "maxpool_dilated_ceil",
    "max_pool2d(3, stride 2, padding 1, dilation 2, ceil_mode) on 11x10, then max_pool2d([3, 2], "
    "stride [2, 1], padding [1, 0], ceil_mode) on its 5x5 output",
    [pool_layer("pool1", "maxpool", "input", 3, 2, padding=1, dilation=2, ceil=True),
     pool_layer("pool2", "maxpool", "pool1", [3, 2], [2, 1], padding=[1, 0], ceil=True)],
    (1, 2, 11, 10))

net_avgpool_variants = interpreted(
    "avgpool_variants",
    "avg_pool2d(3, 2, 1, ceil_mode, count_include_pad=False) on 9x8 -> 5x5 (last window clipped), "
    "then avg_pool2d(2, 2, ceil_mode) with no padding -> 3x3 (last window 1 wide, divisor 1x2/2x1/1x1), "
    "then avg_pool2d([3, 1], [1, 2], padding [1, 0]) count_include_pad",
    [pool_layer("pool1", "avgpool", "input", 3, 2, padding=1, ceil=True, count_include_pad=False),
     pool_layer("pool2", "avgpool", "pool1", 2, 2, ceil=True),
     pool_layer("pool3", "avgpool", "pool2", [3, 1], [1, 2], padding=[1, 0])],
    (1, 3, 9, 8))

net_depthwise_separable = interpreted(
    "depthwise_separable",
    "depthwise conv 6->6 k3 s2 p1 groups=6, BatchNorm2d, ReLU, pointwise 1x1 conv 6->8 (direct GEMM), "
    "1x1 conv 8->4 stride 2 (strided, no bias), batch 2",
    [conv_layer("dw", "input", 6, 6, 3, stride=2, padding=1, groups=6, bias=False),
     bn_layer("bn", "dw", 6),
     L("relu", "relu", "bn"),
     conv_layer("pw", "relu", 6, 8, 1),
     conv_layer("down", "pw", 8, 4, 1, stride=2, bias=False)],
    (2, 6, 9, 9), bn_offsets=["bn"])

net_grouped_dilated_same = interpreted(
    "grouped_dilated_strided",
    "conv 6->4 k3 stride 2 dilation 2 groups 2 padding [2, 1]; conv 4->5 k[4, 2] padding "
    "{top 1, bottom 2, left 0, right 1} (asymmetric, as padding 'same' of an even kernel); conv 5->3 k[1, 3] "
    "stride [1, 2] groups 1 dilation [1, 3] padding [0, 3]",
    [conv_layer("conv1", "input", 6, 4, 3, stride=2, padding=[2, 1], dilation=2, groups=2),
     conv_layer("conv2", "conv1", 4, 5, [4, 2], padding={"top": 1, "bottom": 2, "left": 0, "right": 1}),
     conv_layer("conv3", "conv2", 5, 3, [1, 3], stride=[1, 2], padding=[0, 3], dilation=[1, 3])],
    (1, 6, 13, 12))

net_inception_branches = interpreted(
    "inception_branches",
    "an Inception-like module on batch 2: concat(conv1x1, conv1x1 -> conv3x3 p1, maxpool 3 s1 p1 ceil -> conv1x1), "
    "BatchNorm2d, ReLU, global avg pool, flatten, dropout, linear without bias, BatchNorm1d, linear, softmax",
    [conv_layer("b1", "input", 4, 3, 1),
     conv_layer("b2a", "input", 4, 2, 1, bias=False),
     conv_layer("b2b", "b2a", 2, 3, 3, padding=1),
     pool_layer("b3a", "maxpool", "input", 3, 1, padding=1, ceil=True),
     conv_layer("b3b", "b3a", 4, 2, 1),
     L("cat", "concat", ["b1", "b2b", "b3b"], dim=1),
     bn_layer("bn", "cat", 8, eps=1e-3),
     L("relu", "relu", "bn"),
     L("gap", "global_avgpool", "relu"),
     L("flatten", "flatten", "gap", start_dim=1, end_dim=-1),
     L("drop", "dropout", "flatten", p=0.5),
     L("fc1", "linear", "drop", in_features=8, out_features=6, bias=False),
     bn_layer("bn1d", "fc1", 6, dims=1),
     L("fc2", "linear", "bn1d", in_features=6, out_features=5, bias=True),
     L("softmax", "softmax", "fc2", dim=1)],
    (2, 4, 7, 7), bn_offsets=["bn", "bn1d"])

net_merge_channels_softmax = interpreted(
    "add3_identity_channel_softmax",
    "three convs summed by one add, identity, adaptive_avg_pool2d([5, 3]) from 4x6 (upsampling rows), "
    "flatten of a feature map to concat with a flat branch, and softmax over the channels of a feature map",
    [conv_layer("c1", "input", 3, 4, 3, padding=1),
     conv_layer("c2", "input", 3, 4, 1),
     conv_layer("c3", "input", 3, 4, [3, 1], padding=[1, 0], bias=False),
     L("sum", "add", ["c1", "c2", "c3"]),
     L("same", "identity", "sum"),
     L("pool", "adaptive_avgpool", "same", output_size=[5, 3]),
     L("soft", "softmax", "pool", dim=1)],
    (1, 3, 4, 6))

net_relu6 = interpreted(
    "relu6_clips",
    "ReLU6 on a feature map and then on flat features, batch 2, input scaled by 4 so values fall below 0, "
    "inside [0, 6] and above 6",
    [L("clip", "relu6", "input"),
     L("flatten", "flatten", "clip", start_dim=1, end_dim=-1),
     L("clip_flat", "relu6", "flatten")],
    (2, 3, 5, 5), scale=4.0)

# ---- the vocabulary of modern CNNs (issue 11) ----


def activation_net(key, kind, what, scale, **args):
    return interpreted(
        key,
        "%s on a feature map and then on flat features, batch 2, input scaled by %g" % (what, scale),
        [L("act", kind, "input", **args),
         L("flatten", "flatten", "act", start_dim=1, end_dim=-1),
         L("act_flat", kind, "flatten", **args)],
        (2, 3, 5, 5), scale=scale)


net_hardswish = activation_net("hardswish_ranges", "hardswish", "Hardswish (below -3, inside [-3, 3], above 3)", 4.0)
net_hardsigmoid = activation_net("hardsigmoid_ranges", "hardsigmoid", "Hardsigmoid (below -3, inside [-3, 3], above 3)", 4.0)
net_sigmoid = activation_net("sigmoid_wide", "sigmoid", "Sigmoid", 6.0)
net_silu = activation_net("silu_wide", "silu", "SiLU", 6.0)
net_tanh = activation_net("tanh_wide", "tanh", "Tanh", 3.0)
net_gelu = activation_net("gelu_exact", "gelu", "GELU (exact, erf)", 3.0, approximate="none")

net_gelu_tanh_mlp = interpreted(
    "convnext_mlp_gelu_tanh",
    "a ConvNeXt-like MLP: 1x1 conv 4->16, GELU(approximate='tanh'), 1x1 conv 16->4, batch 2",
    [conv_layer("pw1", "input", 4, 16, 1),
     L("act", "gelu", "pw1", approximate="tanh"),
     conv_layer("pw2", "act", 16, 4, 1)],
    (2, 4, 5, 5), scale=2.0)

net_leaky_relu = interpreted(
    "leaky_relu_slopes",
    "LeakyReLU with its default slope 0.01 on a feature map, then LeakyReLU(0.2) on flat features, batch 2",
    [L("leaky", "leaky_relu", "input", negative_slope=0.01),
     L("flatten", "flatten", "leaky", start_dim=1, end_dim=-1),
     L("leaky_flat", "leaky_relu", "flatten", negative_slope=0.2)],
    (2, 3, 4, 4), scale=3.0)

net_mobilenet_v3_se = interpreted(
    "mobilenet_v3_block_se",
    "a MobileNet v3 inverted residual with squeeze-and-excitation, batch 2: 1x1 conv 8->16, BN, "
    "Hardswish, depthwise 3x3, BN, Hardswish, SE (avg pool, 1x1 conv 16->8, ReLU, 1x1 conv 8->16, "
    "Hardsigmoid, scale * x), 1x1 conv 16->8, BN, + input",
    [conv_layer("expand", "input", 8, 16, 1, bias=False),
     bn_layer("expand_bn", "expand", 16),
     L("expand_act", "hardswish", "expand_bn"),
     conv_layer("dw", "expand_act", 16, 16, 3, padding=1, groups=16, bias=False),
     bn_layer("dw_bn", "dw", 16),
     L("dw_act", "hardswish", "dw_bn"),
     L("se_pool", "global_avgpool", "dw_act"),
     conv_layer("se_fc1", "se_pool", 16, 8, 1),
     L("se_relu", "relu", "se_fc1"),
     conv_layer("se_fc2", "se_relu", 8, 16, 1),
     L("se_scale", "hardsigmoid", "se_fc2"),
     L("se", "mul", ["se_scale", "dw_act"]),
     conv_layer("project", "se", 16, 8, 1, bias=False),
     bn_layer("project_bn", "project", 8),
     L("add", "add", ["project_bn", "input"])],
    (2, 8, 6, 6), bn_offsets=["expand_bn", "dw_bn", "project_bn"])

net_mul_broadcast = interpreted(
    "mul_broadcast",
    "products that broadcast, batch 2: [4, 5, 6] x [1, 5, 6] (a spatial gate), [4, 1, 6] x [4, 5, 6], "
    "[1, 5, 1] x [4, 1, 6] (both stretched), and [4, 5, 6] x [6] (a flat input, aligned with the last axis)",
    [conv_layer("c", "input", 3, 4, 3, padding=1),
     conv_layer("s", "input", 3, 1, 1),
     L("gated", "mul", ["c", "s"]),
     L("rows", "adaptive_avgpool", "c", output_size=[1, 6]),
     L("cols", "adaptive_avgpool", "s", output_size=[5, 1]),
     L("both", "mul", ["rows", "gated"]),
     L("outer", "mul", ["cols", "rows"]),
     L("sum", "add", ["both", "outer"]),
     L("flat", "flatten", "rows", start_dim=1, end_dim=-1),
     L("fc", "linear", "flat", in_features=24, out_features=6, bias=True),
     L("out", "mul", ["sum", "fc"])],
    (2, 3, 5, 6))

net_convnext_stochastic_depth = interpreted(
    "convnext_like_stochastic_depth",
    "a ConvNeXt-like residual without its LayerNorm, batch 2: depthwise 7x7 conv, 1x1 conv 4->16, GELU, "
    "1x1 conv 16->4, StochasticDepth(0.1, 'row') (the identity in eval mode), + input",
    [conv_layer("dwconv", "input", 4, 4, 7, padding=3, groups=4),
     conv_layer("pw1", "dwconv", 4, 16, 1),
     L("act", "gelu", "pw1", approximate="none"),
     conv_layer("pw2", "act", 16, 4, 1),
     L("drop_path", "stochastic_depth", "pw2", p=0.1, mode="row"),
     L("add", "add", ["drop_path", "input"])],
    (2, 4, 6, 6))

net_shufflenet_v1_shuffle = interpreted(
    "shufflenet_v1_group_shuffle",
    "ShuffleNet v1's grouped 1x1 conv 6->6 groups 3, channel_shuffle(3), depthwise 3x3, grouped 1x1 conv groups 3",
    [conv_layer("gconv1", "input", 6, 6, 1, groups=3),
     L("shuffle", "channel_shuffle", "gconv1", groups=3),
     conv_layer("dw", "shuffle", 6, 6, 3, padding=1, groups=6, bias=False),
     conv_layer("gconv2", "dw", 6, 6, 1, groups=3)],
    (1, 6, 5, 5))

net_shufflenet_v2_unit = interpreted(
    "shufflenet_v2_unit_stride1",
    "torchvision's ShuffleNet v2 InvertedResidual(8, 8, 1), batch 2: x1, x2 = x.chunk(2, dim=1) as two "
    "channel slices, branch2(x2) = 1x1 conv, BN, ReLU, depthwise 3x3, BN, 1x1 conv, BN, ReLU; "
    "cat(x1, branch2(x2)), channel_shuffle(2)",
    [L("x1", "channel_slice", "input", start=0, end=4),
     L("x2", "channel_slice", "input", start=4, end=8),
     conv_layer("b2_0", "x2", 4, 4, 1, bias=False),
     bn_layer("b2_1", "b2_0", 4),
     L("b2_2", "relu", "b2_1"),
     conv_layer("b2_3", "b2_2", 4, 4, 3, padding=1, groups=4, bias=False),
     bn_layer("b2_4", "b2_3", 4),
     conv_layer("b2_5", "b2_4", 4, 4, 1, bias=False),
     bn_layer("b2_6", "b2_5", 4),
     L("b2_7", "relu", "b2_6"),
     L("cat", "concat", ["x1", "b2_7"], dim=1),
     L("shuffle", "channel_shuffle", "cat", groups=2)],
    (2, 8, 6, 6), bn_offsets=["b2_1", "b2_4", "b2_6"])

net_channel_slice_flat = interpreted(
    "channel_slice_flat_split",
    "torch.split(x, [3, 7], dim=1) of flat features as two slices, each through its own linear, concatenated",
    [L("flat", "flatten", "input", start_dim=1, end_dim=-1),
     L("head", "channel_slice", "flat", start=0, end=3),
     L("tail", "channel_slice", "flat", start=3, end=10),
     L("fc_head", "linear", "head", in_features=3, out_features=2, bias=True),
     L("fc_tail", "linear", "tail", in_features=7, out_features=2, bias=False),
     L("cat", "concat", ["fc_head", "fc_tail"], dim=1)],
    (2, 10, 1, 1))
# ---- issue 11: normalizations, ConvNeXt's pieces, transposed convolutions, upsampling ----------

def layernorm_layer(name, inputs, c, eps=1e-5, affine=True):
    return L(name, "layernorm", inputs, normalized_shape=c, eps=eps, elementwise_affine=affine)


def groupnorm_layer(name, inputs, groups, c, eps=1e-5, affine=True):
    return L(name, "groupnorm", inputs, num_groups=groups, num_channels=c, eps=eps, affine=affine)


def conv_transpose_layer(name, inputs, cin, cout, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                         bias=True):
    pair = lambda v: list(v) if isinstance(v, (list, tuple)) else [v, v]
    return L(name, "conv_transpose", inputs, in_channels=cin, out_channels=cout, kernel_size=pair(k),
             stride=pair(stride), padding=pair(padding), output_padding=pair(output_padding),
             dilation=pair(dilation), groups=groups, bias=bias)


def upsample_layer(name, inputs, mode, size=None, scale_factor=None, align_corners=None, recompute=None):
    return L(name, "upsample", inputs, mode=mode, size=size, scale_factor=scale_factor, align_corners=align_corners,
             recompute_scale_factor=recompute)


def set_affine(*names):
    """Non-trivial weight and bias for norm layers (PyTorch initializes them to 1 and 0)."""
    def setup(net):
        for j, name in enumerate(names):
            m = getattr(net, name)
            with torch.no_grad():
                i = torch.arange(m.weight.numel(), dtype=torch.float32)
                m.weight.copy_(1.0 + 0.1 * i - 0.1 * (j + 1))
                m.bias.copy_(-0.2 + 0.05 * i + 0.1 * (j + 1))
    return setup


def set_layer_scale(name):
    """A layer scale that is not its tiny initial value, so the branch shows in the output."""
    def setup(net):
        p = getattr(net, name)
        with torch.no_grad():
            p.copy_(torch.linspace(0.5, 1.5, p.numel()).reshape(p.shape))
    return setup


def setups(*fns):
    def setup(net):
        for f in fns:
            f(net)
    return setup


net_layernorm = interpreted(
    "layernorm_2d_and_flat",
    "LayerNorm2d (nn.LayerNorm over the channels, channels last, eps 1e-6, affine set) on 6x5x4, batch 2, "
    "input scaled by 3 and shifted per position; global avg pool, flatten, nn.LayerNorm(6) without affine",
    [layernorm_layer("ln", "input", 6, eps=1e-6),
     L("gap", "global_avgpool", "ln"),
     L("flatten", "flatten", "gap", start_dim=1, end_dim=-1),
     layernorm_layer("ln_flat", "flatten", 6, affine=False)],
    (2, 6, 5, 4), scale=3.0, setup=set_affine("ln"))

net_groupnorm = interpreted(
    "groupnorm_variants",
    "conv 4->6 k3 p1, GroupNorm(3, 6) affine set, GroupNorm(6, 6) eps 1e-3 without affine (instance norm), "
    "GroupNorm(1, 6) (layer norm over C, H, W), then on flat features GroupNorm(2, 6), batch 2",
    [conv_layer("conv", "input", 4, 6, 3, padding=1),
     groupnorm_layer("gn3", "conv", 3, 6),
     groupnorm_layer("gn6", "gn3", 6, 6, eps=1e-3, affine=False),
     groupnorm_layer("gn1", "gn6", 1, 6),
     L("gap", "global_avgpool", "gn1"),
     L("flatten", "flatten", "gap", start_dim=1, end_dim=-1),
     groupnorm_layer("gn_flat", "flatten", 2, 6)],
    (2, 4, 5, 5), setup=set_affine("gn3", "gn1", "gn_flat"))

net_convnext_block = interpreted(
    "convnext_block",
    "a ConvNeXt block (CNBlock, with ReLU for GELU): depthwise conv 7x7 p3, LayerNorm (channels last, eps 1e-6), "
    "Linear 4->16 and 16->4 over the channels, layer_scale (a bare parameter [4, 1, 1], set to 0.5..1.5), "
    "plus the input; batch 2",
    [conv_layer("dwconv", "input", 4, 4, 7, padding=3, groups=4),
     layernorm_layer("norm", "dwconv", 4, eps=1e-6),
     L("pwconv1", "channel_linear", "norm", in_features=4, out_features=16, bias=True),
     L("act", "relu", "pwconv1"),
     L("pwconv2", "channel_linear", "act", in_features=16, out_features=4, bias=True),
     L("layer_scale", "layer_scale", "pwconv2", dim=4, layer_scale=1e-6),
     L("add", "add", ["layer_scale", "input"])],
    (2, 4, 9, 8), setup=setups(set_affine("norm"), set_layer_scale("layer_scale")))

net_channel_linear = interpreted(
    "channel_linear_variants",
    "nn.Linear over the channels of a 5x3x7 map (channels last) 5->6 without bias, then 6->2 with bias, batch 3",
    [L("fc1", "channel_linear", "input", in_features=5, out_features=6, bias=False),
     L("fc2", "channel_linear", "fc1", in_features=6, out_features=2, bias=True)],
    (3, 5, 3, 7))

net_conv_transpose = interpreted(
    "conv_transpose_variants",
    "ConvTranspose2d 4->6 k3 s2 p1 output_padding 1 (3x3 -> 6x6); 6->4 k[2, 3] s[2, 1] p[0, 1] groups 2 "
    "without bias; 4->3 k3 s2 p2 dilation 2 output_padding [1, 0] (output_padding < dilation); batch 2",
    [conv_transpose_layer("up1", "input", 4, 6, 3, stride=2, padding=1, output_padding=1),
     conv_transpose_layer("up2", "up1", 6, 4, [2, 3], stride=[2, 1], padding=[0, 1], groups=2, bias=False),
     conv_transpose_layer("up3", "up2", 4, 3, 3, stride=2, padding=2, output_padding=[1, 0], dilation=2)],
    (2, 4, 3, 3))

net_unet_up = interpreted(
    "unet_up",
    "a U-Net step: conv 3->4 k3 s2 p1 (6x6 -> 3x3), depthwise ConvTranspose2d 4->4 k2 s2 groups 4 (-> 6x6), "
    "concat with the input, conv 1x1 7->2",
    [conv_layer("down", "input", 3, 4, 3, stride=2, padding=1),
     conv_transpose_layer("up", "down", 4, 4, 2, stride=2, groups=4),
     L("cat", "concat", ["up", "input"], dim=1),
     conv_layer("out", "cat", 7, 2, 1)],
    (1, 3, 6, 6))


def upsample_net(key, desc, shape, *layer_args, **kwargs):
    return interpreted(key, desc, [upsample_layer("up", "input", *layer_args, **kwargs)], shape)


UPSAMPLE_NETS = [
    upsample_net("upsample_nearest_x2", "nearest, scale_factor 2 (3x4 -> 6x8)", (2, 2, 3, 4), "nearest",
                 scale_factor=2.0),
    upsample_net("upsample_nearest_x3", "nearest, scale_factor 3 (5x3 -> 15x9): floor(o * float32(1/3))",
                 (1, 2, 5, 3), "nearest", scale_factor=3.0),
    upsample_net("upsample_nearest_frac", "nearest, scale_factor [1.7, 2.3] (5x4 -> 8x9), indices from the scales",
                 (1, 2, 5, 4), "nearest", scale_factor=[1.7, 2.3]),
    upsample_net("upsample_nearest_recompute",
                 "nearest, scale_factor [1.7, 2.3] recomputed from the sizes (5x4 -> 8x9, indices from 5/8 and 4/9)",
                 (1, 2, 5, 4), "nearest", scale_factor=[1.7, 2.3], recompute=True),
    upsample_net("upsample_nearest_size", "nearest to size [7, 3] from 3x5 (up along the height, down along the width)",
                 (1, 2, 3, 5), "nearest", size=[7, 3]),
    upsample_net("upsample_nearest_2n_scale",
                 "nearest, scale_factor 2.1 on 4x4 -> 8x8: torch's output = 2 * input case ignores the scale",
                 (1, 1, 4, 4), "nearest", scale_factor=2.1),
    upsample_net("upsample_bilinear_x2", "bilinear, scale_factor 2, align_corners False (3x4 -> 6x8), batch 2",
                 (2, 2, 3, 4), "bilinear", scale_factor=2.0, align_corners=False),
    upsample_net("upsample_bilinear_frac",
                 "bilinear, scale_factor [2.5, 0.6] (4x5 -> 10x3, down along the width), align_corners False",
                 (1, 2, 4, 5), "bilinear", scale_factor=[2.5, 0.6], align_corners=False),
    upsample_net("upsample_bilinear_x3", "bilinear, scale_factor 3 (3x3 -> 9x9), align_corners False",
                 (1, 1, 3, 3), "bilinear", scale_factor=3.0, align_corners=False),
    upsample_net("upsample_bilinear_align", "bilinear to size [7, 9] from 4x5, align_corners True",
                 (1, 2, 4, 5), "bilinear", size=[7, 9], align_corners=True),
    upsample_net("upsample_bilinear_align_scale",
                 "bilinear, scale_factor 1.5 with align_corners True (4x6 -> 6x9: positions from the sizes)",
                 (1, 2, 4, 6), "bilinear", scale_factor=1.5, align_corners=True),
    upsample_net("upsample_bilinear_recompute",
                 "bilinear, scale_factor 1.3 recomputed from the sizes (5x7 -> 6x9), align_corners False",
                 (1, 2, 5, 7), "bilinear", scale_factor=1.3, align_corners=False, recompute=True),
    upsample_net("upsample_bilinear_same_size",
                 "bilinear, scale_factor 1.1 on 4x4 (-> 4x4: torch copies when the sizes are equal)",
                 (1, 1, 4, 4), "bilinear", scale_factor=1.1, align_corners=False),
]


# Each kind's nets, written to kinds/<kind>.json. A net is filed under the kind it was made to
# test and may use others; together they cover every kind (test/execute/reference.test.ts).
KIND_NETS = {
    "add": [net_residual],
    "avgpool": [net_avgpool_variants],
    "batchnorm": [net_grouped_bn_avgpool],
    "concat": [net_inception_branches],
    "conv": [net_dilated_asym_pad, net_depthwise_separable, net_grouped_dilated_same],
    "identity": [net_merge_channels_softmax],
    "linear": [net_adaptive_linear_softmax],
    "lrn": [net_lrn, net_lrn_strong],
    "maxpool": [net_maxpool_dilated_ceil],
    "relu": [net_conv_relu_maxpool],
    "relu6": [net_relu6],
    "hardswish": [net_hardswish],
    "hardsigmoid": [net_hardsigmoid],
    "sigmoid": [net_sigmoid],
    "silu": [net_silu],
    "gelu": [net_gelu, net_gelu_tanh_mlp],
    "leaky_relu": [net_leaky_relu],
    "tanh": [net_tanh],
    "mul": [net_mobilenet_v3_se, net_mul_broadcast],
    "stochastic_depth": [net_convnext_stochastic_depth],
    "channel_shuffle": [net_shufflenet_v1_shuffle],
    "channel_slice": [net_shufflenet_v2_unit, net_channel_slice_flat],
    # Issue 11.
    "layernorm": [net_layernorm],
    "groupnorm": [net_groupnorm],
    "layer_scale": [net_convnext_block],
    "channel_linear": [net_channel_linear],
    "conv_transpose": [net_conv_transpose, net_unet_up],
    "upsample": UPSAMPLE_NETS,
}


# ---- the same nets as cnnscope models --------------------------------------------------------

def to_cnnscope(key, layers, input_shape):
    """The cnnscope model (a dict, written as YAML's JSON subset) of a layer list."""
    out = []
    prev = "input"
    for layer in layers:
        a = layer["args"]
        k = layer["kind"]
        args = {"name": layer["name"]}
        inputs = layer["inputs"]
        if inputs != [prev]:
            args["inputs"] = inputs if len(inputs) > 1 else inputs[0]
        if k == "conv":
            pad = a["padding"]
            args.update(out=a["out_channels"], kernel=a["kernel_size"], stride=a["stride"],
                        padding=[pad["top"], pad["bottom"], pad["left"], pad["right"]] if isinstance(pad, dict) else pad,
                        dilation=a["dilation"], groups=a["groups"], bias=a["bias"])
        elif k == "batchnorm":
            args.update(eps=a["eps"], momentum=a["momentum"], affine=a["affine"])
        elif k == "linear":
            args.update(out=a["out_features"], bias=a["bias"])
        elif k == "maxpool":
            args.update(kernel=a["kernel_size"], stride=a["stride"], padding=a["padding"], dilation=a["dilation"],
                        ceil=a["ceil_mode"])
        elif k == "avgpool":
            args.update(kernel=a["kernel_size"], stride=a["stride"], padding=a["padding"], ceil=a["ceil_mode"],
                        count_include_pad=a["count_include_pad"])
        elif k == "adaptive_avgpool":
            args.update(size=a["output_size"])
        elif k == "lrn":
            args.update(size=a["size"], alpha=a["alpha"], beta=a["beta"], k=a["k"])
        elif k == "dropout":
            args.update(p=a["p"])
        elif k in ("gelu", "leaky_relu", "stochastic_depth", "channel_shuffle", "channel_slice"):
            args.update(a)  # named as cnnscope names them
        elif k == "layernorm":
            args.update(eps=a["eps"], affine=a["elementwise_affine"])
        elif k == "groupnorm":
            args.update(groups=a["num_groups"], eps=a["eps"], affine=a["affine"])
        elif k == "layer_scale":
            args.update(init=a["layer_scale"])
        elif k == "channel_linear":
            args.update(out=a["out_features"], bias=a["bias"])
        elif k == "conv_transpose":
            args.update(out=a["out_channels"], kernel=a["kernel_size"], stride=a["stride"], padding=a["padding"],
                        output_padding=a["output_padding"], dilation=a["dilation"], groups=a["groups"], bias=a["bias"])
        elif k == "upsample":
            args.update({key: a[key] for key in ("mode", "size", "scale_factor") if a[key] is not None})
            if a["align_corners"]:
                args["align_corners"] = True
            if a["recompute_scale_factor"]:
                args["recompute_scale_factor"] = True
        out.append({k: args})
        prev = layer["name"]
    return {"name": key, "input": list(input_shape[1:]), "layers": out}


# ---- the synthetic weights formula (src/execute/random.ts, src/execute/weights.ts) -----------

M32 = 0xFFFFFFFF


def fmix32(x):
    """MurmurHash3's finalizer on uint64 numpy arrays holding 32-bit values."""
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x = x ^ (x >> np.uint64(13))
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    return x ^ (x >> np.uint64(16))


def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def uniform(seed, key, n, bound, center=0.0):
    """center + (2*unit - 1) * bound in float64, rounded once to float32 (fillUniform)."""
    st = int(fmix32(np.array([(seed & M32) ^ fnv1a32(key)], dtype=np.uint64))[0])
    k = np.arange(n, dtype=np.uint64)
    x = fmix32((np.uint64(st) + ((k + np.uint64(1)) * np.uint64(0x9E3779B9))) & np.uint64(M32))
    u = (x >> np.uint64(8)).astype(np.float64) / 16777216.0
    return (center + (2.0 * u - 1.0) * bound).astype(np.float32)


def synthetic_state_dict(model, seed):
    """syntheticWeights: conv/linear/transposed conv weight U(+-sqrt(6/fan_in)), their bias
    U(+-1/sqrt(fan_in)), batchnorm/layernorm/groupnorm weight 1+U(+-1/4), bias U(+-1/4),
    running_mean U(+-1/4), running_var 1+U(+-1/2), layer_scale 1+U(+-1/4)."""
    sd = model.state_dict()
    out = {}
    for name, module in model.named_modules():
        for tname, t in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
            key = (name + "." if name else "") + tname
            if t.dtype == torch.int64:
                out[key] = t.clone()
                continue
            n = t.numel()
            if isinstance(module, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
                # weight[0]: [Cin/groups, kh, kw] of a conv, [Cout/groups, kh, kw] of a transposed one.
                fan_in = module.weight[0].numel()
                bound = np.sqrt(6.0 / fan_in) if tname == "weight" else 1.0 / np.sqrt(fan_in)
                v = uniform(seed, key, n, bound)
            elif tname.endswith("layer_scale"):
                # ConvNeXt's bare parameter (the layer_scale kind): 1 + U(+-1/4).
                v = uniform(seed, key, n, 0.25, 1.0)
            elif tname == "running_var":
                v = uniform(seed, key, n, 0.5, 1.0)
            else:
                v = uniform(seed, key, n, 0.25, 1.0 if tname == "weight" else 0.0)
            out[key] = torch.from_numpy(v).reshape(t.shape)
    assert list(out.keys()) == list(sd.keys()), "state_dict order"
    # The modules' state_dict versions, as a saved state_dict carries them (MNASNet refuses one without).
    out = type(sd)(out)
    out._metadata = sd._metadata
    return out


# ---- safetensors, written by hand (the format is small; no safetensors package needed) -------

def write_safetensors(path, tensors, dtypes):
    """tensors: key -> torch tensor; dtypes: key -> "F32" | "F16" | "BF16" | "I64".
    Keys sorted, data in key order, header padded with spaces to 8 bytes (as the reference
    implementation writes it), plus a __metadata__ entry."""
    header = {"__metadata__": {"format": "pt", "generator": "scripts/torch_reference_nets.py"}}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        dt = dtypes[key]
        if dt == "F32":
            data = t.to(torch.float32).numpy().tobytes()
        elif dt == "F16":
            data = t.to(torch.float16).numpy().tobytes()
        elif dt == "BF16":
            data = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        elif dt == "I64":
            data = t.to(torch.int64).numpy().tobytes()
        else:
            raise ValueError(dt)
        header[key] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text.encode()) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


# ---- full networks ---------------------------------------------------------------------------

FULL_SEED = 0
FULL_SIZE = 64


def full_input(outdir, size):
    """The input of the full nets at size x size (torch.manual_seed(0), randn), saved once per size."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, size, size)
    name = "full_input_3x%dx%d.npy" % (size, size)
    np.save(os.path.join(outdir, name), x.numpy().astype(np.float32))
    return name, x


def unet_module():
    """scripts/unet.py's UNet(), imported from beside this script."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from unet import UNet
    return UNet()


def full_nets(outdir):
    import torchvision
    # (name, constructor, taps, input size): 64x64, or the smallest input the net takes.
    nets = [
        ("resnet18", lambda: torchvision.models.resnet18(weights=None), ["layer1", "layer2", "layer3", "layer4"], FULL_SIZE),
        ("googlenet", lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False), [], FULL_SIZE),
        ("densenet121", lambda: torchvision.models.densenet121(weights=None), [], FULL_SIZE),
        # One network of each mobile family (issue 11), at the same input; the ones with taps
        # save their stage outputs too.
        ("squeezenet1_1", lambda: torchvision.models.squeezenet1_1(weights=None), [], FULL_SIZE),
        ("mobilenet_v2", lambda: torchvision.models.mobilenet_v2(weights=None), [], FULL_SIZE),
        ("mobilenet_v3_small", lambda: torchvision.models.mobilenet_v3_small(weights=None), ["features"], FULL_SIZE),
        ("mnasnet0_5", lambda: torchvision.models.mnasnet0_5(weights=None), [], FULL_SIZE),
        ("shufflenet_v2_x0_5", lambda: torchvision.models.shufflenet_v2_x0_5(weights=None), ["stage2", "stage3", "stage4"], FULL_SIZE),
        ("efficientnet_b0", lambda: torchvision.models.efficientnet_b0(weights=None), [], FULL_SIZE),
        ("regnet_y_400mf", lambda: torchvision.models.regnet_y_400mf(weights=None), [], FULL_SIZE),
        ("inception_v3", lambda: torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False), [], 75),
        ("convnext_tiny", lambda: torchvision.models.convnext_tiny(weights=None), [], FULL_SIZE),
        # Not torchvision: the U-Net of scripts/unet.py (architectures/unet.yaml), 3 -> 2 channels.
        ("unet", unet_module, [], FULL_SIZE),
    ]
    inputs = {}
    entries = []
    for name, make, taps, size in nets:
        if size not in inputs:
            inputs[size] = full_input(outdir, size)
        input_file, x = inputs[size]
        model = make().eval()
        model.load_state_dict(synthetic_state_dict(model, FULL_SEED))
        captured = {}
        for tap in taps:
            getattr(model, tap).register_forward_hook(lambda m, i, o, tap=tap: captured.__setitem__(tap, o))
        with torch.no_grad():
            out = model(x)
        files = {"output": "full_%s_output.npy" % name}
        np.save(os.path.join(outdir, files["output"]), out.numpy().astype(np.float32))
        for tap in taps:
            files[tap] = "full_%s_%s.npy" % (name, tap)
            np.save(os.path.join(outdir, files[tap]), captured[tap].numpy().astype(np.float32))
        entries.append({"model": name, "input": input_file, "seed": FULL_SEED, "files": files,
                        "output_shape": list(out.shape),
                        "output_abs_max": float(out.abs().max())})
        print("%-16s in %s out %s |max| %.4g, taps %s" % (name, list(x.shape), list(out.shape), float(out.abs().max()),
                                                         {t: list(captured[t].shape) for t in taps}))
    doc = {
        "generator": "scripts/torch_reference_nets.py",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "weights": "syntheticWeights(graph, seed) in src/execute/weights.ts; synthetic_state_dict here",
        "nets": entries,
    }
    with open(os.path.join(outdir, "full_nets.json"), "w") as f:
        f.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def tiny_net(make):
    """The fixture entry of one tiny net, and the torch module (for the safetensors files)."""
    key, desc, net, layers, x = make()
    net.eval()
    x = x.to(torch.float32)
    with torch.no_grad():
        out = net(x)
        out64 = net.double()(x.double())
        net.float()
    params = [{"key": k, "shape": list(v.shape),
               "dtype": "int64" if v.dtype == torch.int64 else "float",
               "values": ([int(e) for e in v.reshape(-1).tolist()]
                          if v.dtype == torch.int64 else flat(v))}
              for k, v in net.state_dict().items()]
    print("%-32s in %-14s out %-14s params %d"
          % (key, list(x.shape), list(out.shape),
             sum(p["shape"] and int(torch.tensor(p["shape"]).prod()) or 1 for p in params)))
    return {
        "name": key,
        "description": desc,
        "layers": layers,
        "model": to_cnnscope(key, layers, list(x.shape)),
        "input_shape": list(x.shape),
        "input": flat(x),
        "params": params,
        "output_shape": list(out.shape),
        "output": flat(out),
        # Same net and input evaluated in float64 (inputs/params are the
        # float32 values above, widened), for tighter comparisons.
        "output_float64": [float(v) for v in out64.reshape(-1).tolist()],
    }, net


def write_kind(kind):
    """kinds/<kind>.json: the kind's nets. Returns the torch modules by net name."""
    entries, modules = [], {}
    for make in KIND_NETS[kind]:
        entry, net = tiny_net(make)
        entries.append(entry)
        modules[entry["name"]] = net
    doc = {
        "generator": "scripts/torch_reference_nets.py --kind %s" % kind,
        "kind": kind,
        "torch_version": torch.__version__,
        "seed": 0,
        "dtype": "float32",
        "nets": entries,
    }
    os.makedirs(KINDS_DIR, exist_ok=True)
    path = os.path.join(KINDS_DIR, kind + ".json")
    text = json.dumps(doc, indent=1, sort_keys=True)
    # Keep flat lists of numbers / short scalars on one line.
    text = re.sub(r"\[\s*\n\s*([^\[\]{}]*?)\s*\]",
                  lambda mo: "[" + re.sub(r",\s*\n\s*", ",", mo.group(1)) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")
    print("wrote %s (%d bytes)" % (os.path.relpath(path, ROOT), os.path.getsize(path)))
    return modules


def write_safetensors_fixtures(net):
    sd = net.state_dict()
    write_safetensors(os.path.join(OUTDIR, "tiny_inception.safetensors"), sd,
                      {k: "I64" if v.dtype == torch.int64 else "F32" for k, v in sd.items()})
    # Half precision: F16 for conv tensors, BF16 for the rest; num_batches_tracked left out
    # (PyTorch's load_state_dict accepts its absence too).
    half = {k: v for k, v in sd.items() if v.dtype != torch.int64}
    write_safetensors(os.path.join(OUTDIR, "tiny_inception_half.safetensors"), half,
                      {k: "F16" if k.startswith("b") and not k.startswith("bn") else "BF16" for k in half})


def main():
    args = sys.argv[1:]
    kinds = [args[i + 1] for i, a in enumerate(args) if a == "--kind" and i + 1 < len(args)]
    unknown = [k for k in kinds if k not in KIND_NETS]
    if unknown or (args.count("--kind") != len(kinds)):
        sys.exit("usage: torch_reference_nets.py [--tiny | --kind KIND ...]; kinds with nets: %s"
                 % ", ".join(sorted(KIND_NETS)))
    if kinds:
        for kind in kinds:
            write_kind(kind)
        return
    modules = {}
    for kind in sorted(KIND_NETS):
        modules.update(write_kind(kind))
    write_safetensors_fixtures(modules["inception_branches"])
    if "--tiny" not in args:
        full_nets(OUTDIR)
    for f in sorted(os.listdir(OUTDIR)):
        if os.path.isfile(os.path.join(OUTDIR, f)):
            print("  %-40s %9d bytes" % (f, os.path.getsize(os.path.join(OUTDIR, f))))


if __name__ == "__main__":
    main()
