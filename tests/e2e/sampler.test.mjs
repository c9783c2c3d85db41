// End-to-end: the image sampler widget in real headless Chromium, on the CPU and on WebGPU
// (SwiftShader): sample from URLs, check through the test hook what our classifier (compiled into
// the page) reads and that the images equal the native chain's, screenshot the chain at three
// steps, the weights cache on a second visit, the downloads, and every malformed-weights case
// with its message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages, startFrameProbe, stopFrameProbe } from './browser.mjs';

const DIST = process.env.DIST ?? join(import.meta.dirname, '..', '..', 'dist');
const WEIGHTS = join(DIST, 'static', 'weights');
const BAD = join(DIST, 'test-weights');
const METRICS = join(ARTIFACTS, 'sampler-metrics.json');
let server, browser;
const metrics = {};
let manifest;

const sha = (b) => createHash('sha256').update(b).digest('hex');

// The page must compute what the native code computes: the same settings, seed and chain on
// Burn's native CPU backend (scripts/reference-chains.sh) give the final images stored here.
// Measured: 2.7e-5 on the CPU (the fixture's rounding), 9e-4 on WebGPU.
const REFERENCE = join(import.meta.dirname, 'fixtures', 'reference');
const TOLERANCE = { cpu: 1e-3, webgpu: 1e-2 };
/** Compares the page's final images with the native chain stored as fixture `name` (made by
 *  scripts/reference-chains.sh for this same hash and the shipped weights). */
function assertMatchesNative(name, hash, backend, images) {
  const ref = JSON.parse(readFileSync(join(REFERENCE, `${name}.json`), 'utf8'));
  const model = new URLSearchParams(hash).get('model');
  const entry = manifest.models.find((m) => m.id === model);
  assert.equal(ref.sha256, entry.sha256, `reference chain ${name} was made from other ${model} weights: run scripts/reference-chains.sh`);
  assert.equal(ref.hash, hash, `reference chain ${name} is for another URL: update scripts/reference-chains.sh`);
  assert.equal(images.length, ref.images.length);
  let worst = 0;
  for (let i = 0; i < images.length; i++) worst = Math.max(worst, Math.abs(images[i] - ref.images[i]));
  assert.ok(worst < TOLERANCE[backend], `the page's images differ from the native chain's by up to ${worst} on ${backend}`);
  return worst;
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `no build in ${DIST}: run scripts/test.sh (it builds dist/ with trunk)`);
  manifest = JSON.parse(readFileSync(join(WEIGHTS, 'manifest.json'), 'utf8'));
  craftBadWeights();
  server = await serve(DIST);
  browser = await launch({ webgpu: true });
});

after(async () => {
  writeFileSync(METRICS, JSON.stringify(metrics, null, 2));
  await browser?.close();
  server?.close();
  rmSync(BAD, { recursive: true, force: true });
});

/// A model list whose entries are each wrong in one way, next to the good ScoreNet.
function craftBadWeights() {
  rmSync(BAD, { recursive: true, force: true });
  mkdirSync(BAD, { recursive: true });
  const good = manifest.models.find((m) => m.id === 'mnist-scorenet-ve');
  const bytes = readFileSync(join(WEIGHTS, good.file));
  const entry = (id, file, extra = {}) => ({ ...good, id, file, ...extra });
  writeFileSync(join(BAD, 'good.safetensors'), bytes);
  writeFileSync(join(BAD, 'page.safetensors'), '<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>\n');
  writeFileSync(join(BAD, 'cut.safetensors'), bytes.subarray(0, Math.floor(bytes.length / 3)));
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 5] ^= 0x20;
  writeFileSync(join(BAD, 'tampered.safetensors'), tampered);
  const badDtype = Buffer.from(bytes);
  const at = badDtype.indexOf('"F16"');
  badDtype.write('"I16"', at);
  writeFileSync(join(BAD, 'dtype.safetensors'), badDtype);
  // the ScoreNet's (valid) file listed as a U-Net: every shape is wrong
  const unetConfig = {
    sample_size: 28, in_channels: 1, out_channels: 1, block_out_channels: [16, 32],
    layers_per_block: 1, down_block_types: ['DownBlock2D', 'AttnDownBlock2D'],
    up_block_types: ['AttnUpBlock2D', 'UpBlock2D'], norm_num_groups: 8, num_class_embeds: 11,
  };
  const models = [
    entry('good', 'good.safetensors'),
    entry('missing', 'missing.safetensors'),
    entry('page', 'page.safetensors'),
    entry('cut', 'cut.safetensors'),
    entry('tampered', 'tampered.safetensors'),
    entry('misfit', 'good.safetensors', {
      architecture: 'unet2d', config: unetConfig, conditional: true, null_class: 10,
      process: { type: 'ddpm', beta_schedule: 'linear', beta_start: 1e-4, beta_end: 0.02, num_train_timesteps: 1000 },
      prediction: 'epsilon', bytes: bytes.length, sha256: sha(bytes),
    }),
    // the right architecture with other sizes: the tensors are there, their shapes are not
    entry('shapes', 'good.safetensors', { config: { ...good.config, channels: [32, 64, 128, 128] } }),
    // a config the network cannot even be built with
    entry('config', 'good.safetensors', { config: { ...good.config, channels: [16, 32, 64, 128] } }),
    // a header that declares a dtype no model reads
    entry('dtype', 'dtype.safetensors', { bytes: badDtype.length, sha256: sha(badDtype) }),
  ];
  writeFileSync(join(BAD, 'manifest.json'), JSON.stringify({ models }, null, 2));
}

