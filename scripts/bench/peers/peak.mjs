// This CPU's single-thread wasm SIMD peak (not a test), in the browser that runs the comparison:
// a loop of independent f32x4 multiply-adds on registers only, no memory, so that what limits
// it is how many SIMD float operations a core issues per cycle. Two forms: f32x4.mul then
// f32x4.add (what simd128 code such as gemm's microkernel and ours emits), and relaxed SIMD's
// f32x4.relaxed_madd (one fused multiply-add where the CPU has FMA). Each with 4 to 14
// accumulators (the chains must outnumber latency × issue width; x86-64's V8 has 16 vector
// registers); the best count is the peak. The WAT is compiled by wabt (npm, pinned) in Node.
import wabtInit from 'wabt';

function module(wabt, acc) {
  const v = Array.from({ length: acc }, (_, i) => i);
  const locals = v.map((i) => `(local $v${i} v128)`).join(' ');
  const init = v.map((i) => `(local.set $v${i} (f32x4.splat (f32.const 0.0${i})))`).join(' ');
  const body = (fma) => v.map((i) => fma
    ? `(local.set $v${i} (f32x4.relaxed_madd (local.get $v${i}) (local.get $m) (local.get $b)))`
    : `(local.set $v${i} (f32x4.add (f32x4.mul (local.get $v${i}) (local.get $m)) (local.get $b)))`).join(' ');
  const sum = v.map((i) => `(local.get $v${i})`).reduce((a, b) => `(f32x4.add ${a} ${b})`);
  // v ← 0.9999 v + 1e-4 stays near 1: no overflow, no denormals
  const fn = (name, fma) => `(func (export "${name}") (param $n i32) (result f32) ${locals} (local $m v128) (local $b v128)
    (local.set $m (f32x4.splat (f32.const 0.9999))) (local.set $b (f32x4.splat (f32.const 0.0001))) ${init}
    (loop $l ${body(fma)} (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum}))`;
  const wat = `(module ${fn('muladd', false)} ${fn('madd', true)})`;
  return Array.from(wabt.parseWat(`peak${acc}.wat`, wat, { simd: true, relaxed_simd: true }).toBinary({}).buffer);
}

/// GFLOP/s (a multiply-add counts 2 FLOP a lane) of each form at its best accumulator count,
/// measured in a fresh page of `browser` at `url`.
export async function simdPeak(browser, url) {
  const wabt = await wabtInit();
  const mods = Object.fromEntries([4, 6, 8, 10, 12, 14].map((a) => [a, module(wabt, a)]));
  const page = await browser.newPage();
  try {
    await page.goto(url);
    return await page.evaluate(async (mods) => {
      const out = {};
      for (const [acc, bytes] of Object.entries(mods)) {
        const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes));
        for (const form of ['muladd', 'madd']) {
          const f = instance.exports[form];
          f(1e6); f(1e6); // to the optimising tier
          let best = 0;
          for (let r = 0; r < 5; r++) {
            const n = 6e6; // 10–20 ms a run: far above the timer's 0.1 ms grain
            const t = performance.now();
            f(n);
            const s = (performance.now() - t) / 1000;
            best = Math.max(best, (n * Number(acc) * 8) / s / 1e9);
          }
          if (!out[form] || best > out[form].gflops) out[form] = { gflops: best, accumulators: Number(acc) };
        }
      }
      return out;
    }, mods);
  } finally {
    await page.close();
  }
}
