// Benchmark (not a test): the 2-D trainer in headless Chromium on WebGPU and on the CPU —
// training steps per second at batch 256 with the default MLP, and seconds of in-tab training
// until the samples' energy distance to the data is within 3× the data-vs-data value on the
// swiss roll. Prints JSON lines; scripts/bench-toy.sh turns them into ratios.
import { serve } from '../../tests/e2e/serve.mjs';
import { launch, open, startFrameProbe, stopFrameProbe } from '../../tests/e2e/browser.mjs';
import { energyDistance } from '../../tests/e2e/energy.mjs';

const DIST = process.argv[2] ?? 'dist';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const TTQ_LIMIT = Number(process.env.BENCH_TTQ_LIMIT ?? 300);
const server = await serve(DIST);
const browser = await launch({ webgpu: true });
const step = (page) => page.$eval('#app', (e) => Number(e.dataset.step));

// WebGPU here is SwiftShader (a GPU emulated on the CPU, ~0.5 steps/s): a short warm-up (shader
// compiles) and a short time-to-quality window there.
const WARMUP = { cpu: 100, webgpu: 5 };
const TTQ = { cpu: TTQ_LIMIT, webgpu: Math.min(TTQ_LIMIT, 60) };

async function rate(backend, extra, label) {
  const { page } = await open(browser, `${server.url}#widget=toy2d&backend=${backend}&autoplay=1${extra}`);
  await page.waitForFunction((w) => Number(document.querySelector('#app').dataset.step) >= w, WARMUP[backend], { timeout: 600_000 });
  await startFrameProbe(page);
  const [s0, t0] = [await step(page), Date.now()];
  await page.waitForTimeout(SECONDS * 1000);
  const [s1, t1] = [await step(page), Date.now()];
  const { median_ms: median } = await stopFrameProbe(page);
  const got = await page.$eval('#app', (e) => e.dataset.backend);
  await page.close();
  return {
    runner: `tab-${got}${label}`, steps: s1 - s0, seconds: (t1 - t0) / 1000, steps_per_s: (s1 - s0) / ((t1 - t0) / 1000),
    median_frame_ms: median, median_fps: 1000 / median,
  };
}

async function timeToQuality(backend) {
  const { page } = await open(browser, `${server.url}#widget=toy2d&backend=${backend}&data=swiss-roll&autoplay=1`);
  await page.waitForFunction(() => document.querySelector('#app').dataset.status === 'training', null, { timeout: 600_000 });
  const t0 = Date.now();
  let best = { ratio: Infinity };
  let seen = -1;
  const limit = TTQ[backend];
  while ((Date.now() - t0) / 1000 < limit) {
    await page.waitForTimeout(500);
    const got = await page.evaluate(() => ({
      data: Array.from(window.__playground?.data ?? []),
      samples: Array.from(window.__playground?.samples ?? []),
      sampleStep: window.__playground?.sampleStep,
    }));
    if (!got.samples.length || got.sampleStep === seen) continue;
    seen = got.sampleStep;
    const n = got.samples.length;
    const ratio = energyDistance(got.samples, got.data.slice(0, n)) /
      energyDistance(got.data.slice(n, 2 * n), got.data.slice(2 * n, 3 * n));
    const at = { ratio, step: got.sampleStep, seconds: (Date.now() - t0) / 1000 };
    if (ratio < best.ratio) best = at;
    if (ratio <= 3) break;
  }
  await page.close();
  return { runner: `tab-${backend}-swiss-roll-time-to-3x`, reached: best.ratio <= 3, limit_s: limit, ...best };
}

// BENCH_ONLY=rate or BENCH_ONLY=ttq runs one half
const only = process.env.BENCH_ONLY ?? '';
if (only !== 'ttq') {
  for (const backend of ['webgpu', 'cpu']) {
    console.log(JSON.stringify(await rate(backend, '', '')));
    console.log(JSON.stringify(await rate(backend, '&n=1&steps=1', '-no-sampling')));
  }
}
if (only !== 'rate') {
  for (const backend of ['webgpu', 'cpu']) console.log(JSON.stringify(await timeToQuality(backend)));
}
await browser.close();
server.close();