const BAD_CASES = {
  missing: /has no file .*missing\.safetensors \(HTTP 404/,
  page: /sent a web page instead of the weights file/,
  cut: /incomplete: \d+ of \d+ bytes arrived/,
  tampered: /damaged or not the one the model list names/,
  misfit: /does not fit model 'misfit'.*has no tensor 'conv_in.weight'/,
  shapes: /does not fit model 'shapes'.*has shape \[\d+(, \d+)*\] in the file, the model needs/,
  dtype: /does not fit model 'dtype'.*I16/,
  config: /model 'config' has an unusable config: .*multiple of 32/,
};

for (const [id, pattern] of Object.entries(BAD_CASES)) {
  test(`malformed weights: ${id} gets its message and the page stays usable`, async () => {
    const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=cpu&manifest=test-weights/manifest.json&model=${id}`);
    const s = await waitStatus(page, ['error', 'ready'], 60_000);
    assert.equal(s.status, 'error', `model ${id} loaded though its file is bad`);
    const m = (await messages(page)).join('\n');
    assert.match(m, pattern);
    if (id === 'tampered') {
      await page.screenshot({ path: join(ARTIFACTS, 'sampler-bad-weights.png') });
      // the page still works: pick the good model
      await page.selectOption('select[name="model"]', 'good');
      const s2 = await waitStatus(page, ['ready'], 60_000);
      assert.equal(s2.model, 'good');
    }
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    await page.close();
  });
}

test('a bad model list says so', async () => {
  writeFileSync(join(BAD, 'broken.json'), '<!doctype html><p>nothing here</p>');
  const good = manifest.models.find((m) => m.id === 'mnist-scorenet-ve');
  // a list that points at another site, or says its file is larger than a page should allocate
  writeFileSync(join(BAD, 'foreign.json'), JSON.stringify({ models: [{ ...good, file: 'https://evil.example/w.safetensors' }] }));
  writeFileSync(join(BAD, 'huge.json'), JSON.stringify({ models: [{ ...good, bytes: 3_000_000_000 }] }));
  for (const [name, pattern] of [
    ['broken.json', /HTML page, not JSON/], ['nothing.json', /HTTP 404/],
    ['foreign.json', /file “https:\/\/evil\.example\/w\.safetensors” is not a path on this site/],
    ['huge.json', /is 3000\.0 MB, more than the 1073\.7 MB a weights file may have/],
  ]) {
    const { page } = await open(browser, `${server.url}#widget=sampler&backend=cpu&manifest=test-weights/${name}`);
    await waitStatus(page, ['error'], 60_000);
    assert.match((await messages(page)).join('\n'), pattern);
    await page.close();
  }
});

/// Opens the sampler at `hash` in `context`, waits for the run, returns timings and the hook.
async function sample(context, hash, timeout = 540_000) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const t0 = Date.now();
  await page.goto(`${server.url}#widget=sampler&autorun=1&${hash}`);
  const s = await waitStatus(page, ['done', 'error'], timeout);
  const ms = Date.now() - t0;
  assert.equal(s.status, 'done', (await messages(page)).join('\n'));
  const hook = await page.evaluate(() => ({
    images: Array.from(window.__playground.images),
    shape: window.__playground.shape,
    classified: window.__playground.classified ? Array.from(window.__playground.classified) : null,
    confidence: window.__playground.confidence ? Array.from(window.__playground.confidence) : null,
    stepMs: Array.from(window.__playground.stepMs),
    totalMs: window.__playground.totalMs,
    loadMs: window.__playground.loadMs,
  }));
  return { page, s, ms, hook, errors };
}

