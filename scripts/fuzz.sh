#!/usr/bin/env bash
# Fuzzes every parser that takes outside bytes or text (crates/fuzzing: the targets and what they
# check) with cargo-fuzz: libFuzzer on the nightly toolchain, with AddressSanitizer, SECONDS each
# (default 300), starting from the seeds (fuzz/seeds/<target>, real files) and the corpus grown
# by earlier runs (fuzz/corpus/<target>, not committed). Prints executions and wall time per
# target, and a line for each crash, hang (over 10 s) or allocation over 2 GiB: the input lands in
# fuzz/artifacts/<target>/; once fixed, copy it to fuzz/regressions/<target>/, which the test
# command replays (crates/fuzzing/tests/smoke.rs). Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
EACH="${1:-300}"
shift || true
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cd "$REPO/fuzz"
# its own target folder: sanitizer builds share nothing with the others
export CARGO_TARGET_DIR="$REPO/fuzz/target"
log "building the fuzz targets (nightly, AddressSanitizer, optimized)"
cargo +nightly fuzz build -O
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(cargo +nightly fuzz list)
mkdir -p logs
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log "$t: ${EACH} s"
  if cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      -print_final_stats=1 > "logs/$t.log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
    echo "$t: ${runs:-?} executions in ${EACH} s, no crash (corpus: $(ls "corpus/$t" | wc -l) inputs)"
  else
    status=1
    echo "$t: FOUND A PROBLEM, see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    grep -E 'ERROR|SUMMARY|panicked|Test unit written' "logs/$t.log" | head -5
  fi
done
exit $status
