#!/usr/bin/env bash
# Evaluates the MNIST runs of scripts/device/train.sh on the same machine, draws sample grids and
# packs everything worth keeping into $OUT (weights without the raw training copies).
#   scripts/device/eval.sh N SECONDS_PER_COMMAND
set -u
N=${1:-1000}; T=${2:-90}
RUNS=${RUNS:-/root/runs}
D=/tmp/diffuse
W=${GUIDANCE:-1.0}
cd "$RUNS" || exit 1
ev() { timeout "$T" $D eval --classifier mnist-classifier --data "$OLDPWD/.devrun/data" --device gpu --batch 500 "$@"; }
[ -d mnist-unet-cond ] && ev --run mnist-unet-cond --sampler dpm++2m --steps 20 --guidance "$W" --n "$N" --out eval-mnist-unet-cond.json
[ -d mnist-scorenet-ve ] && ev --run mnist-scorenet-ve --sampler pc --steps 200 --n "$N" --out eval-mnist-scorenet-ve.json
for m in mnist-unet-cond cifar10-unet-cond; do
  [ -d $m ] && timeout "$T" $D sample --run $m --sampler dpm++2m --steps 20 --guidance "$W" --n 100 --device gpu --out grid-$m.png --chain chain-$m.png
done
[ -d mnist-scorenet-ve ] && timeout "$T" $D sample --run mnist-scorenet-ve --sampler pc --steps 200 --n 100 --device gpu --out grid-mnist-scorenet-ve.png
tar czf "$OUT/eval.tgz" ./*.json ./*.png
ls -la "$OUT"