/// Screenshots the chain at its first, middle and last step.
async function threeSteps(page, name) {
  const max = Number(await page.$eval('input[name="scrub"]', (e) => e.max));
  for (const [label, at] of [['first', 0], ['middle', Math.floor(max / 2)], ['last', max]]) {
    await page.$eval('input[name="scrub"]', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, at);
    await page.waitForFunction((v) => document.querySelector('.view-row span')?.textContent.startsWith(`step ${v + 1} `), at);
    await page.screenshot({ path: join(ARTIFACTS, `sampler-${name}-${label}.png`) });
  }
}

test('ScoreNet with the PC sampler on the CPU: digits, the chain, the cache on a second visit, downloads', async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 900, height: 1000 } });
  const hash = 'backend=cpu&model=mnist-scorenet-ve&sampler=pc&steps=100&n=16&seed=1';
  const first = await sample(context, hash);
  const { hook, s } = first;
  assert.equal(s.backend, 'cpu');
  assert.equal(s.source, 'downloaded');
  assert.deepEqual(hook.shape, [16, 1, 28, 28]);
  assert.ok(hook.images.every(Number.isFinite));
  assert.equal(hook.stepMs.length, 100);
  // an unconditional model: the classifier reads digits; most should be read with confidence
  assert.equal(hook.classified.length, 16);
  const confident = hook.confidence.filter((c) => c > 0.9).length;
  metrics.scorenet_cpu = { cold_ms: first.ms, load_ms: hook.loadMs, total_ms: hook.totalMs, per_step_ms: hook.totalMs / 100, classified: hook.classified, confident_of_16: confident };
  assert.ok(confident >= 8, `only ${confident} of 16 ScoreNet samples look like confident digits`);
  await threeSteps(first.page, 'scorenet-cpu');
  // follow one image
  const box = await first.page.$eval('canvas[data-view="xt"]', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await first.page.mouse.click(box.x + box.w * 0.1, box.y + box.h * 0.1);
  await first.page.waitForSelector('.follow:not([hidden])');
  await first.page.screenshot({ path: join(ARTIFACTS, 'sampler-scorenet-cpu-follow.png') });
  for (const [button, file] of [['download-grid', 'mnist-scorenet-ve-grid.png'], ['download-chain', 'mnist-scorenet-ve-chain.png']]) {
    const [download] = await Promise.all([first.page.waitForEvent('download'), first.page.click(`button[name="${button}"]`)]);
    assert.equal(download.suggestedFilename(), file);
    await download.saveAs(join(ARTIFACTS, `sampler-${file}`));
  }
  assert.deepEqual(first.errors, []);
  await first.page.close();
  // second visit in the same browser profile: no download, weights from Cache Storage
  const second = await sample(context, 'backend=cpu&model=mnist-scorenet-ve&sampler=pc&steps=10&n=1');
  assert.equal(second.s.source, 'cache');
  metrics.scorenet_cpu.cached_cold_start_ms_1_image_10_steps = second.ms;
  metrics.scorenet_cpu.cached_load_ms = second.hook.loadMs;
  // clearing the cache works
  await second.page.click('button[name="clear-cache"]');
  await second.page.waitForFunction(() => /cleared/.test(document.querySelector('.messages')?.textContent));
  await second.page.close();
  await context.close();
});

// WebGPU here is SwiftShader (a GPU emulated on the CPU, ~1 s per ScoreNet evaluation of one
// image, measured by scripts/bench-sampler.sh): a short chain of 4 images checks the WebGPU path.
test('ScoreNet with the PC sampler on WebGPU: the chain runs and gives finite images', async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const r = await sample(context, 'backend=webgpu&model=mnist-scorenet-ve&sampler=pc&steps=10&n=4&seed=1&hide=settings,downloads');
  assert.equal(r.s.backend, 'webgpu');
  // hide= as embeds use it
  for (const control of ['settings', 'downloads']) {
    assert.equal(await r.page.$eval(`.sampler [data-control="${control}"]`, (e) => e.hidden), true, control);
  }
  assert.equal(await r.page.$eval('.sampler [data-control="chain"]', (e) => e.hidden), false);
  assert.deepEqual(r.hook.shape, [4, 1, 28, 28]);
  assert.ok(r.hook.images.every(Number.isFinite));
  assert.equal(r.hook.stepMs.length, 10);
  assert.equal(r.hook.classified.length, 4);
  metrics.scorenet_webgpu = { cold_ms: r.ms, load_ms: r.hook.loadMs, total_ms: r.hook.totalMs, per_step_ms: r.hook.totalMs / 10, classified: r.hook.classified };
  await threeSteps(r.page, 'scorenet-webgpu');
  assert.deepEqual(r.errors, []);
  await context.close();
});

