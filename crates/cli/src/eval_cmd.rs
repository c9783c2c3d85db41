//! `diffuse eval` for MNIST models: accuracy of class-conditional samples under our classifier,
//! and a classifier FID (Fréchet distance of the classifier's 256-d penultimate features) against
//! the MNIST test set, next to the real-train-vs-real-test value at the same N.

use std::path::Path;

use burn::prelude::*;
use data::Images;
use models::Classifier;
use serde::Serialize;

use crate::fid::{frechet, moments};
use crate::generate::{Run, load_run, sample};
use crate::presets::{Dataset, Net, load_data, preset};

#[derive(Debug, Clone, Serialize)]
pub struct MnistEval {
    pub model: String,
    pub sampler: String,
    pub steps: usize,
    pub guidance: f64,
    pub n: usize,
    pub classifier_test_accuracy: f64,
    /// Share of generated images our classifier assigns to the requested class (U-Net only).
    pub sample_accuracy: Option<f64>,
    pub fid_samples_vs_test: f64,
    pub fid_train_vs_test: f64,
    pub fid_ratio: f64,
    pub sampling_seconds: f64,
}

/// Features and predicted classes of images in [−1, 1], in batches.
pub fn classify(
    clf: &Classifier,
    x: &[f32],
    n: usize,
    batch: usize,
    device: &Device,
) -> (Vec<f32>, Vec<u8>) {
    let size = 28 * 28;
    let mut feats = Vec::with_capacity(n * models::classifier::FEATURES);
    let mut preds = Vec::with_capacity(n);
    for start in (0..n).step_by(batch) {
        let b = batch.min(n - start);
        let t = Tensor::<4>::from_data(
            TensorData::new(x[start * size..(start + b) * size].to_vec(), [b, 1, 28, 28]),
            device,
        );
        let f = clf.features(t);
        let logits = clf.fc2.forward(f.clone());
        feats.extend(
            f.into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .expect("f32"),
        );
        preds.extend(
            logits
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .expect("ints")
                .iter()
                .map(|&p| p as u8),
        );
    }
    (feats, preds)
}

/// Draws `n` images in batches, image i of class i mod 10 (the class is ignored by unconditional
/// models), each batch from its own seed; returns the images ([−1, 1], N×C×H×W), the requested
/// classes and the seconds spent.
pub fn sample_balanced(
    net: &Net,
    spec_base: &zoo::ChainSpec,
    n: usize,
    batch: usize,
    device: &Device,
) -> Result<(Vec<f32>, Vec<usize>, f64), String> {
    let started = std::time::Instant::now();
    let mut generated = Vec::new();
    let mut requested = Vec::with_capacity(n);
    for (k, start) in (0..n).step_by(batch.max(1)).enumerate() {
        let b = batch.min(n - start);
        let classes: Vec<usize> = (start..start + b).map(|i| i % 10).collect();
        let spec = zoo::ChainSpec {
            n: b,
            classes: classes.clone(),
            seed: spec_base.seed.wrapping_add(k as u64),
            ..spec_base.clone()
        };
        let x = sample(net, &spec, device, |_| {})?;
        generated.extend(
            x.clamp(-1.0, 1.0)
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .expect("f32"),
        );
        requested.extend(classes);
        eprintln!("sampled {}/{n}", start + b);
    }
    Ok((generated, requested, started.elapsed().as_secs_f64()))
}

fn all_f32(images: &Images, n: usize) -> Vec<f32> {
    images.batch_f32(&(0..n.min(images.len())).collect::<Vec<_>>())
}

pub fn eval_mnist(
    run: &Run,
    clf_dir: &Path,
    data_dir: &Path,
    spec_base: &zoo::ChainSpec,
    n: usize,
    batch: usize,
    device: &Device,
) -> Result<(MnistEval, Vec<f32>), String> {
    if preset(&run.state.model)?.dataset != Dataset::Mnist {
        return Err(format!(
            "eval measures MNIST models; {} is not one",
            run.state.model
        ));
    }
    if batch == 0 || n < 2 {
        return Err("eval needs --batch ≥ 1 and --n ≥ 2".into());
    }
    let clf = match load_run(clf_dir, device)?.net {
        Net::Classifier(c) => c,
        _ => return Err(format!("{} is not a classifier run", clf_dir.display())),
    };
    let test = load_data(Dataset::Mnist, data_dir, false).map_err(|e| e.to_string())?;
    let train = load_data(Dataset::Mnist, data_dir, true).map_err(|e| e.to_string())?;
    let d = models::classifier::FEATURES;
    // The classifier's accuracy on the whole test set; FID statistics from its first n images.
    let (all_feats, test_preds) =
        classify(&clf, &all_f32(&test, test.len()), test.len(), batch, device);
    let acc = test_preds
        .iter()
        .zip(&test.labels)
        .filter(|(p, l)| p == l)
        .count() as f64
        / test.len() as f64;
    let n_ref = n.min(test.len());
    let test_feats = &all_feats[..n_ref * d];
    let (train_feats, _) = classify(&clf, &all_f32(&train, n), n.min(train.len()), batch, device);
    let (mu_t, s_t) = moments(test_feats, n_ref, d);
    let (mu_r, s_r) = moments(&train_feats, n.min(train.len()), d);
    let fid_real = frechet(&mu_r, &s_r, &mu_t, &s_t, d);

    let conditional = matches!(&run.net, Net::UNet(u) if u.class_rows().is_some());
    let (generated, requested, sampling_seconds) =
        sample_balanced(&run.net, spec_base, n, batch, device)?;
    let (gen_feats, gen_preds) = classify(&clf, &generated, n, batch, device);
    let (mu_g, s_g) = moments(&gen_feats, n, d);
    let fid_gen = frechet(&mu_g, &s_g, &mu_t, &s_t, d);
    let sample_accuracy = conditional.then(|| {
        gen_preds
            .iter()
            .zip(&requested)
            .filter(|(p, r)| **p as usize == **r)
            .count() as f64
            / n as f64
    });
    Ok((
        MnistEval {
            model: run.state.model.clone(),
            sampler: spec_base.sampler.clone(),
            steps: spec_base.options.steps,
            guidance: spec_base.guidance,
            n,
            classifier_test_accuracy: acc,
            sample_accuracy,
            fid_samples_vs_test: fid_gen,
            fid_train_vs_test: fid_real,
            fid_ratio: fid_gen / fid_real,
            sampling_seconds,
        },
        generated,
    ))
}
