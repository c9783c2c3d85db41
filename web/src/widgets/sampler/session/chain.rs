//! The session's chain half: starting and stopping runs, taking the worker's reports (loads,
//! steps, classifications), and a worker that dies or loses a message.

use super::super::frames::{Frame, Frames};
use super::super::messages::{FromChain, ToChain};
use super::{ModelState, Record, Session, Verdict};
use crate::render::grid::Grid;
use crate::widgets::event::Event;

impl Session {
    /// Takes the worker's reports.
    pub fn receive_all(&mut self, events: Vec<Event<FromChain>>, now: f64) {
        for event in events {
            match event {
                Event::Message(msg) => self.receive(msg, now),
                Event::Failed(message) => self.message_lost(&message),
                Event::Died(message) => self.worker_died(&message, now),
            }
        }
    }

    /// Asks the worker for a chain from the loaded model, with the settings; with `edit`, a chain
    /// that makes that edit instead.
    pub(super) fn start(&mut self, now: f64, edit: Option<zoo::EditSpec>) {
        let spec = self.settings.spec(self.model.built().and_then(|(_, c)| c));
        self.start_spec(now, spec, edit);
    }

    /// The same with `spec` (an interpolation takes its grid's); with no model loaded, a warning.
    pub(super) fn start_spec(
        &mut self,
        now: f64,
        spec: zoo::ChainSpec,
        edit: Option<zoo::EditSpec>,
    ) {
        let Some((id, classes)) = self.model.built() else {
            self.say(
                "warning",
                Some("no-model"),
                "No model is loaded yet: pick a model first.",
            );
            return;
        };
        let id = id.to_string();
        let Some(process) = self.manifest.get(&id).and_then(|e| e.process.clone()) else {
            return;
        };
        // an interpolation's or an inversion's images are not each one class of the list
        self.run_classes = match &edit {
            None | Some(zoo::EditSpec::Sdedit { .. } | zoo::EditSpec::Inpaint { .. }) => {
                spec.classes.clone()
            }
            Some(_) => Vec::new(),
        };
        self.stop();
        self.run += 1;
        self.run_spec = Some(spec.clone());
        self.run_edit = edit.clone();
        self.picked.clear();
        self.inversion_error = None;
        self.out.chain.push(ToChain::Sample {
            run: self.run,
            process,
            spec,
            edit,
            part: None,
            half: None,
        });
        self.model = ModelState::Sampling {
            id,
            classes,
            run: self.run,
            started_ms: now,
        };
        self.failed = false;
        self.classifying = None;
        self.finished = false;
        self.verdict = None;
        // the last chain's frames go: the new one's take their place as they arrive
        self.record = None;
        self.scrub = 0;
        self.chain_playing = false;
        self.out.started = true;
    }

    /// Drops the chain being sampled (the worker is told).
    pub(super) fn stop(&mut self) {
        if let ModelState::Sampling {
            id, classes, run, ..
        } = &self.model
        {
            self.out.chain.push(ToChain::Stop { run: *run });
            self.model = ModelState::Ready {
                id: id.clone(),
                classes: *classes,
            };
        }
    }

    /// The chain is over (finished or failed): the model stays ready.
    fn end_run(&mut self) {
        if let ModelState::Sampling { id, classes, .. } = &self.model {
            self.model = ModelState::Ready {
                id: id.clone(),
                classes: *classes,
            };
        }
    }

