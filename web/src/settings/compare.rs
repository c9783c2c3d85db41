//! The comparison's settings: which toy2d runs it shows side by side (`runs=`, a comma list of
//! the objectives below), every other key shared by all of them (data, seed, network, budget via
//! `train_steps`, sampler, view), so one link trains two to four objectives on the same data with
//! the same budget. Each run is a toy2d widget of its own (its own trainer and viewer workers), so
//! a run that diverges stops alone and the others go on.

use super::HashState;

/// An objective a run can train: its name in `runs=`, its label, and the toy2d keys it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    pub name: &'static str,
    pub label: &'static str,
    pub keys: &'static [(&'static str, &'static str)],
}

pub const OBJECTIVES: &[Objective] = &[
    Objective {
        name: "flow",
        label: "flow matching, stable target",
        keys: &[("process", "flow"), ("target", "stable")],
    },
    Objective {
        name: "flow-pair",
        label: "flow matching, each pair's own velocity as target",
        keys: &[("process", "flow"), ("target", "pair")],
    },
    Objective {
        name: "flow-ot",
        label: "flow matching, minibatch OT pairs",
        keys: &[("process", "flow-ot")],
    },
    Objective {
        name: "ddpm",
        label: "DDPM ε, stable target",
        keys: &[("process", "ddpm-linear"), ("target", "stable")],
    },
    Objective {
        name: "ddpm-pair",
        label: "DDPM ε, each pair's own noise as target",
        keys: &[("process", "ddpm-linear"), ("target", "pair")],
    },
    Objective {
        name: "ddpm-cosine",
        label: "DDPM ε, cosine schedule",
        keys: &[("process", "ddpm-cosine")],
    },
    Objective {
        name: "vp",
        label: "score matching, VP SDE",
        keys: &[("process", "vp")],
    },
    Objective {
        name: "subvp",
        label: "score matching, sub-VP SDE",
        keys: &[("process", "subvp")],
    },
    Objective {
        name: "ve",
        label: "score matching, VE SDE",
        keys: &[("process", "ve")],
    },
];

/// The runs a link without `runs=` (or with fewer than two usable ones) compares.
pub const DEFAULT_RUNS: [&str; 3] = ["flow", "flow-pair", "ddpm"];
/// Most runs side by side (each has two workers).
pub const MAX_RUNS: usize = 4;
/// What every run hides unless the link says otherwise: the settings form (they are shared).
const RUN_HIDES: &str = "settings,draw";

/// One run: an objective, and toy2d keys of its own over the shared ones (`flow@lr=0.001;batch=64`
/// in `runs=`: the same objective at two learning rates, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub objective: Objective,
    pub own: Vec<(String, String)>,
}

impl Run {
    /// The objective's label, with the run's own keys.
    pub fn label(&self) -> String {
        if self.own.is_empty() {
            return self.objective.label.to_string();
        }
        let own: Vec<String> = self.own.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!("{} · {}", self.objective.label, own.join(", "))
    }

    /// As it is written in `runs=`.
    pub fn name(&self) -> String {
        if self.own.is_empty() {
            return self.objective.name.to_string();
        }
        let own: Vec<String> = self.own.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}@{}", self.objective.name, own.join(";"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompareSettings {
    pub runs: Vec<Run>,
    /// The settings string of each run's toy2d widget, in order.
    pub run_settings: Vec<String>,
}

