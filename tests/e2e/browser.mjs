// Headless Debian Chromium driven by playwright-core (no browser download), with WebGPU through
// SwiftShader, and helpers the page tests share.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export async function launch({ webgpu = true } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/// Opens `url` in a fresh page, recording console errors and uncaught exceptions.
/// `cores`: what navigator.hardwareConcurrency says in the page (the sampler's pool has a worker
/// per core on the CPU).
export async function open(browser, url, { hideWebGpu = false, cores = null } = {}) {
  const page = await browser.newPage({ viewport: { width: 640, height: 860 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (hideWebGpu) {
    // a browser without WebGPU: navigator.gpu is simply absent
    await page.addInitScript(() => { delete Object.getPrototypeOf(navigator).gpu; });
  }
  if (cores) {
    await page.addInitScript((c) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => c }), cores);
  }
  const t0 = Date.now();
  await page.goto(url);
  return { page, errors, t0 };
}

/// Waits until the widget root's data-status is one of `states`; returns it.
export async function waitStatus(page, states, timeout = 300_000) {
  await page.waitForFunction(
    (s) => s.includes(document.querySelector('#app')?.dataset.status),
    states,
    { timeout, polling: 100 },
  );
  return page.$eval('#app', (e) => ({ ...e.dataset }));
}

export async function messages(page) {
  return page.$$eval('#app .message', (ms) => ms.map((m) => `${m.className}: ${m.textContent}`));
}

/// Records requestAnimationFrame intervals from now on (independent of the app's own loop).
export async function startFrameProbe(page) {
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => { window.__frames.push(now - last); last = now; window.__frameProbe = requestAnimationFrame(tick); };
    window.__frameProbe = requestAnimationFrame(tick);
  });
}

export async function stopFrameProbe(page) {
  const frames = await page.evaluate(() => { cancelAnimationFrame(window.__frameProbe); return window.__frames; });
  const sorted = [...frames].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { frames: frames.length, median_ms: median, fps: 1000 / median, p90_ms: sorted[Math.floor(sorted.length * 0.9)] };
}
