// The playground as a module: it picks one of the app's two builds before fetching either and
// loads it once per document. The page's loader (Trunk.toml) calls load(); a host page mounts
// widgets itself, any number of them:
//
//   import { mount } from 'https://HOST/playground.js';
//   const handle = await mount(element, 'widget=toy2d&data=moons');  // settings as in a URL hash
//   handle.state;      // what the widget publishes for tests (also element.__playground)
//   handle.unmount();  // ends the widget and its workers
//
// scripts/trunk-cpu-build.sh fills in the file names of the two builds when it copies this file
// into dist/. The CPU-only build is loaded where the app would run on the CPU anyway: no WebGPU,
// no adapter, only a software one (unless backend=webgpu), or backend=cpu (web/src/backend.rs
// decides the same way). The first load decides for the whole document.
const BUILDS = {
  full: ['@FULL_JS@', '@FULL_WASM@'],
  cpu: ['@CPU_JS@', '@CPU_WASM@'],
};

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
    const [js, wasm] = BUILDS[build].map((f) => new URL(f, import.meta.url).href);
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
