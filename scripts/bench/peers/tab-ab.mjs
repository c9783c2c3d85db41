// A quick before-and-after of the tab alone (not a test): the sampler's CPU step in one worker
// (the page told the machine has one core), for builds DIST… alternating, ROUNDS rounds, each in
// a fresh page of one headless Chromium. For trying a kernel's variants; ab.sh measures a lever
// against ORT as well. Prints, per run: the build, the median step over the chain's second half,
// and every step (ms).
//   node tab-ab.mjs MODEL N DIST [DIST…]        (ROUNDS, default 2; STEPS, default 10; GUIDANCE,
//                                                default 2: 0 runs the network at batch N, not 2N)
import { serve } from '../../../tests/e2e/serve.mjs';
import { launch } from '../../../tests/e2e/browser.mjs';

const [model, n, ...dists] = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const STEPS = Number(process.env.STEPS ?? 10);
const GUIDANCE = process.env.GUIDANCE ?? 2;
const browser = await launch({ webgpu: false });
const servers = await Promise.all(dists.map((d) => serve(d)));
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, server] of servers.entries()) {
      const page = await browser.newPage();
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 1 }));
      await page.goto(`${server.url}#widget=sampler&backend=cpu&autorun=1&model=${model}&n=${n}&steps=${STEPS}&sampler=dpm%2B%2B2m&guidance=${GUIDANCE}&class=mixed`);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: 600_000, polling: 20 });
      const { status, ms } = await page.evaluate(() => ({ status: document.querySelector('#app').dataset.status, ms: Array.from(window.__playground.stepMs) }));
      if (status !== 'done') throw new Error(`${dists[i]} ended ${status}`);
      // the last step is the final image's (no network call): left out
      console.log(dists[i], model, n, median(ms.slice(Math.floor(STEPS / 2), -1)).toFixed(1), ms.map((x) => x.toFixed(0)).join(' '));
      await page.close();
    }
  }
} finally {
  await browser.close();
  servers.forEach((s) => s.close());
}
