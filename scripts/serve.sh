#!/usr/bin/env bash
# Builds the playground (release) and serves it on http://127.0.0.1:8080.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$REPO/scripts/setup.sh"
cd "$REPO"
log "building and serving on http://127.0.0.1:8080 (first build: several minutes)"
exec trunk serve --release "$@"
