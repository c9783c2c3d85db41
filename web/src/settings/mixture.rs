//! The exact-score mixture's settings table.

use diffusion::sampler::Options;

use super::{Common, Effect, HashState, Kind, Setting, Value, Values};

pub fn table() -> Vec<Setting> {
    vec![
        Setting::new(
            "steps",
            "DDIM steps",
            Kind::Int { min: 1, max: 1000 },
            Value::Int(Options::default().steps as u64),
        )
        .on_change(Effect::Start),
        Setting::new(
            "points",
            "points",
            Kind::Int {
                min: 1,
                max: 20_000,
            },
            Value::Int(2000),
        )
        .on_change(Effect::Start),
        Setting::new(
            "seed",
            "seed",
            Kind::Int {
                min: 0,
                max: u32::MAX as u64,
            },
            Value::Int(0),
        )
        .on_change(Effect::Start),
    ]
}

#[derive(Debug, Clone, PartialEq)]
pub struct MixtureSettings {
    pub values: Values,
}

impl Common for MixtureSettings {
    fn values(&self) -> &Values {
        &self.values
    }
}

impl MixtureSettings {
    pub fn read(hash: &mut HashState) -> Self {
        let table = table();
        let known: Vec<&str> = table.iter().map(|s| s.key).collect();
        hash.warn_unknown(&known);
        Self {
            values: Values::read(&table, hash),
        }
    }

    pub fn steps(&self) -> usize {
        self.values.int("steps") as usize
    }

    pub fn points(&self) -> usize {
        self.values.int("points") as usize
    }
}
