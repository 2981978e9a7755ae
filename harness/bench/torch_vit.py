#!/usr/bin/env python3
"""PyTorch CPU reference for serbench's default Vision Transformer training speed: the ViT
counterpart of ../shared/bench/torch_cnn.py, for `npm run bench -- cnn` (#12).

Run: /usr/bin/python3 harness/bench/torch_vit.py [--threads 1,2] [--n 256] [--mels 64]
     [--frames 188] [--classes 8] [--batch 32] [--epochs 2]
Prints one JSON line per thread count: training samples per second over whole epochs
(forward, backward, Adam step), after one untimed warm-up epoch. Debian: python3-torch.

The network is models/vit.ts with its defaults (models/registry.ts): tokens from a CNN stem
(3 blocks of 3×3 conv without bias → batch norm → ReLU → 2×2 max-pool, widths 16, 32, 64, then
a 1×1 conv to dim 64: 8×24 tokens), learned positions, dropout 0.1, 2 pre-norm blocks [layer
norm (eps 1e-6) → 4-head self-attention (q, k, v, o projections with biases) → dropout →
residual; layer norm → dense 128 + exact GELU → dropout → dense 64 → residual], a final layer
norm, and a linear head on the mean of the tokens; AdamW(lr 3e-4, weight decay 0.05, eps
1e-7); class-weighted cross-entropy. `--stem patch --pool class` is the earlier default (8×8
patches embedded by a strided convolution, a class token). Inputs are random (speed does not
depend on the values).
"""
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--threads", default="1,2")
ap.add_argument("--n", type=int, default=256)
ap.add_argument("--mels", type=int, default=64)
ap.add_argument("--frames", type=int, default=188)
ap.add_argument("--classes", type=int, default=8)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--patch", type=int, default=8)
ap.add_argument("--stem", choices=["cnn", "patch"], default="cnn")
ap.add_argument("--pool", choices=["mean", "class"], default="mean")
ap.add_argument("--dim", type=int, default=64)
ap.add_argument("--depth", type=int, default=2)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--mlp", type=int, default=128)
a = ap.parse_args()


class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.h
        split = lambda v: v.reshape(b, t, self.h, dh).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        return self.o((att @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, h, m, p):
        super().__init__()
        self.n1, self.att, self.d1 = nn.LayerNorm(d, eps=1e-6), Attention(d, h), nn.Dropout(p)
        self.n2, self.f1, self.d2, self.f2 = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, m), nn.Dropout(p), nn.Linear(m, d)

    def forward(self, x):
        x = x + self.d1(self.att(self.n1(x)))
        return x + self.f2(self.d2(nn.functional.gelu(self.f1(self.n2(x)))))


def cnn_stem(p, d):
    """log2(p) blocks [3×3 conv (no bias) → batch norm → ReLU → 2×2 max-pool ('same': ceil)], widths doubling up to d, then a 1×1 conv to d."""
    n, layers, c = int(math.log2(p)), [], 1
    for i in range(n):
        f = max(1, round(d / 2 ** (n - 1 - i)))
        layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
        c = f
    return nn.Sequential(*layers, nn.Conv2d(c, d, 1))


class Vit(nn.Module):
    def __init__(self, k, H, W):
        super().__init__()
        p, d = a.patch, a.dim
        if a.stem == "cnn":
            self.embed = cnn_stem(p, d)
            t = math.ceil(H / p) * math.ceil(W / p)
        else:
            self.embed = nn.Conv2d(1, d, p, stride=p)
            t = (H // p) * (W // p)
        self.mean = a.pool == "mean"
        self.token = None if self.mean else nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, t + (0 if self.mean else 1), d) * 0.02)
        self.drop = nn.Dropout(0.1)
        self.blocks = nn.Sequential(*(Block(d, a.heads, a.mlp, 0.1) for _ in range(a.depth)))
        self.norm, self.head = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, k)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        if not self.mean:
            x = torch.cat([self.token.expand(x.shape[0], -1, -1), x], 1)
        x = self.norm(self.blocks(self.drop(x + self.pos)))
        return self.head(x.mean(1) if self.mean else x[:, 0])


rng = np.random.default_rng(0)
X = torch.from_numpy(rng.standard_normal((a.n, 1, a.mels, a.frames)).astype(np.float32))
Y = torch.from_numpy(rng.integers(0, a.classes, a.n).astype(np.int64))
w = torch.ones(a.classes)
for t in [int(x) for x in a.threads.split(",")]:
    torch.set_num_threads(t)
    torch.manual_seed(0)
    net = Vit(a.classes, a.mels, a.frames)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=0.05, eps=1e-7)
    ce = nn.CrossEntropyLoss(reduction="none")

    def epoch():
        net.train()
        perm = torch.randperm(a.n)
        for i in range(0, a.n, a.batch):
            idx = perm[i : i + a.batch]
            opt.zero_grad()
            loss = (ce(net(X[idx]), Y[idx]) * w[Y[idx]]).sum() / w[Y[idx]].sum()
            loss.backward()
            opt.step()

    epoch()  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.epochs):
        epoch()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"tool": "pytorch", "torch": torch.__version__, "network": "vit", "threads": t, "samples": a.n * a.epochs,
                      "input": [a.mels, a.frames], "parameters": sum(p.numel() for p in net.parameters()),
                      "batch": a.batch, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                      "samples_per_s": round(a.n * a.epochs / wall, 1)}))
