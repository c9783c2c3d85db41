// End-to-end: the playground in a blog post on another origin (another port), as an author puts
// it there. Element mode (<diffusion-widget>, embed.js) and iframe mode (static/embed.js) with six
// figures each: nothing heavy starts before a figure is scrolled near, every figure reaches ready
// when it is, the heights hold (no collapse off screen, no jump), a figure pauses off screen and
// says so, the weights are fetched once, a bad figure says so alone; and the Embed dialog's snippet,
// pasted into a post, reproduces the view. Screenshots: a phone-wide post in dark mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, host } from './serve.mjs';
import { ARTIFACTS, launch, waitStatus } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, browser, blog;
const pages = {};

before(async () => {
  assert.ok(existsSync(join(DIST, 'embed.js')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST, { cors: true });
  blog = await host(pages);
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  server?.close();
  blog?.close();
});

// six figures, small enough for a 2-core CPU: two trainers, two samplers, the mixture, a chain view
const FIGURES = [
  ['mixture', 'widget=mixture&backend=cpu&points=300&steps=10', ['ready']],
  ['train', 'widget=toy2d&backend=cpu&data=moons&seed=1&autoplay=1&train_steps=5000&n=200&steps=8&hide=settings', ['training']],
  ['digits', 'widget=sampler&backend=cpu&model=mnist-unet-cond&class=3&n=2&steps=3&seed=1&autorun=1&hide=own', ['done']],
  ['chain', 'widget=toy2d&backend=cpu&data=8gaussians&seed=2&autoplay=1&train_steps=30&n=200&steps=6&view=chain&hide=settings', ['paused']],
  ['more-digits', 'widget=sampler&backend=cpu&model=mnist-unet-cond&class=7&n=2&steps=3&seed=2&autorun=1&hide=own', ['done']],
  ['broken', 'widget=toy2d&backend=cpu&data=moons&stpes=3&colour=red&n=100', ['ready']],
];
const GAP = '<div style="height:1400px">…the post goes on…</div>';

function elementPost(base) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>A post</title>
<style>body { font: 20px/1.2 "Comic Sans MS", serif; color: #a00 } button, p, canvas { all: unset; color: green }</style>
<script type="module" src="${base}embed.js"></script></head><body><h1>A post with six figures</h1>
${FIGURES.map(([id, s]) => `<diffusion-widget id="${id}" settings="${s.replaceAll('&', '&amp;')}" height="700"></diffusion-widget>`).join(`\n${GAP}\n`)}
${GAP}<diffusion-widget id="nope" widget="nope"></diffusion-widget></body></html>`;
}

/// What the page asked of the network, by kind.
function record(page) {
  const seen = { wasm: [], weights: [], workers: 0, errors: [] };
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) seen.wasm.push(r.url());
    if (r.url().endsWith('.safetensors')) seen.weights.push(r.url());
  });
  page.on('worker', () => { seen.workers += 1; });
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(`${m.text()} ${m.location()?.url ?? ''}`); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  return seen;
}

const inner = (page, id) => page.$eval(`#${id}`, (e) => {
  const root = e.shadowRoot?.querySelector('.widget-host');
  return { host: e.dataset.status, ...(root ? { ...root.dataset } : {}), height: e.getBoundingClientRect().height,
    rootHeight: root?.getBoundingClientRect().height ?? 0,
    messages: [...(root?.querySelectorAll('.message') ?? [])].map((m) => m.textContent) };
});
const until = (page, id, states, timeout = 240_000) => page.waitForFunction(
  ([id, states]) => states.includes(document.getElementById(id)?.shadowRoot?.querySelector('.widget-host')?.dataset.status),
  [id, states], { timeout, polling: 250 });

