#!/usr/bin/env bash
# A lever's before and after, in one session: bench.mjs on two release builds, alternating
# (BEFORE, AFTER, BEFORE, AFTER, …), one round each time, each JSON line tagged with its build.
# Needs the ONNX exports of run.sh (step 1). Not a test: the figures depend on the machine.
# Usage: scripts/bench/peers/ab.sh BEFORE_DIST AFTER_DIST [ROUNDS]   > ab.jsonl
#        (BENCH_MODELS, BENCH_BATCHES as bench.mjs; default: MNIST at 16 and 64, CIFAR-10 at 1)
source "$(dirname "${BASH_SOURCE[0]}")/../../env.sh"
BEFORE="$1" AFTER="$2" ROUNDS="${3:-2}"
export BENCH_WEBGPU_MODELS="${BENCH_WEBGPU_MODELS:-}" # no WebGPU rows unless asked
ONNX="$HOME/.cache/diffusion-playground/peers-onnx"
for _ in $(seq "$ROUNDS"); do
  for dist in "$BEFORE" "$AFTER"; do
    tag="$(basename "$dist")"
    if [ -n "${BENCH_MODELS:-}" ]; then
      BENCH_ROUNDS=1 node "$REPO/scripts/bench/peers/bench.mjs" "$dist" "$ONNX" | sed "s/^{/{\"build\":\"$tag\",/"
    else
      BENCH_ROUNDS=1 BENCH_MODELS=mnist-unet-cond BENCH_BATCHES=16,64 \
        node "$REPO/scripts/bench/peers/bench.mjs" "$dist" "$ONNX" | sed "s/^{/{\"build\":\"$tag\",/"
      BENCH_ROUNDS=1 BENCH_MODELS=cifar10-unet-cond BENCH_BATCHES=1 \
        node "$REPO/scripts/bench/peers/bench.mjs" "$dist" "$ONNX" | sed "s/^{/{\"build\":\"$tag\",/"
    fi
  done
done
