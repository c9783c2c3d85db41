//! Where the sampling timesteps fall among the training ones (diffusers' `timestep_spacing`,
//! Lin et al. 2024, table 2). Ties round half to even, as NumPy does.

use crate::DiffusionError;

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
