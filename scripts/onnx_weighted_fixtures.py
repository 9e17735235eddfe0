#!/usr/bin/python3
"""Small ONNX models WITH their weights, the fixtures of `cnnscope run` on ONNX files.

Usage (from the repository root; needs PyTorch 1.13, torchvision 0.14 and onnx, e.g. Debian's
python3-torch / python3-torchvision / python3-onnx):

    /usr/bin/python3 scripts/onnx_weighted_fixtures.py [name ...]

Writes, under test/fixtures/onnx/weighted/, for every net below (or the ones named):
  <name>.onnx         torch.onnx.export of the net in eval mode, weights inline (no external data),
                      a dynamic batch axis, the default constant folding (BatchNorm after a
                      convolution folded into it; a BatchNorm after anything else stays one);
  <name>.input.npy    the fixed input, float32 [2, C, H, W], standard normal from seed 0;
  <name>.output.npy   torch's output for it (float32), which the tests compare the built-in engine
                      on the imported file with (test/execute/onnxruntime.test.ts).
Weights are torch's default initialization from a fixed seed, BatchNorm statistics and affine
parameters random (so no BatchNorm is the identity). The small nets each cover a few of the
operators the ONNX importer maps (docs/onnx.md), exported at opsets 13 and 17 where the forms
differ (HardSwish, LayerNormalization); three torchvision nets (10 classes, 64x64 input) cover
them in context. All files together are a few MB.
"""

import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "onnx", "weighted")


