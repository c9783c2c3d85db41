// A diagnostic (not a test, not a benchmark): V8's sampling CPU profile of the page in headless
// Chromium, self time per function (wasm functions by their Rust names in the test build).
// It found the constructors wasm-ld re-ran at every JS→wasm call (web/src/lib.rs).
//
// usage: node scripts/bench/cpu-profile.mjs DIST 'widget=toy2d&backend=cpu&autoplay=1' [seconds] [warm-up s]
// (a warm-up of 0 profiles from navigation: a cold start). PROFILE=worker profiles the page's
// first Web Worker instead (the sampler's chain, the toy trainer), from the moment it starts.
import { serve } from '../../tests/e2e/serve.mjs';
import { launch } from '../../tests/e2e/browser.mjs';

const [DIST, HASH, SECONDS = '6', WARMUP = '3'] = process.argv.slice(2);
if (!HASH) throw new Error('usage: node scripts/bench/cpu-profile.mjs DIST HASH [seconds] [warm-up seconds]');
const server = await serve(DIST);
const browser = await launch({ webgpu: true });
const context = await browser.newContext();
const page = await context.newPage();
// warm-up 0: profile from navigation on (a cold start)
const pageSession = await context.newCDPSession(page);
// The worker is reached through the page's session: auto-attached (not flattened, so that its
// messages travel inside the page session's Target.sendMessageToTarget).
let client = pageSession;
if (process.env.PROFILE === 'worker') {
  let next = 0;
  const waiting = new Map();
  let workerSession;
  const attached = new Promise((ok) => pageSession.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type !== 'worker' || workerSession) return;
    workerSession = e.sessionId;
    ok();
  }));
  pageSession.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    if (m.id !== undefined && waiting.has(m.id)) {
      const [ok, fail] = waiting.get(m.id);
      waiting.delete(m.id);
      m.error ? fail(new Error(m.error.message)) : ok(m.result);
    }
  });
  client = {
    send: (method, params = {}) => new Promise((ok, fail) => {
      const id = ++next;
      waiting.set(id, [ok, fail]);
      pageSession.send('Target.sendMessageToTarget', { sessionId: workerSession, message: JSON.stringify({ id, method, params }) }).catch(fail);
    }),
  };
  await pageSession.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
  page.goto(`${server.url}#${HASH}`);
  await attached;
  await client.send('Profiler.enable');
  await client.send('Profiler.setSamplingInterval', { interval: 200 });
  if (Number(WARMUP) > 0) {
    await client.send('Runtime.runIfWaitingForDebugger');
    await page.waitForTimeout(Number(WARMUP) * 1000);
    await client.send('Profiler.start');
  } else {
    await client.send('Profiler.start');
    await client.send('Runtime.runIfWaitingForDebugger');
  }
} else {
  await client.send('Profiler.enable');
  await client.send('Profiler.setSamplingInterval', { interval: 200 });
  if (Number(WARMUP) > 0) {
    await page.goto(`${server.url}#${HASH}`);
    await page.waitForTimeout(Number(WARMUP) * 1000);
    await client.send('Profiler.start');
  } else {
    await client.send('Profiler.start');
    await page.goto(`${server.url}#${HASH}`);
  }
}
await page.waitForTimeout(Number(SECONDS) * 1000);
const { profile } = await client.send('Profiler.stop');
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const name = byId.get(id).callFrame.functionName || '(anonymous)';
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
});
console.log(`status ${await page.$eval('#app', (e) => e.dataset.status)}, step ${await page.$eval('#app', (e) => e.dataset.step)}; ${(total / 1000).toFixed(0)} ms profiled`);
for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${(t / 1000).toFixed(1).padStart(8)} ms ${(100 * t / total).toFixed(1).padStart(5)}%  ${name.slice(0, 140)}`);
}
await browser.close();
server.close();
