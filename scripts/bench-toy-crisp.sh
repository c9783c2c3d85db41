#!/usr/bin/env bash
# Time to crisp natively and in the tab (docs/toy2d.md): for each data set × objective, training
# steps and seconds of training until the samples are crisp (train::toy::Quality: ≥ 90% within 3σ
# with every mode covered on 8 Gaussians, MMD² under the blur bar elsewhere). Natively with the
# toy_crisp example (Burn's CPU backend; a check every 50 steps, flow-heun / DDIM with 50 steps as
# in the page); in the tab with scripts/bench/toy2d-crisp.mjs (headless Chromium, CPU, seed 3).
# Usage: scripts/bench-toy-crisp.sh [--native-only]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"
cargo build --quiet --release --locked -p train --example toy_crisp
BIN="$CARGO_TARGET_DIR/release/examples/toy_crisp"
declare -A OBJ=(
  ["flow, stable target (default)"]="process=flow sampler=flow-heun"
  ["flow, textbook target"]="process=flow target=pair sampler=flow-heun"
  ["DDPM ε, stable target"]="process=ddpm-linear sampler=ddim"
  ["DDPM ε, textbook, lr 1e-3 (old default)"]="process=ddpm-linear target=pair lr=0.001 sampler=ddim"
)
echo "| data | objective | crisp at step (native) | training seconds (native) |"
echo "| --- | --- | ---: | ---: |"
for data in 8gaussians swiss-roll moons checkerboard; do
  for name in "flow, stable target (default)" "flow, textbook target" "DDPM ε, stable target" "DDPM ε, textbook, lr 1e-3 (old default)"; do
    # shellcheck disable=SC2086
    last=$("$BIN" data=$data seed=3 steps=50 every=50 max=2000 ${OBJ[$name]} | tail -1)
    step=$(grep -o '"step": [0-9]*' <<<"$last" | grep -o '[0-9]*$')
    secs=$(grep -o '"train_s": [0-9.]*' <<<"$last" | grep -o '[0-9.]*$')
    if grep -q '"crisp": true' <<<"$last"; then
      echo "| $data | $name | $step | $secs |"
    else
      echo "| $data | $name | not by $step | ($secs) |"
    fi
  done
done
[ "${1:-}" = "--native-only" ] && exit 0
log "in the tab (dist/ must be built: trunk build)"
node scripts/bench/toy2d-crisp.mjs dist 60
