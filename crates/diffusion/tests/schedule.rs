mod common;

use common::{fixture, floats, max_abs_diff};
use diffusion::{BetaSchedule, DiffusionError, DiscreteSchedule};

fn check(name: &str, kind: BetaSchedule) {
    let reference = &fixture("schedules.json")[name];
    let schedule = DiscreteSchedule::new(kind, 1000).unwrap();
    let betas: Vec<f64> = (0..1000).map(|t| schedule.beta(t)).collect();
    let abar: Vec<f64> = (0..1000).map(|t| schedule.alpha_bar(t)).collect();
    let eb = max_abs_diff(&betas, &floats(&reference["betas"]));
    let ea = max_abs_diff(&abar, &floats(&reference["alphas_cumprod"]));
    // diffusers computes these in float32
    assert!(
        eb < 1e-7 && ea < 1e-6,
        "{name}: betas err {eb:e}, alphas_cumprod err {ea:e}"
    );
}

#[test]
fn linear_matches_diffusers() {
    check("linear", BetaSchedule::LINEAR);
}

#[test]
fn cosine_matches_diffusers() {
    check("cosine", BetaSchedule::Cosine);
}

#[test]
fn too_short_is_an_error() {
    assert_eq!(
        DiscreteSchedule::new(BetaSchedule::Cosine, 1),
        Err(DiffusionError::TooFewTimesteps(1))
    );
}