const UNET = 'mnist-unet-cond';
for (const backend of ['cpu', 'webgpu']) {
  test(`MNIST U-Net, DPM-Solver++ 10 steps, 4 images of class 3 on ${backend}: the classifier reads 3s`, { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const hash = `model=${UNET}&sampler=dpm%2B%2B2m&steps=10&n=4&class=3&guidance=2`;
    const r = await sample(context, `backend=${backend}&${hash}`);
    assert.equal(r.s.backend, backend);
    const threes = r.hook.classified.filter((c) => c === 3).length;
    const native_max_diff = assertMatchesNative(UNET, hash, backend, r.hook.images);
    metrics[`unet_${backend}`] = { cold_ms: r.ms, load_ms: r.hook.loadMs, total_ms: r.hook.totalMs, per_step_ms: r.hook.totalMs / 10, classified: r.hook.classified, native_max_diff };
    assert.ok(threes >= 3, `the classifier read ${r.hook.classified} for class 3`);
    await threeSteps(r.page, `unet-${backend}`);
    assert.deepEqual(r.errors, []);
    await context.close();
  });
}

// A chain whose frames pass the page's budget (128 MiB: 64 CIFAR-10 images × 1,000 steps) keeps one
// step in k, its last, and while sampling the newest. The test sets a budget of 3 frames
// (`__playground.frameBudget`, read when the widget starts) so a 10-step chain of 4 digits is thinned
// the same way: ceil(10 / 3) = every 4th step, so steps 1, 5, 9 and the last, 10.
test('a chain over the frame budget keeps one step in k and its last; the scrubber and the strip show those', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 900, height: 1000 } });
  const frameBytes = 2 * 4 * 28 * 28;
  await context.addInitScript((b) => { window.__playground = { frameBudget: b }; }, 3 * frameBytes);
  const r = await sample(context, `backend=cpu&model=${UNET}&sampler=dpm%2B%2B2m&steps=10&n=4&class=3&guidance=2`);
  const { page } = r;
  assert.equal(r.hook.stepMs.length, 10, 'every step is still timed');
  assert.equal(Number(await page.$eval('input[name="scrub"]', (e) => e.max)), 3);
  const labels = [];
  for (let at = 0; at <= 3; at++) {
    await page.$eval('input[name="scrub"]', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, at);
    await page.waitForFunction((v) => document.querySelector('.view-row span')?.textContent.startsWith(v), ['step 1 ', 'step 5 ', 'step 9 ', 'step 10 '][at]);
    labels.push(await page.$eval('.view-row span', (e) => e.textContent));
  }
  for (const [i, step] of [1, 5, 9, 10].entries()) {
    assert.match(labels[i], new RegExp(`^step ${step} of 10 · t = [0-9.]+ · one step in 4 kept$`));
  }
  assert.match(await page.$eval('.counter', (e) => e.textContent), /^10 steps · /);
  // the last kept step is the result: its x̂₀ canvas shows the sampled digits
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-thinned-last.png') });
  // the strip has a column per kept step: 4 × (28 + 1) + 1 pixels, drawn at 2×
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[name="download-chain"]')]);
  const file = join(ARTIFACTS, 'sampler-thinned-chain.png');
  await download.saveAs(file);
  const png = readFileSync(file);
  assert.equal(png.readUInt32BE(16), 2 * (4 * 29 + 1), 'strip width');
  assert.equal(png.readUInt32BE(20), 2 * (8 * 29 + 1), 'strip height: 4 images × (x_t, x̂₀)');
  assert.deepEqual(r.errors, []);
  await context.close();
});