    fn receive(&mut self, msg: FromChain, now: f64) {
        match msg {
            FromChain::Opened { note } => {
                if let Some(note) = note {
                    self.say("notice", Some("worker-backend"), note);
                }
            }
            FromChain::Loaded {
                load,
                classes,
                error,
            } => self.loaded(load, classes, error, now),
            FromChain::Started {
                run,
                len,
                shape,
                error,
            } => {
                let ModelState::Sampling { id, run: r, .. } = &self.model else {
                    return;
                };
                if *r != run {
                    return;
                }
                let model = id.clone();
                if let Some(e) = error {
                    self.end_run();
                    self.say("error", Some("sample"), format!("Cannot sample: {e}."));
                    return;
                }
                let grid = match self.run_edit {
                    Some(zoo::EditSpec::Interpolate { .. }) => Grid::strip(shape),
                    _ => Grid::new(shape),
                };
                let classes = self.run_classes.clone();
                self.record = Some(Record {
                    model,
                    grid,
                    len,
                    frames: Frames::within(
                        len,
                        2 * grid.n * grid.c * grid.h * grid.w,
                        self.frame_budget,
                    ),
                    step_ms: Vec::new(),
                    compute_ms: Vec::new(),
                    read_ms: Vec::new(),
                    total_ms: None,
                    classes,
                    last_x: Vec::new(),
                    spec: self.run_spec.clone(),
                    edit: self.run_edit.as_ref().map(zoo::EditSpec::name),
                });
                self.follow = self.follow.filter(|&i| i < shape[0]);
            }
            FromChain::Frame {
                run,
                index,
                t,
                xt,
                x0,
                compute_ms,
                read_ms,
                step_ms,
                last,
            } => {
                let ModelState::Sampling {
                    run: r, started_ms, ..
                } = self.model
                else {
                    return;
                };
                let Some(rec) = self.record.as_mut().filter(|_| r == run) else {
                    return;
                };
                let live = self.scrub + 1 >= rec.frames.len();
                rec.frames.push(Frame { index, t, xt, x0 });
                rec.step_ms.push(step_ms);
                rec.compute_ms.push(compute_ms);
                rec.read_ms.push(read_ms);
                if live {
                    self.scrub = rec.frames.len() - 1;
                }
                self.dirty = true;
                if let Some(last) = last {
                    rec.last_x = last.0;
                    rec.total_ms = Some(now - started_ms);
                    self.end_run();
                    self.edit_finished();
                    self.finish(run);
                }
            }
            FromChain::Stopped { run, message } => {
                if self.model.running() == Some(run) {
                    self.end_run();
                    self.fail(message);
                }
            }
            FromChain::Classified {
                run,
                labels,
                confidence,
                error,
            } => {
                if self.classifying != Some(run) {
                    return;
                }
                self.classifying = None;
                match error {
                    Some(e) => {
                        // fetched and sent again next time
                        self.classifier = None;
                        self.say(
                            "warning",
                            Some("classifier"),
                            format!("The classifier could not read the images: {e}."),
                        )
                    }
                    None => self.classified(labels, confidence),
                }
            }
        }
    }

    /// The worker built the network of `load`, or could not.
    fn loaded(&mut self, load: u32, classes: Option<usize>, error: Option<String>, now: f64) {
        if !matches!(self.model, ModelState::Building { load: l, .. } if l == load) {
            return;
        }
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let id = file.entry.id.clone();
        if let Some(e) = error {
            if id.starts_with(zoo::OWN) {
                return self.own_failed(&id, &e, now);
            }
            return self.load_failed(&id, &e);
        }
        self.respawned = false;
        self.out.remember = !file.cached;
        file.cached = true;
        let ms = now - file.started_ms;
        self.out.counter = Some(format!(
            "{id} ready ({}, checked, {ms:.0} ms)",
            file.source.phrase()
        ));
        self.out.loaded_ms = Some(ms);
        self.model = ModelState::Ready { id, classes };
        if std::mem::take(&mut self.autorun) {
            self.start(now, None);
        }
    }

    /// The chain of `run` is complete: its images go to the data set's classifier, if the model
    /// list has one for 28×28 grey images (loaded into the worker first, once).
    fn finish(&mut self, run: u32) {
        self.finished = true;
        self.out.finished = true;
        self.out.draw = true;
        let Some(rec) = &self.record else { return };
        let Some(entry) = self
            .manifest
            .get(&rec.model)
            .and_then(|m| self.manifest.classifier_for(&m.dataset))
            .cloned()
        else {
            return;
        };
        if [rec.grid.c, rec.grid.h, rec.grid.w] != [1, 28, 28] {
            return;
        }
        self.classifying = Some(run);
        if self.classifier.as_deref() == Some(entry.id.as_str()) {
            self.out.chain.extend(self.classify(run));
        } else {
            self.out.fetch_classifier = Some(entry);
        }
    }

