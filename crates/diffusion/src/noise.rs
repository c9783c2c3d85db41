//! Where randomness comes from. Samplers draw their Gaussian noise from a [`NoiseSource`] the
//! caller owns, so a recorded stream can be replayed ([`RecordedNoise`]) and the same seed gives the
//! same numbers on every backend (the noise is made on the host, then uploaded).

use burn::prelude::*;

use crate::DiffusionError;

/// A stream of random draws.
pub trait NoiseSource {
    /// `n` independent N(0, 1) samples.
    fn normal(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError>;
    /// `n` independent U[0, 1) samples.
    fn uniform(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError>;
}

/// A standard-normal tensor shaped like `x`, on its device.
pub fn normal_like<const D: usize>(
    x: &Tensor<D>,
    noise: &mut dyn NoiseSource,
) -> Result<Tensor<D>, DiffusionError> {
    let shape = x.shape();
    let values = noise.normal(shape.num_elements())?;
    Ok(Tensor::from_data(
        TensorData::new(values, shape),
        &x.device(),
    ))
}

/// A small, portable, seeded generator: SplitMix64 for the bits, Box–Muller for normals.
/// Identical output on every platform and in wasm.
#[derive(Debug, Clone)]
pub struct SeededNoise {
    state: u64,
    spare: Option<f64>,
}

impl SeededNoise {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea & Flood 2014).
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.next_f64(); // (0, 1]: ln is finite
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// `n` N(0, 1) draws; never fails.
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next_normal() as f32).collect()
    }

    /// `n` U[0, 1) draws; never fails.
    pub fn uniforms(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next_f64() as f32).collect()
    }
}

impl NoiseSource for SeededNoise {
    fn normal(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError> {
        Ok(self.normals(n))
    }

    fn uniform(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError> {
        Ok(self.uniforms(n))
    }
}

/// The draws of one part of a batch: `inner` draws the noise of the whole batch (`whole`
/// items), and this part keeps items `start..start + len` of every draw. A worker of the page's
/// pool samples its part of a grid this way with the noise of the grid in one piece, so the pool's
/// images are those of one worker. With `start = 0` and `len = whole` it is `inner` itself.
#[derive(Debug, Clone)]
pub struct PartNoise<S> {
    inner: S,
    whole: usize,
    start: usize,
    len: usize,
}

impl<S: NoiseSource> PartNoise<S> {
    /// Items `start..start + len` of `whole`; an empty or out-of-range part is an error.
    pub fn new(inner: S, whole: usize, start: usize, len: usize) -> Result<Self, DiffusionError> {
        if len == 0 || start.checked_add(len).is_none_or(|end| end > whole) {
            return Err(DiffusionError::Noise(format!(
                "part {start}..{} of a batch of {whole} items",
                start.saturating_add(len)
            )));
        }
        Ok(Self {
            inner,
            whole,
            start,
            len,
        })
    }

    /// All of `inner`'s draws.
    pub fn whole(inner: S, n: usize) -> Self {
        Self {
            inner,
            whole: n.max(1),
            start: 0,
            len: n.max(1),
        }
    }

    /// `n` values of this part (`n / len` per item) out of the whole batch's draw.
    fn keep(
        &mut self,
        n: usize,
        draw: impl FnOnce(&mut S, usize) -> Result<Vec<f32>, DiffusionError>,
    ) -> Result<Vec<f32>, DiffusionError> {
        if self.len == self.whole {
            return draw(&mut self.inner, n);
        }
        let per = n.div_ceil(self.len);
        let all = draw(&mut self.inner, per * self.whole)?;
        let from = self.start * per;
        Ok(all[from..from + n].to_vec())
    }
}

impl PartNoise<SeededNoise> {
    /// `n` N(0, 1) draws of this part; never fails.
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        self.keep(n, |s, m| Ok(s.normals(m))).unwrap_or_default()
    }
}

impl<S: NoiseSource> NoiseSource for PartNoise<S> {
    fn normal(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError> {
        self.keep(n, |s, m| s.normal(m))
    }

    fn uniform(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError> {
        self.keep(n, |s, m| s.uniform(m))
    }
}

/// Replays recorded Gaussian draws in order, one whole draw per request (e.g. diffusers' `noise`).
#[derive(Debug, Clone)]
pub struct RecordedNoise {
    draws: Vec<Vec<f32>>,
    next: usize,
}

impl RecordedNoise {
    pub fn new(draws: Vec<Vec<f32>>) -> Self {
        Self { draws, next: 0 }
    }

    /// How many draws were used.
    pub fn used(&self) -> usize {
        self.next
    }
}

impl NoiseSource for RecordedNoise {
    fn normal(&mut self, n: usize) -> Result<Vec<f32>, DiffusionError> {
        let draw = self.draws.get(self.next).ok_or_else(|| {
            DiffusionError::Noise(format!(
                "draw {} asked for, {} recorded",
                self.next + 1,
                self.draws.len()
            ))
        })?;
        if draw.len() != n {
            return Err(DiffusionError::Noise(format!(
                "draw {} has {} values, the sampler needs {n}",
                self.next + 1,
                draw.len()
            )));
        }
        self.next += 1;
        Ok(draw.clone())
    }

    fn uniform(&mut self, _n: usize) -> Result<Vec<f32>, DiffusionError> {
        Err(DiffusionError::Noise(
            "recorded noise holds Gaussian draws only".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of a batch, each drawing from its own copy of the seed, give the batch's draws.
    #[test]
    fn parts_are_slices_of_the_whole_batch() {
        let (whole, per) = (7, 5);
        let mut one = SeededNoise::new(3);
        let draws: Vec<Vec<f32>> = (0..3).map(|_| one.normals(whole * per)).collect();
        let uniform = one.uniforms(whole);
        let mut glued = vec![Vec::new(); 3];
        let mut glued_u = Vec::new();
        for (start, len) in [(0, 3), (3, 2), (5, 2)] {
            let mut part = PartNoise::new(SeededNoise::new(3), whole, start, len).unwrap();
            for d in glued.iter_mut() {
                d.extend(part.normal(len * per).unwrap());
            }
            glued_u.extend(part.uniform(len).unwrap());
        }
        assert_eq!(glued, draws);
        assert_eq!(glued_u, uniform);
        let mut all = PartNoise::whole(SeededNoise::new(3), whole);
        assert_eq!(all.normal(whole * per).unwrap(), draws[0]);
    }

    #[test]
    fn a_part_outside_the_batch_is_an_error() {
        for (start, len) in [(0, 0), (6, 2), (usize::MAX, 2)] {
            assert!(PartNoise::new(SeededNoise::new(1), 7, start, len).is_err());
        }
    }
}
