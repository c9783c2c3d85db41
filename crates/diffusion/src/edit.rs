//! Editing with a trained model, written once over any [`Process`] and [`Denoiser`]: a path of
//! process times walked by a DDIM-type step (α' x̂₀ + σ' ε̂, exact for every process since each
//! writes x_t = α·x₀ + σ·ε), which gives
//! - SDEdit (Meng et al. 2022): noise an image to a time with q(x_t | x₀) ([`noised`]) and walk
//!   the path down from there ([`PathSampler`], deterministic or with η);
//! - inversion: the same step taken up the path ([`Inversion`]), from an image to its x_T, and
//!   back down to the image;
//! - interpolation: [`slerp`] between two x_T, each then sampled deterministically;
//! - inpainting: the replacement method with RePaint's resampling (Lugmayr et al. 2022,
//!   [`Inpaint`]): after each step the known part is put back, noised to the step's level, and the
//!   chain jumps back in time now and then so the two parts agree.
//! Each walks one model evaluation per `step`, reporting x_t and x̂₀ like any [`Sampler`].

use burn::prelude::*;

use crate::noise::{NoiseSource, normal_like};
use crate::sampler::{Sampler, Step, X0Clip};
use crate::{Denoiser, DiffusionError, Level, Process};

/// The end of every path: the clean sample (α = 1, σ = 0).
pub const CLEAN: Level = Level {
    alpha: 1.0,
    sigma: 0.0,
};

/// `steps` process times from fraction `from` of the process's range (1: where sampling starts,
/// pure noise) down toward 0, evenly in that fraction, noisiest first. The path then ends at
/// [`CLEAN`].
pub fn times(process: &Process, steps: usize, from: f64) -> Result<Vec<f64>, DiffusionError> {
    if steps == 0 {
        return Err(DiffusionError::OutOfRange {
            name: "steps",
            value: 0.0,
            expected: "at least 1",
        });
    }
    if !(from > 0.0 && from <= 1.0) {
        return Err(DiffusionError::OutOfRange {
            name: "strength",
            value: from,
            expected: "0 < strength ≤ 1",
        });
    }
    Ok((0..steps)
        .map(|k| process.time_at(from * (steps - k) as f64 / steps as f64))
        .collect())
}

/// q(x_t | x₀) at `level`: α·x₀ + σ·z, for noise `z` of x₀'s shape.
pub fn noised<const D: usize>(x0: &Tensor<D>, level: Level, z: Tensor<D>) -> Tensor<D> {
    x0.clone() * level.alpha + z * level.sigma
}

/// One step from `x` at (`t`, `from`) to level `to`: x' = α' x̂₀ + √(σ'² − s²) ε̂ + s z with
/// s = η σ' √(1 − (α σ' / (α' σ))²), the posterior's standard deviation scaled by η (DDIM's σ_t,
/// written for any α and σ). η = 0 is deterministic.
#[allow(clippy::too_many_arguments)]
fn move_to<const D: usize>(
    model: &dyn Denoiser<D>,
    x: &Tensor<D>,
    t: f64,
    from: Level,
    to: Level,
    eta: f64,
    clip: X0Clip,
    noise: &mut dyn NoiseSource,
) -> Result<(Tensor<D>, Tensor<D>), DiffusionError> {
    let p = clip.apply(model.predict(x, t, from)).eps_from_x0(x, from);
    let s = if eta > 0.0 && to.sigma > 0.0 && from.sigma > 0.0 {
        let r = (from.alpha * to.sigma) / (to.alpha * from.sigma);
        eta * to.sigma * (1.0 - r * r).max(0.0).sqrt()
    } else {
        0.0
    };
    let mut next = p.x0.clone() * to.alpha + p.eps * (to.sigma * to.sigma - s * s).max(0.0).sqrt();
    if s > 0.0 {
        next = next + normal_like(x, noise)? * s;
    }
    Ok((next, p.x0))
}

