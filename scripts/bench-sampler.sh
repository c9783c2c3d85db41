#!/usr/bin/env bash
# Benchmark of the image sampler (issue 6): per-step latency of every shipped model at batch 1,
# 16 and 64 — in the tab on the CPU and on WebGPU, and natively with Burn on the CPU in the same
# run — printed as tab/native ratios; cold start (navigation → first finished image) with and
# without cached weights; the wasm and weights sizes. Uses the release build, as
# `scripts/serve.sh` does. Not a test: numbers depend on the machine.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$REPO/scripts/setup.sh" --test
cd "$REPO"
OUT="$(mktemp -d)"
log "release build (trunk build --release → dist-release/)"
trunk build --release --dist dist-release
log "Burn natively (CPU)"
cargo run --quiet --release --locked -p zoo --example step_latency -- 1 16 64 > "$OUT/native.json"
log "in the tab (headless Chromium)"
node scripts/bench/sampler-browser.mjs dist-release | tee "$OUT/tab.jsonl"
python3 - "$OUT/native.json" "$OUT/tab.jsonl" dist-release <<'PY'
import json, sys, glob, os
native = {(r["model"], r["batch"]): r["median_ms"] for r in json.load(open(sys.argv[1]))}
rows = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
print(f"\n{'model':22} {'backend':8} {'batch':>5} {'tab ms/step':>12} {'of it compute':>14} {'native CPU':>11} {'tab/native':>11}")
for r in rows:
    if r["kind"] != "step":
        continue
    n = native.get((r["model"], r["batch"]))
    if "error" in r:
        print(f"{r['model']:22} {r['backend']:8} {r['batch']:5} {r['error']:>12}")
        continue
    print(f"{r['model']:22} {r['backend']:8} {r['batch']:5} {r['median_ms']:12.1f} {r['compute_ms']:14.1f} {n:11.1f} {r['median_ms'] / n:11.2f}")
print(f"\n{'cold start':22} {'backend':8} {'cache':>7} {'ready ms':>9} {'first image ms':>15} {'weights ms':>11}")
for r in rows:
    if r["kind"] == "cold_start" and "error" not in r:
        print(f"{r['model']:22} {r['backend']:8} {r['cache']:>7} {r['ready_ms']:9} {r['first_image_ms']:15.0f} {r['load_ms']:11.0f}")
        print(f"{'':22}   phases (ms since navigation): " + ", ".join(f"{k} {v}" for k, v in r.get("phases", {}).items()))
wasm = glob.glob(os.path.join(sys.argv[3], "*.wasm"))
print("\nwasm:", ", ".join(f"{os.path.basename(w)} {os.path.getsize(w) / 1e6:.1f} MB" for w in wasm))
for w in sorted(glob.glob("static/weights/*.safetensors")):
    print(f"weights: {os.path.basename(w)} {os.path.getsize(w) / 1e6:.2f} MB")
PY
