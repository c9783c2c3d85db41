//! The 2-D trainer's views, one function each: it draws the session's state on the plot and
//! returns the caption that says what is shown.

use super::panel::Panel;
use super::results::grid;
use super::session::{FIELD_CELLS, SHOWN, Session};
use crate::render::text;
use crate::settings::toy2d::{DRAWN, EXTENT};

/// Particles whose trajectories the chain view draws.
const TRAJECTORIES: usize = 48;
const DATA: &str = "rgba(40, 50, 80, 0.45)";
const X0: &str = "rgba(230, 120, 20, 0.35)";
const XT: &str = "rgba(40, 50, 80, 0.8)";

/// Draws the chosen view, its caption and the loss chart.
pub fn render(p: &Panel, s: &Session) {
    p.plot.clear();
    let caption = match &s.set {
        None => {
            p.plot
                .points(&s.settings.drawn, "rgba(40, 50, 80, 0.85)", 4.0);
            "No data yet.".to_string()
        }
        Some(_) => match s.settings.view() {
            "chain" => chain(p, s),
            "forward" => forward(p, s),
            "field" => field(p, s),
            "density" => density(p, s),
            "steps" => steps(p, s),
            _ => samples(p, s),
        },
    };
    let caption = match s.settings.view() {
        "density" | "steps" => caption,
        view => caption + &probe(p, s, view),
    };
    p.caption.set_text_content(Some(&caption));
    p.chart.draw(&s.losses);
}

/// The data as drawn (plot coordinates): the drawn points, or the first of the training set.
fn data(s: &Session) -> Vec<f32> {
    let Some(set) = &s.set else {
        return Vec::new();
    };
    if s.settings.data() == DRAWN {
        s.settings.drawn.clone()
    } else {
        set.normalisation
            .undo(&set.data[..set.data.len().min(2 * SHOWN)])
    }
}

/// "sampling… 40%", while a chain is being drawn.
fn sampling(s: &Session, prefix: &str) -> String {
    match &s.sampling {
        Some((_, c)) => format!("{prefix}sampling… {:.0}%", 100.0 * c.progress()),
        None => format!("{prefix}sampling…"),
    }
}

/// The data and the latest samples.
fn samples(p: &Panel, s: &Session) -> String {
    let Some(set) = &s.set else {
        return String::new();
    };
    if s.settings.data() == DRAWN {
        p.plot.points(&data(s), "rgba(40, 50, 80, 0.9)", 5.0);
    } else {
        p.plot.points(&data(s), DATA, 2.5);
    }
    match &s.samples {
        Some(c) => {
            p.plot.points(
                &set.normalisation.undo(c.last()),
                "rgba(230, 120, 20, 0.75)",
                2.5,
            );
            let quality = c
                .quality
                .map_or(String::new(), |q| format!(" · {}", q.describe()));
            format!(
                "grey: data · orange: {} samples ({}, {} steps, {:.0} ms) from the EMA model of step {}{}{quality}",
                c.last().len() / 2,
                c.sampler,
                c.xs.len() - 1,
                c.ms,
                c.model_step,
                if s.reflows > 0 { " (reflowed)" } else { "" },
            )
        }
        None => sampling(s, "grey: data · "),
    }
}

/// x_t, x̂₀ and trajectories at the scrubber's step.
fn chain(p: &Panel, s: &Session) -> String {
    let (Some(set), Some(c)) = (&s.set, &s.samples) else {
        return sampling(s, "");
    };
    let norm = set.normalisation;
    let k = s.scrub.min(c.xs.len() - 1);
    for i in 0..TRAJECTORIES.min(c.last().len() / 2) {
        let path: Vec<f32> = c.xs[..=k]
            .iter()
            .flat_map(|x| [x[2 * i], x[2 * i + 1]])
            .collect();
        p.plot
            .line(&norm.undo(&path), "rgba(60, 90, 200, 0.35)", 1.0);
    }
    if k > 0 {
        p.plot.points(&norm.undo(&c.x0s[k - 1]), X0, 2.0);
    }
    p.plot.points(&norm.undo(&c.xs[k]), XT, 2.5);
    p.set_scrub(c.xs.len() - 1, k);
    let t = if k == 0 {
        "x_T, pure noise".to_string()
    } else {
        format!("t = {}", text::time(c.ts[k - 1]))
    };
    format!(
        "step {k} / {} of {} ({t}) · grey: x_t, orange: x̂₀, blue: {TRAJECTORIES} trajectories · model of step {}",
        c.xs.len() - 1,
        c.sampler,
        c.model_step
    )
}

