// The playground as a module: it picks one of the app's builds before fetching any and loads it
// once per document. The page's loader (Trunk.toml) calls load(); a host page mounts
// widgets itself, any number of them:
//
//   import { mount } from 'https://HOST/playground.js';
//   const handle = await mount(element, 'widget=toy2d&data=moons');  // settings as in a URL hash
//   handle.state;      // what the widget publishes for tests (also element.__playground)
//   handle.unmount();  // ends the widget and its workers
//
// scripts/trunk-cpu-build.sh fills in the file names of the builds when it copies this file into
// dist/. The CPU-only build is loaded where the app would run on the CPU anyway: no WebGPU, no
// adapter, only a software one (unless backend=webgpu), or backend=cpu (web/src/backend.rs
// decides the same way). It comes in two: with relaxed SIMD's fused multiply-add in the
// convolution (about a quarter faster on CIFAR-10, docs/performance.md) where the browser
// validates relaxed SIMD, plain SIMD128 elsewhere (a module with an instruction the browser lacks
// does not load at all). The first load decides for the whole document.
const BUILDS = {
  full: ['@FULL_JS@', '@FULL_WASM@'],
  cpu: ['@CPU_JS@', '@CPU_WASM@'],
  'cpu-relaxed': ['@RELAXED_JS@', '@RELAXED_WASM@'],
};

/// A function returning f32x4.relaxed_madd of its v128 argument with itself twice: valid only
/// where the browser has relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, // types: (v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x00, 0x20, 0x00, // local.get 0, three times
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
]);

/// Whether this browser has relaxed SIMD (false where the check itself fails).
function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

let loading = null;

/// The build the app needs for `backend` (auto, webgpu or cpu).
async function pick(backend) {
  if (!navigator.gpu || backend === 'cpu') return 'cpu';
  if (backend === 'webgpu') return 'full';
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  const software = (adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter) === true;
  return !adapter || software ? 'cpu' : 'full';
}

/// Loads the app (once): its module, with `mount`.
export function load(backend = 'auto') {
  loading ??= (async () => {
    const build = await pick(backend);
    document.documentElement.dataset.build = build;
    // which of the two CPU-only builds: `relaxed` or `simd128`
    const relaxed = build === 'cpu' && hasRelaxedSimd();
    if (build === 'cpu') document.documentElement.dataset.simd = relaxed ? 'relaxed' : 'simd128';
    const [js, wasm] = BUILDS[relaxed ? 'cpu-relaxed' : build].map((f) => new URL(f, import.meta.url).href);
    const app = await import(js);
    await app.default({ module_or_path: wasm });
    return app;
  })();
  // a failed load is not kept: a later call tries again
  loading.catch(() => { loading = null; });
  return loading;
}

/// Mounts the widget `settings` names (`widget=…&…`, the URL-hash format) on `element`.
/// `options.pauseOffscreen`: the widget pauses its animation and training while scrolled away.
/// If the app cannot be loaded, the element says so (`data-status="error"`) and the promise
/// rejects.
export async function mount(element, settings = '', options = {}) {
  const backend = new URLSearchParams(settings.replace(/^#/, '')).get('backend') ?? 'auto';
  try {
    const app = await load(backend);
    return app.mount(element, settings, options);
  } catch (err) {
    const p = document.createElement('p');
    p.className = 'message error';
    p.textContent = `The playground could not be loaded (${err}). Reload the page to try again.`;
    element.replaceChildren(p);
    element.dataset.status = 'error';
    throw err;
  }
}

/// Mounts a widget on every element under `root` that has a `data-playground` attribute, whose
/// value is the widget's settings (`<div data-playground="widget=toy2d&data=moons"></div>`).
export async function mountAll(root = document) {
  const elements = [...root.querySelectorAll('[data-playground]')];
  return Promise.all(elements.map((e) => mount(e, e.dataset.playground)));
}
