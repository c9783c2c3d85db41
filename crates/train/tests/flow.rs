//! Flow matching in the 2-D trainer against closed forms and quality bars: the velocity a short
//! run learns on 8 Gaussians approaches the mixture's exact velocity under the linear path
//! (`diffusion::flow::mixture_velocity`), its samples cover the 8 modes, a reflow samples them in
//! 2 Euler steps, and the quality measure fails a diffuse run that the old energy bar passed.

use burn::prelude::*;
use diffusion::flow::mixture_velocity;
use diffusion::sampler::{Options, block_on};
use diffusion::{GaussianMixture, SeededNoise};
use train::objective::posterior_mean;
use train::toy::{
    FlowTimes, Process, Quality, Target, ToyConfig, ToyRun, blob_density, total_variation,
};

/// Weight initialisation draws from the device's global generator: one initialisation at a time
/// keeps each test reproducible; training and sampling draw from the run's and the chain's own
/// seeded sources, so the runs train side by side.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn new_run(config: ToyConfig, device: &Device) -> Result<ToyRun, String> {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    ToyRun::new(config, device)
}

/// Textbook flow matching: each row's own pair as the target, t ~ U(0, 1).
fn flow_config(ot: bool) -> ToyConfig {
    ToyConfig {
        process: Process::Flow { ot },
        lr: 1e-2,
        seed: 3,
        target: Target::Pair,
        times: FlowTimes::Uniform,
        ..ToyConfig::default()
    }
}

fn train(run: &mut ToyRun, steps: usize) {
    for i in 0..steps {
        let loss = run.step();
        if i % 100 == 99 {
            run.trainer.check(loss.into_scalar::<f32>()).unwrap();
        }
    }
}

fn quality(run: &ToyRun, sampler: &str, steps: usize) -> Quality {
    let options = Options {
        steps,
        ..Options::default()
    };
    let x = run.sample(sampler, &options, 1000, 11, |_| {}).unwrap();
    run.set.quality(&x.into_data().try_to_vec::<f32>().unwrap())
}

/// The data set's own mixture (its modes and σ in the set's coordinates).
fn mixture(run: &ToyRun) -> GaussianMixture {
    let (centres, sigma) = run.set.modes().unwrap();
    GaussianMixture::new(vec![1.0; centres.len()], centres, vec![sigma; 8]).unwrap()
}

#[test]
fn flow_matching_learns_the_mixtures_velocity_and_reflow_samples_in_two_steps() {
    let device = Device::flex();
    let mut run = new_run(flow_config(false), &device).unwrap();
    train(&mut run, 1500);

    // the learned velocity against the closed form, on points of the noised data at each t
    let mix = mixture(&run);
    let frozen = run.frozen();
    let mut rng = SeededNoise::new(8);
    for t in [0.3, 0.6, 0.9] {
        let (x0, _) = mix.sample(400, &mut rng);
        let z = rng.normals(800);
        let xt: Vec<f32> = x0
            .iter()
            .zip(&z)
            .map(|(a, b)| ((1.0 - t) * *a as f64 + t * *b as f64) as f32)
            .collect();
        let got = frozen.eps(&xt, t).into_data().try_to_vec::<f32>().unwrap();
        let (mut err, mut norm) = (0.0, 0.0);
        for (i, p) in xt.chunks(2).enumerate() {
            let u = mixture_velocity(&mix, &[p[0] as f64, p[1] as f64], t);
            for d in 0..2 {
                err += (got[2 * i + d] as f64 - u[d]).powi(2);
                norm += u[d].powi(2);
            }
        }
        let rel = (err / norm).sqrt();
        println!("t = {t}: relative L2 error of the learned velocity {rel:.3}");
        assert!(rel < 0.25, "t = {t}: {rel}");
    }

    let q = quality(&run, "flow-heun", 25);
    println!("flow, 1500 steps, heun 25: {}", q.describe());
    assert!(q.crisp(), "{q:?}");
    // the density view's solve (16 RK4 steps, exact divergence) is close to 128 steps, and it
    // shows 8 modes as 8 modes: each centre is denser than the point halfway to its neighbour
    let (centres, _) = run.set.modes().unwrap();
    let mut pts = Vec::new();
    for (k, c) in centres.iter().enumerate() {
        let n = &centres[(k + 1) % 8];
        pts.extend([c[0] as f32, c[1] as f32]);
        pts.extend([(0.5 * (c[0] + n[0])) as f32, (0.5 * (c[1] + n[1])) as f32]);
    }
    let log_p = |steps| {
        let lp = run.frozen().log_density(&pts, steps).unwrap();
        lp.into_data().try_to_vec::<f32>().unwrap()
    };
    let (lp, fine) = (log_p(16), log_p(128));
    for k in 0..8 {
        println!(
            "mode {k}: log p {:.2} at its centre, {:.2} halfway to the next",
            lp[2 * k],
            lp[2 * k + 1]
        );
        assert!(lp[2 * k] > lp[2 * k + 1] + 0.5, "mode {k}: {lp:?}");
    }
    for (a, b) in lp.iter().zip(&fine) {
        // measured: up to 0.09 nats apart where the density is low, beside a contrast of ~2 nats
        assert!((a - b).abs() < 0.15, "RK4-16 {a} vs RK4-128 {b}");
    }
    // and its total variation to the true mixture on a 64² grid is under half a blob's
    let (mut grid, h) = (Vec::new(), 6.0 / 64.0);
    for r in 0..64 {
        for c in 0..64 {
            grid.extend([
                (-3.0 + (c as f64 + 0.5) * h) as f32,
                (-3.0 + (r as f64 + 0.5) * h) as f32,
            ]);
        }
    }
    let lp = run.frozen().log_density(&grid, 16).unwrap();
    let lp = lp.into_data().try_to_vec::<f32>().unwrap();
    let top = lp.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let learned: Vec<f64> = lp.iter().map(|v| ((v - top) as f64).exp()).collect();
    let truth = run.set.true_density(&grid).unwrap();
    let (tv, blob) = (
        total_variation(&learned, &truth),
        total_variation(&blob_density(&grid), &truth),
    );
    println!("total variation to the truth: {tv:.3} (a blob: {blob:.3})");
    assert!(tv < 0.5 * blob, "{tv} vs {blob}");
    let two = quality(&run, "flow-euler", 2);
    println!("flow, 1500 steps, euler 2: {}", two.describe());

    let mut reflow = block_on(run.reflow("rk45", &Options::default(), 4000)).unwrap();
    assert_eq!(reflow.trainer.step, 1500);
    train(&mut reflow, 1000);
    let q2 = quality(&reflow, "flow-euler", 2);
    println!("reflow, +1000 steps, euler 2: {}", q2.describe());
    let m = q2.modes.unwrap();
    assert!(m.within >= 0.8 && m.covered == 8, "{q2:?}");
    assert!(
        m.within > two.modes.unwrap().within,
        "reflow beats the 1-rectified flow at 2 steps"
    );
}

