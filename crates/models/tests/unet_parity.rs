//! The U-Net against diffusers 0.42.1: two tiny `UNet2DModel` checkpoints (one class-conditional)
//! run on stored inputs must reproduce diffusers' stored outputs.

use std::path::PathBuf;

use burn::prelude::*;
use models::safetensors::SafeTensors;
use models::{UNet, UNetConfig, weights};

fn fixture(name: &str) -> Vec<u8> {
    // read when the test runs: a build reused from another checkout path keeps its own
    let path = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../../tests/fixtures/diffusers")
    .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} ({e})", path.display()))
}

fn run_case(stem: &str) -> f32 {
    let device = Device::flex();
    let config =
        UNetConfig::from_json(&String::from_utf8(fixture(&format!("{stem}_config.json"))).unwrap())
            .unwrap();
    let file = SafeTensors::parse(&fixture(&format!("{stem}.safetensors"))).unwrap();
    let unet = weights::load(UNet::new(&config, &device).unwrap(), &file).unwrap();
    let io = SafeTensors::parse(&fixture(&format!("{stem}_io.safetensors"))).unwrap();
    let tensor4 = |k: &str| {
        let t = &io.tensors[k];
        Tensor::<4>::from_data(TensorData::new(t.values.clone(), t.shape.clone()), &device)
    };
    let x = tensor4("x");
    let t = Tensor::<1>::from_floats(io.tensors["t"].values.as_slice(), &device);
    let classes = io.tensors.get("class_labels").map(|c| {
        let ints: Vec<i64> = c.values.iter().map(|&v| v as i64).collect();
        Tensor::<1, Int>::from_ints(ints.as_slice(), &device)
    });
    let y = unet
        .forward(x, t, classes)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let want = &io.tensors["y"];
    assert_eq!(y.len(), want.values.len());
    let scale = want.values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let err = y
        .iter()
        .zip(&want.values)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    println!("{stem}: max |ours − diffusers| = {err:.3e} (outputs up to {scale:.3})");
    err
}

#[test]
fn unconditional_tiny_unet_matches_diffusers() {
    assert!(run_case("unet_tiny") < 1e-4);
}

#[test]
fn class_conditional_tiny_unet_matches_diffusers() {
    assert!(run_case("unet_tiny_class") < 1e-4);
}

#[test]
fn round_trip_through_safetensors_gives_identical_outputs() {
    let device = Device::flex();
    let config =
        UNetConfig::from_json(&String::from_utf8(fixture("unet_tiny_class_config.json")).unwrap())
            .unwrap();
    let a = UNet::new(&config, &device).unwrap();
    let bytes = weights::collect(&a).to_bytes(models::Dtype::F32);
    let b = weights::load(
        UNet::new(&config, &device).unwrap(),
        &SafeTensors::parse(&bytes).unwrap(),
    )
    .unwrap();
    let x = Tensor::<4>::random(
        [2, 3, 16, 16],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let t = Tensor::<1>::from_floats([3.0, 900.0], &device);
    let c = Tensor::<1, Int>::from_ints([1, 9], &device);
    // The weights come back bit for bit …
    assert_eq!(weights::collect(&b).tensors, weights::collect(&a).tensors);
    // … and the outputs agree to float rounding (a loaded Linear weight is a transposed view, so
    // the CPU kernels may sum in another order).
    let ya = a
        .forward(x.clone(), t.clone(), Some(c.clone()))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let yb = b
        .forward(x, t, Some(c))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let err = ya
        .iter()
        .zip(&yb)
        .fold(0f32, |m, (p, q)| m.max((p - q).abs()));
    assert!(err < 1e-5, "round trip changed outputs by {err}");
    // No labels on a class-conditional model means the last ("no class") row.
    let x = Tensor::<4>::random(
        [2, 3, 16, 16],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let t = Tensor::<1>::from_floats([3.0, 900.0], &device);
    let none = a
        .forward(x.clone(), t.clone(), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let null = a
        .forward(x, t, Some(Tensor::<1, Int>::from_ints([9, 9], &device)))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(none, null);
}

#[test]
fn a_checkpoint_of_another_model_is_refused_with_a_reason() {
    let device = Device::flex();
    let config =
        UNetConfig::from_json(&String::from_utf8(fixture("unet_tiny_config.json")).unwrap())
            .unwrap();
    // The class-conditional checkpoint has one tensor more than the unconditional model.
    let file = SafeTensors::parse(&fixture("unet_tiny_class.safetensors")).unwrap();
    let err = weights::load(UNet::new(&config, &device).unwrap(), &file).unwrap_err();
    assert!(err.to_string().contains("class_embedding"), "{err}");
    // A wider model: shapes do not fit.
    let mut wide = config.clone();
    wide.block_out_channels = vec![64, 64];
    let err = weights::load(UNet::new(&wide, &device).unwrap(), &file).unwrap_err();
    assert!(matches!(err, models::ModelError::Shape { .. }), "{err}");
    // Unsupported configs say which field.
    let mut odd = config;
    odd.down_block_types[0] = "CrossAttnDownBlock2D".into();
    assert!(
        UNet::new(&odd, &device)
            .unwrap_err()
            .to_string()
            .contains("CrossAttnDownBlock2D")
    );
}

/// The config google/ddpm-cifar10-32 publishes (diffusers 0.0.4: no `mid_block_type`, no
/// `add_attention`, which take their defaults) builds, with the DDPM paper's 35.7 M parameters.
/// Its weights also use the old attention names, which loading renames (`unet::legacy_keys`).
#[test]
fn the_published_ddpm_cifar10_config_builds_with_its_parameter_count() {
    use burn::module::Module;
    let published = r#"{"_class_name": "UNet2DModel", "_diffusers_version": "0.0.4",
        "act_fn": "silu", "attention_head_dim": null, "block_out_channels": [128, 256, 256, 256],
        "center_input_sample": false,
        "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
        "downsample_padding": 0, "flip_sin_to_cos": false, "freq_shift": 1, "in_channels": 3,
        "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-06,
        "norm_num_groups": 32, "out_channels": 3, "sample_size": 32,
        "time_embedding_type": "positional",
        "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]}"#;
    let config = UNetConfig::from_json(published).unwrap();
    let unet = UNet::new(&config, &Device::flex()).unwrap();
    assert_eq!(unet.num_params(), 35_746_307);
}
