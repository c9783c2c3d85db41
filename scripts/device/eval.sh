#!/usr/bin/env bash
# Evaluates the runs of scripts/device/train.sh on the GPU machine and draws sample grids; run
# right after train.sh on the same (warm) machine. Writes metrics and PNGs into $OUT.
set -u
RUNS=${RUNS:-/root/runs}
D=/tmp/diffuse
W=${GUIDANCE:-1.0}
$D eval --run $RUNS/mnist-unet-cond --classifier $RUNS/mnist-classifier --data .devrun/data \
  --sampler dpm++2m --steps 20 --guidance "$W" --n 10000 --batch 1000 --device gpu --out $RUNS/eval-mnist-unet-cond.json
$D eval --run $RUNS/mnist-scorenet-ve --classifier $RUNS/mnist-classifier --data .devrun/data \
  --sampler pc --steps 500 --snr 0.16 --n 2000 --batch 1000 --device gpu --out $RUNS/eval-mnist-scorenet-ve.json
$D sample --run $RUNS/cifar10-unet-cond --sampler dpm++2m --steps 20 --guidance "$W" --n 100 --device gpu \
  --out $RUNS/grid-cifar10-unet-cond.png --chain $RUNS/chain-cifar10-unet-cond.png
$D sample --run $RUNS/mnist-unet-cond --sampler dpm++2m --steps 20 --guidance "$W" --n 100 --device gpu \
  --out $RUNS/grid-mnist-unet-cond.png --chain $RUNS/chain-mnist-unet-cond.png
$D sample --run $RUNS/mnist-scorenet-ve --sampler pc --steps 500 --n 100 --device gpu --out $RUNS/grid-mnist-scorenet-ve.png
cd "$RUNS" && tar czf "$OUT/eval.tgz" ./*.json ./*.png && ls -la "$OUT"
