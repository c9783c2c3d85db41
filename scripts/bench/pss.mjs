// Memory of a Chromium that a script launched: the sum of PSS (MiB) over the browser process whose
// command line carries `mark` and its descendants, of one `type` (renderer, gpu-process, …) or
// all. Shared by scripts/bench/embed-budget.mjs and scripts/soak.mjs.
import { readdirSync, readFileSync } from 'node:fs';

export function pss(mark, type = 'all') {
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1];
      procs.set(pid, { cmd, ppid });
    } catch { /* gone */ }
  }
  const root = [...procs].find(([, p]) => p.cmd.includes(mark) && !p.cmd.includes('--type='))?.[0];
  const ours = (pid) => { for (let p = pid; p && p !== '1'; p = procs.get(p)?.ppid) if (p === root) return true; return false; };
  let kib = 0;
  for (const [pid, { cmd }] of procs) {
    if (!root || !ours(pid)) continue;
    if (type !== 'all' && !cmd.includes(`--type=${type}`)) continue;
    try {
      const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m);
      kib += Number(m?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return kib / 1024;
}