/// The data noised to the slider's time.
fn forward(p: &Panel, s: &Session) -> String {
    let Some(set) = &s.set else {
        return String::new();
    };
    let t = set.noise.time_at(s.settings.t());
    let level = set.noise.level(t);
    let n = data(s).len().min(s.forward_noise.len());
    let noised: Vec<f32> = set.data[..n]
        .iter()
        .zip(&s.forward_noise[..n])
        .map(|(x, z)| (level.alpha * *x as f64 + level.sigma * *z as f64) as f32)
        .collect();
    p.plot.points(
        &set.normalisation.undo(&noised),
        "rgba(40, 50, 80, 0.7)",
        2.5,
    );
    p.set_t_label(&text::time(t));
    format!(
        "the data noised to t = {}: x_t = α·x₀ + σ·ε with α = {:.3}, σ = {:.3}",
        text::time(t),
        level.alpha,
        level.sigma
    )
}

/// −ε̂ on a grid at the slider's time.
fn field(p: &Panel, s: &Session) -> String {
    let Some(set) = &s.set else {
        return String::new();
    };
    p.plot.points(&data(s), "rgba(40, 50, 80, 0.18)", 2.0);
    let t = set.noise.time_at(s.settings.t());
    p.set_t_label(&text::time(t));
    let Some((step, _, eps)) = &s.field else {
        return "computing the field…".into();
    };
    let from = grid(FIELD_CELLS, EXTENT);
    let cell = 2.0 * EXTENT / FIELD_CELLS as f64;
    // −ε̂ points along the score; length ∝ |ε̂| (capped at 3)
    let dir: Vec<f32> = eps
        .chunks_exact(2)
        .flat_map(|e| {
            let m = ((e[0] * e[0] + e[1] * e[1]) as f64).sqrt();
            let k = if m > 0.0 {
                (m.min(3.0) / 3.0) * 0.9 * cell / m
            } else {
                0.0
            };
            [(-e[0] as f64 * k) as f32, (-e[1] as f64 * k) as f32]
        })
        .collect();
    p.plot.arrows(&from, &dir, "rgba(20, 110, 90, 0.9)");
    if set.noise.is_flow() {
        return format!(
            "−u: where the flow moves points as t falls from {} (u = ε − x₀ is the learned velocity; arrow length ∝ |u|), EMA model of step {step}",
            text::time(t)
        );
    }
    format!(
        "−ε̂ = σ·∇log p_t: where the model pushes points at t = {} (arrow length ∝ |ε̂|), EMA model of step {step}",
        text::time(t)
    )
}

/// The learned density as a heatmap under the data, sharpening as its blocks arrive (coarse to
/// fine); the true density, where it is known, in an inset; their total variation once complete.
fn density(p: &Panel, s: &Session) -> String {
    let (d, computing) = match (&s.density_job, &s.density) {
        (Some((_, job)), _) if !job.log_p.is_empty() => (job, true),
        (Some((_, job)), _) => {
            return format!(
                "computing the learned density: {:.0}%",
                100.0 * job.progress()
            );
        }
        (None, Some(d)) => (d, false),
        (None, None) => return "the density is computed when training pauses".into(),
    };
    p.plot.heatmap(&d.shades(), d.cells);
    p.plot.points(&data(s), "rgba(255, 255, 255, 0.25)", 1.5);
    if let Some(truth) = d.truth_shades() {
        let side = (p.plot.side() * 0.3).round();
        let at = p.plot.side() - side - 6.0;
        p.plot.inset(&truth, d.cells, at, 6.0, side);
    }
    let what = format!(
        "√p of the learned density ({}×{}, probability-flow ODE, exact divergence, {} RK4 steps) of the EMA model at step {}",
        d.cells,
        d.cells,
        super::density::DENSITY_STEPS,
        d.model_step
    );
    let truth = if d.truth.is_some() {
        "; inset: the true density"
    } else {
        ""
    };
    if computing {
        return format!("{what}, refining: {:.0}%{truth}", 100.0 * d.progress());
    }
    let score = match d.total_variation() {
        Some((tv, blob)) => format!(
            ". Total variation to the truth {tv:.2} (a Gaussian blob of the data's spread: {blob:.2})"
        ),
        None => String::new(),
    };
    format!("{what}, {:.1} s{truth}{score}", d.ms / 1000.0)
}

