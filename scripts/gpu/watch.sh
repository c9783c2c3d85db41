#!/usr/bin/env bash
# Follow the detached training run for SECONDS (or until it ends), then print its tail; copies
# the log and state to $OUT so they come back even if the machine is lost later.
SECONDS_TO_WATCH="${1:-540}"
RUN=/root/runs/cifar10-unet-cond
end=$((SECONDS + SECONDS_TO_WATCH))
while [ $SECONDS -lt $end ] && pgrep -f 'diffuse train' >/dev/null; do sleep 15; done
tail -n 25 "$RUN/train.out"
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
cp "$RUN"/train.out "$RUN"/log.csv "$RUN"/state.json "$RUN"/config.json "$OUT"/ 2>/dev/null
pgrep -f 'diffuse train' >/dev/null && echo "still training" || echo "training ended"
