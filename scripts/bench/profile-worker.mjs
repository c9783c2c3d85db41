// Where a chain worker's time goes (not a test): V8's sampling profiler on the sampler's chain
// worker, through the Chrome DevTools Protocol (the page's session attaches to its workers), over
// the second half of a CPU chain in one worker. Prints the functions with the most self time
// (wasm functions by the names in the module's name section) and their share.
//   node scripts/bench/profile-worker.mjs DIST MODEL N [STEPS]     (TOP, default 25)
import { serve } from '../../tests/e2e/serve.mjs';
import { launch } from '../../tests/e2e/browser.mjs';

const [dist, model, n, steps = '20'] = process.argv.slice(2);
const TOP = Number(process.env.TOP ?? 25);
const server = await serve(dist);
const browser = await launch({ webgpu: false });
try {
  const page = await browser.newPage();
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 1 }));
  const cdp = await page.context().newCDPSession(page);
  // workers: attached through the page's session, spoken to by messages wrapped for their target
  const workers = [];
  let id = 0;
  const pending = new Map();
  cdp.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') workers.push(e.sessionId); });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
  });
  const send = (sessionId, method, params = {}) => new Promise((resolve) => {
    const mid = ++id;
    pending.set(mid, resolve);
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: mid, method, params }) });
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  await page.goto(`${server.url}#widget=sampler&backend=cpu&autorun=1&model=${model}&n=${n}&steps=${steps}&sampler=dpm%2B%2B2m&guidance=2&class=mixed`);
  const step = () => page.evaluate(() => Number(document.querySelector('#app')?.dataset.step ?? 0));
  await page.waitForFunction((k) => Number(document.querySelector('#app')?.dataset.step ?? 0) >= k, Math.floor(steps / 2), { timeout: 600_000, polling: 10 });
  // the chain's worker: the last one attached (the page may start others and end them)
  const sessions = [...workers];
  for (const s of sessions) { await send(s, 'Profiler.enable'); await send(s, 'Profiler.setSamplingInterval', { interval: 200 }); await send(s, 'Profiler.start'); }
  const from = await step();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#app')?.dataset.status), null, { timeout: 600_000, polling: 20 });
  const to = await step();
  let best = null;
  for (const s of sessions) {
    const { result } = await send(s, 'Profiler.stop');
    const total = result.profile.samples.length;
    if (!best || total > best.total) best = { profile: result.profile, total };
  }
  const { profile } = best;
  const self = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  let busy = 0;
  for (const [nid, c] of counts) {
    const f = byId.get(nid).callFrame;
    const name = f.functionName || `(${f.url.split('/').pop() || 'anonymous'})`;
    if (name === '(idle)' || name === '(program)') continue;
    busy += c;
    self.set(name, (self.get(name) ?? 0) + c);
  }
  console.log(`${model} n=${n}: steps ${from}–${to}, ${busy} busy samples of ${best.total}`);
  for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${(100 * c / busy).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
  }
} finally {
  await browser.close();
  server.close();
}
