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
  return page.$$eval('header.site nav a', (as) =>
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
    ['mixture', '#widget=mixture&backend=cpu', true],
  ]);
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
    ['sampler', '#widget=sampler'], ['toy2d', '#widget=toy2d'], ['mixture', '#widget=mixture'],
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
  await page.screenshot({ path: join(ARTIFACTS, 'nav-embedded.png') });
  // the same page, not embedded, shows its header
  const { page: top } = await open(browser, `${server.url}#widget=mixture&backend=cpu&points=300`);
  await waitStatus(top, ['ready', 'error'], 120_000);
  assert.equal(await top.$eval('header.site', (h) => getComputedStyle(h).display), 'flex');
  await top.close();
  await page.close();
});
