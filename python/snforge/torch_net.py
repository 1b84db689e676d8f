"""The InceptionTime network of learn/inception.c as a PyTorch module (Fawaz et al. 2020, Keras semantics):
per module an optional 1x1 bottleneck, three 'same' convolutions of widths kernel, kernel/2, kernel/4 (TensorFlow's
split of the padding for even widths: left (K-1)//2), a max-pool (3, stride 1, 'same') of the module input followed
by a 1x1 convolution, concatenation, BatchNorm, ReLU; after every third module a shortcut (1x1 convolution + BN)
added before a ReLU; global average pooling; a dense head. No biases except the head's."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class _Same(nn.Module):
    def __init__(self, conv):
        super().__init__()
        self.conv = conv
        k = conv.kernel_size[0]
        self.pad = ((k - 1) // 2, k - 1 - (k - 1) // 2)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad) if self.pad != (0, 0) else x)


class InceptionModule(nn.Module):
    def __init__(self, c_in, filters, kernel, bottleneck, eps):
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, bottleneck, 1, bias=False) if bottleneck > 0 and c_in > 1 else None
        c_src = bottleneck if self.bottleneck is not None else c_in
        self.convs = nn.ModuleList([_Same(nn.Conv1d(c_src, filters, kernel >> i, bias=False)) for i in range(3)])
        self.pool_conv = nn.Conv1d(c_in, filters, 1, bias=False)
        self.bn = nn.BatchNorm1d(4 * filters, eps=eps)

    def forward(self, x):
        src = self.bottleneck(x) if self.bottleneck is not None else x
        pooled = F.max_pool1d(F.pad(x, (1, 1), value=float("-inf")), 3, stride=1)
        cat = torch.cat([c(src) for c in self.convs] + [self.pool_conv(pooled)], dim=1)
        return F.relu(self.bn(cat))


class Shortcut(nn.Module):
    def __init__(self, c_in, c_out, eps):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm1d(c_out, eps=eps)

    def forward(self, res, out):
        return F.relu(out + self.bn(self.conv(res)))


class InceptionTime(nn.Module):
    def __init__(self, C_in, n_out, filters, depth, kernel, bottleneck, residual, bn_eps, **_):
        super().__init__()
        F4 = 4 * filters
        self.mods = nn.ModuleList(
            [InceptionModule(C_in if m == 0 else F4, filters, kernel, bottleneck, bn_eps) for m in range(depth)])
        self.shortcuts = nn.ModuleDict()
        for m in range(depth):
            if residual and m % 3 == 2:
                self.shortcuts[str(m // 3)] = Shortcut(C_in if m // 3 == 0 else F4, F4, bn_eps)
        self.head = nn.Linear(F4, n_out)

    def forward(self, x):
        res = x
        for m, mod in enumerate(self.mods):
            x = mod(x)
            if str(m // 3) in self.shortcuts and m % 3 == 2:
                x = self.shortcuts[str(m // 3)](res, x)
                res = x
        return self.head(x.mean(dim=2))


def _assign(dst, array):
    t = torch.from_numpy(array.copy()).to(dst.dtype)
    if tuple(dst.shape) != tuple(t.shape):
        raise ValueError("tensor shape %s does not fit %s" % (tuple(t.shape), tuple(dst.shape)))
    with torch.no_grad():
        dst.copy_(t)


def build(config, tensors):
    """An InceptionTime (eval mode) with the weights of tensors (name -> numpy array, model_tensors.c names)."""
    c = dict(config)
    for k in ("C_in", "n_out", "filters", "depth", "kernel", "bottleneck", "residual"):
        c[k] = int(c[k])
    c["bn_eps"] = float(c["bn_eps"])
    net = InceptionTime(**c)
    used = set()

    def put(dst, name):
        _assign(dst, tensors[name])
        used.add(name)

    for m, mod in enumerate(net.mods):
        p = "mod%d." % m
        if mod.bottleneck is not None:
            put(mod.bottleneck.weight, p + "bott_w")
        else:
            used.add(p + "bott_w")
        for i in range(3):
            put(mod.convs[i].conv.weight, p + "conv%d_w" % i)
        put(mod.pool_conv.weight, p + "pool_w")
        put(mod.bn.weight, p + "bn_g")
        put(mod.bn.bias, p + "bn_b")
        put(mod.bn.running_mean, p + "bn_mean")
        put(mod.bn.running_var, p + "bn_var")
    for r, sc in net.shortcuts.items():
        p = "res%s." % r
        put(sc.conv.weight, p + "sc_w")
        put(sc.bn.weight, p + "bn_g")
        put(sc.bn.bias, p + "bn_b")
        put(sc.bn.running_mean, p + "bn_mean")
        put(sc.bn.running_var, p + "bn_var")
    put(net.head.weight, "head_w")
    put(net.head.bias, "head_b")
    unknown = set(tensors) - used
    if unknown:
        raise ValueError("model tensors this network does not have: %s" % ", ".join(sorted(unknown)))
    return net.eval()
