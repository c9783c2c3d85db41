/// Energy distance (V-statistic, as diffusion::metrics::energy_distance) of two [n, 2] arrays.
export function energyDistance(a, b) {
  const mean = (p, q) => {
    let s = 0;
    for (let i = 0; i < p.length; i += 2) {
      for (let j = 0; j < q.length; j += 2) s += Math.hypot(p[i] - q[j], p[i + 1] - q[j + 1]);
    }
    return s / ((p.length / 2) * (q.length / 2));
  };
  return 2 * mean(a, b) - mean(a, a) - mean(b, b);
}
