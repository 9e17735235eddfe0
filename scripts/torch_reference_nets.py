#!/usr/bin/python3
"""Generate small numeric reference nets for cnnscope's execute mode.

Usage (from the repository root; needs PyTorch, e.g. Debian's python3-torch):

    /usr/bin/python3 scripts/torch_reference_nets.py

Writes test/fixtures/reference/tiny_nets.json.  Every net is built right after
torch.manual_seed(0) (default PyTorch initialisation), its input is drawn with
torch.randn after the parameters, and batch-norm running statistics are set
deterministically to non-trivial values.  All values are float32 stored as
Python floats (the exact float32 value, printed with repr precision).

Layer description format (one plain dict per layer, executed in order):
    {"name": str, "kind": str, "inputs": [str, ...], "args": {...}}
"inputs" names earlier layers ("input" is the network input).  Layers with
parameters find them in "params" under "<name>.<weight|bias|...>".
Kinds: conv, relu, maxpool, avgpool, batchnorm, add, adaptive_avgpool,
flatten, linear, softmax, lrn.  A conv's "padding" is either [ph, pw]
(symmetric, as nn.Conv2d) or {"top", "bottom", "left", "right"} (explicit
asymmetric zero padding, i.e. F.pad(x, [left, right, top, bottom]) followed by
a conv with padding 0).
"""

import json
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "reference", "tiny_nets.json")


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


NETS = [net_conv_relu_maxpool, net_grouped_bn_avgpool, net_residual,
        net_adaptive_linear_softmax, net_lrn, net_lrn_strong, net_dilated_asym_pad]


def main():
    nets = []
    for make in NETS:
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
        nets.append({
            "name": key,
            "description": desc,
            "layers": layers,
            "input_shape": list(x.shape),
            "input": flat(x),
            "params": params,
            "output_shape": list(out.shape),
            "output": flat(out),
            # Same net and input evaluated in float64 (inputs/params are the
            # float32 values above, widened), for tighter comparisons.
            "output_float64": [float(v) for v in out64.reshape(-1).tolist()],
        })
        print("%-32s in %-14s out %-14s params %d"
              % (key, list(x.shape), list(out.shape),
                 sum(p["shape"] and int(torch.tensor(p["shape"]).prod()) or 1 for p in params)))

    doc = {
        "generator": "scripts/torch_reference_nets.py",
        "torch_version": torch.__version__,
        "seed": 0,
        "dtype": "float32",
        "nets": nets,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    text = json.dumps(doc, indent=1, sort_keys=True)
    # Keep flat lists of numbers / short scalars on one line.
    text = re.sub(r"\[\s*\n\s*([^\[\]{}]*?)\s*\]",
                  lambda mo: "[" + re.sub(r",\s*\n\s*", ",", mo.group(1)) + "]", text)
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
