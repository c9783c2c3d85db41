//! A pool of chain workers that splits a grid across a machine's cores (the CPU backend: burn's
//! CPU path runs a network on one core). Each worker holds the model and samples its part of the
//! grid with the grid's own noise ([`zoo::ImageChain::part`]), so the pool's images are those of
//! one worker; no shared memory is needed, so it works in any embed, cross-origin isolated or not.
//!
//! The pool sits between the [`super::session::Session`] and the workers' links and speaks the
//! same messages both ways: what the session sends is fanned out (a load to every worker, a
//! chain's parts to as many as there are images), and what the workers answer is gathered (a load
//! is done when every worker has built the network; a step is posted when every part has it,
//! its pixels glued in image order). A guided chain that does not split by images (one image, or
//! a sampler whose step reads the whole batch) splits by the halves of its guided batch instead
//! ([`zoo::halves`]): the first two workers walk the whole chain, each running the network on
//! its half and passing it straight to the other through their pipe (`Link::pipe`; a pool whose
//! workers have none does not split by halves); the first one's steps are the chain's. Any other chain that does not split ([`zoo::splits`]: an interpolation, an
//! inversion), the classifier and the test hooks go to the first worker alone. Native, so it is
//! tested with scripted messages.

use std::collections::BTreeMap;

use zoo::{Half, Part};

use super::messages::{FromChain, ToChain};

/// The most workers a pool starts, whatever the machine reports: past this a grid of 16 images
/// leaves each worker too few to be worth another copy of the model.
pub const MAX_WORKERS: usize = 8;

/// How many workers a pool has on a machine reporting `cores` (`navigator.hardwareConcurrency`;
/// 0 where it says nothing), for the backend `kind`: one on WebGPU (one device does the work),
/// one per core on the CPU, at most [`MAX_WORKERS`].
pub fn size_for(kind: &str, cores: usize) -> usize {
    if kind == "cpu" {
        cores.clamp(1, MAX_WORKERS)
    } else {
        1
    }
}

/// Answers awaited from every worker of the pool (or of a chain's parts).
struct Gather<T> {
    got: Vec<Option<T>>,
}

impl<T> Gather<T> {
    fn new(n: usize) -> Self {
        Self {
            got: (0..n).map(|_| None).collect(),
        }
    }

    /// Takes worker `i`'s answer; all of them once every one is in.
    fn put(&mut self, i: usize, value: T) -> Option<Vec<T>> {
        *self.got.get_mut(i)? = Some(value);
        if self.got.iter().all(Option::is_some) {
            Some(self.got.drain(..).flatten().collect())
        } else {
            None
        }
    }
}

/// The chain being sampled in parts: worker `i` samples part `i`.
struct Parts {
    run: u32,
    parts: usize,
    /// Split by halves: workers 0 and 1 each walk the whole chain, and worker 0's steps are the
    /// chain's.
    halves: bool,
    started: Gather<(usize, [usize; 4], Option<String>)>,
    /// Steps (`FromChain::Frame`) some parts have posted, by index.
    frames: BTreeMap<usize, Gather<FromChain>>,
}

/// The page's side of the pool: what goes to which worker, and what comes back to the session.
pub struct Pool {
    size: usize,
    /// Its first two workers are piped to each other, so a chain may split by halves.
    piped: bool,
    opened: Option<Gather<Option<String>>>,
    loads: BTreeMap<u32, Gather<(Option<usize>, Option<String>)>>,
    chain: Option<Parts>,
}

impl Pool {
    /// A pool of `size` workers (at least one), the first two piped to each other.
    pub fn new(size: usize) -> Self {
        Self {
            size: size.max(1),
            piped: true,
            opened: None,
            loads: BTreeMap::new(),
            chain: None,
        }
    }

