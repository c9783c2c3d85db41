#!/usr/bin/env bash
# Runs every test: native Rust tests, wasm tests inside headless Chromium (WebGPU via SwiftShader and
# CPU), then the end-to-end page tests against a fresh trunk build. Screenshots: tests/artifacts/.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$REPO/scripts/setup.sh" --test
cd "$REPO"

log "native tests"
cargo test --workspace --locked

log "wasm tests in headless Chromium"
export CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=600
# release profile: shares compiled dependencies with the trunk build below
cargo test -p playground-web --release --target wasm32-unknown-unknown --locked

log "building dist/ with trunk (release profile)"
trunk build

log "end-to-end tests in headless Chromium"
node --test --test-concurrency=1 tests/e2e/
