#!/usr/bin/env bash
# Installs what building (and, with --test, testing) the playground needs, skipping what is there:
# the wasm32 target, wasm-bindgen-cli (= Cargo.lock's wasm-bindgen), trunk, and
# playwright-core (npm, pinned in package-lock.json) and, for --test, Debian's chromium + chromedriver.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The tools' own release profiles (fat LTO, one codegen unit) cost ~25 minutes on 2 cores; a plain
# optimised build is plenty for a build tool (trunk: 11 minutes instead of ~25-30, measured here).
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR/tools" cargo "$@"
}

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # --locked can fail on a registry mirror that lacks one locked dependency; retry unlocked
  quick_install install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --force \
    || quick_install install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! command -v trunk >/dev/null; then
  # trunk 0.22.1 needs rustc >= 1.96.1: build it with nightly when there is one, else the newest
  # release that builds on stable 1.95
  if rustup toolchain list | grep -q '^nightly'; then
    log "installing trunk 0.22.1 with the nightly toolchain (about 11 minutes on 2 cores)"
    quick_install +nightly install trunk --version 0.22.1 --locked
  else
    log "installing trunk 0.21.14 with stable (no nightly toolchain here)"
    quick_install install trunk --version 0.21.14 --locked
  fi
fi

if [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm tools (playwright-core)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--test" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  log "installing Debian's chromium and chromium-driver"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
