// End-to-end: editing with a pretrained model in the page. A person opens "Edit an image", draws
// a stroke with pointer events, asks for class 7 and presses SDEdit: the chain runs from the noised
// drawing and our classifier reads sevens; an empty drawing is a warning and nothing runs. A test
// digit opened from a file is masked and inpainted (the kept pixels stay), then inverted and
// sampled back (the same images as the native chain); two clicked images of a grid are
// interpolated (the ends are those images, the strip the native one), on the CPU and on WebGPU;
// SDEdit of the digit is the native chain's too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
let server, browser, manifest;
const DIGIT_3 = join(import.meta.dirname, '..', 'fixtures', 'mnist', 'png', '3.png');

// as sampler.test.mjs: the page's images against the native chain (scripts/reference-chains.sh)
const TOLERANCE = { cpu: 1e-3, webgpu: 1e-2 };
function assertMatchesNative(name, hash, backend, images) {
  const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'reference', `${name}.json`), 'utf8'));
  const entry = manifest.models.find((m) => m.id === new URLSearchParams(hash).get('model'));
  assert.equal(ref.sha256, entry.sha256, `reference ${name} was made from other weights: run scripts/reference-chains.sh`);
  assert.equal(ref.hash, hash, `reference ${name} is for another URL: update scripts/reference-chains.sh`);
  assert.equal(images.length, ref.images.length);
  let worst = 0;
  for (let i = 0; i < images.length; i++) worst = Math.max(worst, Math.abs(images[i] - ref.images[i]));
  assert.ok(worst < TOLERANCE[backend], `the page's images differ from the native chain's by up to ${worst} on ${backend}`);
  console.log(`${name} on ${backend}: largest |page − native| ${worst.toExponential(2)}`);
  return worst;
}

