// Benchmark (not a test): a post with six figures on another origin, cached visit, in element mode
// (<diffusion-widget>, embed.js) and iframe mode (static/embed.js), side by side in one run.
// Reports: ms from navigation until the first, visible figure is interactive (its status past
// waiting/loading), until all six are when the reader scrolls through the post (one figure every
// 400 ms), and the memory of the renderer processes (the sum of their PSS) once all six run,
// against one figure alone, and against the same post with no figure (the browser's own).
// Usage: node scripts/bench/embed-budget.mjs dist
import { chromium } from 'playwright-core';
import { serve, host } from '../../tests/e2e/serve.mjs';
import { pss } from './pss.mjs';

const DIST = process.argv[2] ?? 'dist';
// two trainers, two samplers, the mixture, a chain viewer (the sampler with its chain), on the CPU
const FIGURES = [
  'widget=mixture&backend=cpu',
  'widget=toy2d&backend=cpu&data=moons&autoplay=1&train_steps=300&hide=settings',
  'widget=sampler&backend=cpu&model=mnist-unet-cond&class=3&n=4&steps=10&autorun=1&hide=own',
  'widget=toy2d&backend=cpu&data=8gaussians&autoplay=1&train_steps=200&view=chain&hide=settings',
  'widget=sampler&backend=cpu&model=mnist-unet-cond&class=7&n=4&steps=10&autorun=1&hide=own',
  'widget=sampler&backend=cpu&model=mnist-scorenet-ve&n=2&steps=10&autorun=1&hide=own,settings',
];
const GAP = '<p style="height:1200px">…</p>';
const esc = (s) => s.replaceAll('&', '&amp;');

const server = await serve(DIST, { cacheHashed: true, cors: true });
const pages = {};
const blog = await host(pages);
const elementPost = (figs) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>post</title>
<script type="module" src="${server.url}embed.js"></script></head><body>
${figs.map((s, i) => `<diffusion-widget id="f${i}" settings="${esc(s)}" height="800"></diffusion-widget>`).join(GAP)}</body></html>`;
const framePost = (figs) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>post</title></head><body>
${figs.map((s, i) => `<iframe id="f${i}" src="${esc(`${server.url}#${s}`)}" width="100%" height="800" style="border:0" loading="lazy"></iframe>`).join(GAP)}
<script src="${server.url}static/embed.js"></script></body></html>`;
pages['/element.html'] = elementPost(FIGURES);
pages['/frames.html'] = framePost(FIGURES);
pages['/element-one.html'] = elementPost(FIGURES.slice(1, 2));
// the browser's own renderers with the post and no figure: what the figures add is above it
pages['/empty.html'] = elementPost([]);
pages['/frames-one.html'] = framePost(FIGURES.slice(1, 2));

/// The status of figure i, element or iframe.
async function status(page, i, mode) {
  if (mode === 'element') {
    return page.$eval(`#f${i}`, (e) => e.shadowRoot?.querySelector('.widget-host')?.dataset.status ?? e.dataset.status);
  }
  const frame = await (await page.$(`#f${i}`)).contentFrame();
  return frame?.evaluate(() => document.getElementById('app')?.dataset.status).catch(() => undefined);
}
const interactive = (s) => s && !['waiting', 'loading'].includes(s);

async function visit(path, n, mode) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', `--bench-mark-${process.pid}`],
  });
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  // a first visit fills the HTTP cache and Cache Storage (weights); the second is measured
  for (const round of ['first', 'cached']) {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${blog.url}${path.slice(1)}`);
    const ready = [];
    let first = null;
    for (let i = 0; i < n; i++) {
      await page.$eval(`#f${i}`, (e) => e.scrollIntoView({ block: 'start' }));
      const limit = Date.now() + 240_000;
      while (!interactive(await status(page, i, mode)) && Date.now() < limit) await page.waitForTimeout(50);
      ready.push(Date.now() - t0);
      if (i === 0) first = ready[0];
      await page.waitForTimeout(400);
    }
    const all = ready.length ? Math.max(...ready) : null;
    await page.waitForTimeout(5000);
    const mark = `--bench-mark-${process.pid}`;
    const memory = { renderer: pss(mark, 'renderer'), all: pss(mark, 'all') };
    if (round === 'cached') {
      console.log(JSON.stringify({ mode, figures: n, first_interactive_ms: first, all_interactive_ms: all, ready_ms: ready, renderer_pss_mib: +memory.renderer.toFixed(0), all_pss_mib: +memory.all.toFixed(0) }));
    }
    await page.close();
  }
  await browser.close();
}

for (const [path, n, mode] of [['/empty.html', 0, 'element'], ['/element-one.html', 1, 'element'], ['/element.html', 6, 'element'], ['/frames-one.html', 1, 'iframe'], ['/frames.html', 6, 'iframe']]) {
  await visit(path, n, mode);
}
server.close();
blog.close();
