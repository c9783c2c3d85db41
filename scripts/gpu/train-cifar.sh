#!/usr/bin/env bash
# Issue 5 on a lent GPU: train cifar10-unet-cond with Burn's LibTorch backend on CUDA, detached (setsid), so
# that it outlives one `run` call; later calls watch it with watch.sh.
#
# Here, before the call:
#   scripts/gpu/build.sh   (the binary into .gpu/bin, the CIFAR-10 tar into .gpu/data)
# and the call: run(command="scripts/gpu/train-cifar.sh MINUTES", carry=[".gpu"])
set -u
MINUTES="${1:?usage: train-cifar.sh MINUTES [extra train options]}"; shift
source "$(dirname "$0")/env.sh"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
RUN=/root/runs/cifar10-unet-cond
mkdir -p "$RUN"
setsid nohup .gpu/bin/diffuse train cifar10-unet-cond --data .gpu/data --out "$RUN" \
  --device torch-cuda --steps 1000000 --max-minutes "$MINUTES" --log-every 200 --save-every 2000 "$@" \
  > "$RUN/train.out" 2>&1 < /dev/null &
echo "started pid $! into $RUN"
