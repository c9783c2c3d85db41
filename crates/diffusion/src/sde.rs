//! Continuous-time forward SDEs (Song et al. 2021, score_sde's `sde_lib`): dx = f(t)·x dt + g(t) dW
//! on t ∈ [0, 1], whose marginal is x_t = α(t)·x₀ + σ(t)·ε. One trait; VP, sub-VP, VE and the seeds'
//! VE are values of it, so samplers never branch on the kind, and [`SdeKind`] is any of them as
//! one owned value.

use burn::prelude::*;

use crate::denoiser::Denoiser;
use crate::{DiffusionError, Level};

/// A linear-drift forward SDE.
pub trait Sde {
    /// The marginal's (α(t), σ(t)).
    fn level(&self, t: f64) -> Level;
    /// f(t) in the drift f(t)·x.
    fn drift(&self, t: f64) -> f64;
    /// g(t).
    fn diffusion(&self, t: f64) -> f64;
    /// Where sampling stops (t = ε > 0, where the score is still finite).
    fn t_min(&self) -> f64 {
        1e-3
    }
    /// Standard deviation of the prior x_1 ~ N(0, σ_prior²·I).
    fn prior_sigma(&self) -> f64;
}

/// The reverse-time drift at t with the model's score, f(t)·x − g(t)²·s(x, t), or with `ode` the
/// probability-flow drift f(t)·x − ½g(t)²·s(x, t); also returns the x̂₀ the model predicted.
pub fn reverse_drift<const D: usize>(
    sde: &dyn Sde,
    model: &dyn Denoiser<D>,
    x: &Tensor<D>,
    t: f64,
    ode: bool,
) -> (Tensor<D>, Tensor<D>) {
    let level = sde.level(t);
    let p = model.predict(x, t, level);
    let g2 = sde.diffusion(t).powi(2) * if ode { 0.5 } else { 1.0 };
    (x.clone() * sde.drift(t) - p.score(level) * g2, p.x0)
}

/// Variance-preserving SDE: β(t) = β_min + t(β_max − β_min), f = −β/2, g = √β (DDPM in the limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vp {
    pub beta_min: f64,
    pub beta_max: f64,
}

impl Default for Vp {
    fn default() -> Self {
        Self {
            beta_min: 0.1,
            beta_max: 20.0,
        }
    }
}

impl Vp {
    fn beta(&self, t: f64) -> f64 {
        self.beta_min + t * (self.beta_max - self.beta_min)
    }
    /// ∫₀ᵗ β(s) ds.
    fn integral(&self, t: f64) -> f64 {
        self.beta_min * t + 0.5 * t * t * (self.beta_max - self.beta_min)
    }
}

impl Sde for Vp {
    fn level(&self, t: f64) -> Level {
        let alpha = (-0.5 * self.integral(t)).exp();
        Level {
            alpha,
            sigma: (1.0 - alpha * alpha).max(0.0).sqrt(),
        }
    }
    fn drift(&self, t: f64) -> f64 {
        -0.5 * self.beta(t)
    }
    fn diffusion(&self, t: f64) -> f64 {
        self.beta(t).sqrt()
    }
    fn prior_sigma(&self) -> f64 {
        1.0
    }
}

/// Sub-VP SDE: VP's drift with g² = β(t)·(1 − e^{−2∫β}); σ(t) = 1 − e^{−∫β}.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SubVp(pub Vp);

impl Sde for SubVp {
    fn level(&self, t: f64) -> Level {
        let alpha = (-0.5 * self.0.integral(t)).exp();
        Level {
            alpha,
            sigma: 1.0 - alpha * alpha,
        }
    }
    fn drift(&self, t: f64) -> f64 {
        self.0.drift(t)
    }
    fn diffusion(&self, t: f64) -> f64 {
        (self.0.beta(t) * (1.0 - (-2.0 * self.0.integral(t)).exp()))
            .max(0.0)
            .sqrt()
    }
    fn prior_sigma(&self) -> f64 {
        1.0
    }
}

/// Variance-exploding SDE: σ(t) = σ_min·(σ_max/σ_min)^t, f = 0, g = σ(t)·√(2 ln(σ_max/σ_min)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ve {
    pub sigma_min: f64,
    pub sigma_max: f64,
}

impl Default for Ve {
    fn default() -> Self {
        Self {
            sigma_min: 0.01,
            sigma_max: 50.0,
        }
    }
}

