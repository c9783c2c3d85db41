// For pages that embed the diffusion playground in iframes: include this script once, and each
// playground iframe takes the height of its widget, growing and shrinking with it (no inner
// scroll bar, nothing cut off). Each iframe tells this page its height (web/index.html); only a
// message from an iframe's own window and origin resizes that iframe, and a height is clamped.
//
//   <iframe src="https://HOST/#widget=toy2d" width="100%" height="700"></iframe>
//   <script src="https://HOST/static/embed.js"></script>
(() => {
  const MAX = 20000;
  const frames = () => Array.from(document.querySelectorAll('iframe'));
  const origin = (f) => { try { return new URL(f.src, location.href).origin; } catch { return null; } };
  addEventListener('message', (e) => {
    if (e.data?.type !== 'diffusion-playground:height') return;
    const height = Number(e.data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    const f = frames().find((f) => f.contentWindow === e.source && origin(f) === e.origin);
    if (!f) return;
    // the height is the widget's; an author's border-box sizing adds the iframe's border and padding
    const s = getComputedStyle(f);
    const extra = s.boxSizing === 'border-box'
      ? ['borderTopWidth', 'borderBottomWidth', 'paddingTop', 'paddingBottom'].reduce((a, k) => a + parseFloat(s[k] || '0'), 0)
      : 0;
    f.style.height = `${Math.min(MAX, Math.ceil(height + extra))}px`;
  });
  // iframes that told their height before this script ran: ask again once they have loaded
  const ask = (f) => f.contentWindow?.postMessage({ type: 'diffusion-playground:ask-height' }, origin(f) ?? '*');
  for (const f of frames()) {
    ask(f);
    f.addEventListener('load', () => ask(f));
  }
})();
