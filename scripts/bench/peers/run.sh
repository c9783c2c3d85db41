#!/usr/bin/env bash
# Issue 22's comparison, one command: our page against onnxruntime-web on the same U-Nets, in
# the same headless Chromium. Not a test: the figures depend on the machine.
#  1. a throwaway venv (PyPI: torch, diffusers, onnx, onnxruntime) exports the shipped U-Nets to
#     ONNX, opset 17, into ~/.cache (not committed) and checks onnxruntime's output against Burn's
#     native forward pass on the same inputs (export_onnx.py);
#  2. onnxruntime-web (npm, pinned in this folder's package-lock.json) and the page's release
#     build run alternately, model by model and batch by batch (bench.mjs), after a measure of
#     one core's wasm SIMD peak (peak.mjs); then the 2-D trainer against TF.js (toy.mjs);
#  3. the table goes into docs/performance.md, between its markers.
# Usage: scripts/bench/peers/run.sh      (BENCH_MODELS, BENCH_BATCHES, BENCH_ROUNDS as bench.mjs)
source "$(dirname "${BASH_SOURCE[0]}")/../../env.sh"
"$REPO/scripts/setup.sh" --test
HERE="$REPO/scripts/bench/peers"
CACHE="$HOME/.cache/diffusion-playground"
VENV="${PEERS_VENV:-$CACHE/peers-venv}"
ONNX="$CACHE/peers-onnx"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
if ! "$VENV/bin/python" -c 'import torch, diffusers, onnx, onnxruntime, safetensors' 2>/dev/null; then
  log "installing PyTorch, diffusers, onnx and onnxruntime into the throwaway venv $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch==2.9.1 diffusers==0.42.1 onnx==1.23.2 onnxruntime==1.32.0 \
    onnxscript==0.7.2 numpy==2.4.6 safetensors==0.8.0
fi
log "onnxruntime-web, TF.js and wabt (npm, pinned)"
(cd "$HERE" && npm ci --no-audit --no-fund --silent)
log "exporting the U-Nets to ONNX and checking them against Burn"
"$VENV/bin/python" "$HERE/export_onnx.py" "$ONNX" | tee "$OUT/export.jsonl"
log "the page's release build (trunk build --release -> dist-release/)"
(cd "$REPO" && trunk build --release --dist dist-release)
log "side by side in headless Chromium"
node "$HERE/bench.mjs" "$REPO/dist-release" "$ONNX" | tee "$OUT/bench.jsonl"
log "the 2-D trainer against TF.js"
node "$HERE/toy.mjs" "$REPO/dist-release" | tee -a "$OUT/bench.jsonl"
python3 "$HERE/table.py" "$OUT/export.jsonl" "$OUT/bench.jsonl" "$REPO/docs/performance.md"