/// DDIM (η = 0: deterministic) down a path of times of any process, ending at the clean sample.
/// With the whole range (`times(process, n, 1.0)`) it samples from noise; from a fraction of it,
/// started at [`noised`] data, it is SDEdit.
#[derive(Debug, Clone)]
pub struct PathSampler {
    times: Vec<f64>,
    levels: Vec<Level>,
    eta: f64,
    clip: X0Clip,
    next: usize,
}

impl PathSampler {
    pub fn new(process: &Process, times: Vec<f64>, eta: f64) -> Result<Self, DiffusionError> {
        check_eta(eta)?;
        let levels = levels_of(process, &times)?;
        Ok(Self {
            times,
            levels,
            eta,
            clip: X0Clip::None,
            next: 0,
        })
    }

    /// Treat x̂₀ before it is used (images: clamp to [−1, 1]).
    pub fn with_clip(mut self, clip: X0Clip) -> Self {
        self.clip = clip;
        self
    }

    /// The level the path starts at (where [`noised`] puts the image to edit).
    pub fn start_level(&self) -> Level {
        self.levels.first().copied().unwrap_or(CLEAN)
    }
}

impl<const D: usize> Sampler<D> for PathSampler {
    fn len(&self) -> usize {
        self.times.len()
    }

    fn init_sigma(&self) -> f64 {
        self.start_level().sigma
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let Some(&t) = self.times.get(self.next) else {
            return Ok(None);
        };
        let from = self.levels[self.next];
        let to = self.levels.get(self.next + 1).copied().unwrap_or(CLEAN);
        let (next, x0) = move_to(model, x, t, from, to, self.eta, self.clip, noise)?;
        let index = self.next;
        self.next += 1;
        Ok(Some(Step {
            index,
            t,
            x: next,
            x0,
        }))
    }
}

/// Deterministic DDIM inversion: the path's step taken upward, from the clean image to the
/// path's noisiest time, mirroring the way down step for step (as diffusers'
/// `DDIMInverseScheduler`): the step from time a to the next time b evaluates the model at b, as
/// the step down from b does, and takes x̂₀ from the sample at a (the image itself at the start).
/// Sampling the result with a [`PathSampler`] on the same times (η = 0) walks back to the image,
/// up to the error of the first-order step, which falls with more steps (`tests/edit.rs`).
#[derive(Debug, Clone)]
pub struct Inversion {
    /// Least noisy first.
    times: Vec<f64>,
    levels: Vec<Level>,
    next: usize,
}

impl Inversion {
    /// Inverts along `times` (noisiest first, as [`times`] gives them).
    pub fn new(process: &Process, mut times: Vec<f64>) -> Result<Self, DiffusionError> {
        times.reverse();
        let levels = levels_of(process, &times)?;
        Ok(Self {
            times,
            levels,
            next: 0,
        })
    }

    /// Model evaluations: one per time.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next step up from `x`, or `None` at the top. `Step::t` is the time reached and
    /// `Step::x` the sample there; `Step::x0` the x̂₀ the step kept.
    pub fn step<const D: usize>(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let k = self.next;
        let (Some(&t), Some(&to)) = (self.times.get(k), self.levels.get(k)) else {
            return Ok(None);
        };
        let from = if k == 0 { CLEAN } else { self.levels[k - 1] };
        let eps = model.predict(x, t, to).eps;
        let x0 = (x.clone() - eps.clone() * from.sigma) / from.alpha;
        let up = x0.clone() * to.alpha + eps * to.sigma;
        self.next += 1;
        Ok(Some(Step {
            index: k,
            t,
            x: up,
            x0,
        }))
    }

    /// Runs to the top: x_T of `x0`.
    pub fn run<const D: usize>(
        mut self,
        model: &dyn Denoiser<D>,
        x0: &Tensor<D>,
    ) -> Result<Tensor<D>, DiffusionError> {
        let mut x = x0.clone();
        while let Some(step) = self.step(model, &x)? {
            x = step.x;
        }
        Ok(x)
    }
}

