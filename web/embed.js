// Widgets in a post's own page, as elements. One line in the post:
//
//   <script type="module" src="https://HOST/embed.js"></script>
//
// and a widget wherever it goes, with its settings in the URL-hash format:
//
//   <diffusion-widget settings="widget=sampler&model=mnist-unet-cond&class=3&hide=settings" height="640"></diffusion-widget>
//
// (`widget="sampler"` may stand apart: `<diffusion-widget widget="sampler" settings="class=3">`.)
// Each widget lives in a shadow root: the post's styles do not reach it and its own do not leak.
// It reserves `height` pixels (the Embed dialog writes the widget's height) and does nothing heavy
// (no app, no worker, no download) until it is scrolled near the viewport; then it mounts, and it
// pauses what it animates and trains while it is scrolled away. All widgets of a page share one
// app module (playground.js loads it once) and one worker of each kind (a trainer, a 2-D sampler,
// an image sampler), which works for each figure in turn; `lazy=0` in the settings mounts at once.
// scripts/trunk-cpu-build.sh fills in the stylesheet's name when it copies this file to dist/.
const STYLE = new URL('@CSS@', import.meta.url).href;
// heights to reserve when the element gives none (each widget's at a 640-pixel column)
const HEIGHTS = { mixture: 760, toy2d: 1150, sampler: 900, compare: 1400 };
const NEAR = '400px 0px';

/// The element's settings string: `settings`, with `widget` and `theme` attributes over it.
function settingsOf(el) {
  const params = new URLSearchParams((el.getAttribute('settings') ?? '').replace(/^#/, ''));
  for (const key of ['widget', 'theme']) {
    const v = el.getAttribute(key);
    if (v !== null) params.set(key, v);
  }
  // URLSearchParams writes spaces as '+', which the app reads as spaces too
  return params.toString();
}

class DiffusionWidget extends HTMLElement {
  connectedCallback() {
    if (!this.shadowRoot) {
      const shadow = this.attachShadow({ mode: 'open' });
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = STYLE;
      this.box = document.createElement('div');
      this.box.className = 'widget-host';
      shadow.append(link, this.box);
    }
    // (again) in the document, e.g. moved by the post's own script: it waits to be scrolled to
    if (this.handle || this.starting) return;
    const settings = settingsOf(this);
    const params = new URLSearchParams(settings);
    const widget = params.get('widget') ?? 'mixture';
    const height = Number(this.getAttribute('height')) || HEIGHTS[widget] || 600;
    if (!this.style.display) this.style.display = 'block';
    // the height the widget will take stands until it has laid itself out
    this.style.minHeight = `${Math.min(20000, Math.max(50, height))}px`;
    this.dataset.status = 'waiting';
    const note = document.createElement('p');
    note.className = 'lazy-note';
    note.textContent = 'This figure starts when you scroll to it.';
    this.box.replaceChildren(note);
    const start = () => this.start(settings);
    if (params.get('lazy') === '0') return void start();
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        this.observer.disconnect();
        start();
      }
    }, { rootMargin: NEAR });
    this.observer.observe(this);
  }

  async start(settings) {
    this.starting = true;
    this.dataset.status = 'loading';
    this.box.replaceChildren();
    // the reserved height goes once the widget has built itself (its status is past loading)
    const built = new MutationObserver(() => {
      if (!['loading', 'waiting'].includes(this.box.dataset.status)) {
        built.disconnect();
        this.style.minHeight = '';
      }
    });
    built.observe(this.box, { attributes: true, attributeFilter: ['data-status'] });
    try {
      const { mount } = await import('./playground.js');
      const handle = await mount(this.box, settings, { pauseOffscreen: true, shareWorkers: true });
      if (!this.isConnected) {
        // taken out of the post while the app loaded: nothing of it keeps running
        handle.unmount();
        built.disconnect();
        return;
      }
      this.handle = handle;
      this.dataset.status = 'mounted';
    } catch (err) {
      // mount() put its message in the widget already
      built.disconnect();
      this.style.minHeight = '';
      this.dataset.status = 'error';
      console.warn('diffusion-widget:', err);
    } finally {
      this.starting = false;
    }
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    this.handle?.unmount();
    this.handle = null;
  }

  /// What the widget publishes (`__playground`), for tests and the post's own scripts.
  get state() { return this.box?.__playground; }
}

if (!customElements.get('diffusion-widget')) customElements.define('diffusion-widget', DiffusionWidget);
