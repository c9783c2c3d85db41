//! A config's training set with its noise process.

use data::toy::Normalisation;
use models::{MlpConfig, TimeFeatures};

use super::{Noise, ToyConfig, data_noise};

/// A config's training set and noise process: what the page draws and noises, in the same
/// normalised coordinates as the model. It is deterministic in the config, so the page and a Web
/// Worker that trains build the same one.
pub struct ToySet {
    pub config: ToyConfig,
    /// The training set, normalised.
    pub data: Vec<f32>,
    /// How the given points were normalised (the page draws everything in their coordinates).
    pub normalisation: Normalisation,
    pub noise: Noise,
    /// For a reflow: the noise paired with each point of `data` (the model's own ODE maps each to
    /// its point), trained on instead of fresh noise.
    pub pairs: Option<Vec<f32>>,
    /// How the generator's own units map to `data`'s (none for points drawn by hand): what the
    /// quality measures place modes and fresh draws with.
    pub(super) generator: Option<[Normalisation; 2]>,
    /// (n, bar) of the last quality measured (see `quality.rs`).
    pub(super) bar_cache: std::sync::Mutex<Option<(usize, f64)>>,
}

impl ToySet {
    /// The config's data set, drawn from its seed.
    pub fn new(config: ToyConfig) -> Result<Self, String> {
        let mut rng = data_noise(config.seed);
        let mut data = raw_points(&config, config.points, &mut rng)?;
        let first = data::toy::normalise(&mut data);
        let mut set = Self::with_data(config, data)?;
        set.generator = Some([first, set.normalisation]);
        Ok(set)
    }

    /// A reflow's set: `x0` (in this set's normalised coordinates) paired with the noise `z` each
    /// came from, with this set's config, normalisation and process.
    pub fn reflowed(&self, x0: Vec<f32>, z: Vec<f32>) -> Result<Self, String> {
        if x0.len() != z.len() || x0.len() < 2 * 8 || !x0.len().is_multiple_of(2) {
            return Err(format!(
                "a reflow needs as many noise points as samples (at least 8), got {} and {}",
                x0.len() / 2,
                z.len() / 2
            ));
        }
        Ok(Self {
            config: self.config.clone(),
            data: x0,
            normalisation: self.normalisation,
            noise: self.noise.clone(),
            pairs: Some(z),
            generator: self.generator,
            bar_cache: Default::default(),
        })
    }

    /// `n` fresh points of the config's generator from `rng`, in this set's coordinates (none for
    /// points drawn by hand).
    pub fn fresh(&self, n: usize, rng: &mut diffusion::SeededNoise) -> Option<Vec<f32>> {
        let [first, second] = self.generator?;
        let raw = raw_points(&self.config, n, rng).ok()?;
        Some(second.apply(&first.apply(&raw)))
    }

    /// The data set's modes in this set's coordinates, and their standard deviation, for data sets
    /// that are Gaussian mixtures.
    pub fn modes(&self) -> Option<(Vec<Vec<f64>>, f64)> {
        let [first, second] = self.generator?;
        let (centres, sigma) = data::toy::modes(&self.config.dataset, self.config.noise)?;
        let flat: Vec<f32> = centres
            .iter()
            .flat_map(|c| [c[0] as f32, c[1] as f32])
            .collect();
        let mapped = second.apply(&first.apply(&flat));
        let centres = mapped
            .chunks_exact(2)
            .map(|c| vec![c[0] as f64, c[1] as f64])
            .collect();
        Some((centres, sigma / (first.scale * second.scale)))
    }

    /// The given points when there are some (drawn by hand), else the config's data set: what
    /// the page and both of its workers build from the same message.
    pub fn of(config: ToyConfig, drawn: Option<Vec<f32>>) -> Result<Self, String> {
        match drawn {
            Some(points) => Self::with_data(config, points),
            None => Self::new(config),
        }
    }

    /// Given points (e.g. drawn by hand), normalised like every data set.
    pub fn with_data(config: ToyConfig, mut data: Vec<f32>) -> Result<Self, String> {
        if data.len() < 2 * 8 || !data.len().is_multiple_of(2) {
            return Err(format!(
                "need at least 8 points to train on, got {}",
                data.len() / 2
            ));
        }
        let normalisation = data::toy::normalise(&mut data);
        let noise = config.process.process().map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            data,
            normalisation,
            noise,
            pairs: None,
            generator: None,
            bar_cache: Default::default(),
        })
    }

    /// The denoiser's architecture for this config.
    pub fn mlp_config(&self) -> MlpConfig {
        let c = &self.config;
        // an SDE's or the flow's time is in [0, 1]: sinusoidal features need it spread like
        // timesteps
        let time_scale = if self.noise.is_continuous() && !c.fourier {
            1000.0
        } else {
            1.0
        };
        MlpConfig {
            width: c.width,
            depth: c.depth,
            time_features: if c.fourier {
                TimeFeatures::Fourier { scale: 30.0 }
            } else {
                TimeFeatures::Sinusoidal
            },
            time_scale,
            ..MlpConfig::default()
        }
    }
}

/// `n` points of the config's data set from `rng`, in the generator's own units.
fn raw_points(
    c: &ToyConfig,
    n: usize,
    rng: &mut diffusion::SeededNoise,
) -> Result<Vec<f32>, String> {
    let (nu, nz) = data::toy::DRAWS_PER_POINT;
    let u = rng.uniforms(nu * n);
    let z = rng.normals(nz * n);
    data::toy::toy_raw(&c.dataset, n, c.noise, &u, &z)
}