// A person's own diffusers UNet2DModel, from files picked in the page: the fixtures' tiny
// class-conditional checkpoint from diffusers 0.42.1 (3×16×16, random weights, so its samples are
// noise; its outputs equal diffusers' within 1e-4 natively, crates/models/tests/unet_parity.rs,
// and the page runs the same zoo code as the native chain). A wrong pick is said, and the model
// already open stays; weights that do not fit their config are refused with the tensor named.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'diffusers');
test('your own diffusers UNet2DModel from files: a wrong pick is said, a good one samples', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=cpu&model=${UNET}&sampler=dpm%2B%2B2m&steps=4&n=4`);
  await waitStatus(page, ['ready'], 120_000);
  await page.click('details.own-model summary');
  const input = 'input[name="own-files"]';
  // only the config: nothing is opened, the shipped model stays ready
  await page.setInputFiles(input, [join(FIXTURES, 'unet_tiny_class_config.json')]);
  await page.waitForFunction(() => /Your model could not be opened: no \.safetensors file is among them/.test(document.querySelector('#app .messages').textContent));
  assert.deepEqual(await page.$eval('#app', (e) => [e.dataset.status, e.dataset.model]), ['ready', UNET]);
  // config and weights: the model is opened from the files, listed and chosen
  const own = 'own: unet_tiny_class.safetensors';
  await page.setInputFiles(input, [join(FIXTURES, 'unet_tiny_class_config.json'), join(FIXTURES, 'unet_tiny_class.safetensors')]);
  await page.waitForFunction((id) => document.querySelector('#app').dataset.model === id, own);
  const s = await waitStatus(page, ['ready', 'error'], 60_000);
  assert.equal(s.status, 'ready', (await messages(page)).join('\n'));
  assert.equal(s.source, 'local');
  assert.equal(await page.$eval('select[name="model"]', (e) => e.value), own);
  assert.match(await page.$eval('#app .messages', (e) => e.textContent), /Opened your model unet_tiny_class\.safetensors \([0-9]+ parameters, F32/);
  // nine classes (the tenth row is "no class") in the class list, besides "every class" and "none"
  assert.equal(await page.$$eval('select[name="class"] option', (o) => o.length), 11);
  await page.click('button[name="sample"]');
  const done = await waitStatus(page, ['done', 'error'], 120_000);
  assert.equal(done.status, 'done', (await messages(page)).join('\n'));
  const hook = await page.evaluate(() => ({ shape: window.__playground.shape, images: Array.from(window.__playground.images) }));
  assert.deepEqual(hook.shape, [4, 3, 16, 16]);
  assert.ok(hook.images.every(Number.isFinite));
  // the same files, settings and seed natively (scripts/reference-chains.sh): the same images
  const ref = JSON.parse(readFileSync(join(REFERENCE, 'own-unet-tiny-class.json'), 'utf8'));
  assert.equal(ref.model, own);
  assert.deepEqual(ref.shape, hook.shape);
  let worst = 0;
  for (let i = 0; i < hook.images.length; i++) worst = Math.max(worst, Math.abs(hook.images[i] - ref.images[i]));
  metrics.own_model_cpu = { native_max_diff: worst, unsaturated_values: ref.images.filter((v) => Math.abs(v) < 0.999).length };
  assert.ok(worst < TOLERANCE.cpu, `the page's images differ from the native chain's by up to ${worst}`);
  assert.match(await page.$eval('.model-card', (e) => e.textContent), /your own model, opened from your files/);
  // a link cannot open a person's files: the URL leaves the model out
  assert.doesNotMatch(await page.evaluate(() => decodeURIComponent(location.hash)), /own/);
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-own-model.png'), fullPage: true });
  // an unconditional model whose scheduler config says it predicts v: opened and sampled as such
  const scheduler = { name: 'scheduler_config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ _class_name: 'DDIMScheduler', beta_schedule: 'squaredcos_cap_v2', prediction_type: 'v_prediction' })) };
  const asBuffer = (name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(FIXTURES, name)) });
  await page.setInputFiles(input, [asBuffer('unet_tiny_config.json'), asBuffer('unet_tiny.safetensors'), scheduler]);
  await page.waitForFunction(() => document.querySelector('#app').dataset.model === 'own: unet_tiny.safetensors');
  assert.equal((await waitStatus(page, ['ready', 'error'], 60_000)).status, 'ready', (await messages(page)).join('\n'));
  await page.click('button[name="sample"]');
  assert.equal((await waitStatus(page, ['done', 'error'], 120_000)).status, 'done', (await messages(page)).join('\n'));
  const v = await page.evaluate(() => ({ shape: window.__playground.shape, images: Array.from(window.__playground.images) }));
  assert.deepEqual(v.shape, [4, 3, 16, 16]);
  assert.ok(v.images.every(Number.isFinite));
  // the class model's weights under the unconditional config: refused with the tensor named, the
  // entry leaves the list, and the default model opens
  await page.setInputFiles(input, [join(FIXTURES, 'unet_tiny_config.json'), join(FIXTURES, 'unet_tiny_class.safetensors')]);
  await page.waitForFunction(() => /class_embedding.*The default model opens instead/.test(document.querySelector('#app .messages').textContent), null, { timeout: 60_000 });
  await page.waitForFunction((id) => document.querySelector('#app').dataset.model === id, manifest.default ?? UNET);
  assert.equal((await waitStatus(page, ['ready'], 60_000)).model, manifest.default ?? UNET);
  assert.deepEqual(await page.$$eval('select[name="model"] option', (o) => o.map((x) => x.value).filter((v) => v.startsWith('own'))), []);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.close();
});

// The same own model on WebGPU (SwiftShader here): the page's chain equals the native one within
// the WebGPU tolerance.
test('your own diffusers UNet2DModel on WebGPU: the native chain\'s images', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=webgpu&model=${UNET}&sampler=dpm%2B%2B2m&steps=4&n=4`);
  await waitStatus(page, ['ready'], 180_000);
  assert.equal(await page.$eval('#app', (e) => e.dataset.backend), 'webgpu');
  await page.click('details.own-model summary');
  await page.setInputFiles('input[name="own-files"]', [join(FIXTURES, 'unet_tiny_class_config.json'), join(FIXTURES, 'unet_tiny_class.safetensors')]);
  await page.waitForFunction(() => document.querySelector('#app').dataset.model === 'own: unet_tiny_class.safetensors');
  assert.equal((await waitStatus(page, ['ready', 'error'], 120_000)).status, 'ready', (await messages(page)).join('\n'));
  await page.click('button[name="sample"]');
  assert.equal((await waitStatus(page, ['done', 'error'], 300_000)).status, 'done', (await messages(page)).join('\n'));
  const images = await page.evaluate(() => Array.from(window.__playground.images));
  const ref = JSON.parse(readFileSync(join(REFERENCE, 'own-unet-tiny-class.json'), 'utf8'));
  let worst = 0;
  for (let i = 0; i < images.length; i++) worst = Math.max(worst, Math.abs(images[i] - ref.images[i]));
  metrics.own_model_webgpu = { native_max_diff: worst };
  assert.ok(worst < TOLERANCE.webgpu, `the page's images differ from the native chain's by up to ${worst} on WebGPU`);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.close();
});

