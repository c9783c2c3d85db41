// The 2-D trainer against TF.js (issue 22; not a test): training steps per second of the same
// MLP in the same headless Chromium, alternating, each in a fresh page. The MLP is the trainer's
// default (crates/train/src/toy): [x (2), sinusoidal time features (32)] → 128 → 128 → 128 → 2,
// SiLU, Adam, batch 256, predicting the noise of a DDPM forward process (T = 1000).
//   - the tab: #widget=toy2d&backend=cpu&autoplay=1 (its worker also keeps an EMA of the weights
//     and relays them, which TF.js is spared); steps/s over SECONDS after 200 steps;
//   - TF.js 4.22 (npm, pinned): backends wasm (SIMD; with a thread per core where the page is
//     cross-origin isolated), cpu, and webgpu and webgl (SwiftShader here: emulated). Two ways
//     to write the model: `ops` (tf.fused.matMul with its bias, then x·sigmoid(x); one
//     optimizer.minimize per step; `ops-fixed` the same on one batch drawn once) and `layers`
//     (stock tf.layers.dense with the swish activation, model.trainOnBatch). Steps/s over
//     SECONDS after a warm-up of 50 steps (3 on the emulated GPUs) and 2 s, the loss read back
//     at the end of each timed window.
// Prints JSON lines.       node toy.mjs DIST          (BENCH_SECONDS, default 8; BENCH_ROUNDS, 2)
import { launch } from '../../../tests/e2e/browser.mjs';
import { serve } from '../../../tests/e2e/serve.mjs';
import { peerServer } from './server.mjs';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const [DIST = join(HERE, '../../../dist')] = process.argv.slice(2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TF_VERSION = JSON.parse(readFileSync(join(HERE, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), 'utf8')).version;

async function tab(browser, base) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}#widget=toy2d&backend=cpu&autoplay=1`);
    const step = () => page.$eval('#app', (e) => Number(e.dataset.step ?? 0));
    await page.waitForFunction(() => Number(document.querySelector('#app')?.dataset.step ?? 0) >= 200, null, { timeout: 300_000, polling: 50 });
    const [s0, t0] = [await step(), Date.now()];
    await page.waitForTimeout(SECONDS * 1000);
    const [s1, t1] = [await step(), Date.now()];
    const backend = await page.$eval('#app', (e) => e.dataset.backend);
    if (backend !== 'cpu') throw new Error(`the trainer ran on ${backend}`);
    return (s1 - s0) / ((t1 - t0) / 1000);
  } finally {
    await page.close();
  }
}

