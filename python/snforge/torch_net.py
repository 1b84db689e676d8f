"""The networks of nn/inception.c and nn/lite.c as PyTorch modules (Keras semantics, no biases but the head's).

InceptionTime (Fawaz et al. 2020; arch 0): per module an optional 1x1 bottleneck, three 'same' convolutions of
widths kernel, kernel/2, kernel/4 (TensorFlow's split of the padding for even widths: left (K-1)//2), a max-pool
(3, stride 1, 'same') of the module input followed by a 1x1 convolution, concatenation, BatchNorm, ReLU; after
every third module a shortcut (1x1 convolution + BN) added before a ReLU; global average pooling; a dense head.
H-InceptionTime (Ismail-Fawaz et al. 2022; arch 2): the same, with the 17 fixed hand-crafted filters per input
channel (nn/dwconv.c, ReLU'd) concatenated after module 0's four branches.
LITE (Ismail-Fawaz et al. 2023; arch 1): three convolutions of the input, the hand-crafted filters, BN + ReLU; two
depthwise-separable blocks (depthwise kernel/2 dilated 2, then kernel/4 dilated 4, each followed by a 1x1
convolution to `filters`, BN, ReLU); global average pooling; a dense head.
Every module returns the head's raw outputs (B, n_out); .features(x) is the pooled (B, D) vector that feeds it."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .model import ARCH_NAMES  # one table, in the module that needs no PyTorch

HYBRID_PER_CHANNEL = 17


def hybrid_filter(j):
    """Weights (float32) of hand-crafted filter j < 17, as snf_hybrid_filter (nn/dwconv.c): 12 trend
    filters of lengths 2^(1 + j mod 6) (increasing -1, +1, ... then decreasing +1, -1, ...), then 5 peak
    filters of lengths 3K/2 for K = 4 ... 64 (Ismail-Fawaz et al. 2022)."""
    if j < 12:
        L = 2 << (j % 6)
        first = -1.0 if j < 6 else 1.0
        return np.array([first if k % 2 == 0 else -first for k in range(L)], dtype=np.float32)
    K = 4 << (j - 12)
    q = K // 4
    w = np.zeros(K + K // 2, dtype=np.float32)
    for i in range(q):
        lv = np.float32((i + 1) / q * (i + 1) / q)
        rv = np.float32((q - i) / q * (q - i) / q)
        w[i], w[q + i], w[2 * q + i], w[3 * q + i], w[4 * q + i], w[5 * q + i] = -lv, -rv, 2 * lv, 2 * rv, -lv, -rv
    return w


class Hybrid(nn.Module):
    """The fixed filters on every input channel (depthwise, 'same', zero padding), ReLU'd: output channel
    c * 17 + j is filter j on input channel c."""

    def __init__(self, c_in):
        super().__init__()
        self.c_in = c_in
        for j in range(HYBRID_PER_CHANNEL):
            w = torch.from_numpy(hybrid_filter(j)).view(1, 1, -1).repeat(c_in, 1, 1)
            self.register_buffer("w%d" % j, w)

    def forward(self, x):
        outs = []
        for j in range(HYBRID_PER_CHANNEL):
            w = getattr(self, "w%d" % j)
            L = w.shape[2]
            outs.append(F.conv1d(F.pad(x, ((L - 1) // 2, L - 1 - (L - 1) // 2)), w, groups=self.c_in))
        B, C, T = x.shape
        return F.relu(torch.stack(outs, dim=2).reshape(B, C * HYBRID_PER_CHANNEL, T))


class _Same(nn.Module):
    """A convolution with TensorFlow's 'same' zero padding (left d (K-1) / 2, rounded down)."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv
        span = conv.dilation[0] * (conv.kernel_size[0] - 1)
        self.pad = (span // 2, span - span // 2)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad) if self.pad != (0, 0) else x)


class InceptionModule(nn.Module):
    def __init__(self, c_in, filters, kernel, bottleneck, eps, hybrid=False):
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, bottleneck, 1, bias=False) if bottleneck > 0 and c_in > 1 else None
        c_src = bottleneck if self.bottleneck is not None else c_in
        self.convs = nn.ModuleList([_Same(nn.Conv1d(c_src, filters, kernel >> i, bias=False)) for i in range(3)])
        self.pool_conv = nn.Conv1d(c_in, filters, 1, bias=False)
        self.hybrid = Hybrid(c_in) if hybrid else None
        self.bn = nn.BatchNorm1d(4 * filters + (HYBRID_PER_CHANNEL * c_in if hybrid else 0), eps=eps)

    def forward(self, x):
        src = self.bottleneck(x) if self.bottleneck is not None else x
        pooled = F.max_pool1d(F.pad(x, (1, 1), value=float("-inf")), 3, stride=1)
        parts = [c(src) for c in self.convs] + [self.pool_conv(pooled)]
        if self.hybrid is not None:
            parts.append(self.hybrid(x))
        return F.relu(self.bn(torch.cat(parts, dim=1)))


class Shortcut(nn.Module):
    def __init__(self, c_in, c_out, eps):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm1d(c_out, eps=eps)

    def forward(self, res, out):
        return F.relu(out + self.bn(self.conv(res)))


