// Where a tab step's time goes (not a test): for MODEL at N images in one worker, ROUNDS fresh
// pages of one build, each a STEPS-step chain; per page the median over the chain's second half
// (less the final image's entry) of the step, of its computation and of reading it back
// (`__playground`'s stepMs, computeMs and readMs).
//   node step-parts.mjs DIST MODEL N        (ROUNDS, default 3; STEPS, default 20)
import { serve } from '../../../tests/e2e/serve.mjs';
import { launch } from '../../../tests/e2e/browser.mjs';

const [DIST, MODEL, N] = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const STEPS = Number(process.env.STEPS ?? 20);
const browser = await launch({ webgpu: false });
const server = await serve(DIST);
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
try {
  for (let r = 0; r < ROUNDS; r++) {
    const page = await browser.newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 1 }));
    await page.goto(`${server.url}#widget=sampler&backend=cpu&autorun=1&model=${MODEL}&n=${N}&steps=${STEPS}&sampler=dpm%2B%2B2m&guidance=2&class=mixed`);
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: 600_000, polling: 20 });
    const p = await page.evaluate(() => ({ status: document.querySelector('#app').dataset.status, step: Array.from(window.__playground.stepMs), compute: Array.from(window.__playground.computeMs), read: Array.from(window.__playground.readMs) }));
    if (p.status !== 'done') throw new Error(`the chain ended ${p.status}`);
    const part = (v) => median(v.slice(Math.floor(STEPS / 2), -1)).toFixed(1);
    console.log(JSON.stringify({ round: r, model: MODEL, n: Number(N), step_ms: part(p.step), compute_ms: part(p.compute), read_ms: part(p.read) }));
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
