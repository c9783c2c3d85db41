#!/usr/bin/env bash
# Regenerates tests/e2e/fixtures/reference/<model>.json: the final images of the page's e2e
# chains computed natively (web/examples/reference_chain.rs, the page's own settings parsing and
# chain on Burn's native CPU backend), and toy2d-<name>.json: the 2-D trainer's samples after the
# same training natively (web/examples/toy_chain.rs). The e2e tests compare the page against them; run this
# after shipping new weights (the fixtures record the sha256 they were made from).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"
OUT=tests/e2e/fixtures/reference
mkdir -p "$OUT"
cargo build --quiet --release --locked -p playground-web --example reference_chain --example toy_chain
# fixture name → the URL hash its e2e test opens (without backend=). CIFAR-10 has a short chain
# for WebGPU, whose emulation (SwiftShader) takes ~14 s per evaluation of the 6.8 M-parameter
# U-Net on one image, plus ~30 s compiling its kernels.
declare -A CHAINS=(
  [mnist-unet-cond]='model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&class=3&guidance=2'
  [cifar10-unet-cond]='model=cifar10-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&class=7&guidance=1'
  [mnist-unet-cond-short]='model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=6&n=1&class=3&guidance=0'
  [cifar10-unet-cond-short]='model=cifar10-unet-cond&sampler=dpm%2B%2B2m&steps=3&n=1&class=7&guidance=0'
)
for name in "${!CHAINS[@]}"; do
  hash="${CHAINS[$name]}"
  model="${hash#model=}"; model="${model%%&*}"
  if [ ! -f "static/weights/$model.safetensors" ]; then
    log "skipping $name: no $model weights shipped"
    continue
  fi
  log "$name"
  "$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights "$hash" > "$OUT/$name.json"
done
# a person's own diffusers model (tests/fixtures/diffusers' tiny class-conditional U-Net), opened
# from its files as the page opens them
log "own-unet-tiny-class"
"$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights \
  'model=own%3A%20unet_tiny_class.safetensors&sampler=dpm%2B%2B2m&steps=4&n=4' \
  tests/fixtures/diffusers/unet_tiny_class_config.json tests/fixtures/diffusers/unet_tiny_class.safetensors \
  > "$OUT/own-unet-tiny-class.json"

# edits (edit.test.mjs): test digit 3 inverted and sampled back, and as an 8, and SDEdit as an 8; a strip between
# images 0 and 3 of a grid, both as the page's buttons make them
log "mnist-invert"
"$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights \
  'model=mnist-unet-cond&steps=10&n=2&class=8&guidance=2' edit=invert:tests/fixtures/mnist:3 \
  > "$OUT/mnist-invert.json"
log "mnist-sdedit"
"$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights \
  'model=mnist-unet-cond&steps=10&n=2&class=8&guidance=2' edit=sdedit:tests/fixtures/mnist:3 \
  > "$OUT/mnist-sdedit.json"
log "mnist-interpolate"
"$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights \
  'model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&seed=2' edit=interpolate:0,3 \
  > "$OUT/mnist-interpolate.json"

# the same on WebGPU's shorter chain (a grid of 3 in 6 steps: images 0 and 2; digit 3 without a class)
for edit in interpolate:0,2 invert:tests/fixtures/mnist:3 sdedit:tests/fixtures/mnist:3; do
  log "mnist-webgpu-${edit%%:*}"
  "$CARGO_TARGET_DIR/release/examples/reference_chain" static/weights \
    'model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=6&n=3&seed=2&guidance=0' "edit=$edit" \
    > "$OUT/mnist-webgpu-${edit%%:*}.json"
done

# the 2-D trainer: the same settings and seed trained and sampled natively (toy2d.test.mjs opens
# this hash with backend=cpu&autoplay=1)
log "toy2d-moons"
"$CARGO_TARGET_DIR/release/examples/toy_chain" \
  'data=moons&seed=4&train_steps=30&n=200&steps=10' > "$OUT/toy2d-moons.json"
