//! Where the sampling timesteps fall among the training ones (diffusers' `timestep_spacing`,
//! Lin et al. 2024, table 2). Ties round half to even, as NumPy does.

use crate::{DiffusionError, DiscreteSchedule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spacing {
    /// t = i·⌊T/n⌋ + offset, i = n−1 … 0.
    #[default]
    Leading,
    /// t = round(T − i·T/n) − 1, i = 0 … n−1: the chain starts at the last timestep.
    Trailing,
    /// n points evenly spread over [0, T−1], from the top.
    Linspace,
}

impl std::str::FromStr for Spacing {
    type Err = DiffusionError;
    fn from_str(s: &str) -> Result<Self, DiffusionError> {
        match s {
            "leading" => Ok(Self::Leading),
            "trailing" => Ok(Self::Trailing),
            "linspace" => Ok(Self::Linspace),
            other => Err(DiffusionError::Unknown {
                what: "timestep spacing",
                name: other.into(),
                known: "leading, trailing, linspace",
            }),
        }
    }
}

/// `n` descending values spread over [0, T−1] like `np.linspace(0, T-1, n)[::-1]`.
pub(crate) fn linspace_desc(train: usize, n: usize) -> Vec<f64> {
    let top = (train - 1) as f64;
    if n == 1 {
        return vec![0.0];
    }
    (0..n)
        .rev()
        .map(|i| top * i as f64 / (n - 1) as f64)
        .collect()
}

impl Spacing {
    /// Integer timesteps, noisiest first, as DDPM and DDIM use them.
    pub fn timesteps(self, train: usize, n: usize, offset: usize) -> Vec<f64> {
        match self {
            Spacing::Leading => (0..n)
                .rev()
                .map(|i| (i * (train / n) + offset) as f64)
                .collect(),
            Spacing::Trailing => {
                let ratio = train as f64 / n as f64;
                (0..n)
                    .map(|i| (train as f64 - i as f64 * ratio).round_ties_even() - 1.0)
                    .collect()
            }
            Spacing::Linspace => linspace_desc(train, n)
                .into_iter()
                .map(f64::round_ties_even)
                .collect(),
        }
    }

    /// Possibly fractional timesteps, as the σ-space (Euler-family) schedulers use them: linspace is
    /// not rounded there.
    pub fn fractional_timesteps(self, train: usize, n: usize, offset: usize) -> Vec<f64> {
        match self {
            Spacing::Linspace => linspace_desc(train, n),
            other => other.timesteps(train, n, offset),
        }
    }
}

/// DDPM/DDIM's chain: (t, ᾱ_t, ᾱ_prev) per step, noisiest first. As in diffusers, the step from t
/// goes to t − ⌊T/n⌋ whatever the spacing, and past t = 0 to ᾱ = `final_alpha_bar`.
pub(crate) fn alpha_bar_steps(
    schedule: &DiscreteSchedule,
    steps: usize,
    spacing: Spacing,
    offset: usize,
    final_alpha_bar: f64,
) -> Result<Vec<(f64, f64, f64)>, DiffusionError> {
    let train = schedule.len();
    super::check_steps(steps, train)?;
    let ratio = (train / steps) as f64;
    spacing
        .timesteps(train, steps, offset)
        .into_iter()
        .map(|t| {
            if t < 0.0 || t as usize >= train {
                return Err(DiffusionError::OutOfRange {
                    name: "steps_offset",
                    value: offset as f64,
                    expected: "timesteps must stay below num_train_timesteps",
                });
            }
            let prev = t - ratio;
            let ab_prev = if prev >= 0.0 {
                schedule.alpha_bar(prev as usize)
            } else {
                final_alpha_bar
            };
            Ok((t, schedule.alpha_bar(t as usize), ab_prev))
        })
        .collect()
}
