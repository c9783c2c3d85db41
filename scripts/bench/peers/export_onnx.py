"""Exports the shipped U-Nets to ONNX and checks the export against Burn (issue 22).

For each U-Net in static/weights/manifest.json: builds diffusers' UNet2DModel from the entry's
config, loads its safetensors (the names are diffusers'), exports it with the TorchScript
exporter at opset 17 (batch, timestep and class label as inputs, the batch dimension dynamic),
then runs onnxruntime (CPU) and PyTorch on the same seeded inputs and compares both with Burn's
forward pass on them (`cargo run --release -p zoo --example unet_io`). Prints one JSON line per
model with the largest differences; fails past 1e-3.

Run by scripts/bench/peers/run.sh in its throwaway venv:  python export_onnx.py OUT_DIR
"""

import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import torch
from diffusers import UNet2DModel
from safetensors.torch import load_file

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
WEIGHTS = os.path.join(REPO, "static", "weights")


class Forward(torch.nn.Module):
    """The U-Net as ONNX sees it: (sample, timestep[, class_labels]) -> predicted noise."""

    def __init__(self, unet, conditional):
        super().__init__()
        self.unet, self.conditional = unet, conditional

    def forward(self, sample, timestep, class_labels=None):
        return self.unet(sample, timestep, class_labels=class_labels if self.conditional else None).sample


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(WEIGHTS, "manifest.json")))
    worst = 0.0
    for entry in manifest["models"]:
        if entry.get("architecture") != "unet2d":
            continue
        mid, conditional = entry["id"], bool(entry.get("conditional"))
        config = {k: v for k, v in entry["config"].items() if not k.startswith("_")}
        unet = UNet2DModel(**config)
        state = {k: v.float() for k, v in load_file(os.path.join(WEIGHTS, entry["file"])).items()}
        unet.load_state_dict(state, strict=True)
        unet.eval()
        model = Forward(unet, conditional)
        c, size = config["in_channels"], config["sample_size"]
        b = 4
        rng = np.random.default_rng(0)
        sample = rng.standard_normal((b, c, size, size)).astype(np.float32)
        timestep = np.array([999, 500, 100, 1][:b], dtype=np.float32)
        labels = (np.arange(b) % max(1, len(entry.get("classes") or [1]))).astype(np.int64)
        args = (torch.from_numpy(sample), torch.from_numpy(timestep))
        names = ["sample", "timestep"]
        if conditional:
            args += (torch.from_numpy(labels),)
            names.append("class_labels")
        path = os.path.join(out, f"{mid}.onnx")
        torch.onnx.export(
            model, args, path, opset_version=17, dynamo=False, input_names=names,
            output_names=["noise"], dynamic_axes={n: {0: "batch"} for n in names + ["noise"]},
        )
        with torch.no_grad():
            want = model(*args).numpy()
        feeds = {"sample": sample, "timestep": timestep}
        if conditional:
            feeds["class_labels"] = labels
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        io = os.path.join(out, f"{mid}-io")
        os.makedirs(io, exist_ok=True)
        sample.tofile(os.path.join(io, "sample.f32"))
        timestep.tofile(os.path.join(io, "timestep.f32"))
        labels.tofile(os.path.join(io, "class.i64"))
        subprocess.run(
            ["cargo", "run", "--quiet", "--release", "--locked", "-p", "zoo", "--example", "unet_io", "--", mid, io],
            check=True, cwd=REPO,
        )
        burn = np.fromfile(os.path.join(io, "burn.f32"), dtype=np.float32).reshape(got.shape)
        row = {
            "model": mid, "onnx": path, "opset": 17, "onnx_mb": round(os.path.getsize(path) / 1e6, 1),
            "max_abs_ort_vs_burn": float(np.abs(got - burn).max()),
            "max_abs_torch_vs_burn": float(np.abs(want - burn).max()),
            "max_abs_ort_vs_torch": float(np.abs(got - want).max()),
            "output_max_abs": float(np.abs(burn).max()),
            "versions": {"torch": torch.__version__, "onnxruntime": ort.__version__,
                         "diffusers": __import__("diffusers").__version__},
        }
        print(json.dumps(row), flush=True)
        worst = max(worst, row["max_abs_ort_vs_burn"])
    if worst > 1e-3:
        sys.exit(f"onnxruntime and Burn differ by {worst} on the same inputs")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "onnx")
