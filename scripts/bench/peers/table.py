"""Writes bench.mjs's figures (and export_onnx.py's check) as a table into docs/performance.md,
between the markers `<!-- peers:begin -->` and `<!-- peers:end -->` (appended if absent).

python3 table.py EXPORT.jsonl BENCH.jsonl docs/performance.md [BEFORE.jsonl]

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
lines = [
    f"Measured {datetime.date.today()} by `scripts/bench/peers/bench.mjs` (the browser step of `run.sh`) on this machine "
    f"({setup['cores']} cores), onnxruntime-web {setup['onnxruntime_web']}, "
    f"{setup['browser'].split(') ')[-1]}; a guided step at batch N is one U-Net forward at batch 2N; "
    f"the tab's figure is the median step over the second half of {setup['steps']}-step chains, ORT's "
    f"the median of its runs after a warm-up of at least 3 runs and 2 s; {setup['rounds']} alternating rounds.",
    "",
    f"| model, our batch (forward batch) | tab, 1 worker, ms/step | ORT wasm 1 thread | tab 1 worker / ORT-1t "
    f"| tab, pool ({setup['cores']} cores), ms/step (workers) | ORT wasm {setup['cores']} threads (isolated) "
    f"| tab pool / ORT best | tab 1 worker GFLOP/s | ORT-1t GFLOP/s |"
    + (" before: tab ms/step | before: tab / ORT-1t |" if before else ""),
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if before else ""),
]
for r in rows:
    if r["kind"] != "unet":
        continue
    lines.append(
        f"| {r['model']}, {r['batch']} ({r['forward_batch']}) | {r['tab_ms']:,.0f} | {r['ort_wasm_1t_ms']:,.0f} | "
        f"**{r['tab_over_ort_1t']:.2f}×** | {r['tab_pool_ms']:,.0f} ({r['tab_pool_workers']}) | {r['ort_wasm_2t_ms']:,.0f} | "
        f"**{r['tab_pool_over_ort_best']:.2f}×** | "
        f"{r['tab_gflops']:.1f} | {r['ort_1t_gflops']:.1f} |"
        + (
            f" {b['tab_ms']:,.0f} | {b['tab_over_ort_1t']:.2f}× |"
            if (b := before.get((r["model"], r["batch"])))
            else (" – | – |" if before else "")
        )
    )
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