/// The levels of `times`, each with σ > 0 and α > 0 (a model is evaluated there, and a sample
/// divided by α).
fn levels_of(process: &Process, times: &[f64]) -> Result<Vec<Level>, DiffusionError> {
    times
        .iter()
        .map(|&t| {
            let level = process.level(t);
            if level.sigma > 0.0 && level.alpha > 0.0 && level.sigma.is_finite() {
                Ok(level)
            } else {
                Err(DiffusionError::OutOfRange {
                    name: "time",
                    value: t,
                    expected: "a time of the process with noise and signal (0 < σ, 0 < α)",
                })
            }
        })
        .collect()
}

fn check_eta(eta: f64) -> Result<(), DiffusionError> {
    if (0.0..=1.0).contains(&eta) {
        Ok(())
    } else {
        Err(DiffusionError::OutOfRange {
            name: "eta",
            value: eta,
            expected: "0 ≤ η ≤ 1",
        })
    }
}

/// The number of steps a path of `steps` over the whole process takes for `strength` of it
/// (at least 1; a product that float rounding lifts past a whole number is not rounded up).
pub fn share(steps: usize, strength: f64) -> usize {
    ((steps as f64 * strength - 1e-9).ceil() as usize).max(1)
}

/// Spherical interpolation between `a` and `b` (flattened noise of equal length) at `w` ∈ [0, 1],
/// which keeps the norm of Gaussian noise where a straight line would shrink it. `w = 0` gives `a`
/// and `w = 1` gives `b`, exactly.
pub fn slerp(a: &[f32], b: &[f32], w: f64) -> Result<Vec<f32>, DiffusionError> {
    if a.len() != b.len() {
        return Err(DiffusionError::Unsupported(format!(
            "cannot interpolate between {} and {} values",
            a.len(),
            b.len()
        )));
    }
    if !w.is_finite() {
        return Err(DiffusionError::OutOfRange {
            name: "w",
            value: w,
            expected: "0 ≤ w ≤ 1",
        });
    }
    if w <= 0.0 {
        return Ok(a.to_vec());
    }
    if w >= 1.0 {
        return Ok(b.to_vec());
    }
    let dot = |x: &[f32], y: &[f32]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| *p as f64 * *q as f64)
            .sum::<f64>()
    };
    let (na, nb) = (dot(a, a).sqrt(), dot(b, b).sqrt());
    let cos = if na > 0.0 && nb > 0.0 {
        (dot(a, b) / (na * nb)).clamp(-1.0, 1.0)
    } else {
        1.0
    };
    let theta = cos.acos();
    if std::f64::consts::PI - theta < 1e-6 {
        return Err(DiffusionError::Unsupported(
            "the two noises point in opposite directions: no great circle joins them".into(),
        ));
    }
    let (ka, kb) = if theta < 1e-6 {
        (1.0 - w, w)
    } else {
        (
            ((1.0 - w) * theta).sin() / theta.sin(),
            (w * theta).sin() / theta.sin(),
        )
    };
    Ok(a.iter()
        .zip(b)
        .map(|(p, q)| (ka * *p as f64 + kb * *q as f64) as f32)
        .collect())
}

/// RePaint's walk over a path of `n` steps (positions 0 = the noisiest time … n = clean): down one
/// position at a time; after every `jump` positions down, back up `jump` positions and down again,
/// `resample − 1` times, so that each stretch is denoised `resample` times.
pub fn repaint_walk(n: usize, jump: usize, resample: usize) -> Vec<usize> {
    let jump = jump.max(1);
    let mut left = vec![resample.saturating_sub(1); n + 1];
    let mut walk = vec![0];
    let mut at = 0;
    while at < n {
        at += 1;
        walk.push(at);
        if at % jump == 0 && at < n && at >= jump && left[at] > 0 {
            left[at] -= 1;
            for k in 1..=jump {
                walk.push(at - k);
            }
            at -= jump;
        }
    }
    walk
}