    /// The same, its workers not piped (the pipe could not be made): no chain splits by halves.
    pub fn unpiped(self) -> Self {
        Self {
            piped: false,
            ..self
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// What to send to which worker (its index) for the session's `msg`.
    pub fn send(&mut self, msg: ToChain) -> Vec<(usize, ToChain)> {
        let all = |msg: ToChain| (0..self.size).map(|i| (i, msg.clone())).collect::<Vec<_>>();
        match msg {
            ToChain::Open { .. } => {
                self.opened = Some(Gather::new(self.size));
                all(msg)
            }
            ToChain::Load { load, .. } => {
                // only the latest load is answered: the session ignores older ones
                self.loads.clear();
                self.loads.insert(load, Gather::new(self.size));
                all(msg)
            }
            ToChain::Sample {
                run,
                ref process,
                ref spec,
                ref edit,
                ..
            } => {
                let parts = if zoo::splits(spec, edit.as_ref()) {
                    self.size.min(spec.n).max(1)
                } else {
                    1
                };
                let halves = parts == 1
                    && self.piped
                    && self.size >= 2
                    && zoo::splits_by_halves(spec, edit.as_ref());
                // what each worker samples: a part of the grid, or the whole with a half
                let shares: Vec<(Option<Part>, Option<Half>)> = if halves {
                    vec![(None, Some(Half::Cond)), (None, Some(Half::Uncond))]
                } else if parts == 1 {
                    vec![]
                } else {
                    split(spec.n, parts)
                        .into_iter()
                        .map(|p| (Some(p), None))
                        .collect()
                };
                let workers = shares.len().max(1);
                self.chain = Some(Parts {
                    run,
                    parts: workers,
                    halves,
                    started: Gather::new(workers),
                    frames: BTreeMap::new(),
                });
                if shares.is_empty() {
                    // the session's own message: the whole grid, in the first worker
                    return vec![(0, msg)];
                }
                shares
                    .into_iter()
                    .enumerate()
                    .map(|(i, (part, half))| {
                        let msg = ToChain::Sample {
                            run,
                            process: process.clone(),
                            spec: spec.clone(),
                            edit: edit.clone(),
                            part,
                            half,
                        };
                        (i, msg)
                    })
                    .collect()
            }
            ToChain::Stop { run } => {
                if self.chain.as_ref().is_some_and(|c| c.run == run) {
                    self.chain = None;
                }
                all(msg)
            }
            // a worker's half goes to the other worker through their pipe, never from the page
            ToChain::Half { .. } => Vec::new(),
            ToChain::LoadClassifier { .. }
            | ToChain::Classify { .. }
            | ToChain::Crash
            | ToChain::LoseDevice => vec![(0, msg)],
        }
    }

    /// Worker `from` said `msg`: what the session hears of it (nothing until every worker
    /// concerned has said its part), and what the workers are to be told (the other parts of a
    /// chain one part of which failed are stopped).
    pub fn receive(
        &mut self,
        from: usize,
        msg: FromChain,
    ) -> (Vec<FromChain>, Vec<(usize, ToChain)>) {
        let mut tell = Vec::new();
        let heard = match msg {
            FromChain::Opened { note } => match self.opened.as_mut() {
                Some(g) => g.put(from, note).map(|notes| {
                    self.opened = None;
                    FromChain::Opened {
                        note: notes.into_iter().flatten().next(),
                    }
                }),
                None => None,
            },
            FromChain::Loaded {
                load,
                classes,
                error,
            } => match self.loads.get_mut(&load) {
                Some(g) => g.put(from, (classes, error)).map(|answers| {
                    self.loads.remove(&load);
                    let error = answers.iter().find_map(|(_, e)| e.clone());
                    FromChain::Loaded {
                        load,
                        classes: answers[0].0,
                        error,
                    }
                }),
                None => None,
            },
            msg @ (FromChain::Started { run, .. } | FromChain::Frame { run, .. })
                if !self.splits(run) =>
            {
                Some(msg)
            }
            FromChain::Started {
                run,
                len,
                shape,
                error,
            } => {
                let halves = self.chain.as_ref().is_some_and(|c| c.halves);
                let started = self.chain.as_mut().map(|c| &mut c.started);
                started
                    .and_then(|g| g.put(from, (len, shape, error)))
                    .map(|parts| {
                        let error = parts.iter().find_map(|(_, _, e)| e.clone());
                        if error.is_some() {
                            self.chain = None;
                            tell = self.stop_all(run);
                        }
                        let [_, ch, h, w] = parts[0].1;
                        // halves: each worker has the whole grid
                        let n = if halves {
                            parts[0].1[0]
                        } else {
                            parts.iter().map(|p| p.1[0]).sum()
                        };
                        FromChain::Started {
                            run,
                            len: parts[0].0,
                            shape: [n, ch, h, w],
                            error,
                        }
                    })
            }
            // halves: the first worker's steps are the chain's (the second posts none)
            msg @ FromChain::Frame { .. } if self.chain.as_ref().is_some_and(|c| c.halves) => {
                (from == 0).then_some(msg)
            }
            msg @ FromChain::Frame { index, .. } => self.chain.as_mut().and_then(|c| {
                let parts = c.parts;
                let gather = c.frames.entry(index).or_insert_with(|| Gather::new(parts));
                gather.put(from, msg).and_then(|parts| {
                    c.frames.remove(&index);
                    glue(parts)
                })
            }),
            FromChain::Stopped { run, message } => {
                match self.chain.as_ref().filter(|c| c.run == run) {
                    Some(c) => {
                        if c.parts > 1 {
                            tell = self.stop_all(run);
                        }
                        self.chain = None;
                        Some(FromChain::Stopped { run, message })
                    }
                    // a part of a chain already stopped: said once
                    None => None,
                }
            }
            msg @ FromChain::Classified { .. } => Some(msg),
        };
        (heard.into_iter().collect(), tell)
    }

    /// How the chain sent last is split: `halves`, `parts`, or `whole` (one worker).
    pub fn split(&self) -> &'static str {
        match &self.chain {
            Some(c) if c.halves => "halves",
            Some(c) if c.parts > 1 => "parts",
            _ => "whole",
        }
    }

    /// Whether chain `run` is the one being sampled in parts.
    fn splits(&self, run: u32) -> bool {
        self.chain
            .as_ref()
            .is_some_and(|c| c.run == run && c.parts > 1)
    }

    fn stop_all(&self, run: u32) -> Vec<(usize, ToChain)> {
        (0..self.size).map(|i| (i, ToChain::Stop { run })).collect()
    }
}

/// `n` images in `parts` runs of consecutive images, the first ones a image longer where `n` does
/// not divide.
pub fn split(n: usize, parts: usize) -> Vec<Part> {
    let parts = parts.clamp(1, n.max(1));
    let (base, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let part = Part { start, len };
            start += len;
            part
        })
        .collect()
}

/// One step from its parts (each a `FromChain::Frame` of the same step), in image order: the
/// pixels glued, the time the slowest part took, the final images once every part has them.
fn glue(parts: Vec<FromChain>) -> Option<FromChain> {
    let mut parts = parts.into_iter();
    let mut glued = parts.next()?;
    for part in parts {
        if let (
            FromChain::Frame {
                xt,
                x0,
                compute_ms,
                read_ms,
                step_ms,
                last,
                ..
            },
            FromChain::Frame {
                xt: more_xt,
                x0: more_x0,
                compute_ms: c,
                read_ms: r,
                step_ms: s,
                last: more_last,
                ..
            },
        ) = (&mut glued, part)
        {
            xt.extend(more_xt);
            x0.extend(more_x0);
            (*compute_ms, *read_ms, *step_ms) = (compute_ms.max(c), read_ms.max(r), step_ms.max(s));
            *last = match (last.take(), more_last) {
                (Some(mut all), Some(more)) => {
                    all.0.extend(more.0);
                    Some(all)
                }
                _ => None,
            };
        }
    }
    Some(glued)
}

#[cfg(test)]
mod tests;
