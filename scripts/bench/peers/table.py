"""Writes bench.mjs's figures (and export_onnx.py's check) as a table into docs/performance.md,
between the markers `<!-- peers:begin -->` and `<!-- peers:end -->` (appended if absent).

python3 table.py EXPORT.jsonl BENCH.jsonl docs/performance.md [BEFORE.jsonl]

BENCH.jsonl holds bench.mjs's lines and toy.mjs's (the 2-D trainer against TF.js).

With BEFORE (bench.mjs's lines from an earlier build), two columns give its tab figures, so a
change is seen against the same ORT runs of the same session.
"""
import datetime
import json
import sys

export = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
rows = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
before = {}
if len(sys.argv) > 4:
    for l in open(sys.argv[4]):
        if l.startswith("{"):
            r = json.loads(l)
            if r["kind"] == "unet":
                before[(r["model"], r["batch"])] = r
setup = next(r for r in rows if r["kind"] == "setup")
peak = next((r for r in rows if r["kind"] == "peak"), None)
lines = [
    f"Measured {datetime.date.today()} by `scripts/bench/peers/bench.mjs` (the browser step of `run.sh`) on this machine "
    f"({setup['cores']} cores), onnxruntime-web {setup['onnxruntime_web']}, "
    f"{setup['browser'].split(') ')[-1]}; a guided step at batch N is one U-Net forward at batch 2N; "
    f"the tab's figure is the median step over the second half of {setup['steps']}-step chains "
    f"({setup.get('steps_b1', setup['steps'])} steps at batch 1, whose 10 steps end before V8's optimised code is in), ORT's "
    f"the median of its runs after a warm-up of at least 3 runs and 2 s; {setup['rounds']} alternating rounds.",
    "",
    f"| model, our batch (forward batch) | tab, 1 worker, ms/step | ORT wasm 1 thread | tab 1 worker / ORT-1t "
    f"| tab, pool ({setup['cores']} cores), ms/step (workers) | ORT wasm {setup['cores']} threads (isolated) "
    f"| tab pool / ORT best | tab 1 worker GFLOP/s | ORT-1t GFLOP/s |"
    + (" tab 1 worker, share of one core's peak |" if peak else "")
    + (" before: tab ms/step | before: tab / ORT-1t |" if before else ""),
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if peak else "") + (" ---: | ---: |" if before else ""),
]
for r in rows:
    if r["kind"] != "unet":
        continue
    lines.append(
        f"| {r['model']}, {r['batch']} ({r['forward_batch']}) | {r['tab_ms']:,.0f} | {r['ort_wasm_1t_ms']:,.0f} | "
        f"**{r['tab_over_ort_1t']:.2f}×** | {r['tab_pool_ms']:,.0f} ({r['tab_pool_workers']}) | {r['ort_wasm_2t_ms']:,.0f} | "
        f"**{r['tab_pool_over_ort_best']:.2f}×** | "
        f"{r['tab_gflops']:.1f} | {r['ort_1t_gflops']:.1f} |"
        + (f" {r['tab_gflops'] / peak['muladd']['gflops']:.0%} |" if peak else "")
        + (
            f" {b['tab_ms']:,.0f} | {b['tab_over_ort_1t']:.2f}× |"
            if (b := before.get((r["model"], r["batch"])))
            else (" – | – |" if before else "")
        )
    )
if peak:
    m, f = peak["muladd"], peak.get("madd")
    lines += ["", f"One core's wasm SIMD peak in this browser (`peak.mjs`: independent f32x4 multiply-adds on registers): "
              f"**{m['gflops']:.1f} GFLOP/s** as f32x4.mul + f32x4.add ({m['accumulators']} accumulators), what simd128 code emits"
              + (f"; {f['gflops']:.1f} GFLOP/s as relaxed SIMD's fused f32x4.relaxed_madd ({f['accumulators']} accumulators)." if f else ".")]
webgpu = [r for r in rows if r["kind"] == "webgpu"]
if webgpu:
    a = webgpu[0]["adapter"] or {}
    lines += ["", f"WebGPU, both sides, batch 1 (forward batch 2), on this browser's adapter ({a.get('vendor')}, {a.get('architecture')}"
              f"{', a software fallback' if a.get('fallback') else ''}): an emulated GPU, so a check that both run and a ratio on the same emulator, not a reader's speed.", "",
              "| model | tab ms/step | ORT-web WebGPU ms/forward | tab / ORT |", "| --- | ---: | ---: | ---: |"]
    for r in webgpu:
        lines.append(f"| {r['model']} | {r['tab_ms']:,.0f} | {r['ort_webgpu_ms']:,.0f} | {r['tab_over_ort']:.2f}× |")
toy = [r for r in rows if r["kind"] == "toy"]
if toy:
    ts = next((r for r in rows if r["kind"] == "toy_setup"), {})
    def med(v):
        v = sorted(v)
        return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2
    groups = {}
    for r in toy:
        if "steps_per_s" not in r:
            continue
        key = "the tab (CPU, its worker)" if r["runner"] == "tab" else f"TF.js {r['backend']}{' with threads (isolated)' if r.get('isolated') else ''}, {r['style']}"
        groups.setdefault(key, []).append(r["steps_per_s"])
    tab = med(groups.pop("the tab (CPU, its worker)"))
    best = max(groups, key=lambda k: med(groups[k]))
    lines += ["", f"The 2-D trainer against TF.js {ts.get('tfjs')} on the same MLP (`toy.mjs`: the default 34 → 128 → 128 → 128 → 2, SiLU, Adam, batch 256), "
              f"training steps per second, median of {ts.get('rounds')} alternating rounds of {ts.get('seconds')} s; "
              f"webgl and webgpu are SwiftShader here:", "",
              "| runner | steps/s | tab / it |", "| --- | ---: | ---: |",
              f"| the tab (CPU, its worker) | {tab:,.0f} | |"]
    for k in sorted(groups, key=lambda k: -med(groups[k])):
        lines.append(f"| {k} | {med(groups[k]):,.1f} | {'**' if k == best else ''}{tab / med(groups[k]):.2f}×{'**' if k == best else ''} |")
    errors = sorted({f"{r['backend']} {r['style']}: {r['error']}" for r in toy if "error" in r})
    lines += [f"- failed: {e}" for e in errors]
lines += ["", "The ONNX export against Burn's native forward pass on the same inputs (batch 4, seeded):", "",
          "| model | max \\|ORT − Burn\\| | max \\|PyTorch − Burn\\| | output's max \\|value\\| | ONNX MB |",
          "| --- | ---: | ---: | ---: | ---: |"]
for e in export:
    lines.append(f"| {e['model']} | {e['max_abs_ort_vs_burn']:.2e} | {e['max_abs_torch_vs_burn']:.2e} | {e['output_max_abs']:.2f} | {e['onnx_mb']} |")
block = "<!-- peers:begin -->\n" + "\n".join(lines) + "\n<!-- peers:end -->"
path = sys.argv[3]
try:
    doc = open(path).read()
except FileNotFoundError:
    doc = "# Performance\n"
if "<!-- peers:begin -->" in doc:
    head, rest = doc.split("<!-- peers:begin -->", 1)
    doc = head + block + rest.split("<!-- peers:end -->", 1)[1]
else:
    doc = doc.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(doc)
print("\n".join(lines))