impl Sde for Ve {
    fn level(&self, t: f64) -> Level {
        Level::ve(self.sigma_min * (self.sigma_max / self.sigma_min).powf(t))
    }
    fn drift(&self, _t: f64) -> f64 {
        0.0
    }
    fn diffusion(&self, t: f64) -> f64 {
        self.level(t).sigma * (2.0 * (self.sigma_max / self.sigma_min).ln()).sqrt()
    }
    fn t_min(&self) -> f64 {
        1e-5
    }
    fn prior_sigma(&self) -> f64 {
        self.sigma_max
    }
}

/// The seeds' VE SDE (seed 000): dx = σ^t dW, so std(t) = √((σ^{2t} − 1)/(2 ln σ)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedVe {
    pub sigma: f64,
}

impl Default for SeedVe {
    fn default() -> Self {
        Self { sigma: 25.0 }
    }
}

impl Sde for SeedVe {
    fn level(&self, t: f64) -> Level {
        Level::ve(((self.sigma.powf(2.0 * t) - 1.0) / (2.0 * self.sigma.ln())).sqrt())
    }
    fn drift(&self, _t: f64) -> f64 {
        0.0
    }
    fn diffusion(&self, t: f64) -> f64 {
        self.sigma.powf(t)
    }
    fn t_min(&self) -> f64 {
        1e-3
    }
    fn prior_sigma(&self) -> f64 {
        self.level(1.0).sigma
    }
}

/// One of the core's SDEs as an owned value: what a [`crate::Process`] holds and SDE samplers
/// keep, so a sampler borrows nothing and can be stepped across animation frames (and sent to a
/// worker) without the SDE being a `'static` borrow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SdeKind {
    Vp(Vp),
    SubVp(SubVp),
    Ve(Ve),
    SeedVe(SeedVe),
}

impl SdeKind {
    /// The SDEs by the names the CLI and the page use, each with its default parameters.
    pub fn by_name(name: &str) -> Result<Self, DiffusionError> {
        match name {
            "vp" => Ok(Self::Vp(Vp::default())),
            "subvp" | "sub-vp" => Ok(Self::SubVp(SubVp::default())),
            "ve" => Ok(Self::Ve(Ve::default())),
            "seed-ve" => Ok(Self::SeedVe(SeedVe::default())),
            other => Err(DiffusionError::Unknown {
                what: "SDE",
                name: other.into(),
                known: "vp, subvp, ve, seed-ve",
            }),
        }
    }

    /// The name [`SdeKind::by_name`] knows it by (whatever its parameters).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Vp(_) => "vp",
            Self::SubVp(_) => "subvp",
            Self::Ve(_) => "ve",
            Self::SeedVe(_) => "seed-ve",
        }
    }

    fn inner(&self) -> &dyn Sde {
        match self {
            Self::Vp(s) => s,
            Self::SubVp(s) => s,
            Self::Ve(s) => s,
            Self::SeedVe(s) => s,
        }
    }
}

impl Sde for SdeKind {
    fn level(&self, t: f64) -> Level {
        self.inner().level(t)
    }
    fn drift(&self, t: f64) -> f64 {
        self.inner().drift(t)
    }
    fn diffusion(&self, t: f64) -> f64 {
        self.inner().diffusion(t)
    }
    fn t_min(&self) -> f64 {
        self.inner().t_min()
    }
    fn prior_sigma(&self) -> f64 {
        self.inner().prior_sigma()
    }
}

impl From<Vp> for SdeKind {
    fn from(s: Vp) -> Self {
        Self::Vp(s)
    }
}

impl From<SubVp> for SdeKind {
    fn from(s: SubVp) -> Self {
        Self::SubVp(s)
    }
}

impl From<Ve> for SdeKind {
    fn from(s: Ve) -> Self {
        Self::Ve(s)
    }
}

impl From<SeedVe> for SdeKind {
    fn from(s: SeedVe) -> Self {
        Self::SeedVe(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_sdes_are_the_defaults() {
        let at = |s: &dyn Sde| {
            (
                s.level(0.5),
                s.drift(0.5),
                s.diffusion(0.5),
                s.prior_sigma(),
            )
        };
        let named = |name| SdeKind::by_name(name).unwrap();
        assert_eq!(at(&named("vp")), at(&Vp::default()));
        assert_eq!(at(&named("subvp")), at(&SubVp::default()));
        assert_eq!(at(&named("ve")), at(&Ve::default()));
        assert_eq!(at(&named("seed-ve")), at(&SeedVe::default()));
        assert_eq!(named("sub-vp").name(), "subvp");
        assert_eq!(at(&named("ve")).3, Ve::default().prior_sigma());
        assert_eq!(named("ve").t_min(), 1e-5);
        assert!(SdeKind::by_name("vpp").is_err());
    }
}
