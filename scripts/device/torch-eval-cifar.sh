#!/usr/bin/env bash
# After torch-train.sh cifar10-unet-cond, on the same machine: wait for the run to end, draw the
# FID samples there (the Inception FID itself is computed back home by scripts/eval/cifar_fid.py,
# whose weights are too large to carry) and put into $OUT what is worth keeping: the EMA weights (split to fit the
# tool's 16 MiB per file), the run's config, state and log, and the samples of each evaluation.
#   torch-eval-cifar.sh "N:GUIDANCE ..."   e.g. "5000:2 2000:1 2000:3"
set -u
source "$(dirname "$0")/torch-env.sh"
RUN=/root/runs/cifar10-unet-cond
while pgrep -f 'diffuse-torch train' >/dev/null; do sleep 5; done
tail -n 5 "$RUN/train.out"
split -b 15M "$RUN/model.safetensors" "$OUT/model.safetensors.part-"
tar czf "$OUT/run.tgz" -C "$RUN" config.json state.json log.csv train.out
mkdir -p /root/eval
for spec in ${1:-5000:2}; do
  n=${spec%%:*}; w=${spec#*:}
  .devrun/diffuse-torch eval --run "$RUN" --data .devrun/data --device torch-cuda --sampler dpm++2m --steps 20 \
    --guidance "$w" --n "$n" --batch 1000 --out "/root/eval/eval-n$n-w$w.json" 2>&1 | tail -n 3
  cp "/root/eval/eval-n$n-w$w-samples.npy" "$OUT"/
  tar czf "$OUT/eval.tgz" -C /root/eval $(cd /root/eval && ls *.json *.png)
done
ls -la "$OUT"
