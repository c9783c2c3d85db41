//! The session's viewer half: keeping the viewer's weights fresh, asking it for samples, the
//! field and the density, and taking its answers (about jobs still wanted).

use super::super::density::Density;
use super::super::messages::{FromViewer, SampleSpec, ToTrainer, ToViewer};
use super::super::results::{Chain, grid};
use super::{DENSITY_CELLS, FIELD_CELLS, MAX_RECOVERIES, RESAMPLE_MS, Session, WEIGHTS_WAIT_MS};
use crate::floats::Floats;
use crate::settings::Common;
use crate::settings::toy2d::EXTENT;

impl Session {
    /// Keeps the viewer's copy of the EMA weights fresh (once when training pauses, every
    /// [`RESAMPLE_MS`] while it runs), and asks it for a chain of samples from them and, when their
    /// view is shown, the field and the density.
    pub(super) fn ask(&mut self, now: f64) {
        let Some(set) = &self.set else {
            return;
        };
        if self.viewer_dead {
            return;
        }
        let norm = set.normalisation;
        let step = self.step;
        let waiting = self
            .asked_weights_at
            .is_some_and(|at| now - at < WEIGHTS_WAIT_MS);
        // while training, new weights are fetched for a new chain (not while one is being
        // drawn: at the largest sizes that takes a minute) or for the field
        let wanted = self.sampling.is_none() || self.settings.view() == "field";
        let due = !self.playing || (wanted && now - self.last_sample_at > RESAMPLE_MS);
        if self.weights != Some(step) && !waiting && due && self.failed_at != Some(step) {
            self.last_sample_at = now;
            self.asked_weights_at = Some(now);
            self.out.trainer.push(ToTrainer::Weights);
        }
        let Some(have) = self.weights else {
            return;
        };
        if self.failed_at == Some(have) {
            return;
        }
        let stale = self.samples.as_ref().is_none_or(|c| c.model_step != have);
        if self.sampling.is_none() && stale {
            let s = &self.settings;
            let spec = SampleSpec {
                sampler: s.sampler().to_string(),
                options: s.options(),
                n: s.n(),
                seed: s.seed(),
            };
            self.jobs += 1;
            self.out.viewer.push(ToViewer::Sample {
                job: self.jobs,
                spec,
            });
            self.sampling = Some((self.jobs, Chain::new(have, s.sampler())));
        }
        self.ask_probe(have);
        self.ask_strip(have);
        match self.settings.view() {
            "field" => {
                let t = self.settings.t();
                let latest = match (self.fields_asked.last(), &self.field) {
                    (Some(&(_, fs, ft)), _) => Some((fs, ft)),
                    (None, Some((fs, ft, _))) => Some((*fs, *ft)),
                    (None, None) => None,
                };
                if latest != Some((have, t)) {
                    self.jobs += 1;
                    let points = norm.apply(&grid(FIELD_CELLS, EXTENT));
                    self.out.viewer.push(ToViewer::Field {
                        job: self.jobs,
                        u: t,
                        points: Floats(points),
                    });
                    self.fields_asked.push((self.jobs, have, t));
                }
            }
            "density" => {
                let current = self.density.as_ref().map(|d| d.model_step);
                let pending = self.density_job.is_some();
                let settled = !self.playing && have == step;
                if !pending && current != Some(step) && settled {
                    self.jobs += 1;
                    let density = Density::over(DENSITY_CELLS, EXTENT, have, |p| norm.apply(p));
                    self.out.viewer.push(ToViewer::Density {
                        job: self.jobs,
                        points: Floats(density.points.clone()),
                    });
                    self.density_job = Some((self.jobs, density));
                }
            }
            _ => {}
        }
    }

    /// Applies one report of the viewer (about a job still wanted).
    pub fn receive_viewer(&mut self, msg: FromViewer) {
        match msg {
            FromViewer::Opened { note } => {
                if let Some(note) = note {
                    self.say(
                        "notice",
                        Some("viewer"),
                        format!("Sampling runs in a Web Worker. {note}"),
                    );
                }
            }
            FromViewer::Frames { job, .. } => {
                let Some((id, chain)) = &mut self.sampling else {
                    return;
                };
                if *id != job {
                    return;
                }
                let step = chain.model_step;
                match chain.extend(msg) {
                    Ok(false) => {}
                    Ok(true) => {
                        let (_, chain) = self.sampling.take().expect("a chain");
                        self.scrub = self.scrub.min(chain.xs.len() - 1);
                        if self.samples.is_none() {
                            self.scrub = chain.xs.len() - 1;
                        }
                        self.samples = Some(chain);
                    }
                    Err(e) => {
                        self.sampling = None;
                        self.job_failed(step, &e);
                    }
                }
            }
            FromViewer::Field { job, eps } => {
                let Some(k) = self.fields_asked.iter().position(|a| a.0 == job) else {
                    return;
                };
                let (_, step, t) = self.fields_asked[k];
                self.fields_asked.drain(..=k);
                self.field = Some((step, t, eps.0));
            }
            FromViewer::Density {
                job,
                log_p,
                truth,
                done,
                ms,
            } => {
                let Some((id, density)) = &mut self.density_job else {
                    return;
                };
                if *id != job {
                    return;
                }
                density.log_p.extend(log_p);
                if truth.is_some() {
                    density.truth = truth;
                }
                density.ms = ms;
                if done {
                    self.density = self.density_job.take().map(|(_, d)| d);
                }
            }
            msg @ FromViewer::Probe { .. } => self.take_probe(msg),
            msg @ FromViewer::Strip { .. } => self.take_strip(msg),
            FromViewer::Failed { job, step, message } => {
                if self.probe_failed(job, &message) {
                    return;
                }
                let mut wanted = false;
                if self.strip_job == Some(job) {
                    self.strip_job = None;
                    wanted = true;
                }
                if self.sampling.as_ref().is_some_and(|(id, _)| *id == job) {
                    self.sampling = None;
                    wanted = true;
                }
                if self.density_job.as_ref().is_some_and(|(id, _)| *id == job) {
                    self.density_job = None;
                    wanted = true;
                }
                if let Some(k) = self.fields_asked.iter().position(|a| a.0 == job) {
                    self.fields_asked.remove(k);
                    wanted = true;
                }
                if wanted {
                    self.job_failed(step, &message);
                }
            }
        }
    }

