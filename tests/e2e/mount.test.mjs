// End-to-end: widgets are instances. A plain host page (no #app, its own URL) mounts two toy2d
// and two sampler widgets through playground.js's mount(), each with its own settings; they run
// at once and independently — their own workers, results, statuses and messages, no writes to the
// host's URL — and one that errors (an unknown widget, a crashed worker) leaves the others working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'playground.js')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST);
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const WIDGETS = {
  moons: 'widget=toy2d&backend=cpu&data=moons&seed=1&autoplay=1&train_steps=40&n=300&steps=10',
  circles: 'widget=toy2d&backend=cpu&data=circles&seed=2&autoplay=1&train_steps=25&n=200&steps=5',
  digits: 'widget=sampler&backend=cpu&model=mnist-unet-cond&class=3&n=2&steps=3&seed=1&autorun=1',
  scores: 'widget=sampler&backend=cpu&model=mnist-scorenet-ve&n=3&steps=3&seed=2&autorun=1',
};

const HOST = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>A post with figures</title>
<link rel="stylesheet" href="/${'STYLE'}"></head><body>
<h1>A post with five figures</h1>
${Object.keys(WIDGETS).map((id) => `<figure><div id="${id}"></div></figure>`).join('\n')}
<figure><div id="broken" data-playground="widget=nope"></div></figure>
<script type="module">
import { mount, mountAll } from '/playground.js';
const settings = ${JSON.stringify(WIDGETS)};
window.handles = {};
for (const [id, s] of Object.entries(settings)) window.handles[id] = await mount(document.getElementById(id), s);
// an element that names its widget in an attribute
await mountAll();
</script></body></html>`;

const status = (page, id) => page.$eval(`#${id}`, (e) => ({ ...e.dataset }));
const until = (page, id, states, timeout = 300_000) => page.waitForFunction(
  ([id, states]) => states.includes(document.getElementById(id)?.dataset.status), [id, states], { timeout, polling: 200 });

test('two toy2d and two sampler widgets in one page run independently, and one erroring leaves the others', async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const css = (await (await fetch(server.url)).text()).match(/href="\/?(styles?-[^"]+\.css|[^"]+\.css)"/)?.[1] ?? '';
  await page.route('**/blog/post.html', (r) => r.fulfill({ contentType: 'text/html', body: HOST.replace('STYLE', css) }));
  // the post sits at another path than the playground: the widgets fetch their files from the
  // playground's own site, not relative to the post
  await page.goto(`${server.url}blog/post.html#a-reader-s-anchor`);
  // the unknown widget says so in its own element, at once
  await until(page, 'broken', ['error'], 60_000);
  assert.match(await page.$eval('#broken .message.error', (e) => e.textContent), /no widget called “nope”/);
  for (const id of ['moons', 'circles']) await until(page, id, ['paused', 'error']);
  for (const id of ['digits', 'scores']) await until(page, id, ['done', 'error']);
  const st = {};
  for (const id of [...Object.keys(WIDGETS), 'broken']) st[id] = await status(page, id);
  assert.deepEqual([st.moons.status, st.circles.status, st.digits.status, st.scores.status], ['paused', 'paused', 'done', 'done'], JSON.stringify(st));
  // each trained as long as its own settings say, on its own data
  assert.deepEqual([st.moons.step, st.circles.step], ['40', '25']);
  assert.deepEqual([st.moons.sampleStep, st.circles.sampleStep], ['40', '25']);
  const toy = (id) => page.evaluate((id) => {
    const s = window.handles[id].state;
    return { data: Array.from(s.data.slice(0, 8)), n: s.samples.length / 2, losses: s.losses.length, same: s === document.getElementById(id).__playground };
  }, id);
  const [moons, circles] = [await toy('moons'), await toy('circles')];
  assert.deepEqual([moons.n, circles.n, moons.losses, circles.losses], [300, 200, 40, 25]);
  assert.ok(moons.same && circles.same, 'the handle and the element hold the same state');
  assert.notDeepEqual(moons.data, circles.data);
  // each sampler its own model, images and verdict
  const images = (id) => page.evaluate((id) => {
    const s = window.handles[id].state;
    return { shape: Array.from(s.shape), images: Array.from(s.images), classified: s.classified && Array.from(s.classified), model: s.model };
  }, id);
  const [digits, scores] = [await images('digits'), await images('scores')];
  assert.deepEqual([digits.model, scores.model], ['mnist-unet-cond', 'mnist-scorenet-ve']);
  assert.deepEqual([digits.shape, scores.shape], [[2, 1, 28, 28], [3, 1, 28, 28]]);
  assert.equal(digits.classified.length, 2);
  assert.ok(digits.images.every(Number.isFinite) && scores.images.every(Number.isFinite));
  // no widget wrote the host's URL, and there is no page widget behind window.__playground
  assert.equal(new URL(page.url()).hash, '#a-reader-s-anchor');
  assert.equal(await page.evaluate(() => window.__playground), undefined);
  // messages stay in their own widget: one backend notice each
  for (const id of ['moons', 'circles', 'digits', 'scores']) {
    const notices = await page.$$eval(`#${id} .message`, (ms) => ms.filter((m) => m.textContent.startsWith('Running on')).length);
    assert.equal(notices, 1, id);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'mount-four-widgets.png'), fullPage: true });

  // one sampler's worker crashes: it says so and recovers; the other sampler and the trainers
  // keep what they have and go on working
  await page.evaluate(() => window.handles.scores.state.crashWorker());
  await page.waitForFunction(() => /The sampler stopped/.test(document.querySelector('#scores .messages').textContent), null, { timeout: 60_000 });
  await until(page, 'scores', ['ready'], 120_000);
  assert.equal(await page.$$eval('#digits .message.error', (ms) => ms.length), 0, 'the crash is said in its own widget only');
  assert.equal((await status(page, 'digits')).status, 'done');
  assert.deepEqual((await images('digits')).images, digits.images);
  // a chain of 3 steps of 2 images can pass through "sampling" between two polls: wait for the
  // new images instead
  await page.evaluate(() => { window.__before = window.handles.digits.state.images; });
  await page.click('#digits button[name="sample"]');
  await page.waitForFunction(() => window.handles.digits.state.images !== window.__before
    && ['done', 'error'].includes(document.getElementById('digits').dataset.status), null, { timeout: 120_000, polling: 100 });
  assert.equal((await status(page, 'digits')).status, 'done');
  await page.click('#circles button[name="step"]');
  await page.waitForFunction(() => document.getElementById('circles').dataset.step === '26', null, { timeout: 60_000 });
  assert.equal((await status(page, 'moons')).step, '40', 'the other trainer did not move');
  // unmounting one ends it alone
  await page.evaluate(() => window.handles.moons.unmount());
  assert.equal((await status(page, 'moons')).status, 'unmounted');
  assert.equal(await page.$eval('#moons', (e) => e.children.length), 0);
  await page.click('#circles button[name="step"]');
  await page.waitForFunction(() => document.getElementById('circles').dataset.step === '27', null, { timeout: 60_000 });
  assert.deepEqual(errors.filter((e) => !/crash asked for by a test|worker stopped on an internal error|RuntimeError|unreachable/.test(e)), []);
  await page.close();
});
