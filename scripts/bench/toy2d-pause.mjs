// A diagnostic (not a test): how long the 2-D trainer's page stops answering while it samples,
// by network size. For each width × depth × points it opens the widget on the CPU, presses Step
// (one training step, then the page samples from the EMA weights), waits for the first chain to
// finish and prints the sampling wall time and the longest gap between animation frames.
//
// usage: node scripts/bench/toy2d-pause.mjs DIST ['W×D×N ...'] (default: 128x3x1000 512x8x5000 1024x8x5000)
import { serve } from '../../tests/e2e/serve.mjs';
import { launch, open, waitStatus, startFrameProbe } from '../../tests/e2e/browser.mjs';

const [DIST, SIZES = '128x3x1000 512x8x5000 1024x8x5000'] = process.argv.slice(2);
if (!DIST) throw new Error('usage: node scripts/bench/toy2d-pause.mjs DIST [sizes]');
const server = await serve(DIST);
const browser = await launch({ webgpu: false });
for (const size of SIZES.split(/\s+/)) {
  const [w, d, n] = size.split('x').map(Number);
  const hash = `#widget=toy2d&backend=cpu&width=${w}&depth=${d}&n=${n}&steps=20`;
  const { page } = await open(browser, `${server.url}${hash}`, { hideWebGpu: true });
  await waitStatus(page, ['ready'], 120_000);
  await startFrameProbe(page);
  const t0 = Date.now();
  await page.click('button[name="step"]');
  await page.waitForFunction(() => window.__playground?.sampleStep >= 1, null, { timeout: 600_000, polling: 200 });
  const frames = await page.evaluate(() => window.__frames);
  console.log(JSON.stringify({
    width: w, depth: d, points: n, ddim_steps: 20, sampling_wall_ms: Date.now() - t0,
    longest_frame_ms: Math.round(Math.max(...frames)), frames: frames.length,
  }));
  await page.close();
}
await browser.close();
server.close();
