#!/usr/bin/env bash
# Trains a preset on a lent NVIDIA machine with Burn's LibTorch backend, detached (setsid), so the
# run outlives one `run` call; later calls follow it with torch-watch.sh (which keeps the machine
# busy) and evaluate it with torch-eval-cifar.sh. Runs live in /root/runs/MODEL.
#
# Here, before the call: scripts/device/torch-build.sh (binary and data into .devrun/); the call:
#   run(command="scripts/device/torch-train.sh MODEL MINUTES [--from WEIGHTS STATE] [train options]",
#       carry=[".devrun/diffuse-torch", ".devrun/data/cifar10"])   (or data/mnist)
# --from resumes a run from weights that travel with the tree (e.g. the exported f16 file in
# static/weights, whose state.json is in docs/runs): the raw and EMA weights both start from them
# and Adam starts afresh with a short warm-up.
set -u
usage="usage: torch-train.sh MODEL MINUTES [--from WEIGHTS STATE] [train options]"
MODEL="${1:?$usage}"
MINUTES="${2:?$usage}"; shift 2
source "$(dirname "$0")/torch-env.sh"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
RUN=/root/runs/$MODEL
mkdir -p "$RUN"
if [ "${1:-}" = --from ]; then
  cp "${2:?$usage}" "$RUN/model.safetensors" && cp "${3:?$usage}" "$RUN/state.json" || exit 1
  shift 3
  set -- --resume "$@"
  echo "resuming from $RUN (weights and state copied in)"
fi
setsid nohup "$KEEP/diffuse-torch" train "$MODEL" --data "$KEEP/data" --out "$RUN" \
  --device torch-cuda --steps 1000000 --max-minutes "$MINUTES" --log-every 200 --save-every 2000 "$@" \
  > "$RUN/train.out" 2>&1 < /dev/null &
echo "started pid $! into $RUN"
