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
