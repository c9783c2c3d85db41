//! Shapes and known values of the ScoreNet and the classifier, and their safetensors round trip.

use burn::prelude::*;
use burn::tensor::Distribution;
use models::{Classifier, SafeTensors, ScoreNet, ScoreNetConfig, weights};

#[test]
fn scorenet_maps_28x28_to_28x28_and_divides_by_the_marginal_std() {
    let device = Device::flex();
    let net = ScoreNet::new(&ScoreNetConfig::default(), &device);
    let x = Tensor::<4>::random([2, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let y = net.forward(x, Tensor::from_floats([0.1, 0.9], &device));
    assert_eq!(y.dims(), [2, 1, 28, 28]);
    // σ(t) = √((25^{2t} − 1)/(2 ln 25)) (seed 000's marginal_prob_std).
    let s = net
        .marginal_std(Tensor::from_floats([0.5, 1.0], &device))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let want = |t: f64| ((25f64.powf(2.0 * t) - 1.0) / (2.0 * 25f64.ln())).sqrt();
    assert!(
        (s[0] as f64 - want(0.5)).abs() < 1e-5 && (s[1] as f64 - want(1.0)).abs() < 1e-4,
        "{s:?}"
    );
    // Fourier frequencies are fixed, not trained.
    assert!(!net.fourier_w.is_require_grad());
}

#[test]
fn scorenet_and_classifier_round_trip_through_safetensors() {
    let device = Device::flex();
    let a = ScoreNet::new(&ScoreNetConfig::default(), &device);
    let file = SafeTensors::parse(&weights::collect(&a).to_bytes(models::Dtype::F32)).unwrap();
    assert!(file.tensors.contains_key("gnorm1.weight") && file.tensors.contains_key("fourier_w"));
    let b = weights::load(ScoreNet::new(&ScoreNetConfig::default(), &device), &file).unwrap();
    assert_eq!(weights::collect(&b).tensors, weights::collect(&a).tensors);

    let c = Classifier::new(&device);
    let x = Tensor::<4>::random([3, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(
        c.features(x.clone()).dims(),
        [3, models::classifier::FEATURES]
    );
    assert_eq!(c.forward(x).dims(), [3, 10]);
    let file = SafeTensors::parse(&weights::collect(&c).to_bytes(models::Dtype::F16)).unwrap();
    // Linear weights are stored as PyTorch does, [out, in].
    assert_eq!(file.tensors["fc1.weight"].shape, vec![256, 6272]);
    weights::load(Classifier::new(&device), &file).unwrap();
}

#[test]
fn flat_weights_carry_a_model_to_another_instance_of_its_architecture() {
    use models::{Mlp, MlpConfig, TimeFeatures};
    let device = Device::flex();
    let config = MlpConfig {
        time_features: TimeFeatures::Fourier { scale: 30.0 },
        ..MlpConfig::default()
    };
    device.seed(1);
    let a = Mlp::new(&config, &device).unwrap();
    device.seed(2);
    let fresh = Mlp::new(&config, &device).unwrap();
    let values = weights::flatten(&a)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(values.len(), a.num_params());
    let b = weights::unflatten(fresh, &values).unwrap();
    let x = Tensor::<2>::random([5, 2], Distribution::Normal(0.0, 1.0), &device);
    let t = Tensor::<1>::from_floats([0.1, 0.3, 0.5, 0.7, 0.9], &device);
    let (ya, yb) = (a.forward(x.clone(), t.clone()), b.forward(x, t));
    assert_eq!(ya.into_data(), yb.into_data());
    // Fourier features are part of the weights too.
    assert_eq!(weights::collect(&b).tensors, weights::collect(&a).tensors);
    let short = weights::unflatten(Mlp::new(&config, &device).unwrap(), &values[1..]);
    assert!(short.unwrap_err().to_string().contains("parameters"));
}
