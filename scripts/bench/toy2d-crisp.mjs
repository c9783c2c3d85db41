// Benchmark (not a test): time to crisp in the tab. For each data set × objective, open the 2-D
// trainer on the CPU with autoplay and record every chain the page draws while it trains (the
// model step it came from, seconds since Train, the page's own quality figure,
// train::toy::Quality) until the first crisp one (≥ 90% within 3σ with every mode covered on
// 8 Gaussians; MMD² at or under the blur bar elsewhere) or the time limit. Prints one JSON line
// per run. Usage: node scripts/bench/toy2d-crisp.mjs dist [limit_s]
import { serve } from '../../tests/e2e/serve.mjs';
import { launch, open } from '../../tests/e2e/browser.mjs';

const DIST = process.argv[2] ?? 'dist';
const LIMIT = Number(process.argv[3] ?? 60);
const DATA = (process.env.BENCH_DATA ?? '8gaussians,swiss-roll,moons,checkerboard').split(',');
// objective name → hash keys over the page's defaults (flow matching on the stable target)
const OBJECTIVES = JSON.parse(process.env.BENCH_OBJECTIVES ?? JSON.stringify({
  'flow, stable target (default)': '',
  'flow, textbook target': 'target=pair',
  'DDPM ε, stable target': 'process=ddpm-linear',
  'DDPM ε, textbook, lr 1e-3 (old default)': 'process=ddpm-linear&target=pair&lr=0.001',
}));
const SEED = Number(process.env.BENCH_SEED ?? 3);

const server = await serve(DIST);
const browser = await launch({ webgpu: false });
for (const data of DATA) {
  for (const [objective, keys] of Object.entries(OBJECTIVES)) {
    const url = `${server.url}#widget=toy2d&backend=cpu&autoplay=1&seed=${SEED}&data=${data}${keys ? `&${keys}` : ''}`;
    const { page } = await open(browser, url);
    await page.waitForFunction(() => document.querySelector('#app').dataset.status === 'training', null, { timeout: 120_000 });
    const t0 = Date.now();
    const chains = [];
    let crisp = null;
    while (!crisp && (Date.now() - t0) / 1000 < LIMIT) {
      await page.waitForTimeout(100);
      const got = await page.evaluate(() => ({
        step: window.__playground?.sampleStep, q: window.__playground?.quality, trained: Number(document.querySelector('#app').dataset.step),
      }));
      if (!got.q || chains.at(-1)?.step === got.step) continue;
      const at = {
        step: got.step, s: (Date.now() - t0) / 1000, trained: got.trained,
        within: got.q.modes?.within ?? null, ratio: got.q.distance / got.q.bar,
        crisp: got.q.modes ? got.q.modes.covered === got.q.modes.modes && got.q.modes.within >= 0.9 : got.q.distance <= got.q.bar,
      };
      chains.push(at);
      if (at.crisp) crisp = at;
    }
    const steps = await page.$eval('#app', (e) => Number(e.dataset.step));
    const seconds = (Date.now() - t0) / 1000;
    console.log(JSON.stringify({ data, objective, seed: SEED, crisp, steps_per_s: steps / seconds, chains }));
    await page.close();
  }
}
await browser.close();
server.close();