// The chain runs in a Web Worker: a CPU step of the MNIST U-Net at 16 images takes ~0.7 s, and
// the page must go on drawing frames meanwhile (it held the page for the whole step before). A
// worker that dies (Burn's WebGPU runtime panics on a GPU out-of-memory error; here the test hook
// makes it panic) is reported, replaced, and the model loaded again; what was sampled stays.
test('the chain runs in a worker: slow CPU steps do not hold the page, and a crashed worker is replaced', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=cpu&model=${UNET}&sampler=dpm%2B%2B2m&steps=8&n=16&class=1&guidance=2`);
  await waitStatus(page, ['ready'], 60_000);
  await page.click('button[name="sample"]');
  await page.waitForFunction(() => Number(document.querySelector('#app').dataset.step) >= 1, null, { timeout: 120_000 });
  await startFrameProbe(page);
  await page.waitForFunction(() => Number(document.querySelector('#app').dataset.step) >= 4, null, { timeout: 120_000, polling: 100 });
  const frames = await stopFrameProbe(page);
  const stepMs = await page.evaluate(() => document.querySelector('.counter')?.textContent);
  const longest = await page.evaluate(() => Math.max(...window.__frames));
  metrics.worker = { ...frames, longest_frame_ms: longest, counter: stepMs };
  // one frame per step would mean ~700 ms frames: the page draws at least ~10 per second
  assert.ok(frames.median_ms < 50, `median frame ${frames.median_ms} ms while the worker samples`);
  assert.ok(longest < 400, `a frame of ${longest} ms while the worker samples`);
  // on the CPU a pool of one worker per core samples the grid
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.$eval('#app', (e) => e.dataset.workers), String(Math.min(8, cores)));
  // the worker dies mid-chain
  const before = Number(await page.$eval('#app', (e) => e.dataset.step));
  await page.evaluate(() => window.__playground.crashWorker());
  await page.waitForFunction(() => /The sampler stopped while sampling/.test(document.querySelector('#app .messages')?.textContent), null, { timeout: 60_000 });
  const s = await waitStatus(page, ['ready'], 60_000);
  assert.equal(s.model, UNET);
  const said = (await messages(page)).join('\n');
  assert.match(said, /A new worker is loading the model again/);
  // after a death the pool is one worker, and says so
  assert.equal(s.workers, '1');
  if (cores > 1) assert.match(said, new RegExp(`A worker of the sampler's pool of ${Math.min(8, cores)} stopped: the sampler now runs in one worker\\.`));
  // one message for one crash (the dead worker's error event is not a second one)
  assert.equal(said.match(/The sampler stopped/g).length, 1, said);
  // the steps sampled before the crash are still on the page
  assert.ok(Number(s.step) >= before, `step ${s.step} after the crash, ${before} before`);
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-worker-crashed.png') });
  // and the new worker samples
  await page.click('button[name="sample"]');
  const done = await waitStatus(page, ['done', 'error'], 120_000);
  assert.equal(done.status, 'done', (await messages(page)).join('\n'));
  assert.equal(done.step, '8');
  assert.deepEqual(errors.filter((e) => !/crash asked for by a test|worker stopped on an internal error|RuntimeError|unreachable/.test(e)), []);
  await page.close();
});

