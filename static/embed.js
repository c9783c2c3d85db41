// For pages that embed the diffusion playground in iframes: include this script once, and each
// playground iframe takes the height of its widget, growing and shrinking with it (no inner
// scroll bar, nothing cut off). Each iframe tells this page its height (web/index.html). Only a
// message from the playground's own origin (where this script came from), sent by an iframe's own
// window, resizes that iframe, and a height is clamped.
//
//   <iframe src="https://HOST/#widget=toy2d" width="100%" height="700"></iframe>
//   <script src="https://HOST/static/embed.js"></script>
(() => {
  const MAX = 20000;
  const HOME = new URL(document.currentScript?.src ?? location.href, location.href).origin;
  const frames = () => Array.from(document.querySelectorAll('iframe'));
  const origin = (f) => { try { return new URL(f.src, location.href).origin; } catch { return null; } };
  addEventListener('message', (e) => {
    if (e.origin !== HOME || e.data?.type !== 'diffusion-playground:height') return;
    const height = Number(e.data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    const f = frames().find((f) => f.contentWindow === e.source);
    if (!f) return;
    // the height is the widget's; an author's border-box sizing adds the iframe's border and padding
    const s = getComputedStyle(f);
    const extra = s.boxSizing === 'border-box'
      ? ['borderTopWidth', 'borderBottomWidth', 'paddingTop', 'paddingBottom'].reduce((a, k) => a + parseFloat(s[k] || '0'), 0)
      : 0;
    f.style.height = `${Math.min(MAX, Math.ceil(height + extra))}px`;
  });
  // playground iframes that told their height before this script ran: ask again (and on load)
  const ask = (f) => {
    try { f.contentWindow?.postMessage({ type: 'diffusion-playground:ask-height' }, HOME); } catch { /* not ours */ }
  };
  for (const f of frames().filter((f) => origin(f) === HOME)) {
    ask(f);
    f.addEventListener('load', () => ask(f));
  }
})();
