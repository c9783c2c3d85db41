#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): builds the app without its `webgpu` feature (the CPU-only
# build) twice, with and without relaxed SIMD, runs wasm-bindgen on each, names their files by
# content hash as Trunk names its own, and writes playground.js: the module that picks one of the
# three builds and loads it, for the page's loader (Trunk.toml) and for host pages that mount
# widgets themselves. Same target directory as Trunk's build; its own profile, `web-cpu`
# (Cargo.toml: the release profile with whole-program optimisation), so its dependencies compile
# a second time on a fresh machine (once: the two CPU builds differ only from crates/models up).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
: "${TRUNK_STAGING_DIR:?run by trunk build as a post_build hook (Trunk.toml)}"
cd "$REPO"
bindgen="$(mktemp -d)"
trap 'rm -rf "$bindgen"' EXIT
hashed() { # the file's name in dist/: <prefix>-<16 hex digits of its sha256><suffix>
  echo "$1-$(sha256sum "$2" | cut -c1-16)$3"
}
# cpu_build PREFIX [CARGO ARGS]: builds it, runs wasm-bindgen and copies both files into dist/;
# sets js and wasm to their names there. Cargo keeps each feature set's dependencies apart, but
# the app crate itself has one fingerprint and one .wasm per profile: each build is bound right
# after it, and each recompiles (and links, with LTO) the app crate, about 22 s here, even when
# nothing changed. A wrapper crate per variant would avoid that; not done.
cpu_build() {
  local prefix="$1"
  shift
  cargo build -p playground-web --lib --profile web-cpu --target wasm32-unknown-unknown \
    --no-default-features --locked "$@"
  rm -rf "${bindgen:?}"/*
  wasm-bindgen --target web --no-typescript --out-dir "$bindgen" --out-name app \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web-cpu/playground_web.wasm"
  js="$(hashed "$prefix" "$bindgen/app.js" .js)"
  wasm="$(hashed "$prefix" "$bindgen/app_bg.wasm" _bg.wasm)"
  cp "$bindgen/app.js" "$TRUNK_STAGING_DIR/$js"
  cp "$bindgen/app_bg.wasm" "$TRUNK_STAGING_DIR/$wasm"
}
log "the CPU-only build, with relaxed SIMD (the convolution's fused multiply-add; loaded where the browser validates relaxed SIMD)"
cpu_build playground-web-cpu-relaxed --features relaxed-simd
relaxed_js="$js"
relaxed_wasm="$wasm"
log "the CPU-only build (loaded where the browser has no WebGPU, or with #backend=cpu)"
cpu_build playground-web-cpu
# Trunk names its files by a hash without leading zeros: 16 hex digits, or fewer
full_js="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^playground-web-[0-9a-f]+\.js$' || true)"
full_wasm="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^playground-web-[0-9a-f]+_bg\.wasm$' || true)"
if [ -z "$full_js" ] || [ -z "$full_wasm" ] || [ "$(echo "$full_js" | wc -l)" != 1 ] || [ "$(echo "$full_wasm" | wc -l)" != 1 ]; then
  echo "expected one full build in $TRUNK_STAGING_DIR, found: '$full_js' '$full_wasm'" >&2
  exit 1
fi
sed -e "s/@FULL_JS@/$full_js/; s/@FULL_WASM@/$full_wasm/; s/@CPU_JS@/$js/; s/@CPU_WASM@/$wasm/; s/@RELAXED_JS@/$relaxed_js/; s/@RELAXED_WASM@/$relaxed_wasm/" \
  "$REPO/web/playground.js" > "$TRUNK_STAGING_DIR/playground.js"
# embed.js (the <diffusion-widget> element) links the stylesheet into each widget's shadow root
css="$(cd "$TRUNK_STAGING_DIR" && ls | grep -E '^style-[0-9a-f]+\.css$' || true)"
if [ -z "$css" ] || [ "$(echo "$css" | wc -l)" != 1 ]; then
  echo "expected one stylesheet in $TRUNK_STAGING_DIR, found: '$css'" >&2
  exit 1
fi
sed -e "s/@CSS@/$css/" "$REPO/web/embed.js" > "$TRUNK_STAGING_DIR/embed.js"
