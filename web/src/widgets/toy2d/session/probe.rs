//! The session's probe: a point a person drops on the plot (a click or a drag, outside drawing),
//! read as the noise a chain starts from, and the paths the model takes it along: its ODE, and a
//! few draws of the chosen sampler when that one draws noise. One probe job is in flight at a
//! time; a drag moves the point, and the latest position is asked for when the last answer is in.

use super::super::messages::{FromViewer, SampleSpec, ToViewer};
use super::Session;
use crate::settings::Common;

/// Draws of a stochastic sampler a probe shows beside its ODE path.
pub const PROBE_DRAWS: usize = 4;

/// What was asked of the viewer for a probe: where, on which weights, with which sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeAsk {
    pub at: [f64; 2],
    pub model_step: usize,
    pub spec: SampleSpec,
}

/// The paths of a probe, in plot coordinates, step after step.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbePaths {
    pub ask: ProbeAsk,
    /// One point a step, x_T first.
    pub ode: Vec<f32>,
    /// The process time of each step of the ODE path.
    pub ode_ts: Vec<f64>,
    /// `draws` points a step (empty for an ODE sampler).
    pub sde: Vec<f32>,
    pub draws: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Where it was dropped (plot coordinates); None: no probe.
    pub at: Option<[f64; 2]>,
    /// The job in flight and what it asked.
    pub asked: Option<(u32, ProbeAsk)>,
    /// The last answer (kept while a newer one is computed, so a drag does not flicker).
    pub paths: Option<ProbePaths>,
    /// An ask that failed (not asked again; other jobs on the same weights go on).
    pub failed: Option<ProbeAsk>,
}

impl Session {
    /// Drops (or moves) the probe at plot coordinates (`x`, `y`).
    pub(super) fn drop_probe(&mut self, x: f64, y: f64) {
        if self.set.is_none() {
            return;
        }
        self.probe.at = Some([x, y]);
        if self.samples.is_none() && self.weights.is_none() {
            let text = "Train first: the probe follows the trained model from the point you click.";
            self.say("notice", Some("probe"), text);
        }
    }

    /// Asks the viewer for the probe's paths when the point, the weights or the sampler changed
    /// since the last answer (and none is in flight). Called from [`Session::ask`].
    pub(super) fn ask_probe(&mut self, have: usize) {
        let Some(at) = self.probe.at else {
            return;
        };
        if self.probe.asked.is_some() {
            return;
        }
        let s = &self.settings;
        let ask = ProbeAsk {
            at,
            model_step: have,
            spec: SampleSpec {
                sampler: s.sampler().to_string(),
                options: s.options(),
                n: 1,
                seed: s.seed(),
            },
        };
        if self.probe.paths.as_ref().is_some_and(|p| p.ask == ask)
            || self.probe.failed.as_ref() == Some(&ask)
        {
            return;
        }
        let Some(set) = &self.set else {
            return;
        };
        let z = set.normalisation.apply(&[at[0] as f32, at[1] as f32]);
        self.jobs += 1;
        self.out.viewer.push(ToViewer::Probe {
            job: self.jobs,
            z: [z[0], z[1]],
            spec: ask.spec.clone(),
            draws: PROBE_DRAWS,
        });
        self.probe.asked = Some((self.jobs, ask));
    }

    /// Takes the viewer's answer to the probe in flight.
    pub(super) fn take_probe(&mut self, msg: FromViewer) {
        let FromViewer::Probe {
            job,
            ode,
            ode_ts,
            sde,
            draws,
        } = msg
        else {
            return;
        };
        let Some(set) = &self.set else {
            return;
        };
        if self.probe.asked.as_ref().is_none_or(|(id, _)| *id != job) {
            return;
        }
        let Some((_, ask)) = self.probe.asked.take() else {
            return;
        };
        let norm = set.normalisation;
        self.probe.paths = Some(ProbePaths {
            ask,
            ode: norm.undo(&ode.0),
            ode_ts,
            sde: norm.undo(&sde.0),
            draws,
        });
    }

    /// The probe job `job` failed: said in the probe's message, not asked again, and not held
    /// against the weights (samples, the field and the density go on). True if it was the probe's.
    pub(super) fn probe_failed(&mut self, job: u32, message: &str) -> bool {
        if self.probe.asked.as_ref().is_none_or(|(id, _)| *id != job) {
            return false;
        }
        if let Some((_, ask)) = self.probe.asked.take() {
            self.probe.failed = Some(ask);
        }
        self.probe.paths = None;
        self.say(
            "warning",
            Some("probe"),
            format!("The probe could not be followed: {message}"),
        );
        true
    }
}
