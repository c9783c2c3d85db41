// End-to-end: the default widget (exact-score sampling of an 8-mode Gaussian mixture) in real
// headless Chromium, on WebGPU (SwiftShader) and on the CPU, from the built dist/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, gpuBrowser, plainBrowser;
const metrics = {};

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST);
  gpuBrowser = await launch({ webgpu: true });
  plainBrowser = await launch({ webgpu: false });
});

after(async () => {
  writeFileSync(join(ARTIFACTS, 'metrics.json'), JSON.stringify(metrics, null, 2));
  await gpuBrowser?.close();
  await plainBrowser?.close();
  server?.close();
});

/// Checks the sampled points against the mixture: nearest-mode shares and per-mode means.
async function checkMixture(page) {
  const { points, means, weights } = await page.evaluate(() => ({
    points: Array.from(window.__playground.points),
    means: window.__playground.means.map((m) => Array.from(m)),
    weights: Array.from(window.__playground.weights),
  }));
  const n = points.length / 2;
  assert.equal(n, 2000);
  const count = means.map(() => 0);
  const sum = means.map(() => [0, 0]);
  for (let i = 0; i < n; i++) {
    const [x, y] = [points[2 * i], points[2 * i + 1]];
    let best = 0;
    means.forEach((m, k) => {
      if ((x - m[0]) ** 2 + (y - m[1]) ** 2 < (x - means[best][0]) ** 2 + (y - means[best][1]) ** 2) best = k;
    });
    count[best]++;
    sum[best][0] += x;
    sum[best][1] += y;
  }
  means.forEach((m, k) => {
    const share = count[k] / n;
    assert.ok(Math.abs(share - weights[k]) < 0.03, `mode ${k}: share ${share} vs weight ${weights[k]}`);
    for (const d of [0, 1]) {
      const mean = sum[k][d] / count[k];
      assert.ok(Math.abs(mean - m[d]) < 0.05, `mode ${k} dim ${d}: mean ${mean} vs ${m[d]}`);
    }
  });
  return count;
}

for (const backend of ['webgpu', 'cpu']) {
  test(`mixture widget samples the mixture on ${backend}`, async () => {
    const { page, errors, t0 } = await open(gpuBrowser, `${server.url}#backend=${backend}`);
    // the chain is drawn step by step: catch it part-way (WebGPU on SwiftShader is slow enough)
    await page.waitForFunction(() => Number(document.querySelector('#app').dataset.step ?? 0) >= 10, null, { timeout: 300_000 });
    await page.screenshot({ path: join(ARTIFACTS, `mixture-${backend}-midway.png`) });
    const ready = await waitStatus(page, ['ready', 'error']);
    const wall = Date.now() - t0;
    const text = await messages(page);
    assert.equal(ready.status, 'ready', `status ${ready.status}: ${text.join(' | ')}`);
    assert.equal(ready.widget, 'mixture');
    assert.equal(ready.backend, backend, text.join(' | '));
    assert.equal(ready.step, '50');
    assert.ok(text.some((t) => t.includes(backend === 'cpu' ? 'CPU' : 'WebGPU')), text.join(' | '));
    const count = await checkMixture(page);
    await page.screenshot({ path: join(ARTIFACTS, `mixture-${backend}.png`) });
    assert.deepEqual(errors, []);
    metrics[backend] = { first_frame_ms: Number(ready.firstFrameMs), ready_ms: wall, counts: count };
    console.log(`${backend}: first frame ${ready.firstFrameMs} ms after navigation start, ready after ${wall} ms`);
    await page.close();
  });
}

test('a browser without WebGPU falls back to the CPU and says why', async () => {
  const { page, errors } = await open(plainBrowser, server.url, { hideWebGpu: true });
  const ready = await waitStatus(page, ['ready', 'error']);
  const text = await messages(page);
  assert.equal(ready.status, 'ready', text.join(' | '));
  assert.equal(ready.backend, 'cpu');
  assert.ok(text.some((t) => t.includes('no WebGPU')), text.join(' | '));
  await checkMixture(page);
  await page.screenshot({ path: join(ARTIFACTS, 'mixture-no-webgpu.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('forcing WebGPU where there is none falls back with a notice', async () => {
  const { page, errors } = await open(plainBrowser, `${server.url}#backend=webgpu&steps=5`, { hideWebGpu: true });
  const ready = await waitStatus(page, ['ready', 'error']);
  const text = await messages(page);
  assert.equal(ready.backend, 'cpu');
  assert.ok(text.some((t) => t.includes('asks for WebGPU')), text.join(' | '));
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad URL values give warnings, defaults, and still a result', async () => {
  const { page, errors } = await open(gpuBrowser, `${server.url}#backend=tpu&steps=banana&points=-4&backend2`);
  const ready = await waitStatus(page, ['ready', 'error']);
  const text = await messages(page);
  assert.equal(ready.status, 'ready', text.join(' | '));
  assert.ok(text.some((t) => t.includes('Unknown backend “tpu”')), text.join(' | '));
  assert.ok(text.some((t) => t.includes('steps=banana')), text.join(' | '));
  assert.ok(text.some((t) => t.includes('points=-4')), text.join(' | '));
  await checkMixture(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unknown widget is an error message, not a blank page', async () => {
  const { page } = await open(gpuBrowser, `${server.url}#widget=nope`);
  const state = await waitStatus(page, ['ready', 'error']);
  const text = await messages(page);
  assert.equal(state.status, 'error');
  assert.ok(text.some((t) => t.startsWith('message error') && t.includes('“nope”') && t.includes('mixture')), text.join(' | '));
  await page.screenshot({ path: join(ARTIFACTS, 'unknown-widget.png') });
  await page.close();
});

test('"Sample again" runs the chain with the next seed and writes it to the URL', async () => {
  const { page, errors } = await open(plainBrowser, `${server.url}#backend=cpu&steps=5&points=300&seed=7`, { hideWebGpu: true });
  assert.equal((await waitStatus(page, ['ready', 'error'])).status, 'ready');
  const first = await page.evaluate(() => Array.from(window.__playground.points));
  await page.click('button[name="again"]');
  await page.waitForFunction(() => location.hash.includes('seed=8'), null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('#app').dataset.status === 'ready'
    && document.querySelector('.caption').textContent.includes('x₀'), null, { timeout: 120_000 });
  const second = await page.evaluate(() => Array.from(window.__playground.points));
  assert.equal(second.length, first.length);
  assert.notDeepEqual(second, first);
  assert.deepEqual(errors, []);
  await page.close();
});