async function tfjs(browser, base, backend, style) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}bench.html`);
    await page.addScriptTag({ url: `${base}tf/tfjs/dist/tf.min.js` });
    if (backend === 'wasm') await page.addScriptTag({ url: `${base}tf/tfjs-backend-wasm/dist/tf-backend-wasm.min.js` });
    if (backend === 'webgpu') await page.addScriptTag({ url: `${base}tf/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js` });
    return await page.evaluate(async ({ backend, style, seconds }) => {
      const tf = window.tf;
      if (backend === 'wasm') {
        tf.wasm.setWasmPaths('/tf/tfjs-backend-wasm/dist/');
        if (self.crossOriginIsolated) tf.wasm.setThreadsCount(navigator.hardwareConcurrency);
      }
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js has no ${backend} backend here`);
      await tf.ready();
      const [W, TD, B, T] = [128, 32, 256, 1000];
      // the data: a swiss roll of 4,096 points; the schedule: DDPM's linear betas
      const n = 4096;
      const u = Float32Array.from({ length: n }, (_, i) => 1.5 * Math.PI * (1 + 2 * (i / n)));
      const data = tf.tensor2d(Array.from(u).flatMap((a) => [a * Math.cos(a) / 10, a * Math.sin(a) / 10]), [n, 2]);
      let abar = 1;
      const abars = tf.tensor1d(Array.from({ length: T }, (_, i) => (abar *= 1 - (1e-4 + (0.02 - 1e-4) * i / (T - 1)))));
      const freqs = tf.tensor2d(Array.from({ length: TD / 2 }, (_, k) => Math.exp(-Math.log(10000) * k / (TD / 2))), [1, TD / 2]);
      const inputs = () => {
        const x0 = tf.gather(data, tf.randomUniform([B], 0, n, 'int32'));
        const t = tf.randomUniform([B], 0, T, 'int32');
        const a = tf.gather(abars, t).reshape([B, 1]);
        const eps = tf.randomNormal([B, 2]);
        const xt = x0.mul(a.sqrt()).add(eps.mul(tf.scalar(1).sub(a).sqrt()));
        const args = t.toFloat().reshape([B, 1]).mul(freqs);
        return [tf.concat([xt, tf.sin(args), tf.cos(args)], 1), eps];
      };
      let step;
      // `fixed`: one batch drawn once and trained on at every step, TF.js's step alone (an upper
      // bound for it: the tab draws a fresh batch at each step)
      const fixed = style === 'ops-fixed' ? tf.tidy(inputs).map((t) => tf.keep(t)) : null;
      if (style.startsWith('ops')) {
        const sizes = [[2 + TD, W], [W, W], [W, W], [W, 2]];
        const layers = sizes.map(([i, o]) => ({ w: tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(1 / i))), b: tf.variable(tf.zeros([o])) }));
        const opt = tf.train.adam(1e-3);
        step = () => tf.tidy(() => {
          const [x, eps] = fixed ?? inputs();
          return opt.minimize(() => {
            let h = x;
            layers.forEach(({ w, b }, k) => {
              h = tf.fused.matMul({ a: h, b: w, bias: b });
              if (k < layers.length - 1) h = h.mul(tf.sigmoid(h));
            });
            return tf.losses.meanSquaredError(eps, h);
          }, true);
        });
      } else {
        const model = tf.sequential({ layers: [
          tf.layers.dense({ inputShape: [2 + TD], units: W, activation: 'swish' }),
          tf.layers.dense({ units: W, activation: 'swish' }),
          tf.layers.dense({ units: W, activation: 'swish' }),
          tf.layers.dense({ units: 2 }),
        ] });
        model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
        step = async () => {
          const [x, eps] = tf.tidy(inputs);
          const loss = await model.trainOnBatch(x, eps);
          tf.dispose([x, eps]);
          return tf.scalar(loss);
        };
      }
      const t0 = performance.now();
      // (webgl and webgpu are SwiftShader here, a few steps a second or less: a short warm-up)
      const warm = ['webgl', 'webgpu'].includes(backend) ? 3 : 50;
      for (let i = 0; i < warm || performance.now() - t0 < 2000; i++) (await step()).dispose();
      let steps = 0;
      let last;
      const t1 = performance.now();
      while (performance.now() - t1 < seconds * 1000) {
        last?.dispose();
        last = await step();
        steps++;
      }
      const loss = (await last.data())[0];
      const s = (performance.now() - t1) / 1000;
      return { steps_per_s: steps / s, loss, backend: tf.getBackend(), isolated: self.crossOriginIsolated, tensors: tf.memory().numTensors };
    }, { backend, style, seconds: SECONDS });
  } finally {
    await page.close();
  }
}

const app = await serve(DIST);
const plain = await peerServer();
const isolated = await peerServer({ isolated: true });
const browser = await launch({ webgpu: true });
console.log(JSON.stringify({ kind: 'toy_setup', tfjs: TF_VERSION, seconds: SECONDS, rounds: ROUNDS }));
const runs = [
  ['wasm', 'ops', plain], ['wasm', 'ops-fixed', plain], ['wasm', 'layers', plain], ['wasm', 'ops', isolated],
  ['cpu', 'ops', plain], ['webgl', 'ops', plain], ['webgpu', 'ops', plain],
];
try {
  for (let r = 0; r < ROUNDS; r++) {
    console.log(JSON.stringify({ kind: 'toy', round: r, runner: 'tab', backend: 'cpu', steps_per_s: await tab(browser, app.url) }));
    for (const [backend, style, server] of runs) {
      try {
        const out = await tfjs(browser, server.url, backend, style);
        console.log(JSON.stringify({ kind: 'toy', round: r, runner: 'tfjs', style, ...out }));
      } catch (err) {
        console.log(JSON.stringify({ kind: 'toy', round: r, runner: 'tfjs', style, backend, error: String(err).slice(0, 300) }));
      }
    }
  }
} finally {
  await browser.close();
  app.close(); plain.close(); isolated.close();
}