def randomize_bn(model, seed):
    """Random BatchNorm statistics and affine parameters, so that no BatchNorm is the identity."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
        if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            n = m.weight.numel()
            m.weight.data.copy_(torch.rand(n, generator=g).view_as(m.weight) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g).view_as(m.bias) * 0.1)


class ConvBnRelu(nn.Module):
    """conv+bn+relu (folded), bn after relu (kept), maxpool, avgpool (padded), global pool, Gemm linear, softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 12, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(12)
        self.bn3 = nn.BatchNorm2d(12)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.pool2 = nn.AvgPool2d(3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(12, 16, 3, padding=2, dilation=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.bn3(F.relu(self.bn2(self.conv2(x))))
        x = self.pool2(self.pool1(x))
        x = F.relu6(self.conv3(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return F.softmax(self.fc(x), dim=1)


class DepthwiseHardswish(nn.Module):
    """depthwise + pointwise convolutions with hardswish, hardsigmoid gating, leaky relu, tanh."""

    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(3, 16, 1)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 5, stride=2, padding=2, groups=16)
        self.gate = nn.Conv2d(16, 16, 1)
        self.project = nn.Conv2d(16, 8, 1)

    def forward(self, x):
        x = F.hardswish(self.bn(self.expand(x)))
        x = F.leaky_relu(self.dw(x), 0.1)
        x = x * F.hardsigmoid(self.gate(x))
        return torch.tanh(self.project(x))


class SqueezeExcite(nn.Module):
    """a squeeze-and-excitation block (global pool, 1x1 convs, sigmoid, broadcast mul) and SiLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.fc1 = nn.Conv2d(16, 4, 1)
        self.fc2 = nn.Conv2d(4, 16, 1)
        self.out = nn.Conv2d(16, 8, 3, stride=2)

    def forward(self, x):
        x = F.silu(self.conv(x))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        x = x * s
        return self.out(x)


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


class ShuffleUnit(nn.Module):
    """split (chunk), a branch, concat, channel shuffle, slice, residual add."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.b1 = nn.Conv2d(8, 8, 1)
        self.b2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.b3 = nn.Conv2d(8, 8, 1)
        self.tail = nn.Conv2d(16, 6, 1)

    def forward(self, x):
        x = F.relu(self.stem(x))
        a, b = x.chunk(2, dim=1)
        b = F.relu(self.b3(self.b2(F.relu(self.b1(b)))))
        x = channel_shuffle(torch.cat([a, b], dim=1), 2)
        y = self.tail(x)
        return y[:, :3] + y[:, 3:6]  # (an open end, 3:, exports INT64_MAX, which the importer refuses)


class MatMulLinear(nn.Module):
    """linear via Gemm (nn.Linear on [N, F]) and via MatMul + Add (x @ W + b, W stored [F, out])."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)
        self.w = nn.Parameter(torch.randn(4 * 7 * 7, 24) * 0.05)
        self.b = nn.Parameter(torch.randn(24) * 0.1)
        self.fc = nn.Linear(24, 10)
        self.fc_nobias = nn.Linear(10, 5, bias=False)

    def forward(self, x):
        x = torch.flatten(F.relu(self.conv(x)), 1)
        x = F.relu(x.matmul(self.w) + self.b)
        return self.fc_nobias(torch.tanh(self.fc(x)))


class ConvNextBlock(nn.Module):
    """ConvNeXt's block: depthwise 7x7, permute to channels-last, LayerNorm, Linear (MatMul), GELU, Linear, permute back, layer scale, residual."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, stride=4)
        self.dw = nn.Conv2d(16, 16, 7, padding=3, groups=16)
        self.norm = nn.LayerNorm(16, eps=1e-6)
        self.pw1 = nn.Linear(16, 64)
        self.pw2 = nn.Linear(64, 16)
        self.layer_scale = nn.Parameter(torch.rand(16, 1, 1) + 0.5)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(F.gelu(self.pw1(self.norm(y))))
        y = self.layer_scale * y.permute(0, 3, 1, 2)
        return x + y


class HeadLayerNorm(nn.Module):
    """LayerNorm and GELU over flat features [N, F] (after a global pool and flatten)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, stride=2)
        self.norm = nn.LayerNorm(12)
        self.fc = nn.Linear(12, 7)

    def forward(self, x):
        x = torch.flatten(F.adaptive_avg_pool2d(self.conv(x), 1), 1)
        return self.fc(F.gelu(self.norm(x)))


class UpsampleNet(nn.Module):
    """nearest upsampling by 2, bilinear by scale and to a size, and a transposed convolution."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.up_grouped = nn.ConvTranspose2d(4, 4, 2, stride=2, groups=2, bias=False)
        self.conv = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = F.relu(self.down(x))
        a = self.up(x)
        b = F.interpolate(self.conv(x), scale_factor=2, mode="nearest")
        c = F.interpolate(self.conv(x), scale_factor=2, mode="bilinear", align_corners=False)
        d = F.interpolate(self.conv(x), size=(32, 32), mode="bilinear", align_corners=True)
        y = a + b + c + d
        return self.up_grouped(y)


class LrnNet(nn.Module):
    """AlexNet's local response normalization. torch.onnx exports nn.LocalResponseNorm as Pow,
    Unsqueeze, Pad, AveragePool..., not as ONNX's LRN: the file is written with onnx.helper
    instead (lrn_onnx), from this module's weights; torch computes the expected output."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 5, stride=2, padding=2)
        self.lrn = nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)

    def forward(self, x):
        return self.pool(self.lrn(F.relu(self.conv(x))))


def lrn_onnx(model, path, opset):
    """conv, relu, LRN, maxpool as ONNX nodes, the conv's weights from `model` (an LrnNet)."""
    from onnx import TensorProto, helper, numpy_helper

    conv, lrn = model.conv, model.lrn
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         kernel_shape=[5, 5], strides=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c"], ["r"], name="/Relu"),
        helper.make_node("LRN", ["r"], ["l"], name="/lrn/LRN", size=lrn.size, alpha=lrn.alpha, beta=lrn.beta,
                         bias=lrn.k),
        helper.make_node("MaxPool", ["l"], ["output"], name="/pool/MaxPool", kernel_shape=[3, 3], strides=[2, 2],
                         ceil_mode=1),
    ]
    inits = [numpy_helper.from_array(conv.weight.detach().numpy(), "conv.weight"),
             numpy_helper.from_array(conv.bias.detach().numpy(), "conv.bias")]
    graph = helper.make_graph(
        nodes, "lrn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 16, 8, 8])], inits)
    proto = helper.make_model(graph, producer_name="onnx_weighted_fixtures.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


def tv(builder):
    return lambda: builder(num_classes=10)


# name: (constructor, input C,H,W, opsets)
NETS = {
    "conv_bn_relu": (ConvBnRelu, (3, 32, 32), [13, 17]),
    "depthwise_hardswish": (DepthwiseHardswish, (3, 32, 32), [13, 17]),
    "squeeze_excite": (SqueezeExcite, (3, 32, 32), [13]),
    "shuffle_unit": (ShuffleUnit, (3, 16, 16), [13]),
    "matmul_linear": (MatMulLinear, (3, 16, 16), [13]),
    "convnext_block": (ConvNextBlock, (3, 32, 32), [13, 17]),
    "head_layernorm": (HeadLayerNorm, (3, 16, 16), [13, 17]),
    "upsample": (UpsampleNet, (3, 32, 32), [13]),
    "lrn": (LrnNet, (3, 32, 32), [13]),
    "squeezenet1_1": (tv(tvm.squeezenet1_1), (3, 64, 64), [13]),
    "shufflenet_v2_x0_5": (tv(tvm.shufflenet_v2_x0_5), (3, 64, 64), [13]),
    "mnasnet0_5": (tv(tvm.mnasnet0_5), (3, 64, 64), [13]),
}


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def export(name, seed):
    make, shape, opsets = NETS[name]
    torch.manual_seed(seed)
    model = make().eval()
    randomize_bn(model, seed + 1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn((2,) + shape, generator=g)
    with torch.no_grad():
        y = model(x)
    for opset in opsets:
        base = "%s_opset%d" % (name, opset)
        path = os.path.join(OUT_DIR, base + ".onnx")
        if name == "lrn":
            lrn_onnx(model, path, opset)
            print("%-32s %9d bytes" % (base + ".onnx", os.path.getsize(path)), flush=True)
            continue
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
        print("%-32s %9d bytes" % (base + ".onnx", os.path.getsize(path)), flush=True)
    save_npy(os.path.join(OUT_DIR, name + ".input.npy"), x.numpy())
    save_npy(os.path.join(OUT_DIR, name + ".output.npy"), y.numpy())


def main(argv):
    names = argv or list(NETS)
    unknown = [n for n in names if n not in NETS]
    if unknown:
        sys.exit("unknown net(s): %s; the nets are %s" % (", ".join(unknown), ", ".join(NETS)))
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)
    for i, name in enumerate(NETS):
        if name in names:
            export(name, 1000 + i)


if __name__ == "__main__":
    main(sys.argv[1:])
