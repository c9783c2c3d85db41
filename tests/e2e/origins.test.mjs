// End-to-end: what a link or a host can throw at the sampler. A `manifest=` that leads off this
// site, in any of the forms URL parsers rewrite into another host, is refused with a warning and
// nothing is fetched from elsewhere; a page served over plain http from another machine (not a
// secure context: no Cache Storage, no crypto.subtle, no WebGPU) still samples, without the cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, browser, remote;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST);
  browser = await launch({ webgpu: false });
  // a host name that is not this machine's, for the browser: http to it is not a secure context
  remote = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--host-resolver-rules=MAP lan-box.test 127.0.0.1', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await remote?.close();
  server?.close();
});

test('a manifest= off this site, in any disguise, is refused and nothing is fetched from elsewhere', async () => {
  for (const bad of ['https://evil.example/m.json', '+//evil.example/m.json', '%09//evil.example/m.json',
    '%5C%5Cevil.example/m.json', 'data:,{"models":[]}']) {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const elsewhere = [];
    // the worker's script is a blob: URL of this origin
    page.on('request', (r) => { if (!r.url().replace(/^blob:/, '').startsWith(server.url)) elsewhere.push(r.url()); });
    await page.goto(`${server.url}#widget=sampler&backend=cpu&manifest=${bad}`);
    const s = await waitStatus(page, ['ready', 'error'], 120_000);
    assert.equal(s.status, 'ready', `${bad}: ${JSON.stringify(s)}`);
    const m = (await messages(page)).join('\n');
    assert.match(m, /only a path on this site can be used; loading the shipped model list/, bad);
    assert.deepEqual(elsewhere, [], bad);
    assert.deepEqual(errors, [], bad);
    await page.close();
  }
});

test('over plain http from another machine the sampler runs without Cache Storage', async () => {
  const url = server.url.replace('127.0.0.1', 'lan-box.test');
  const context = await remote.newContext();
  const hash = '#widget=sampler&model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=3&n=1&class=7&autorun=1';
  for (const visit of [1, 2]) {
    const { page, errors } = await open(context, `${url}${hash}`);
    const seen = await page.evaluate(() => ({ secure: isSecureContext, caches: typeof caches, gpu: typeof navigator.gpu }));
    assert.deepEqual(seen, { secure: false, caches: 'undefined', gpu: 'undefined' });
    const s = await waitStatus(page, ['done', 'error'], 180_000);
    assert.equal(s.status, 'done', JSON.stringify(s) + (await messages(page)).join('\n'));
    assert.equal(s.backend, 'cpu');
    // no cache to keep the weights in: the second visit downloads them again
    assert.equal(s.source, 'downloaded', `visit ${visit}`);
    if (visit === 2) {
      await page.click('button[name="clear-cache"]');
      await page.waitForFunction(() => /no Cache Storage/.test(document.querySelector('#app .messages').textContent), null, { timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'sampler-insecure-origin.png') });
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
  await context.close();
});