    /// The classifier's reading of the images of `run`, the last chain's.
    fn classify(&self, run: u32) -> Option<ToChain> {
        let rec = self.record.as_ref()?;
        let g = &rec.grid;
        Some(ToChain::Classify {
            run,
            images: crate::floats::Floats(rec.last_x.clone()),
            shape: [g.n, g.c, g.h, g.w],
        })
    }

    /// The classifier's checked weights (or why there are none): the worker builds it and reads
    /// the last run's images.
    pub fn classifier_fetched(&mut self, entry: zoo::Entry, got: Result<Vec<u8>, String>) {
        let Some(run) = self.classifying else { return };
        match got {
            Ok(bytes) => {
                self.classifier = Some(entry.id.clone());
                self.out
                    .chain
                    .push(ToChain::LoadClassifier { entry, bytes });
                self.out.chain.extend(self.classify(run));
            }
            Err(e) => {
                self.classifying = None;
                self.say(
                    "warning",
                    Some("classifier"),
                    format!("The classifier could not be loaded: {e}."),
                );
            }
        }
    }

    /// What our MNIST classifier reads, against the classes asked for.
    fn classified(&mut self, labels: Vec<usize>, confidence: Vec<f32>) {
        let Some(rec) = &self.record else { return };
        let read: Vec<String> = labels.iter().map(usize::to_string).collect();
        let text = if rec.classes.is_empty() {
            format!("Our MNIST classifier reads these as: {}.", read.join(" "))
        } else {
            let right = labels
                .iter()
                .zip(&rec.classes)
                .filter(|(a, b)| a == b)
                .count();
            format!(
                "Our MNIST classifier reads these as: {} ({right} of {} are the class asked for).",
                read.join(" "),
                rec.grid.n
            )
        };
        self.verdict = Some(Verdict {
            labels,
            confidence,
            text,
        });
        self.out.verdict = true;
    }

    /// A message to or from the worker was lost: it may have been the one a load or a run waits
    /// for, so that load or run fails.
    fn message_lost(&mut self, message: &str) {
        if self.model.running().is_some() {
            self.end_run();
            self.fail(format!("Sampling failed: {message}."));
        } else if matches!(self.model, ModelState::Building { .. }) {
            let id = self.settings.model().to_string();
            self.load_failed(&id, message);
        } else {
            self.say("warning", Some("worker"), message);
        }
    }

    /// The worker panicked (Burn's WebGPU runtime panics on a GPU out-of-memory error) or could
    /// not start: the page says so, starts a new worker and loads the model into it again, once;
    /// what was sampled before stays on the page.
    fn worker_died(&mut self, message: &str, now: f64) {
        self.worker_dead = true;
        // the classifier the worker held is gone with it
        self.classifier = None;
        if matches!(self.model, ModelState::Fetching { .. }) {
            // the page is still fetching: the file goes to a new worker once it is here
            self.say(
                "warning",
                Some("worker"),
                format!(
                    "The sampler's worker stopped ({message}); a new one will build the model."
                ),
            );
            return;
        }
        let what = match &self.model {
            ModelState::Sampling { .. } => " while sampling",
            ModelState::Ready { .. } => "",
            _ => " while building the model",
        };
        let again = !self.respawned && self.file.is_some();
        let next = if again {
            "A new worker is loading the model again; fewer images may fit."
        } else {
            "Pick a model to try again, or reload the page."
        };
        self.model = ModelState::Broken;
        // the new worker holds no classifier, and no last images to classify
        self.classifier = None;
        self.classifying = None;
        let kept = if self.record.as_ref().is_some_and(|r| r.frames.seen() > 0) {
            " The steps already shown stay."
        } else {
            ""
        };
        let text = if message.starts_with("the GPU device was lost") {
            let next = if again {
                "A new worker opens a new device and loads the model again."
            } else {
                next
            };
            format!("The sampler stopped{what}: {message}. {next}{kept}")
        } else {
            format!(
                "The sampler stopped{what} ({message}). On WebGPU this is most often the GPU running out of memory. {next}{kept}"
            )
        };
        self.fail(text);
        if again {
            self.respawn();
            self.respawned = true;
            if let Some(file) = self.file.as_mut() {
                file.started_ms = now;
            }
            self.send_load();
            // loading again: the error stays said, the status follows the new load
            self.failed = false;
        }
    }
}