    /// A job failed on the weights of `step`: nothing more is asked of them (until they or the
    /// sampler settings change); jobs on other weights go on.
    pub(super) fn job_failed(&mut self, step: usize, message: &str) {
        self.failed_at = Some(step);
        self.say("warning", Some("sampling"), message);
    }

    /// Drops, here and in the viewer, what was drawn or is being drawn from the weights of the
    /// training steps `gone` picks.
    pub(super) fn forget_drawn(&mut self, gone: impl Fn(usize) -> bool) {
        if self
            .sampling
            .as_ref()
            .is_some_and(|(_, c)| gone(c.model_step))
        {
            self.cancel_sampling();
        }
        if self
            .density_job
            .as_ref()
            .is_some_and(|(_, d)| gone(d.model_step))
        {
            self.cancel_density();
        }
        if self.fields_asked.iter().any(|a| gone(a.1)) {
            self.cancel_fields();
        }
        self.samples = self.samples.take().filter(|c| !gone(c.model_step));
        self.probe.paths = self.probe.paths.take().filter(|p| !gone(p.ask.model_step));
        if self.strip.as_ref().is_some_and(|s| gone(s.model_step)) {
            self.cancel_strip();
            self.strip = None;
        }
        if self
            .probe
            .asked
            .as_ref()
            .is_some_and(|(_, a)| gone(a.model_step))
            && let Some((job, _)) = self.probe.asked.take()
        {
            self.out.viewer.push(ToViewer::Cancel { job });
        }
        self.density = self.density.take().filter(|d| !gone(d.model_step));
        self.field = self.field.take().filter(|f| !gone(f.0));
    }

    /// Drops the chain being drawn, here and in the viewer.
    pub(super) fn cancel_sampling(&mut self) {
        if let Some((job, _)) = self.sampling.take() {
            self.out.viewer.push(ToViewer::Cancel { job });
        }
    }

    pub(super) fn cancel_density(&mut self) {
        if let Some((job, _)) = self.density_job.take() {
            self.out.viewer.push(ToViewer::Cancel { job });
        }
    }

    pub(super) fn cancel_fields(&mut self) {
        for (job, _, _) in std::mem::take(&mut self.fields_asked) {
            self.out.viewer.push(ToViewer::Cancel { job });
        }
    }

    /// The viewer panicked or could not start: Reset starts a new one. A lost GPU device is no
    /// fault of the run: a new worker starts on a new device with the weights the page kept.
    pub(super) fn viewer_died(&mut self, message: &str) {
        if super::trainer::is_lost(message)
            && self.set.is_some()
            && self.recoveries[1] < MAX_RECOVERIES
        {
            return self.viewer_lost(message);
        }
        self.viewer_dead = true;
        self.sampling = None;
        self.density_job = None;
        self.fields_asked.clear();
        self.probe.asked = None;
        self.strip_job = None;
        self.failed_at = Some(self.step);
        self.say(
            "error",
            Some("viewer"),
            format!("Sampling stopped: {message}. Press Reset to start again."),
        );
    }

    /// The viewer's device was lost: what it was drawing is asked again of a new worker, on a new
    /// device, given the run and the last weights the page kept; what is shown stays.
    fn viewer_lost(&mut self, message: &str) {
        self.recoveries[1] += 1;
        self.viewer_dead = false;
        self.out.respawn_viewer = true;
        self.sampling = None;
        self.density_job = None;
        self.fields_asked.clear();
        self.probe.asked = None;
        self.strip_job = None;
        self.failed_at = None;
        let (config, drawn) = self.run_spec();
        // messages for the dead worker (cancels) mean nothing to the new one
        self.out.viewer.clear();
        self.out.viewer.push(ToViewer::Start {
            generation: self.generation,
            config,
            drawn,
            backend: self.backend.clone(),
        });
        self.weights = None;
        if let Some(c) = self.checkpoint.clone() {
            self.weights = Some(c.step);
            self.out.viewer.push(ToViewer::Weights {
                generation: self.generation,
                step: c.step,
                values: c.values,
            });
        }
        self.say(
            "warning",
            Some("viewer-lost"),
            format!(
                "Sampling stopped: {message}. A new worker opens a new device; what is shown stays."
            ),
        );
    }
}
