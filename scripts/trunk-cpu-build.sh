#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): builds the app a second time without its `webgpu` feature
# (the CPU-only build), runs wasm-bindgen on it, names its files by content hash as Trunk names its
# own, and writes playground.js: the module that picks one of the two builds and loads it, for the
# page's loader (Trunk.toml) and for host pages that mount widgets themselves. Same target
# directory as Trunk's build; its own profile, `web-cpu` (Cargo.toml: the release profile with
# whole-program optimisation), so its dependencies compile a second time on a fresh machine.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
: "${TRUNK_STAGING_DIR:?run by trunk build as a post_build hook (Trunk.toml)}"
cd "$REPO"
log "the CPU-only build (loaded where the browser has no WebGPU, or with #backend=cpu)"
cargo build -p playground-web --lib --profile web-cpu --target wasm32-unknown-unknown \
  --no-default-features --locked
bindgen="$(mktemp -d)"
trap 'rm -rf "$bindgen"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$bindgen" --out-name app \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web-cpu/playground_web.wasm"
hashed() { # the file's name in dist/: playground-web-cpu-<16 hex digits of its sha256><suffix>
  echo "playground-web-cpu-$(sha256sum "$1" | cut -c1-16)$2"
}
js="$(hashed "$bindgen/app.js" .js)"
wasm="$(hashed "$bindgen/app_bg.wasm" _bg.wasm)"
cp "$bindgen/app.js" "$TRUNK_STAGING_DIR/$js"
cp "$bindgen/app_bg.wasm" "$TRUNK_STAGING_DIR/$wasm"
# Trunk names its files by a hash without leading zeros: 16 hex digits, or fewer
full_js="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^playground-web-[0-9a-f]+\.js$' || true)"
full_wasm="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^playground-web-[0-9a-f]+_bg\.wasm$' || true)"
if [ -z "$full_js" ] || [ -z "$full_wasm" ] || [ "$(echo "$full_js" | wc -l)" != 1 ] || [ "$(echo "$full_wasm" | wc -l)" != 1 ]; then
  echo "expected one full build in $TRUNK_STAGING_DIR, found: '$full_js' '$full_wasm'" >&2
  exit 1
fi
sed -e "s/@FULL_JS@/$full_js/; s/@FULL_WASM@/$full_wasm/; s/@CPU_JS@/$js/; s/@CPU_WASM@/$wasm/" \
  "$REPO/web/playground.js" > "$TRUNK_STAGING_DIR/playground.js"
# embed.js (the <diffusion-widget> element) links the stylesheet into each widget's shadow root
css="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^style-[0-9a-f]+\.css$' || true)"
if [ -z "$css" ] || [ "$(echo "$css" | wc -l)" != 1 ]; then
  echo "expected one stylesheet in $TRUNK_STAGING_DIR, found: '$css'" >&2
  exit 1
fi
sed -e "s/@CSS@/$css/" "$REPO/web/embed.js" > "$TRUNK_STAGING_DIR/embed.js"