/// The probe a person dropped: its ODE path (red, hollow at x_T, filled at x₀), the draws of a
/// stochastic sampler (lighter), and on the field view the point where the ODE has it at the
/// slider's t. Returns the caption's addition.
fn probe(p: &Panel, s: &Session, view: &str) -> String {
    let (Some(at), Some(set)) = (s.probe.at, &s.set) else {
        return String::new();
    };
    let Some(paths) = &s.probe.paths else {
        p.plot
            .rings(&[vec![at[0], at[1]]], 0.06, "rgba(200, 30, 50, 0.9)");
        return " · probe: computing its path…".into();
    };
    let draws = paths.draws;
    if draws > 0 {
        for d in 0..draws {
            let path: Vec<f32> = paths
                .sde
                .chunks_exact(2 * draws)
                .flat_map(|frame| [frame[2 * d], frame[2 * d + 1]])
                .collect();
            p.plot.line(&path, "rgba(200, 30, 50, 0.35)", 1.2);
            if let [.., x, y] = path[..] {
                p.plot.points(&[x, y], "rgba(200, 30, 50, 0.6)", 5.0);
            }
        }
    }
    p.plot.line(&paths.ode, "rgba(200, 30, 50, 0.95)", 2.0);
    let start = &paths.ode[..2.min(paths.ode.len())];
    if let [x, y] = start {
        p.plot
            .rings(&[vec![*x as f64, *y as f64]], 0.06, "rgba(200, 30, 50, 0.95)");
    }
    let end = &paths.ode[paths.ode.len().saturating_sub(2)..];
    p.plot.points(end, "rgba(200, 30, 50, 1)", 7.0);
    if view == "field" && !paths.ode_ts.is_empty() {
        // where the ODE has the point at the slider's t: frame k is x at the start of step k,
        // at ts[k]; the last frame is x₀, at t = 0
        let t = set.noise.time_at(s.settings.t());
        let k = paths
            .ode_ts
            .iter()
            .chain(std::iter::once(&0.0))
            .enumerate()
            .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()))
            .map_or(0, |(k, _)| k);
        if let Some(x) = paths.ode.get(2 * k..2 * k + 2) {
            p.plot
                .rings(&[vec![x[0] as f64, x[1] as f64]], 0.1, "rgba(200, 30, 50, 1)");
        }
    }
    let ode = match set.noise.family() {
        diffusion::sampler::Family::Discrete => "DDIM η = 0",
        diffusion::sampler::Family::Sde => "the probability-flow ODE",
        diffusion::sampler::Family::Flow => "the flow's ODE",
    };
    let also = if draws > 0 {
        format!(", light: {draws} draws of {}", paths.ask.spec.sampler)
    } else {
        String::new()
    };
    match end {
        [x, y] => format!(
            " · red: the probe from the ring along {ode} to ({x:.2}, {y:.2}){also}; click elsewhere to move it"
        ),
        _ => String::new(),
    }
}

/// The steps strip: the model sampled with 1, 2, 4, 8, 16 and 50 steps, in a 3 × 2 grid of small
/// plots, each with its quality figure.
fn steps(p: &Panel, s: &Session) -> String {
    let Some(strip) = &s.strip else {
        return sampling(s, "the steps strip: ");
    };
    p.plot.clear_all("#ffffff");
    let side = p.plot.side() / 3.0;
    let data = data(s);
    let shown = &data[..data.len().min(2 * 600)];
    for (i, row) in strip.rows.iter().enumerate() {
        // two rows of three, centred in the square plot
        let cell = p.plot.sub((i % 3) as f64 * side, (0.5 + (i / 3) as f64) * side, side);
        cell.clear();
        let steps = super::session::STRIP_STEPS[i];
        cell.clipped(|c| {
            c.points(shown, "rgba(40, 50, 80, 0.25)", 1.5);
            if let Some((x, _, _)) = row {
                c.points(x, "rgba(230, 120, 20, 0.8)", 2.0);
            }
        });
        let label = match row {
            Some((_, q, _)) => {
                let figure = match q.and_then(|q| q.modes.map(|m| (m, q))) {
                    Some((m, _)) => format!("{:.0}% within 3σ", 100.0 * m.within),
                    None => q.map_or(String::new(), |q| format!("MMD {:.1}× bar", q.ratio())),
                };
                format!("{steps} step{} · {figure}", if steps == 1 { "" } else { "s" })
            }
            None => format!("{steps} steps · …"),
        };
        cell.label(&label, "rgba(20, 25, 40, 0.9)");
    }
    let pending = if s.status() == "sampling" { " (redrawing…)" } else { "" };
    format!(
        "the same EMA model of step {} sampled with {} at 1–50 steps ({} points each){pending}: how many steps it needs",
        strip.model_step, strip.spec.sampler, strip.spec.n
    )
}