test('element mode: six figures in a post on another origin (no Cache Storage) start when scrolled to, share one app and the weights, and hold their height', async () => {
  pages['/post.html'] = elementPost(server.url);
  const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  // a host that blocks storage: no Cache Storage at all (the figures share what they download)
  await page.addInitScript(() => { delete window.caches; delete Object.getPrototypeOf(window).caches; });
  const seen = record(page);
  await page.goto(`${blog.url}post.html`);
  await until(page, 'mixture', ['ready'], 120_000);
  await page.waitForTimeout(1500);
  // only the first figure is near the viewport: one app, no weights, the trainers' workers not started
  for (const [id] of FIGURES.slice(1)) {
    const s = await inner(page, id);
    assert.equal(s.host, 'waiting', `${id}: ${JSON.stringify(s)}`);
    assert.equal(Math.round(s.height), 700, `${id} keeps its reserved height off screen`);
  }
  assert.equal(seen.weights.length, 0, 'no weights before a sampler is scrolled to');
  assert.equal(seen.workers, 0, 'the mixture runs on the page; no worker before a trainer is scrolled to');
  const appWasm = new Set(seen.wasm).size;
  assert.equal(appWasm, 1, `one app module: ${seen.wasm}`);
  // the post's own styles (Comic Sans, red, `all: unset` on buttons) do not reach into the figure
  const font = await page.$eval('#mixture', (e) => getComputedStyle(e.shadowRoot.querySelector('button')).fontFamily);
  assert.doesNotMatch(font, /Comic/);

  for (const [id, , states] of FIGURES.slice(1)) {
    // the figure's height, every 20 ms while it starts: it never collapses under what it will be
    await page.$eval(`#${id}`, (e) => {
      window.__heights = [];
      const look = () => { window.__heights.push(e.getBoundingClientRect().height); window.__look = setTimeout(look, 20); };
      look();
      e.scrollIntoView({ block: 'start' });
    });
    await until(page, id, states);
    const heights = await page.evaluate(() => { clearTimeout(window.__look); return window.__heights; });
    const final = (await inner(page, id)).height;
    // (a widget filling in its captions grows by a line or two: that is not a collapse)
    assert.ok(Math.min(...heights) >= 0.9 * Math.min(final, 700), `${id} while starting: min ${Math.min(...heights)}, final ${final}`);
  }
  const states = {};
  for (const [id] of FIGURES) states[id] = await inner(page, id);
  // the two samplers' files (the model's weights, the classifier that reads the digits): each
  // fetched once, the second figure shares them
  assert.equal(seen.weights.length, new Set(seen.weights).size, `weights requests: ${seen.weights}`);
  assert.ok(seen.weights.some((u) => u.endsWith('mnist-unet-cond.safetensors')));
  // one set of workers for the post, shared by the figures: a trainer, a 2-D sampler, and the
  // image samplers' pool, one worker per core on the CPU (as separate workers they would be
  // 2 + 2 + 2 × the pool)
  const pool = Math.min(8, await page.evaluate(() => navigator.hardwareConcurrency));
  assert.equal(seen.workers, 2 + pool, `workers started: ${seen.workers}`);
  // a figure's job is its own in the shared worker: the chain figure, trained beside the other
  // trainer's job, has the samples its settings give on a page of its own
  const shared = await page.$eval('#chain', (e) => Array.from(e.state.samples));
  const alone = await browser.newPage();
  await alone.goto(`${server.url}#${FIGURES[3][1]}`);
  await waitStatus(alone, ['paused'], 120_000);
  await alone.waitForFunction(() => window.__playground.sampleStep === 30, null, { timeout: 60_000 });
  assert.deepEqual(shared, await alone.evaluate(() => Array.from(window.__playground.samples)));
  await alone.close();
  // the bad figures say so in themselves; the rest of the post works
  assert.match(states.broken.messages.join('\n'), /no setting “colour”, “stpes”/);
  await page.$eval('#nope', (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.getElementById('nope').shadowRoot?.querySelector('.widget-host')?.dataset.status === 'error', null, { timeout: 60_000 });
  assert.match((await inner(page, 'nope')).messages.join('\n'), /no widget called “nope”/);
  // heights follow the content once mounted
  for (const [id] of FIGURES) {
    const s = await inner(page, id);
    assert.ok(Math.abs(s.height - s.rootHeight) <= 1, `${id}: element ${s.height} vs widget ${s.rootHeight}`);
  }

  // a training figure scrolled away pauses, says so, and goes on when it is back
  await page.$eval('#train', (e) => e.scrollIntoView({ block: 'start' }));
  await until(page, 'train', ['training'], 60_000);
  await page.$eval('#nope', (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.getElementById('train').shadowRoot.querySelector('.widget-host').dataset.pausedOffscreen === 'true', null, { timeout: 30_000 });
  const away = await inner(page, 'train');
  assert.notEqual(away.status, 'training');
  assert.ok(await page.$eval('#train', (e) => e.shadowRoot.querySelector('.offscreen-note').checkVisibility()));
  // the worker finishes the slice it was in, then stops
  await page.waitForTimeout(1000);
  const step = Number((await inner(page, 'train')).step);
  await page.waitForTimeout(2000);
  assert.equal(Number((await inner(page, 'train')).step), step, 'no training while off screen');
  await page.$eval('#train', (e) => e.scrollIntoView({ block: 'start' }));
  await page.waitForFunction(() => document.getElementById('train').shadowRoot.querySelector('.widget-host').dataset.pausedOffscreen === 'false', null, { timeout: 30_000 });
  await until(page, 'train', ['training'], 30_000);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('iframe mode: lazy frames keep their reserved height, and every widget reports its own once mounted, on screen and off', async () => {
  // frames 3 to 5 start at once (lazy=0), far below the fold: a toy2d, a sampler and the mixture
  // must size themselves while off screen, where a cross-origin frame's rendering is throttled
  const OFF = ['chain', 'more-digits', 'mixture-below'];
  const figures = [...FIGURES.slice(0, 5), ['mixture-below', 'widget=mixture&backend=cpu&points=200&steps=5', ['ready']]];
  // 'digits' has no loading="lazy": the browser loads it at once and the page in it waits
  const frames = figures.map(([id, s]) => OFF.includes(id)
    ? `<iframe id="${id}" src="${server.url}#${s}&lazy=0" width="100%" height="700" style="border:0"></iframe>`
    : `<iframe id="${id}" src="${server.url}#${s}" width="100%" height="700" style="border:0"${id === 'digits' ? '' : ' loading="lazy"'}></iframe>`);
  pages['/frames.html'] = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Frames</title></head><body>
<h1>A post with iframes</h1>${frames.join(`\n${GAP}\n`)}${GAP}
<script src="${server.url}static/embed.js"></script></body></html>`;
  const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  const seen = record(page);
  await page.goto(`${blog.url}frames.html`);
  const frameOf = async (id) => (await page.$(`#${id}`)).contentFrame();
  const height = (id) => page.$eval(`#${id}`, (f) => f.getBoundingClientRect().height);
  const contentOf = (f) => f.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height)).catch(() => 0);
  await (await frameOf('mixture')).waitForFunction(() => document.getElementById('app').dataset.status === 'ready', null, { timeout: 120_000 });
  for (const id of OFF) {
    const f = await frameOf(id);
    let content = 0;
    for (let i = 0; i < 240; i++) {
      content = await contentOf(f);
      if (content > 300 && Math.round(await height(id)) === content) break;
      await page.waitForTimeout(500);
    }
    assert.ok(content > 300, `${id}: the lazy=0 frame built its widget (${content} px)`);
    assert.equal(Math.round(await height(id)), content, `${id}: the off-screen frame took its widget's height`);
  }
  // the lazy frames below the fold have not started: their reserved height stands; the page in
  // the loaded one waits, without the app
  for (const id of ['train', 'digits']) {
    assert.equal(Math.round(await height(id)), 700, `${id} keeps its reserved height`);
  }
  const waiting = await frameOf('digits');
  await waiting.waitForFunction(() => document.getElementById('app')?.dataset.status === 'waiting', null, { timeout: 30_000 });
  assert.equal(await waiting.evaluate(() => document.documentElement.dataset.build), undefined, 'no app loaded in the waiting frame');
  for (const [id, , states] of figures.slice(1)) {
    // the frame's height every 20 ms while it starts: no collapse under its widget's height
    await page.$eval(`#${id}`, (e) => {
      window.__heights = [];
      const look = () => { window.__heights.push(e.getBoundingClientRect().height); window.__look = setTimeout(look, 20); };
      look();
      e.scrollIntoView({ block: 'start' });
    });
    const f = await frameOf(id);
    await f.waitForFunction((s) => s.includes(document.getElementById('app')?.dataset.status), states, { timeout: 240_000, polling: 250 });
    const heights = await page.evaluate(() => { clearTimeout(window.__look); return window.__heights; });
    assert.ok(Math.min(...heights) >= 0.9 * Math.min(await height(id), 700), `${id} while starting: min ${Math.min(...heights)}`);
    await page.waitForTimeout(600);
    const want = await contentOf(f);
    assert.ok(Math.abs((await height(id)) - want) <= 1, `${id}: frame ${await height(id)} vs content ${want}`);
  }
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('the Embed dialog: a snippet pasted into a post reproduces the view', async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const view = 'widget=toy2d&backend=cpu&data=moons&seed=3&n=200&steps=8&train_steps=25&autoplay=1';
  await page.goto(`${server.url}#${view}`);
  const original = await waitStatus(page, ['paused'], 240_000);
  await page.waitForFunction(() => window.__playground.sampleStep === 25, null, { timeout: 120_000 });
  const samples = await page.evaluate(() => Array.from(window.__playground.samples));
  // keyboard: Space plays and pauses training on the focused widget
  await page.focus('#app');
  await page.keyboard.press('Space');
  await waitStatus(page, ['training'], 30_000);
  await page.keyboard.press('Space');
  await waitStatus(page, ['paused', 'sampling'], 30_000);
  // ← and → step the chain's scrubber on the chain view
  await page.click('.tabs button:text("chain")');
  await page.waitForFunction(() => Number(document.querySelector('input[name=scrub]').max) > 0, null, { timeout: 60_000 });
  await page.focus('#app');
  const scrub = () => page.$eval('input[name=scrub]', (i) => Number(i.value));
  const at = await scrub();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await scrub(), Math.max(0, at - 2));
  await page.keyboard.press('ArrowRight');
  assert.equal(await scrub(), Math.max(0, at - 2) + 1);

  await page.click('button[name=embed]');
  await page.waitForSelector('dialog.embed-dialog[open]');
  await page.check('dialog input[name=settings]');
  await page.selectOption('dialog select[name=theme]', 'dark');
  const snippet = await page.$eval('dialog textarea[name=element]', (t) => t.value);
  const iframe = await page.$eval('dialog textarea[name=iframe]', (t) => t.value);
  await page.click('button[name=copy-element]');
  await page.waitForFunction(() => document.querySelector('button[name=copy-element]').textContent !== 'Copy');
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch((e) => `refused: ${e}`));
  assert.equal(copied, snippet);
  await page.screenshot({ path: join(ARTIFACTS, 'embed-dialog.png') });
  assert.match(iframe, /height="\d+"/);
  assert.match(snippet, /^<script type="module" src="http:\/\/127\.0\.0\.1:\d+\/embed\.js"><\/script>\n<diffusion-widget settings="[^"]+" height="\d+"><\/diffusion-widget>$/);

  // pasted into a post elsewhere: the same settings, the same result
  pages['/pasted.html'] = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Pasted</title></head><body><h1>Pasted</h1>${snippet}</body></html>`;
  const post = await context.newPage();
  post.on('pageerror', (e) => errors.push(String(e)));
  await post.goto(`${blog.url}pasted.html`);
  await post.waitForFunction(() => document.querySelector('diffusion-widget')?.state?.sampleStep === 25, null, { timeout: 240_000, polling: 250 });
  const got = await post.evaluate(() => {
    const e = document.querySelector('diffusion-widget');
    const root = e.shadowRoot.querySelector('.widget-host');
    return { samples: Array.from(e.state.samples), theme: root.dataset.theme, settingsShown: root.querySelector('form.settings')?.checkVisibility() };
  });
  assert.deepEqual(got.samples, samples, 'the pasted figure trains to the same samples');
  assert.equal(got.theme, 'dark');
  assert.equal(got.settingsShown, false);
  assert.equal(original.widget, 'toy2d');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the example post at 360 px in dark mode: readable, nothing wider than the phone', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark', deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}posts/diffusion.html`);
  await page.$eval('diffusion-widget', (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.querySelector('diffusion-widget').shadowRoot?.querySelector('.widget-host')?.dataset.status === 'ready', null, { timeout: 120_000 });
  const seen = await page.evaluate(() => {
    const root = document.querySelector('diffusion-widget').shadowRoot.querySelector('.widget-host');
    return { width: document.documentElement.scrollWidth, bg: getComputedStyle(root).backgroundColor, figures: document.querySelectorAll('diffusion-widget').length };
  });
  assert.ok(seen.width <= 360, `the post is ${seen.width} px wide`);
  assert.equal(seen.bg, 'rgb(20, 23, 31)', 'theme=auto follows the dark colour scheme');
  assert.equal(seen.figures, 6);
  await page.screenshot({ path: join(ARTIFACTS, 'post-360-dark.png'), fullPage: false });
  assert.deepEqual(errors, []);
  await context.close();
});