/// Inpainting: a path walked down (η as in [`PathSampler`]) where, after every step, the known
/// part of the image (`keep` = 1) is replaced by the known image noised to the step's level, and
/// the walk jumps back up now and then ([`repaint_walk`]) by the forward process, so the part
/// generated and the part kept agree. At the clean end the known part is the known image exactly.
#[derive(Debug, Clone)]
pub struct Inpaint<const D: usize> {
    times: Vec<f64>,
    /// The path's levels, with [`CLEAN`] last.
    levels: Vec<Level>,
    walk: Vec<usize>,
    at: usize,
    known: Tensor<D>,
    keep: Tensor<D>,
    eta: f64,
    clip: X0Clip,
    steps_done: usize,
}

impl<const D: usize> Inpaint<D> {
    /// `known` the image, `keep` its mask (1: keep, 0: generate), both of the sample's shape.
    pub fn new(
        process: &Process,
        times: Vec<f64>,
        known: Tensor<D>,
        keep: Tensor<D>,
        jump: usize,
        resample: usize,
        eta: f64,
    ) -> Result<Self, DiffusionError> {
        if known.dims() != keep.dims() {
            return Err(DiffusionError::Unsupported(format!(
                "the mask's shape {:?} is not the image's {:?}",
                keep.dims(),
                known.dims()
            )));
        }
        if resample == 0 {
            return Err(DiffusionError::OutOfRange {
                name: "resample",
                value: 0.0,
                expected: "at least 1",
            });
        }
        check_eta(eta)?;
        let mut levels = levels_of(process, &times)?;
        levels.push(CLEAN);
        let walk = repaint_walk(times.len(), jump, resample);
        Ok(Self {
            times,
            levels,
            walk,
            at: 0,
            known,
            keep,
            eta,
            clip: X0Clip::None,
            steps_done: 0,
        })
    }

    pub fn with_clip(mut self, clip: X0Clip) -> Self {
        self.clip = clip;
        self
    }

    /// The known part at `level` with fresh noise, the rest of `x` as it is.
    fn replace(
        &self,
        x: Tensor<D>,
        level: Level,
        noise: &mut dyn NoiseSource,
    ) -> Result<Tensor<D>, DiffusionError> {
        let known = if level.sigma > 0.0 {
            noised(&self.known, level, normal_like(&self.known, noise)?)
        } else {
            self.known.clone() * level.alpha
        };
        Ok(known * self.keep.clone() + x * (self.keep.clone().neg() + 1.0))
    }
}

impl<const D: usize> Sampler<D> for Inpaint<D> {
    /// Model evaluations: the moves down the walk.
    fn len(&self) -> usize {
        self.walk.windows(2).filter(|w| w[1] > w[0]).count()
    }

    fn init_sigma(&self) -> f64 {
        self.levels[0].sigma
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let mut x = x.clone();
        while let (Some(&a), Some(&b)) = (self.walk.get(self.at), self.walk.get(self.at + 1)) {
            self.at += 1;
            let (from, to) = (self.levels[a], self.levels[b]);
            if b < a {
                // back up one position by the forward process: x_b = (α_b/α_a) x_a + noise
                let r = to.alpha / from.alpha;
                let std = (to.sigma * to.sigma - r * r * from.sigma * from.sigma)
                    .max(0.0)
                    .sqrt();
                x = x * r + normal_like(&self.known, noise)? * std;
                continue;
            }
            let t = self.times[a];
            let (next, x0) = move_to(model, &x, t, from, to, self.eta, self.clip, noise)?;
            let next = self.replace(next, to, noise)?;
            let index = self.steps_done;
            self.steps_done += 1;
            return Ok(Some(Step {
                index,
                t,
                x: next,
                x0,
            }));
        }
        Ok(None)
    }
}
