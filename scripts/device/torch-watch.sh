#!/usr/bin/env bash
# Follows the detached run of torch-train.sh for SECONDS (or until it ends), then prints its tail
# and copies its log and state to $OUT, so they come back even if the machine is lost later.
#   torch-watch.sh MODEL [SECONDS]
MODEL="${1:?usage: torch-watch.sh MODEL [SECONDS]}"
RUN=/root/runs/$MODEL
end=$((SECONDS + ${2:-540}))
while [ $SECONDS -lt $end ] && pgrep -f 'diffuse-torch train' >/dev/null; do sleep 15; done
tail -n 25 "$RUN/train.out"
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
cp "$RUN"/train.out "$RUN"/log.csv "$RUN"/state.json "$RUN"/config.json "$OUT"/ 2>/dev/null
pgrep -f 'diffuse-torch train' >/dev/null && echo "still training" || echo "training ended"
