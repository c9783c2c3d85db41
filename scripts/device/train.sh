#!/usr/bin/env bash
# Trains the shipped image models on a lent GPU machine (see docs/training.md): run from the
# repository root there, with a release `diffuse` built here with `--features gpu` (xz-compressed
# at .devrun/diffuse.xz), the data at .devrun/data and the Vulkan loader packages in .gl/.
# Runs persist in $RUNS between calls on a warm machine and are resumed; each call trains every
# model for at most MINUTES, then packs the EMA weights, configs, states and logs into $OUT.
set -u
MINUTES=${1:-8}
RUNS=${RUNS:-/root/runs}
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
xz -dc .devrun/diffuse.xz > /tmp/diffuse && chmod +x /tmp/diffuse
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
mkdir -p "$RUNS"
# A previous call's results that came back here travel in .devrun/runs: seed from them if the
# machine is fresh.
if [ -d .devrun/runs ] && [ -z "$(ls -A "$RUNS")" ]; then cp -r .devrun/runs/. "$RUNS"/; fi
declare -A STEPS=([mnist-classifier]=3000 [mnist-unet-cond]=100000 [mnist-scorenet-ve]=100000 [cifar10-unet-cond]=400000)
for m in "${!STEPS[@]}"; do
  /tmp/diffuse train "$m" --data .devrun/data --out "$RUNS/$m" --device gpu --steps "${STEPS[$m]}" \
    --resume --max-minutes "$MINUTES" --log-every 100 --save-every 2000 > "$RUNS/$m.out" 2>&1 &
done
wait
for m in "${!STEPS[@]}"; do echo "== $m"; tail -3 "$RUNS/$m.out"; done
cd "$RUNS" && tar czf - --exclude=train.safetensors ./*.out ./*/ | split -b 15M - "$OUT/runs.tgz."
ls -la "$OUT"
