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

/// diffusers' `beta_schedule` names, read once for model lists, scheduler configs and fixtures.
#[test]
fn diffusers_names_are_the_schedules() {
    let named = |n| BetaSchedule::from_diffusers(n, 1e-4, 0.02);
    assert_eq!(named("linear"), Ok(BetaSchedule::LINEAR));
    assert_eq!(
        BetaSchedule::from_diffusers("scaled_linear", 0.00085, 0.012),
        Ok(BetaSchedule::SCALED_LINEAR)
    );
    assert_eq!(named("squaredcos_cap_v2"), Ok(BetaSchedule::Cosine));
    let e = named("sigmoid").unwrap_err();
    assert!(
        matches!(e, DiffusionError::Unknown { .. }) && e.to_string().contains("squaredcos_cap_v2"),
        "{e}"
    );
}

#[test]
fn too_short_is_an_error() {
    assert_eq!(
        DiscreteSchedule::new(BetaSchedule::Cosine, 1),
        Err(DiffusionError::TooFewTimesteps(1))
    );
}

/// The posterior from the joint Gaussian of (x_{t−1}, x_t) given x₀, conditioned the textbook way:
/// x_{t−1} = a·x₀ + s·z₁, x_t = √α_t·x_{t−1} + √β_t·z₂, so Cov = √α_t·s², Var(x_t) = 1 − ᾱ_t.
#[test]
fn posterior_matches_gaussian_conditioning() {
    let schedule = DiscreteSchedule::new(BetaSchedule::Cosine, 1000).unwrap();
    for t in [1, 10, 500, 999] {
        let (ab, ab_prev, beta) = (
            schedule.alpha_bar(t),
            schedule.alpha_bar(t - 1),
            schedule.beta(t),
        );
        let (a, s2) = (ab_prev.sqrt(), 1.0 - ab_prev);
        let cov = (1.0 - beta).sqrt() * s2;
        let var = (1.0 - beta) * s2 + beta;
        let coef_xt = cov / var;
        let coef_x0 = a - coef_xt * ab.sqrt();
        let post = schedule.posterior(t);
        for (got, want) in [
            (post.coef_xt, coef_xt),
            (post.coef_x0, coef_x0),
            (post.var_small, s2 - cov * cov / var),
        ] {
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "t={t}: {got} vs {want}"
            );
        }
        assert!((post.var_large - beta).abs() < 1e-12);
    }
}

#[test]
fn q_sample_is_the_closed_form_marginal() {
    use burn::prelude::*;
    let schedule = DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).unwrap();
    let d = common::device();
    let x0 = Tensor::<1>::from_floats([1.0, -2.0], &d);
    let eps = Tensor::<1>::from_floats([0.5, 0.25], &d);
    let got = common::values(schedule.q_sample(x0, 400, eps));
    let ab = schedule.alpha_bar(400);
    let want = [
        ab.sqrt() + 0.5 * (1.0 - ab).sqrt(),
        -2.0 * ab.sqrt() + 0.25 * (1.0 - ab).sqrt(),
    ];
    assert!(max_abs_diff(&got, &want) < 1e-6, "{got:?} vs {want:?}");
}
