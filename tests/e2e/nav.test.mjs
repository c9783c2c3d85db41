// End-to-end: the site header's links move between the widgets (marking the current one and
// keeping backend=), and an embed (the page in an iframe) shows its widget without the header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST);
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/// The header's links as [widget, href, current?].
async function links(page) {
  return page.$$eval('header.site nav a[data-widget]', (as) =>
    as.map((a) => [a.dataset.widget, a.getAttribute('href'), a.getAttribute('aria-current') === 'page']));
}

test('the header links to every widget, marks the current one, and a click mounts another', async () => {
  const { page, errors } = await open(browser, `${server.url}#backend=cpu`);
  const root = await waitStatus(page, ['ready', 'error'], 120_000);
  assert.equal(root.widget, 'mixture');
  assert.equal(root.status, 'ready');
  assert.deepEqual(await links(page), [
    ['sampler', '#widget=sampler&backend=cpu', false],
    ['toy2d', '#widget=toy2d&backend=cpu', false],
    ['compare', '#widget=compare&backend=cpu', false],
    ['mixture', '#widget=mixture&backend=cpu', true],
  ]);
  // and the example post, whose figures are the widgets
  assert.equal(await page.$eval('header.site nav a.post-link', (a) => a.getAttribute('href')), 'posts/diffusion.html');
  await page.click('header.site nav a[data-widget="sampler"]');
  await page.waitForFunction(() => document.querySelector('#app')?.dataset.widget === 'sampler', null, { timeout: 60_000 });
  const after = await waitStatus(page, ['ready', 'error'], 120_000);
  assert.equal(after.status, 'ready', JSON.stringify(after));
  assert.equal(after.backend, 'cpu');
  const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
  assert.deepEqual([hash.get('widget'), hash.get('backend')], ['sampler', 'cpu']);
  assert.deepEqual((await links(page)).filter(([, , current]) => current).map(([w]) => w), ['sampler']);
  await page.screenshot({ path: join(ARTIFACTS, 'nav-sampler.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('without backend= in the URL the links carry none', async () => {
  const { page } = await open(browser, `${server.url}#widget=toy2d`, { hideWebGpu: true });
  await waitStatus(page, ['ready', 'error'], 120_000);
  assert.deepEqual((await links(page)).map(([w, href]) => [w, href]), [
    ['sampler', '#widget=sampler'], ['toy2d', '#widget=toy2d'], ['compare', '#widget=compare'],
    ['mixture', '#widget=mixture'],
  ]);
  await page.close();
});

test('embedded in an iframe, the page is its widget alone: no site header', async () => {
  const page = await browser.newPage({ viewport: { width: 700, height: 800 } });
  await page.setContent(`<h1>A blog post</h1>
    <iframe src="${server.url}#widget=mixture&backend=cpu&points=300" width="600" height="700"></iframe>`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForFunction(() => document.querySelector('#app')?.dataset.status === 'ready', null, { timeout: 120_000, polling: 100 });
  const seen = await frame.evaluate(() => ({
    embedded: 'embedded' in document.documentElement.dataset,
    header: getComputedStyle(document.querySelector('header.site')).display,
    widget: document.querySelector('#app').dataset.widget,
  }));
  assert.deepEqual(seen, { embedded: true, header: 'none', widget: 'mixture' });
  // without static/embed.js the iframe keeps the height its author gave it
  assert.equal(await page.$eval('iframe', (f) => f.clientHeight), 700);
  await page.screenshot({ path: join(ARTIFACTS, 'nav-embedded.png') });
  // the same page, not embedded, shows its header
  const { page: top } = await open(browser, `${server.url}#widget=mixture&backend=cpu&points=300`);
  await waitStatus(top, ['ready', 'error'], 120_000);
  assert.equal(await top.$eval('header.site', (h) => getComputedStyle(h).display), 'flex');
  await top.close();
  await page.close();
});

// static/embed.js, included once by the embedding page, sizes each playground iframe to its
// widget: the page in the iframe reports its height whenever it changes (web/index.html).
test('with static/embed.js an embedded widget gets the height it needs, and follows it', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  // an about:blank iframe before the playground's (its origin is "null"), and one after it
  await page.setContent(`<h1>A blog post</h1>
    <iframe id="blank" src="about:blank" width="100" height="40"></iframe>
    <iframe id="toy" src="${server.url}#widget=toy2d&backend=cpu&hide=settings" width="960" height="300"></iframe>
    <p>after the widget</p>
    <iframe id="other" srcdoc="<p>an ad</p>" width="100" height="50"></iframe>
    <script src="${server.url}static/embed.js"></script>`);
  const frame = await (await page.waitForSelector('#toy')).contentFrame();
  await frame.waitForFunction(() => document.querySelector('#app')?.dataset.status === 'ready', null, { timeout: 120_000, polling: 100 });
  const content = () => frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
  const outer = () => page.$eval('#toy', (f) => f.clientHeight);
  const settle = async () => {
    const want = await content();
    await page.waitForFunction((h) => document.querySelector('#toy').clientHeight === h, want, { timeout: 10_000 });
    return want;
  };
  const first = await settle();
  assert.ok(first > 300, `the toy2d widget is taller than the 300 px it was given (${first})`);
  // nothing inside scrolls: the frame's viewport holds its whole document
  assert.ok(await frame.evaluate(() => document.documentElement.scrollHeight <= innerHeight + 1));
  await page.screenshot({ path: join(ARTIFACTS, 'nav-embed-sized.png'), fullPage: true });
  // the widget grows (a 400 px block) and shrinks back: the iframe follows
  await frame.evaluate(() => {
    const d = document.createElement('div');
    d.id = 'grow';
    d.style.height = '400px';
    document.querySelector('#app').append(d);
  });
  assert.equal(await settle(), first + 400);
  await frame.evaluate(() => document.querySelector('#grow').remove());
  assert.equal(await settle(), first);
  assert.equal(await outer(), first);
  // an iframe that is not the playground is left alone, even when it asks to be resized
  assert.equal(await page.$eval('#other', (f) => f.clientHeight), 50);
  await (await (await page.$('#other')).contentFrame()).evaluate(() => parent.postMessage({ type: 'diffusion-playground:height', height: 5000 }, '*'));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await page.$$eval('#blank, #other', (fs) => fs.map((f) => f.clientHeight)), [40, 50]);
  // and a message with a bad height changes nothing
  await frame.evaluate(() => parent.postMessage({ type: 'diffusion-playground:height', height: 'NaN' }, '*'));
  await frame.evaluate(() => parent.postMessage({ type: 'diffusion-playground:height', height: -5 }, '*'));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await outer(), first);
  // a hostile page: it floods the frame with requests for its height and with forged messages
  // (other types, megabyte payloads, settings, nonsense); the frame answers a request once per
  // 50 ms, changes nothing, and goes on working
  const before = await frame.evaluate(() => ({ hash: location.hash, status: document.querySelector('#app').dataset.status, widget: document.querySelector('#app').dataset.widget }));
  const answers = await page.evaluate(async () => {
    let heights = 0;
    addEventListener('message', (e) => { if (e.data?.type === 'diffusion-playground:height') heights += 1; });
    const w = document.querySelector('#toy').contentWindow;
    const big = 'x'.repeat(1 << 20);
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) w.postMessage({ type: 'diffusion-playground:ask-height' }, '*');
    for (let i = 0; i < 40; i++) w.postMessage({ type: 'diffusion-playground:height', height: 1, big }, '*');
    for (const m of [null, 42, '#widget=sampler', { type: 'set', hash: '#widget=sampler&model=x' }, { type: 'diffusion-playground:ask-height', height: 1e9 }, new ArrayBuffer(1 << 24)]) w.postMessage(m, '*');
    await new Promise((r) => setTimeout(r, 1000));
    return { heights, ms: performance.now() - t0 };
  });
  assert.ok(answers.heights >= 1 && answers.heights <= Math.ceil(answers.ms / 50) + 2, `${answers.heights} answers to 20001 requests in ${answers.ms.toFixed(0)} ms`);
  const after = await frame.evaluate(() => ({ hash: location.hash, status: document.querySelector('#app').dataset.status, widget: document.querySelector('#app').dataset.widget }));
  assert.deepEqual(after, before);
  assert.equal(await outer(), first);
  await frame.evaluate(() => {
    const d = document.createElement('div');
    d.id = 'grow';
    d.style.height = '100px';
    document.querySelector('#app').append(d);
  });
  assert.equal(await settle(), first + 100, 'the frame still reports its height');
  await page.close();
});