impl CompareSettings {
    /// Reads `runs=` (unknown names, repeats and runs past [`MAX_RUNS`] are warnings) and makes
    /// each run's settings: the link's keys, the objective's keys over them, the run's own last.
    pub fn read(hash: &mut HashState) -> Self {
        let mut runs: Vec<Run> = Vec::new();
        for item in hash.list("runs") {
            let (name, own) = item.split_once('@').unwrap_or((&item, ""));
            let own: Vec<(String, String)> = own
                .split(';')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.trim().to_string(), v.trim().to_string())
                })
                .collect();
            let run = OBJECTIVES
                .iter()
                .find(|o| o.name == name)
                .map(|o| Run { objective: *o, own });
            match run {
                Some(r) if runs.contains(&r) => hash.warnings.push(format!(
                    "The run “{item}” is listed twice; it is shown once."
                )),
                Some(_) if runs.len() == MAX_RUNS => hash.warnings.push(format!(
                    "At most {MAX_RUNS} runs side by side; “{item}” is left out."
                )),
                Some(r) => runs.push(r),
                None => hash.warnings.push(format!(
                    "There is no objective “{name}” to compare (known: {}).",
                    OBJECTIVES
                        .iter()
                        .map(|o| o.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        if runs.len() < 2 {
            if hash.raw("runs").is_some() {
                hash.warnings.push(format!(
                    "A comparison needs two runs or more; showing {}.",
                    DEFAULT_RUNS.join(", ")
                ));
            }
            runs = DEFAULT_RUNS
                .iter()
                .filter_map(|n| OBJECTIVES.iter().find(|o| o.name == *n).copied())
                .map(|objective| Run {
                    objective,
                    own: Vec::new(),
                })
                .collect();
        }
        let hide = match hash.raw("hide") {
            Some(h) if !h.is_empty() => format!("{RUN_HIDES},{h}"),
            _ => RUN_HIDES.to_string(),
        };
        let run_settings = runs
            .iter()
            .map(|r| {
                let mut h = hash.clone();
                h.set("runs", None);
                h.set("widget", Some("toy2d"));
                h.set("hide", Some(&hide));
                // the comparison's point: how many sampling steps each needs
                if hash.raw("view").is_none() {
                    h.set("view", Some("steps"));
                }
                for (k, v) in r.objective.keys {
                    h.set(k, Some(v));
                }
                // the run's own keys last: its toy2d widget reads (and warns about) them
                for (k, v) in &r.own {
                    h.set(k, Some(v));
                }
                h.to_hash().trim_start_matches('#').to_string()
            })
            .collect();
        Self { runs, run_settings }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Common;
    use super::*;

    #[test]
    fn each_run_shares_the_links_keys_under_its_own_objective() {
        let mut h = HashState::parse(
            "#widget=compare&runs=flow,ddpm-pair,vp&data=moons&seed=4&process=ve&train_steps=300",
        );
        let c = CompareSettings::read(&mut h);
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!(c.runs.len(), 3);
        let mut run = HashState::parse(&c.run_settings[1]);
        assert_eq!(run.raw("widget"), Some("toy2d"));
        assert_eq!(run.raw("process"), Some("ddpm-linear"));
        assert_eq!(run.raw("target"), Some("pair"));
        assert_eq!(run.raw("data"), Some("moons"));
        assert_eq!(run.raw("train_steps"), Some("300"));
        assert_eq!(run.raw("hide"), Some("settings,draw"));
        assert_eq!(run.raw("runs"), None);
        // each run's settings read as a toy2d widget's, without warnings
        let s = super::super::toy2d::Toy2dSettings::read(&mut run);
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert_eq!(
            (s.data(), s.process(), s.seed()),
            ("moons", "ddpm-linear", 4)
        );
    }

    #[test]
    fn unknown_repeated_and_too_few_runs_are_warnings() {
        let mut h = HashState::parse("#widget=compare&runs=flow,flow,heat&hide=loss");
        let c = CompareSettings::read(&mut h);
        assert_eq!(h.warnings.len(), 3, "{:?}", h.warnings);
        let names: Vec<_> = c.runs.iter().map(|r| r.objective.name).collect();
        assert_eq!(names, DEFAULT_RUNS);
        assert!(
            c.run_settings[0].contains("hide=settings%2Cdraw%2Closs")
                || c.run_settings[0].contains("hide=settings,draw,loss"),
            "{}",
            c.run_settings[0]
        );
        let mut h = HashState::parse("#widget=compare&runs=flow,vp,ve,subvp,ddpm");
        assert_eq!(CompareSettings::read(&mut h).runs.len(), MAX_RUNS);
        assert_eq!(h.warnings.len(), 1);
    }
}

#[cfg(test)]
mod own_keys {
    use super::*;

    #[test]
    fn a_run_may_set_keys_of_its_own() {
        let mut h = HashState::parse("#widget=compare&runs=flow,flow@lr=1000;batch=64&lr=0.02");
        let c = CompareSettings::read(&mut h);
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!(c.runs[1].name(), "flow@lr=1000;batch=64");
        assert!(c.runs[1].label().ends_with("lr = 1000, batch = 64"));
        let (a, b) = (
            HashState::parse(&c.run_settings[0]),
            HashState::parse(&c.run_settings[1]),
        );
        assert_eq!(
            (a.raw("lr"), b.raw("lr"), b.raw("batch")),
            (Some("0.02"), Some("1000"), Some("64"))
        );
    }
}