/** A grey PNG of w×h whose pixel (x, y) is f(x, y) in 0–255. */
function greyPng(w, h, f) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => { let c = 0xffffffff; for (const v of b) c = crcTable[(c ^ v) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 0;
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = f(x, y);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Paints the mask across the pad at height `y` (a fraction) with a wide brush; the pad's
 *  pixels in [−1, 1] where it is unmasked (grey: red equals green), null where masked. */
async function paintMask(page, y) {
  await page.selectOption('select[name=brush]', 'mask');
  await page.$eval('input[name=brush-size]', (i) => { i.value = '4'; i.dispatchEvent(new Event('input')); });
  await drag(page, [0.05, y], [0.95, y]);
  return page.evaluate(() => {
    const d = document.querySelector('canvas.edit-pad').getContext('2d').getImageData(0, 0, 28, 28).data;
    const kept = [];
    for (let i = 0; i < d.length; i += 4) kept.push(d[i] === d[i + 1] ? d[i] / 127.5 - 1 : null);
    return kept;
  });
}

/** The largest change of an unmasked pixel of `source` over every 28×28 image of `images`. */
function keptMoved(source, images) {
  let worst = 0;
  for (let k = 0; k < images.length / 784; k++) {
    for (let i = 0; i < 784; i++) if (source[i] !== null) worst = Math.max(worst, Math.abs(images[k * 784 + i] - source[i]));
  }
  return worst;
}

/** Presses `button` and waits for the chain it starts to finish; the images. */
async function run(page, button) {
  await page.evaluate(() => {
    window.__before = window.__playground.images;
    window.__warned = document.querySelectorAll('#app .message.warning').length;
  });
  await page.click(`button[name=${button}]`);
  await page.waitForFunction(() => {
    const s = document.getElementById('app').dataset.status;
    const warned = document.querySelectorAll('#app .message.warning').length > window.__warned;
    return s === 'error' || warned || (window.__playground.images !== window.__before && s === 'done');
  }, null, { timeout: 300_000, polling: 100 });
  assert.equal(await page.$eval('#app', (e) => e.dataset.status), 'done', (await messages(page)).join('\n'));
  return page.evaluate(() => Array.from(window.__playground.images));
}

/** Drags across the pad from (x0, y0) to (x1, y1), fractions of its side. */
async function drag(page, [x0, y0], [x1, y1]) {
  const box = await (await page.$('canvas.edit-pad')).boundingBox();
  await page.mouse.move(box.x + box.width * x0, box.y + box.height * y0);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(box.x + box.width * (x0 + (x1 - x0) * i / 12), box.y + box.height * (y0 + (y1 - y0) * i / 12));
  }
  await page.mouse.up();
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  server = await serve(DIST);
  manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'static', 'weights', 'manifest.json'), 'utf8'));
  browser = await launch({ webgpu: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('a drawn stroke edited as a 7 is read as sevens; an empty drawing is a warning', async () => {
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=cpu&model=mnist-unet-cond&class=7&n=4&steps=20&strength=0.5&seed=1`);
  await waitStatus(page, ['ready'], 120_000);
  await page.click('details.edit-drawing summary');
  // an empty pad: a warning, and the model stays ready
  await page.click('button[name=edit]');
  await page.waitForFunction(() => /The drawing is empty/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
  assert.equal((await waitStatus(page, ['ready'], 5_000)).status, 'ready');
  // a slanted stroke, as a hand draws a 1 (or the stem of a 7)
  const box = await (await page.$('canvas.edit-pad')).boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.6 - 0.015 * i), box.y + box.height * (0.2 + 0.05 * i));
  await page.mouse.up();
  const inked = await page.$eval('canvas.edit-pad', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n += 1;
    return n;
  });
  assert.ok(inked > 20, `the stroke is on the pad (${inked} pixels)`);
  await page.click('button[name=edit]');
  await waitStatus(page, ['sampling'], 30_000).catch(() => {});
  const s = await waitStatus(page, ['done', 'error'], 180_000);
  assert.equal(s.status, 'done', (await messages(page)).join('\n'));
  await page.waitForFunction(() => window.__playground.classified?.length === 4, null, { timeout: 60_000 });
  const read = await page.evaluate(() => Array.from(window.__playground.classified));
  assert.ok(read.filter((k) => k === 7).length >= 3, `read as ${read}`);
  // the strength's share of the steps: 10 of 20
  assert.equal(await page.$eval('input[name=scrub]', (i) => Number(i.max) + 1), 10);
  // the sevens follow the drawing: they correlate with the pad's ink far more than sevens sampled
  // from noise do
  const likeDrawing = () => page.evaluate(() => {
    const d = document.querySelector('canvas.edit-pad').getContext('2d').getImageData(0, 0, 28, 28).data;
    const ink = [];
    for (let i = 0; i < d.length; i += 4) ink.push(d[i] / 127.5 - 1);
    const images = window.__playground.images;
    const n = images.length / 784;
    const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
    let total = 0;
    for (let k = 0; k < n; k++) {
      const a = Array.from(images.slice(k * 784, (k + 1) * 784));
      const [ma, mb] = [mean(a), mean(ink)];
      let num = 0, da = 0, db = 0;
      for (let i = 0; i < 784; i++) { num += (a[i] - ma) * (ink[i] - mb); da += (a[i] - ma) ** 2; db += (ink[i] - mb) ** 2; }
      total += num / Math.sqrt(da * db);
    }
    return total / n;
  });
  const edited = await likeDrawing();
  await page.evaluate(() => { window.__before = window.__playground.images; });
  await page.click('button[name=sample]');
  await page.waitForFunction(() => window.__playground.images !== window.__before
    && document.getElementById('app').dataset.status === 'done', null, { timeout: 180_000, polling: 100 });
  const sampled = await likeDrawing();
  assert.ok(edited > sampled + 0.15, `correlation with the drawing: edited ${edited.toFixed(2)}, sampled ${sampled.toFixed(2)}`);
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-edit-drawing.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('hide=edit hides the drawing pad and its strength', async () => {
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=cpu&model=mnist-unet-cond&hide=edit`);
  await waitStatus(page, ['ready'], 120_000);
  const shown = await page.evaluate(() => ({
    pad: document.querySelector('details.edit-drawing').checkVisibility(),
    strength: document.querySelector('[data-control="strength"]')?.checkVisibility() ?? false,
    guidance: document.querySelector('[data-control="guidance"]')?.checkVisibility() ?? false,
  }));
  assert.deepEqual(shown, { pad: false, strength: false, guidance: true });
  assert.deepEqual(errors, []);
  await page.close();
});

{
  const backend = 'cpu';
  test(`a test digit opened from a file: masked and inpainted, then inverted and back as the native chain (${backend})`, async () => {
    const hash = 'model=mnist-unet-cond&steps=10&n=2&class=8&guidance=2';
    const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=${backend}&${hash}`);
    await waitStatus(page, ['ready'], 180_000);
    assert.equal(await page.$eval('#app', (e) => e.dataset.backend), backend);
    await page.click('details.edit-drawing summary');
    // a file that is not an image: a warning, and the pad stays as it was
    await page.setInputFiles('input[name=edit-image]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.waitForFunction(() => /notes.txt is not an image/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
    // an image of another size is scaled to the model's, and said so
    await page.setInputFiles('input[name=edit-image]', { name: 'ring.png', mimeType: 'image/png', buffer: greyPng(56, 56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 15) < 4 ? 255 : 0)) });
    await page.waitForFunction(() => /ring.png is 56×56: scaled to 28×28/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
    await page.setInputFiles('input[name=edit-image]', DIGIT_3);
    await page.waitForFunction(() => {
      const d = document.querySelector('canvas.edit-pad').getContext('2d').getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n += 1;
      return n > 60;
    }, null, { timeout: 10_000 });
    // Inpaint without a mask: a warning, nothing runs
    await page.click('button[name=inpaint]');
    await page.waitForFunction(() => /The mask covers nothing/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
    assert.equal(await page.$eval('#app', (e) => e.dataset.status), 'ready');
    // mask the bottom half with a wide brush, and inpaint
    const source = await paintMask(page, 0.75);
    const masked = source.filter((v) => v === null).length;
    assert.ok(masked > 150 && masked < 600, `${masked} pixels masked`);
    const inpainted = await run(page, 'inpaint');
    assert.equal(inpainted.length, 2 * 784);
    // every pixel outside the mask is the digit's own, in both images
    const worst = keptMoved(source, inpainted);
    assert.ok(worst < 0.01, `kept pixels moved by ${worst}`);
    await page.screenshot({ path: join(ARTIFACTS, `sampler-inpaint-${backend}.png`), fullPage: true });
    // inversion of the same digit (the mask plays no part): the reconstruction, and the noise as an 8
    const inverted = await run(page, 'invert');
    assertMatchesNative('mnist-invert', hash, backend, inverted);
    const error = await page.evaluate(() => Array.from(window.__playground.inversionError));
    assert.ok(error[0] > 0 && error[0] < 0.5, `inversion error ${error}`);
    assert.match((await messages(page)).join('\n'), /Inverted in 10 steps and back: mean \|error\| \d/);
    // the chain walked 10 steps up and 10 down
    assert.equal(await page.$eval('input[name=scrub]', (i) => Number(i.max) + 1), 20);
    await page.screenshot({ path: join(ARTIFACTS, `sampler-invert-${backend}.png`), fullPage: true });
    // SDEdit of the same digit as an 8, as the native chain
    assertMatchesNative('mnist-sdedit', hash, backend, await run(page, 'edit'));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test(`two images clicked in a grid are interpolated: the ends are those images, the strip the native one (${backend})`, async () => {
    const hash = 'model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=10&n=4&seed=2';
    const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=${backend}&${hash}`);
    await waitStatus(page, ['ready'], 180_000);
    await page.click('details.edit-drawing summary');
    await page.click('button[name=interpolate]');
    await page.waitForFunction(() => /press Sample/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
    const grid = await run(page, 'sample');
    // a 2×2 grid: click image 0, then image 3
    const box = await (await page.$('canvas[data-view=x0]')).boundingBox();
    for (const f of [0.25, 0.75]) await page.click('canvas[data-view=x0]', { position: { x: box.width * f, y: box.height * f } });
    const strip = await run(page, 'interpolate');
    assertMatchesNative('mnist-interpolate', hash, backend, strip);
    const diff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    assert.ok(diff(strip.slice(0, 784), grid.slice(0, 784)) < TOLERANCE[backend], 'the strip starts at image 0');
    assert.ok(diff(strip.slice(3 * 784), grid.slice(3 * 784)) < TOLERANCE[backend], 'the strip ends at image 3');
    assert.ok(diff(strip.slice(784, 2 * 784), grid.slice(0, 784)) > 0.1, 'the strip moves');
    await page.screenshot({ path: join(ARTIFACTS, `sampler-interpolate-${backend}.png`), fullPage: true });
    // the strip is not a grid to interpolate in
    await page.click('button[name=interpolate]');
    await page.waitForFunction(() => /press Sample/.test(document.querySelector('#app .messages').textContent), null, { timeout: 10_000 });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

// WebGPU (SwiftShader here): every edit in one page, so its kernels compile once (~30 s), on a
// shorter chain: interpolation, inversion (no class chosen: the reconstruction alone),
// inpainting and SDEdit, against the native chains for the same hash.
test('on WebGPU: interpolation, inversion, inpainting and SDEdit as the native chains', async () => {
  const hash = 'model=mnist-unet-cond&sampler=dpm%2B%2B2m&steps=6&n=3&seed=2&guidance=0';
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=webgpu&${hash}`);
  await waitStatus(page, ['ready'], 180_000);
  assert.equal(await page.$eval('#app', (e) => e.dataset.backend), 'webgpu');
  await page.click('details.edit-drawing summary');
  const grid = await run(page, 'sample');
  const box = await (await page.$('canvas[data-view=x0]')).boundingBox();
  // a 2×2 layout of 3 images: image 0, then image 2 (bottom left)
  for (const [fx, fy] of [[0.25, 0.25], [0.25, 0.75]]) await page.click('canvas[data-view=x0]', { position: { x: box.width * fx, y: box.height * fy } });
  const strip = await run(page, 'interpolate');
  assertMatchesNative('mnist-webgpu-interpolate', hash, 'webgpu', strip);
  const diff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert.ok(diff(strip.slice(0, 784), grid.slice(0, 784)) < TOLERANCE.webgpu, 'the strip starts at image 0');
  assert.ok(diff(strip.slice(2 * 784), grid.slice(2 * 784)) < TOLERANCE.webgpu, 'the strip ends at image 2');
  await page.setInputFiles('input[name=edit-image]', DIGIT_3);
  await page.waitForFunction(() => /Use the followed image/.test(document.body.textContent)
    && document.querySelector('canvas.edit-pad').getContext('2d').getImageData(0, 0, 28, 28).data.some((v, i) => i % 4 === 0 && v > 200), null, { timeout: 10_000 });
  const inverted = await run(page, 'invert');
  assertMatchesNative('mnist-webgpu-invert', hash, 'webgpu', inverted);
  const source = await paintMask(page, 0.25);
  const worst = keptMoved(source, await run(page, 'inpaint'));
  assert.ok(worst < 0.01, `kept pixels moved by ${worst}`);
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-edit-webgpu.png'), fullPage: true });
  assertMatchesNative('mnist-webgpu-sdedit', hash, 'webgpu', await run(page, 'edit'));
  assert.deepEqual(errors, []);
  await page.close();
});