/// The old bar (energy distance ≤ 3× data-vs-data) passed the e2e's diffuse ring (DDPM, 1,500
/// steps at lr 1e-3); the mode measure and the calibrated MMD fail it.
#[test]
fn the_quality_measure_fails_a_diffuse_ring() {
    let device = Device::flex();
    let mut run = new_run(
        ToyConfig {
            seed: 3,
            ..ToyConfig::textbook_ddpm()
        },
        &device,
    )
    .unwrap();
    train(&mut run, 1500);
    let q = quality(&run, "ddim", 50);
    println!("ddpm, lr 1e-3, 1500 steps: {}", q.describe());
    assert!(!q.crisp() && q.ratio() > 3.0, "{q:?}");
    // fresh data passes its own bar
    let fresh = run.set.fresh(1000, &mut SeededNoise::new(1)).unwrap();
    let q = run.set.quality(&fresh);
    assert!(q.crisp() && q.ratio() < 1.0, "{q:?}");
}

/// The defaults (flow matching on the stable target, lr 1e-2) make 8 Gaussians crisp (≥ 90%
/// within 3σ, 8/8 modes) in 300 steps; textbook flow matching at the same lr is not crisp there
/// (measured: 88.5% at 300; crisp at 600 with seed 0, not by 800 with seed 3).
#[test]
fn the_defaults_are_crisp_in_300_steps() {
    let device = Device::flex();
    let default = ToyConfig {
        seed: 3,
        ..ToyConfig::default()
    };
    let mut run = new_run(default.clone(), &device).unwrap();
    train(&mut run, 300);
    let q = quality(&run, "flow-heun", 25);
    println!("defaults, 300 steps: {}", q.describe());
    assert!(q.crisp(), "{q:?}");
    let mut run = new_run(flow_config(false), &device).unwrap();
    train(&mut run, 300);
    let q = quality(&run, "flow-heun", 25);
    println!("textbook flow matching, 300 steps: {}", q.describe());
    assert!(!q.crisp(), "{q:?}");
}

/// The stable target's posterior mean against closed forms: two reference points ±m in 1-D give
/// E[x₀ | x_t] = m·tanh(α·m·x_t / σ²); one reference point is returned whatever x_t is.
#[test]
fn the_posterior_mean_over_the_batch_is_the_closed_form() {
    let m = 0.7f32;
    for (x, a, s) in [
        (0.3f32, 0.9f32, 0.4f32),
        (-1.2, 0.5, 0.8),
        (2.0, 0.99, 0.05),
    ] {
        let got = posterior_mean(&[x], &[a], &[s], &[m, -m], 1)[0];
        let want = m * (a * m * x / (s * s)).tanh();
        assert!((got - want).abs() < 1e-5, "x {x}: {got} vs {want}");
    }
    let one = posterior_mean(&[5.0, -3.0], &[0.2], &[1e-3], &[0.25, 0.5], 2);
    assert_eq!(one, vec![0.25, 0.5]);
}
