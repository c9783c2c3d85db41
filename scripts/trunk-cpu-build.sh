#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): builds the app a second time without its `webgpu` feature
# (the CPU-only build), runs wasm-bindgen on it, names its files by content hash as Trunk names its
# own, and writes those names into the loader in the staged index.html. Same target directory and
# release profile as Trunk's build, so only the crates that the feature touches compile twice.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
: "${TRUNK_STAGING_DIR:?run by trunk build as a post_build hook (Trunk.toml)}"
cd "$REPO"
log "the CPU-only build (loaded where the browser has no WebGPU, or with #backend=cpu)"
cargo build -p playground-web --lib --release --target wasm32-unknown-unknown \
  --no-default-features --locked
bindgen="$(mktemp -d)"
trap 'rm -rf "$bindgen"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$bindgen" --out-name app \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/playground_web.wasm"
hashed() { # the file's name in dist/: playground-web-cpu-<16 hex digits of its sha256><suffix>
  echo "playground-web-cpu-$(sha256sum "$1" | cut -c1-16)$2"
}
js="$(hashed "$bindgen/app.js" .js)"
wasm="$(hashed "$bindgen/app_bg.wasm" _bg.wasm)"
cp "$bindgen/app.js" "$TRUNK_STAGING_DIR/$js"
cp "$bindgen/app_bg.wasm" "$TRUNK_STAGING_DIR/$wasm"
index="$TRUNK_STAGING_DIR/index.html"
grep -q '@CPU_JS@' "$index" || { echo "no @CPU_JS@ in $index: Trunk.toml's pattern_script has changed?" >&2; exit 1; }
sed -i "s/@CPU_JS@/$js/; s/@CPU_WASM@/$wasm/" "$index"