// The pool (one worker per core on the CPU) splits a grid: its images are those of one worker,
// for a sampler that draws no noise as it steps and for one that does (each part draws the
// grid's noise and keeps its own), with 5 images on 2 workers (parts of 3 and 2). One guided
// image splits by the halves of its guided batch instead (each worker runs the network on one
// half and passes it straight to the other; samplers that call the network several times a
// step are the native test's, `halves_`: the MNIST U-Net's samplers call it once). A
// machine that reports one core samples in one worker, and the page says so.
test('the pool of workers gives the images of one worker, and one core is one worker with a note', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  for (const [sampler, n] of [['dpm%2B%2B2m', 5], ['ddpm', 5], ['dpm%2B%2B2m', 1], ['heun', 1]]) {
    const hash = `#widget=sampler&backend=cpu&autorun=1&model=${UNET}&sampler=${sampler}&steps=6&n=${n}&class=mixed&guidance=2`;
    const got = [];
    for (const cores of [1, 2]) {
      const { page, errors } = await open(browser, `${server.url}${hash}`, { cores });
      const s = await waitStatus(page, ['done', 'error'], 120_000);
      const said = (await messages(page)).join('\n');
      assert.equal(s.status, 'done', said);
      assert.equal(s.workers, String(cores));
      assert.equal(s.split, cores === 1 ? 'whole' : n === 1 ? 'halves' : 'parts');
      if (cores === 1) assert.match(said, /This device reports one core: the sampler runs in one worker\./);
      else assert.doesNotMatch(said, /one core/);
      got.push(await page.evaluate(() => Array.from(window.__playground.images)));
      assert.deepEqual(errors, []);
      await page.close();
    }
    assert.equal(got[0].length, n * 28 * 28);
    const diff = got[0].reduce((m, v, i) => Math.max(m, Math.abs(v - got[1][i])), 0);
    metrics[`pool_${sampler}_n${n}`] = { max_abs_diff: diff };
    // parts run each image as one worker does, to the last bit; halves run the network at batch
    // 1 where one worker runs it at batch 2, and the matrix products round differently by size,
    // which a chain carries on (seen: 1.0e-5 after 6 DPM-Solver++ steps, 9.3e-5 after 6 Heun
    // steps): the tolerance of the page against the native chains, where a
    // swapped or lost half is off by tenths
    const tolerance = n === 1 ? 1e-3 : 1e-5;
    assert.ok(diff < tolerance, `${sampler}, ${n} image(s): the pool's images differ from one worker's by ${diff}`);
  }
});

