"""Reference for the 2-D trainer benchmark: the same training step as `train::toy::ToyRun::step`
in PyTorch on the CPU — MLP [x, 32 sinusoidal time features] → 128 → 128 → 128 → 2 with SiLU,
DDPM ε-loss on a linear schedule (T = 1000), per-tensor gradient-norm clipping at 1, Adam
(lr 1e-3), EMA 0.995 — at batch 256 on 4,000 points. Prints one JSON line: steps per second.

Run by scripts/bench-toy.sh inside a throwaway venv; not part of the project's code or tests.
"""
import json
import math
import sys
import time

import torch

torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads())
N, B, T, W, TD = 4000, 256, 1000, 128, 32
data = torch.randn(N, 2)
betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
abar = torch.cumprod(1 - betas, 0).float()


def temb(t):
    half = TD // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half) / (half - 1))
    a = t[:, None] * freqs[None]
    return torch.cat([torch.sin(a), torch.cos(a)], 1)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = torch.nn.Linear(2 + TD, W)
        self.hidden = torch.nn.ModuleList([torch.nn.Linear(W, W) for _ in range(2)])
        self.out = torch.nn.Linear(W, 2)

    def forward(self, x, t):
        h = torch.nn.functional.silu(self.inp(torch.cat([x, temb(t)], 1)))
        for layer in self.hidden:
            h = torch.nn.functional.silu(layer(h))
        return self.out(h)


model = Mlp()
ema = [p.detach().clone() for p in model.parameters()]
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)


def step():
    idx = torch.randint(0, N, (B,))
    x0 = data[idx]
    z = torch.randn(B, 2)
    t = torch.randint(0, T, (B,))
    a = abar[t][:, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * z
    loss = ((model(xt, t.float()) - z) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    for p in model.parameters():
        torch.nn.utils.clip_grad_norm_([p], 1.0)
    opt.step()
    with torch.no_grad():
        for e, p in zip(ema, model.parameters()):
            e.mul_(0.995).add_(p, alpha=0.005)
    return loss


for _ in range(50):
    step()
steps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 10.0:
    loss = step()
    steps += 1
    if steps % 50 == 0:
        loss.item()
dt = time.perf_counter() - t0
print(json.dumps({"runner": "pytorch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "steps": steps, "seconds": dt, "steps_per_s": steps / dt}))
