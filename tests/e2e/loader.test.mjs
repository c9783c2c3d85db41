// End-to-end: the page's loader (Trunk.toml's pattern_script) picks one of the builds of the app
// before fetching any: the CPU-only one where the browser has no WebGPU, only a software adapter,
// or the URL says #backend=cpu (with relaxed SIMD where the browser validates it, plain SIMD128
// elsewhere); the full one otherwise; and a build that does not load is a message, not a page
// stuck at "loading".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, gpuBrowser, plainBrowser, files;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  const names = readdirSync(DIST);
  const one = (re) => {
    const found = names.filter((n) => re.test(n));
    assert.equal(found.length, 1, `expected one file like ${re} in ${DIST}, found ${found}`);
    return found[0];
  };
  files = {
    full: one(/^playground-web-[0-9a-f]+_bg\.wasm$/),
    cpu: one(/^playground-web-cpu-[0-9a-f]+_bg\.wasm$/),
    'cpu-relaxed': one(/^playground-web-cpu-relaxed-[0-9a-f]+_bg\.wasm$/),
  };
  server = await serve(DIST);
  gpuBrowser = await launch({ webgpu: true });
  plainBrowser = await launch({ webgpu: false });
});

after(async () => {
  await gpuBrowser?.close();
  await plainBrowser?.close();
  server?.close();
});

/// Makes the page's WebAssembly.validate say no to every module, as a browser without relaxed SIMD
/// says to the loader's probe (the loader calls it for nothing else).
const withoutRelaxedSimd = () => { WebAssembly.validate = () => false; };

/// Opens `hash` and records which of the wasm files the page asked for.
async function openRecording(browser, hash, options = {}) {
  const requested = new Set();
  const context = await browser.newContext();
  if (options.noRelaxedSimd) await context.addInitScript(withoutRelaxedSimd);
  context.on('request', (r) => {
    for (const [build, name] of Object.entries(files)) if (r.url().endsWith(`/${name}`)) requested.add(build);
  });
  const opened = await open(context, `${server.url}${hash}`, options);
  return { ...opened, requested, context };
}

// Chromium has relaxed SIMD, so its CPU-only build is the relaxed one (`file`)
const cases = [
  { name: 'a browser without WebGPU gets the CPU-only build and never downloads the full one',
    browser: () => plainBrowser, hash: '', hideWebGpu: true, build: 'cpu', file: 'cpu-relaxed', backend: 'cpu', says: 'no WebGPU' },
  { name: '#backend=cpu gets the CPU-only build where WebGPU exists',
    browser: () => gpuBrowser, hash: '#backend=cpu', build: 'cpu', file: 'cpu-relaxed', backend: 'cpu', says: 'as the URL asks' },
  // headless Chromium's only WebGPU adapter is SwiftShader, flagged as a fallback (software) one
  { name: 'a browser whose only WebGPU adapter is a software one gets the CPU-only build',
    browser: () => gpuBrowser, hash: '', build: 'cpu', file: 'cpu-relaxed', backend: 'cpu', says: 'is a software one' },
  { name: 'a browser without relaxed SIMD gets the plain SIMD128 CPU-only build',
    browser: () => plainBrowser, hash: '', hideWebGpu: true, noRelaxedSimd: true, build: 'cpu', file: 'cpu', backend: 'cpu', says: 'no WebGPU' },
  { name: '#backend=webgpu gets the full build and runs on WebGPU, even on a software adapter',
    browser: () => gpuBrowser, hash: '#backend=webgpu', build: 'full', file: 'full', backend: 'webgpu', says: 'Running on WebGPU' },
];

for (const c of cases) {
  test(c.name, async () => {
    const { page, errors, requested, context } = await openRecording(c.browser(), c.hash,
      { hideWebGpu: c.hideWebGpu, noRelaxedSimd: c.noRelaxedSimd });
    const ready = await waitStatus(page, ['ready', 'error']);
    const text = await messages(page);
    assert.equal(ready.status, 'ready', text.join(' | '));
    assert.equal(await page.evaluate(() => document.documentElement.dataset.build), c.build);
    const simd = { cpu: 'simd128', 'cpu-relaxed': 'relaxed' }[c.file];
    assert.equal(await page.evaluate(() => document.documentElement.dataset.simd), simd);
    assert.deepEqual([...requested], [c.file]);
    assert.equal(ready.backend, c.backend);
    assert.ok(text.some((t) => t.includes(c.says)), text.join(' | '));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('changing #backend=cpu to webgpu in the URL reloads into the full build', async () => {
  const { page, errors, requested, context } = await openRecording(gpuBrowser, '#backend=cpu');
  assert.equal((await waitStatus(page, ['ready', 'error'])).backend, 'cpu');
  const reloaded = page.waitForEvent('load');
  await page.evaluate(() => { location.hash = 'backend=webgpu'; });
  await reloaded;
  const ready = await waitStatus(page, ['ready', 'error']);
  assert.equal(ready.status, 'ready', (await messages(page)).join(' | '));
  assert.equal(ready.backend, 'webgpu');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.build), 'full');
  assert.deepEqual([...requested].sort(), ['cpu-relaxed', 'full']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a build that does not load is a message in the page, not an endless "loading"', async () => {
  const context = await plainBrowser.newContext();
  await context.route(`**/${files['cpu-relaxed']}`, (r) => r.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
  const { page } = await open(context, server.url, { hideWebGpu: true });
  const ready = await waitStatus(page, ['ready', 'error'], 60_000);
  const text = await messages(page);
  assert.equal(ready.status, 'error', text.join(' | '));
  assert.ok(text.some((t) => t.includes('The playground could not be loaded') && t.includes('Reload the page')), text.join(' | '));
  await page.screenshot({ path: join(ARTIFACTS, 'loader-failed.png') });
  await context.close();
});
