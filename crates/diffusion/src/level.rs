//! Noise levels. Every process writes its noised sample as x_t = α·x₀ + σ·ε; a [`Level`] is that
//! pair, which is all a denoiser needs to turn one prediction into another.

/// The signal scale α and noise standard deviation σ of x_t = α·x₀ + σ·ε.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub alpha: f64,
    pub sigma: f64,
}

impl Level {
    /// Variance-preserving level of cumulative ᾱ: α = √ᾱ, σ = √(1−ᾱ).
    pub fn vp(alpha_bar: f64) -> Self {
        Self {
            alpha: alpha_bar.sqrt(),
            sigma: (1.0 - alpha_bar).sqrt(),
        }
    }

    /// Variance-exploding level: α = 1.
    pub fn ve(sigma: f64) -> Self {
        Self { alpha: 1.0, sigma }
    }

    /// The VP level whose noise-to-signal ratio σ/α is `sigma_tilde` (k-diffusion's σ).
    pub fn vp_from_sigma(sigma_tilde: f64) -> Self {
        let alpha = 1.0 / (1.0 + sigma_tilde * sigma_tilde).sqrt();
        Self {
            alpha,
            sigma: sigma_tilde * alpha,
        }
    }

    /// ᾱ = α² / (α² + σ²): the VP ᾱ with the same signal-to-noise ratio.
    pub fn alpha_bar(&self) -> f64 {
        let a2 = self.alpha * self.alpha;
        a2 / (a2 + self.sigma * self.sigma)
    }

    /// σ/α.
    pub fn sigma_tilde(&self) -> f64 {
        self.sigma / self.alpha
    }
}
