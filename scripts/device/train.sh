#!/usr/bin/env bash
# Trains image models on a lent GPU machine (see docs/training.md): run from the repository root
# there, with a release `diffuse` built here with `--features gpu` (xz-compressed at
# .devrun/diffuse.xz), the data at .devrun/data and the Vulkan loader packages in .gl/.
#   scripts/device/train.sh MINUTES MODEL[=STEPS[:FRESH]] ...
# Runs live in $RUNS; a fresh machine is seeded from .devrun/runs (results brought back earlier),
# and every run resumes unless marked :fresh. All models train concurrently for at most MINUTES.
set -u
MINUTES=$1; shift
RUNS=${RUNS:-/root/runs}
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
[ -x /tmp/diffuse ] || { xz -dc .devrun/diffuse.xz > /tmp/diffuse && chmod +x /tmp/diffuse; }
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
mkdir -p "$RUNS"
if [ -d .devrun/runs ] && [ -z "$(ls -A "$RUNS")" ]; then cp -r .devrun/runs/. "$RUNS"/; fi
for spec in "$@"; do
  m=${spec%%=*}; rest=${spec#*=}; steps=${rest%%:*}; [ "$rest" = "$spec" ] && steps=100000
  case "$spec" in *:fresh) rm -rf "${RUNS:?}/$m";; esac
  /tmp/diffuse train "$m" --data .devrun/data --out "$RUNS/$m" --device gpu --steps "$steps" \
    --resume --max-minutes "$MINUTES" --log-every 100 --save-every 2000 > "$RUNS/$m.out" 2>&1 &
done
wait
for spec in "$@"; do m=${spec%%=*}; echo "== $m"; tail -4 "$RUNS/$m.out"; done