class InceptionTime(nn.Module):
    """InceptionTime, or H-InceptionTime with hybrid=True."""

    def __init__(self, C_in, n_out, filters, depth, kernel, bottleneck, residual, bn_eps, hybrid=False, **_):
        super().__init__()
        F4 = 4 * filters
        cout0 = F4 + (HYBRID_PER_CHANNEL * C_in if hybrid else 0)
        self.mods = nn.ModuleList(
            [InceptionModule(C_in if m == 0 else cout0 if m == 1 else F4, filters, kernel, bottleneck, bn_eps,
                             hybrid and m == 0) for m in range(depth)])
        self.shortcuts = nn.ModuleDict()
        for m in range(depth):
            if residual and m % 3 == 2:
                self.shortcuts[str(m // 3)] = Shortcut(C_in if m // 3 == 0 else F4, F4, bn_eps)
        self.head = nn.Linear(cout0 if depth == 1 else F4, n_out)

    def features(self, x):
        res = x
        for m, mod in enumerate(self.mods):
            x = mod(x)
            if str(m // 3) in self.shortcuts and m % 3 == 2:
                x = self.shortcuts[str(m // 3)](res, x)
                res = x
        return x.mean(dim=2)

    def forward(self, x):
        return self.head(self.features(x))


class SeparableBlock(nn.Module):
    """Depthwise convolution (width kernel, dilation, 'same'), 1x1 convolution to filters, BN, ReLU."""

    def __init__(self, c_in, filters, kernel, dilation, eps):
        super().__init__()
        self.dw = _Same(nn.Conv1d(c_in, c_in, kernel, dilation=dilation, groups=c_in, bias=False))
        self.pw = nn.Conv1d(c_in, filters, 1, bias=False)
        self.bn = nn.BatchNorm1d(filters, eps=eps)

    def forward(self, x):
        return F.relu(self.bn(self.pw(self.dw(x))))


class LITE(nn.Module):
    def __init__(self, C_in, n_out, filters, kernel, bn_eps, **_):
        super().__init__()
        C0 = 3 * filters + HYBRID_PER_CHANNEL * C_in
        self.convs = nn.ModuleList([_Same(nn.Conv1d(C_in, filters, kernel >> i, bias=False)) for i in range(3)])
        self.hybrid = Hybrid(C_in)
        self.bn0 = nn.BatchNorm1d(C0, eps=bn_eps)
        self.seps = nn.ModuleList([SeparableBlock(C0 if l == 0 else filters, filters, kernel >> (l + 1), 2 << l,
                                                  bn_eps) for l in range(2)])
        self.head = nn.Linear(filters, n_out)

    def features(self, x):
        x = F.relu(self.bn0(torch.cat([c(x) for c in self.convs] + [self.hybrid(x)], dim=1)))
        for s in self.seps:
            x = s(x)
        return x.mean(dim=2)

    def forward(self, x):
        return self.head(self.features(x))


def _assign(dst, array, name):
    t = torch.from_numpy(np.ascontiguousarray(array)).to(dst.dtype)
    if t.numel() != dst.numel():
        raise ValueError("tensor %s has %d values; the network's has shape %s" % (name, t.numel(), tuple(dst.shape)))
    with torch.no_grad():
        dst.copy_(t.reshape(dst.shape))


def _bn_slots(bn, prefix):
    return [(bn.weight, prefix + "bn_g"), (bn.bias, prefix + "bn_b"), (bn.running_mean, prefix + "bn_mean"),
            (bn.running_var, prefix + "bn_var")]


def _slots(net):
    """(parameter or buffer, model_tensors.c name) of every tensor the file stores, for net."""
    out = []
    if isinstance(net, LITE):
        out += [(net.convs[i].conv.weight, "m0.conv%d_w" % i) for i in range(3)] + _bn_slots(net.bn0, "m0.")
        for l, s in enumerate(net.seps):
            p = "sep%d." % l
            out += [(s.dw.conv.weight, p + "dw_w"), (s.pw.weight, p + "pw_w")] + _bn_slots(s.bn, p)
    else:
        for m, mod in enumerate(net.mods):
            p = "mod%d." % m
            if mod.bottleneck is not None:
                out.append((mod.bottleneck.weight, p + "bott_w"))
            out += [(mod.convs[i].conv.weight, p + "conv%d_w" % i) for i in range(3)]
            out += [(mod.pool_conv.weight, p + "pool_w")] + _bn_slots(mod.bn, p)
        for r, sc in net.shortcuts.items():
            out += [(sc.conv.weight, "res%s.sc_w" % r)] + _bn_slots(sc.bn, "res%s." % r)
    return out + [(net.head.weight, "head_w"), (net.head.bias, "head_b")]


def build(config, tensors):
    """The network of config (the /net attributes) in eval mode with the weights of tensors (name -> numpy
    array, model_tensors.c names). Raises ValueError for an unknown architecture or head, a missing tensor,
    one of the wrong size, or one the network does not have."""
    c = dict(config)
    for k in ("C_in", "n_out", "filters", "depth", "kernel", "bottleneck", "residual", "arch", "head"):
        c[k] = int(c.get(k, 0))
    c["bn_eps"] = float(c["bn_eps"])
    if c["arch"] not in ARCH_NAMES:
        raise ValueError("unknown architecture %d in /net (expected 0 InceptionTime, 1 LITE, 2 H-InceptionTime)"
                         % c["arch"])
    if c["head"] not in (0, 1):
        raise ValueError("unknown head %d in /net (expected 0 point, 1 Gaussian)" % c["head"])
    net = LITE(**c) if c["arch"] == 1 else InceptionTime(hybrid=c["arch"] == 2, **c)
    used = set()
    for dst, name in _slots(net):
        if name not in tensors:
            raise ValueError("the model file has no tensor %s (%s)" % (name, ARCH_NAMES[c["arch"]]))
        _assign(dst, tensors[name], name)
        used.add(name)
    # an unused bottleneck (a one-channel input) is stored with size 0
    unknown = set(n for n in tensors if n not in used and tensors[n].size > 0)
    if unknown:
        raise ValueError("model tensors this network does not have: %s" % ", ".join(sorted(unknown)))
    return net.eval()
