//! A config's training set with its noise process.

use models::{MlpConfig, TimeFeatures};

use super::{Noise, ToyConfig, data_noise, toy_points};

/// A config's training set and noise process: what the page draws and noises, in the same
/// normalised coordinates as the model. It is deterministic in the config, so the page and a Web
/// Worker that trains build the same one.
pub struct ToySet {
    pub config: ToyConfig,
    /// The training set, normalised.
    pub data: Vec<f32>,
    /// How the given points were normalised (the page draws everything in their coordinates).
    pub normalisation: data::toy::Normalisation,
    pub noise: Noise,
}

impl ToySet {
    /// The config's data set, drawn from its seed.
    pub fn new(config: ToyConfig) -> Result<Self, String> {
        let mut rng = data_noise(config.seed);
        let data = toy_points(&config, config.points, &mut rng)?;
        Self::with_data(config, data)
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
        })
    }

    /// The denoiser's architecture for this config.
    pub fn mlp_config(&self) -> MlpConfig {
        let c = &self.config;
        // an SDE's time is in [t_min, 1]: sinusoidal features need it spread like timesteps
        let time_scale = if self.noise.is_sde() && !c.fourier {
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
