# Sourced by the other scripts: shared paths and versions. Build artefacts live outside the clone
# (so a fresh clone, e.g. in CI, reuses them) unless CARGO_TARGET_DIR says otherwise.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/diffusion-playground/target}"
export PATH="$REPO/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$REPO/Cargo.lock")"
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
