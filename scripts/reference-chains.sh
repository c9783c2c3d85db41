#!/usr/bin/env bash
# Regenerates tests/e2e/fixtures/reference/<model>.json: the final images of the page's e2e
# chains computed natively (web/examples/reference_chain.rs, the page's own settings parsing and
# chain on Burn's native CPU backend). The e2e tests compare the page against them; run this
# after shipping new weights (the fixtures record the sha256 they were made from).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"
OUT=tests/e2e/fixtures/reference
mkdir -p "$OUT"
cargo build --quiet --release --locked -p playground-web --example reference_chain
# model → the URL hash its e2e test opens (without backend=)
declare -A CHAINS=(
  [mnist-unet-cond]='model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&class=3&guidance=2'
  [cifar10-unet-cond]='model=cifar10-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&class=7&guidance=2'
)
for model in "${!CHAINS[@]}"; do
  if [ ! -f "static/weights/$model.safetensors" ]; then
    log "skipping $model: no weights shipped"
    continue
  fi
  log "$model"
  "$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights "${CHAINS[$model]}" > "$OUT/$model.json"
done
