#!/usr/bin/env bash
# Benchmark of the 2-D trainer (issue 4): training steps per second at batch 256 with the default
# MLP — in the tab on WebGPU and on the CPU, natively with Burn, and PyTorch on the CPU running the
# identical step — printed as ratios against PyTorch from one run; plus time-to-quality in the tab
# on the swiss roll. PyTorch goes into a throwaway venv (BENCH_VENV, default under ~/.cache), never
# into the project. Not a test: numbers depend on the machine.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$REPO/scripts/setup.sh" --test
cd "$REPO"
VENV="${BENCH_VENV:-$HOME/.cache/diffusion-playground/bench-venv}"
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  log "installing PyTorch into the throwaway venv $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch
fi
OUT="$(mktemp -d)"
THREADS="$(nproc)"
log "PyTorch (CPU, $THREADS threads)"
"$VENV/bin/python" scripts/bench/toy_torch.py "$THREADS" | tee "$OUT/results.jsonl"
log "Burn natively (CPU)"
cargo run --quiet --release --locked -p train --example toy_steps -- 10 | tee -a "$OUT/results.jsonl"
[ -f dist/index.html ] || { log "building dist/"; trunk build; }
log "in the tab (headless Chromium)"
node scripts/bench/toy2d-browser.mjs dist | tee -a "$OUT/results.jsonl"
python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ref = next(r["steps_per_s"] for r in rows if r["runner"] == "pytorch-cpu")
print(f"\n{'runner':42} {'steps/s':>9} {'× PyTorch CPU':>14} {'median fps':>11}")
for r in rows:
    if "steps_per_s" in r:
        fps = f"{r['median_fps']:11.1f}" if "median_fps" in r else f"{'':11}"
        print(f"{r['runner']:42} {r['steps_per_s']:9.1f} {r['steps_per_s'] / ref:14.3f} {fps}")
for r in rows:
    if "reached" in r:
        verdict = f"reached 3× after {r['seconds']:.1f} s (step {r['step']})" if r["reached"] else \
            f"not reached in {r['limit_s']} s; best {r.get('ratio') or float('nan'):.2f}× at step {r.get('step')}"
        print(f"{r['runner']:42} {verdict}")
PY