// The GPU's two faults, one after the other, on one page:
// - out of memory for real: a batch of 32,768 images (past the page's limit of 64, through the
//   test hook) needs a 3.3 GB buffer where SwiftShader allows 1 GiB. The page says the GPU ran
//   out of memory and what to do; the worker and its device live on, and the next chain is the
//   native reference's;
// - the device lost in the middle of a chain (a driver reset; here the test hook calls
//   GPUDevice.destroy() on the worker's device): the page says so, a new worker opens a new
//   device and loads the model again, the steps already shown stay, and the next chain is the
//   same as a first one.
test('on WebGPU, out of memory and a lost device: each said, the steps shown stay, and the next chain is right', { skip: !existsSync(join(WEIGHTS, `${UNET}.safetensors`)) && `no ${UNET} weights shipped yet` }, async () => {
  // a short chain of one image (SwiftShader runs the U-Net slowly): the device goes after step 2
  const hash = `model=${UNET}&sampler=dpm%2B%2B2m&steps=6&n=1&class=3&guidance=0`;
  const { page, errors } = await open(browser, `${server.url}#widget=sampler&backend=webgpu&${hash}`);
  await waitStatus(page, ['ready'], 180_000);
  assert.equal(await page.$eval('#app', (e) => e.dataset.backend), 'webgpu');
  await page.evaluate(() => window.__playground.hugeBatch());
  const oom = await waitStatus(page, ['error'], 180_000);
  const oomSaid = (await messages(page)).join('\n');
  assert.match(oomSaid, /Sampling stopped: the GPU ran out of memory \(a buffer of \d+ MB did not fit\); fewer images, or the CPU \(#backend=cpu\), will fit\./);
  assert.equal(oom.backend, 'webgpu');
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-out-of-memory.png') });
  await page.click('button[name="sample"]');
  // the status was `error` before the click: wait for the new chain to leave it first
  await page.waitForFunction(() => document.querySelector('#app').dataset.status !== 'error', null, { timeout: 60_000, polling: 20 });
  const after = await waitStatus(page, ['done', 'error'], 180_000);
  assert.equal(after.status, 'done', (await messages(page)).join('\n'));
  assertMatchesNative(`${UNET}-short`, hash, 'webgpu', await page.evaluate(() => Array.from(window.__playground.images)));
  await page.click('button[name="sample"]');
  await page.waitForFunction(() => { const d = document.querySelector('#app').dataset; return d.status === 'sampling' && Number(d.step) >= 2; }, null, { timeout: 180_000, polling: 50 });
  await page.evaluate(() => window.__playground.loseDevice());
  await page.waitForFunction(() => /the GPU device was lost/.test(document.querySelector('#app .messages')?.textContent), null, { timeout: 60_000 });
  const before = Number(await page.$eval('#app', (e) => e.dataset.step));
  const s = await waitStatus(page, ['ready'], 180_000);
  const said = (await messages(page)).join('\n');
  assert.match(said, /The sampler stopped while sampling: the GPU device was lost \(destroyed: .*\)\. A new worker opens a new device and loads the model again\. The steps already shown stay\./);
  assert.ok(Number(s.step) >= before && before >= 2, `step ${s.step} after the loss, ${before} before`);
  await page.screenshot({ path: join(ARTIFACTS, 'sampler-device-lost.png') });
  // the new worker's device samples what a first chain gives: the native reference
  await page.click('button[name="sample"]');
  const done = await waitStatus(page, ['done', 'error'], 180_000);
  assert.equal(done.status, 'done', (await messages(page)).join('\n'));
  assertMatchesNative(`${UNET}-short`, hash, 'webgpu', await page.evaluate(() => Array.from(window.__playground.images)));
  assert.deepEqual(errors.filter((e) => !/GPU device was lost|RuntimeError|unreachable/.test(e)), []);
  await page.close();
});

// CIFAR-10 (3 channels, 32×32): no classifier of ours reads these. The page must give the native
// chain's images (the figures of quality are the native Inception FID in the manifest), in
// colour and far from the starting noise, on both backends. Screenshots of three steps are
// looked at.
const CIFAR = 'cifar10-unet-cond';
/** Mean |difference| of horizontally neighbouring pixels, and mean spread between channels. */
function imageStats(images, [n, c, h, w]) {
  let grad = 0, spread = 0;
  const at = (i, ch, y, x) => images[((i * c + ch) * h + y) * w + x];
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) if (x + 1 < w) grad += Math.abs(at(i, ch, y, x + 1) - at(i, ch, y, x));
        spread += Math.abs(at(i, 0, y, x) - at(i, 1, y, x)) + Math.abs(at(i, 1, y, x) - at(i, 2, y, x));
      }
    }
  }
  return { grad: grad / (n * c * h * (w - 1)), spread: spread / (2 * n * h * w) };
}
// On WebGPU a short, unguided chain: SwiftShader emulates the GPU at ~14 s per evaluation of this
// 6.8 M-parameter U-Net on one image, after ~30 s of kernel compilation (measured), against ~2 s
// per guided step for four images on the CPU backend.
for (const [backend, n, steps, w, fixture] of [['cpu', 4, 10, 1, CIFAR], ['webgpu', 1, 3, 0, `${CIFAR}-short`]]) {
  test(`CIFAR-10 U-Net, DPM-Solver++ ${steps} steps, guidance ${w}, ${n} image(s) of class 7 (horse) on ${backend}: the native chain's images, in colour`, { skip: !existsSync(join(WEIGHTS, `${CIFAR}.safetensors`)) && `no ${CIFAR} weights shipped yet` }, async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const hash = `model=${CIFAR}&sampler=dpm%2B%2B2m&steps=${steps}&n=${n}&class=7&guidance=${w}`;
    const r = await sample(context, `backend=${backend}&${hash}`);
    assert.equal(r.s.backend, backend);
    assert.deepEqual(r.hook.shape, [n, 3, 32, 32]);
    assert.ok(r.hook.images.every((v) => Number.isFinite(v) && Math.abs(v) <= 1.0001));
    const stats = imageStats(r.hook.images, r.hook.shape);
    const native_max_diff = assertMatchesNative(fixture, hash, backend, r.hook.images);
    metrics[`cifar_${backend}`] = { cold_ms: r.ms, load_ms: r.hook.loadMs, total_ms: r.hook.totalMs, per_step_ms: r.hook.totalMs / steps, native_max_diff, ...stats };
    // colour, and far from the starting noise (N(0, 1) clipped to [−1, 1]: neighbouring pixels
    // differ by ~0.9 on average)
    assert.ok(stats.grad < 0.6, `neighbouring pixels differ by ${stats.grad} on average: noise, not images`);
    assert.ok(stats.spread > 0.01, `channels differ by only ${stats.spread}: grey, not colour`);
    // the page names the class picked
    assert.equal(await r.page.$eval('select[name="class"]', (s) => s.selectedOptions[0].textContent), 'horse');
    await threeSteps(r.page, `cifar-${backend}`);
    assert.deepEqual(r.errors, []);
    await context.close();
  });
}
