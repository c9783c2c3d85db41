// End-to-end: editing with a pretrained model in the page (issue 24's first page slice). A person
// opens "Edit a drawing", draws a stroke with pointer events, asks for class 7 and presses Edit:
// the chain runs from the noised drawing and our classifier reads sevens; an empty drawing is a
// warning and nothing runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { ARTIFACTS, launch, open, waitStatus, messages } from './browser.mjs';

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
