// Soak: the playground used for a long while in one browser, recording memory and workers.
// Three tabs run at once:
//   - the 2-D trainer, training all along, with its view switched every 10 s;
//   - the image sampler, sampling again every 5 s, switching models every 60 s;
//   - the post with six figures, scrolled to the bottom and back every 20 s, so its figures pause
//     and resume.
// Every 30 s it records each tab's JS heap after a garbage collection (performance.memory,
// precise), the app's wasm memory
// (window.__playgroundMemory), the number of workers, and the PSS of all the browser's
// renderers (workers included). At the end it fits a line to each series, leaving out the first
// minute (warm-up), and prints its slope per minute. It fails when a slope passes a bound
// or a tab shows an error.
//
//   node scripts/soak.mjs [MINUTES=30] [OUT.json]       (dist/ built by trunk; figures: docs/reliability.md)
//   SOAK_EVERY_MS=10000 node scripts/soak.mjs 3 OUT.json  (the test command's 3-minute version)
import { writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';
import { pss } from './bench/pss.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.DIST ?? join(REPO, 'dist');
const MINUTES = Number(process.argv[2] ?? 30);
const OUT = process.argv[3];
const EVERY_MS = Number(process.env.SOAK_EVERY_MS ?? 30_000);
// growth allowed per minute (after warm-up): the JS heap of a tab, a tab's wasm memory, the
// renderers' PSS. The PSS still settles for minutes after the first (the 3-minute run measured
// +6.6 MiB a minute from minute 1 to 3, where the 30-minute run's slope is +0.25), so a short run
// bounds it loosely: it then catches only gross growth, such as a worker kept per chain (tens of
// MiB each); the heap and wasm memory, read exactly, keep their bounds.
// The workers' count: a slope of 0.05 a minute over 30 minutes, or 1 a minute in a short run
// (where one worker more in the last reading alone makes 0.2; a worker left behind by every
// chain, every 5 s, makes 12).
const BOUND = { heapMiB: 1, wasmMiB: 1, pssMiB: MINUTES >= 10 ? 8 : 24, workers: MINUTES >= 10 ? 0.05 : 1 };

/** Least-squares slope of ys over xs. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : 0;
}

if (!existsSync(join(DIST, 'index.html'))) throw new Error(`no build in ${DIST}: run trunk build first`);
const server = await serve(DIST);
const mark = `--soak-mark-${process.pid}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--enable-precise-memory-info', mark],
});
const errors = [];
const tab = async (name, path) => {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`${name}: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${name}: ${r.status()} ${r.url()}`); });
  await page.goto(`${server.url}${path}`);
  // garbage is collected before each reading, so the heap is what is kept, not GC's timing
  const cdp = await page.context().newCDPSession(page);
  return { name, page, cdp };
};
const toy = await tab('toy2d', '#widget=toy2d&backend=cpu&autoplay=1&train_steps=1000000000&n=500');
const sampler = await tab('sampler', '#widget=sampler&backend=cpu&model=mnist-unet-cond&n=4&steps=10');
const post = await tab('post', 'posts/diffusion.html');
const tabs = [toy, sampler, post];
const status = (page) => page.$eval('#app', (e) => e.dataset.status).catch(() => 'none');
await sampler.page.waitForFunction(() => ['ready', 'done'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: 120_000 });

const t0 = Date.now();
const readings = [];
let next = 0;
const views = ['samples', 'chain', 'forward', 'field', 'density', 'steps'];
let tick = 0;
while (Date.now() - t0 < MINUTES * 60_000 + 1000) {
  const s = (Date.now() - t0) / 1000;
  if (Date.now() - t0 >= next) {
    next += EVERY_MS;
    const reading = { s, pssMiB: pss(mark, 'renderer'), workers: 0, tabs: {} };
    for (const { name, page, cdp } of tabs) {
      await cdp.send('HeapProfiler.collectGarbage');
      const r = await page.evaluate(() => ({
        heapMiB: (performance.memory?.usedJSHeapSize ?? 0) / 2 ** 20,
        wasmMiB: (window.__playgroundMemory?.buffer.byteLength ?? 0) / 2 ** 20,
      }));
      reading.tabs[name] = { ...r, workers: page.workers().length };
      reading.workers += page.workers().length;
    }
    readings.push(reading);
    console.log(`${s.toFixed(0)} s: PSS ${reading.pssMiB.toFixed(0)} MiB, workers ${reading.workers}, ${Object.entries(reading.tabs).map(([n, t]) => `${n} heap ${t.heapMiB.toFixed(1)} wasm ${t.wasmMiB.toFixed(0)}`).join(', ')}`);
  }
  // what a person does meanwhile
  tick += 1;
  if (tick % 5 === 0) await sampler.page.click('button[name=sample]').catch(() => {});
  if (tick % 60 === 0) {
    const now = await sampler.page.$eval('select[name=model]', (s) => s.value);
    await sampler.page.selectOption('select[name=model]', now === 'mnist-unet-cond' ? 'mnist-scorenet-ve' : 'mnist-unet-cond').catch(() => {});
  }
  if (tick % 10 === 0) await toy.page.click(`button[name=view-${views[(tick / 10) % views.length]}]`).catch(() => {});
  if (tick % 20 === 0) await post.page.evaluate((down) => window.scrollTo(0, down ? document.body.scrollHeight : 0), tick % 40 === 0);
  await new Promise((r) => setTimeout(r, 1000));
}

// warm-up: the first minute (the first two readings of the 30-second cadence)
const use = readings.filter((r) => r.s >= 59);
const mins = use.map((r) => r.s / 60);
const slopes = { pssMiB: slope(mins, use.map((r) => r.pssMiB)), workers: slope(mins, use.map((r) => r.workers)) };
for (const { name } of tabs) {
  slopes[`${name}.heapMiB`] = slope(mins, use.map((r) => r.tabs[name].heapMiB));
  slopes[`${name}.wasmMiB`] = slope(mins, use.map((r) => r.tabs[name].wasmMiB));
}
const statuses = Object.fromEntries(await Promise.all(tabs.map(async ({ name, page }) => [name, await status(page)])));
// what each tab says at the end (an error's sentence)
const said = Object.fromEntries(await Promise.all(tabs.map(async ({ name, page }) => [name, await page.$$eval('.message', (ms) => ms.map((m) => `${m.className}: ${m.textContent}`))])));
console.log('messages:', said);
console.log('slopes per minute:', Object.entries(slopes).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', '));
console.log('statuses:', statuses);
if (OUT) writeFileSync(OUT, JSON.stringify({ minutes: MINUTES, every_ms: EVERY_MS, readings, slopes, statuses, said, errors }, null, 1));
await browser.close();
server.close();
const over = Object.entries(slopes).filter(([k, v]) => (k.endsWith('heapMiB') && v > BOUND.heapMiB) || (k.endsWith('wasmMiB') && v > BOUND.wasmMiB) || (k === 'pssMiB' && v > BOUND.pssMiB) || (k === 'workers' && Math.abs(v) > BOUND.workers));
const bad = Object.entries(statuses).filter(([, s]) => s === 'error');
if (over.length || bad.length || errors.length) {
  console.error('soak failed:', { over, bad, errors: errors.slice(0, 5) });
  process.exit(1);
}
console.log('soak passed');
