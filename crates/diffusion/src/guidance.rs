//! Classifier-free guidance (Ho & Salimans 2022, eq. 6): ε̄ = (1 + w)·ε(x, y) − w·ε(x, ∅). The
//! same linear combination holds for x̂₀, since both are affine in ε at a fixed (x, level).

use burn::prelude::*;

use crate::Level;
use crate::denoiser::Denoiser;
use crate::predict::Prediction;

/// A guided denoiser from a conditional and an unconditional one (usually one network called with
/// a class label and with the “no class” label).
pub struct Guided<'a, const D: usize> {
    pub cond: &'a dyn Denoiser<D>,
    pub uncond: &'a dyn Denoiser<D>,
    /// w ≥ 0; 0 is the conditional model alone.
    pub scale: f64,
}

impl<const D: usize> Denoiser<D> for Guided<'_, D> {
    fn predict(&self, x: &Tensor<D>, t: f64, level: Level) -> Prediction<D> {
        let c = self.cond.predict(x, t, level);
        if self.scale == 0.0 {
            return c;
        }
        let u = self.uncond.predict(x, t, level);
        let w = self.scale;
        Prediction {
            eps: c.eps * (1.0 + w) - u.eps * w,
            x0: c.x0 * (1.0 + w) - u.x0 * w,
        }
    }
}
