//! The session's steps strip (the `steps` view): the same model sampled with 1, 2, 4, 8, 16 and
//! 50 steps of the chosen sampler, side by side with each one's quality figure — how many steps
//! an objective and a sampler need. Asked of the viewer when the view is shown and the weights or
//! the sampler settings changed; the chains arrive one by one.

use train::toy::Quality;

use super::super::messages::{FromViewer, SampleSpec, ToViewer};
use super::Session;
use crate::settings::Common;

/// The numbers of sampling steps the strip shows.
pub const STRIP_STEPS: [usize; 6] = [1, 2, 4, 8, 16, 50];
/// Points each chain of the strip draws (at most; fewer when the widget draws fewer).
pub const STRIP_POINTS: usize = 500;

/// One chain of the strip: its samples (plot coordinates), their quality, the model step.
pub type StripRow = (Vec<f32>, Option<Quality>, usize);

#[derive(Debug, Clone, PartialEq)]
pub struct Strip {
    pub model_step: usize,
    pub spec: SampleSpec,
    /// Per number of steps: the samples (plot coordinates), their quality and the model step
    /// they were drawn from (an older one's rows stay up until the new ones come).
    pub rows: Vec<Option<StripRow>>,
}

impl Strip {
    /// Every row drawn from the strip's model.
    pub fn done(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.as_ref().is_some_and(|r| r.2 == self.model_step))
    }
}

impl Session {
    /// The spec the strip draws with: the widget's sampler (an adaptive one picks its own steps,
    /// so the flow's Heun stands in), its options and seed, at most [`STRIP_POINTS`] points.
    fn strip_spec(&self) -> SampleSpec {
        let s = &self.settings;
        let adaptive = diffusion::sampler::info(s.sampler()).is_some_and(|i| i.adaptive);
        SampleSpec {
            sampler: if adaptive { "flow-heun" } else { s.sampler() }.to_string(),
            // each chain sets its own steps
            options: diffusion::sampler::Options {
                steps: 0,
                ..s.options()
            },
            n: s.n().min(STRIP_POINTS),
            seed: s.seed(),
        }
    }

    /// Asks for the strip when its view is shown and what it would show changed (one at a time).
    pub(super) fn ask_strip(&mut self, have: usize) {
        if self.settings.view() != "steps" || self.strip_job.is_some() {
            return;
        }
        let spec = self.strip_spec();
        if self
            .strip
            .as_ref()
            .is_some_and(|s| s.model_step == have && s.spec == spec)
        {
            return;
        }
        self.jobs += 1;
        self.out.viewer.push(ToViewer::Strip {
            job: self.jobs,
            spec: spec.clone(),
            steps: STRIP_STEPS.to_vec(),
        });
        self.strip_job = Some(self.jobs);
        // the last strip stays up while the new one is drawn, row by row
        let rows = vec![None; STRIP_STEPS.len()];
        let last = self.strip.take().filter(|s| s.spec == spec);
        self.strip = Some(Strip {
            model_step: have,
            spec,
            rows: last.map_or(rows, |s| s.rows),
        });
    }

    /// Takes a chain of the strip in flight.
    pub(super) fn take_strip(&mut self, msg: FromViewer) {
        let FromViewer::Strip {
            job,
            index,
            x,
            quality,
            ..
        } = msg
        else {
            return;
        };
        if self.strip_job != Some(job) {
            return;
        }
        let (Some(set), Some(strip)) = (&self.set, &mut self.strip) else {
            return;
        };
        if let Some(row) = strip.rows.get_mut(index) {
            *row = Some((set.normalisation.undo(&x.0), quality, strip.model_step));
        }
        if index + 1 >= STRIP_STEPS.len() {
            self.strip_job = None;
        }
    }

    /// Drops the strip being drawn, here and in the viewer.
    pub(super) fn cancel_strip(&mut self) {
        if let Some(job) = self.strip_job.take() {
            self.out.viewer.push(ToViewer::Cancel { job });
        }
    }
}
