//! The image pipeline end to end on a tiny configuration: train a small class-conditional U-Net on
//! a synthetic MNIST-format data set → export f16 weights and a manifest entry → load them the way
//! the page will (config + safetensors) → sample with a core sampler → a PNG grid.

use burn::prelude::*;
use diffuse::generate::{grid_png, load_run, sample};
use diffuse::train_cmd::{TrainArgs, train};
use models::{SafeTensors, UNet, UNetConfig, weights};
use zoo::ChainSpec;

#[test]
fn train_export_load_sample() {
    let dir = std::env::temp_dir().join(format!("pipeline-{}", std::process::id()));
    let mnist = dir.join("data/mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    // 40 images: class k has a bright vertical bar at columns 2k+4..2k+6.
    let n = 40u32;
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let mut px = Vec::new();
    for &l in &labels {
        for _y in 0..28 {
            for x in 0..28u8 {
                px.push(if x >= 2 * l + 4 && x < 2 * l + 6 {
                    255
                } else {
                    0
                });
            }
        }
    }
    std::fs::write(
        mnist.join("train-images-idx3-ubyte"),
        data::encode_idx(&[n, 28, 28], &px),
    )
    .unwrap();
    std::fs::write(
        mnist.join("train-labels-idx1-ubyte"),
        data::encode_idx(&[n], &labels),
    )
    .unwrap();

    let out = dir.join("run");
    let args = TrainArgs {
        model: "tiny-unet-cond".into(),
        data_dir: dir.join("data"),
        out: out.clone(),
        steps: 6,
        batch: Some(8),
        lr: None,
        seed: 0,
        device: "cpu".into(),
        resume: false,
        log_every: 3,
        save_every: 100,
        max_minutes: None,
        limit: None,
    };
    let state = train(&args).unwrap();
    assert_eq!(state.step, 6);
    assert_eq!(state.losses.len(), 2);
    assert!(state.losses.iter().all(|l| l.1.is_finite()));
    // Resuming continues from the checkpoint, Adam's moments included.
    assert!(out.join("optimizer.bpk").exists() && out.join("optimizer-ids.json").exists());
    let state = train(&TrainArgs {
        steps: 9,
        resume: true,
        ..args.clone()
    })
    .unwrap();
    assert_eq!(state.step, 9);

    let static_dir = dir.join("static/weights");
    let entry =
        diffuse::export_cmd::export(&out, "tiny", models::Dtype::F16, &static_dir, None).unwrap();
    assert_eq!(entry.dtype, "F16");
    assert!(
        entry.f16_max_rel_output_error < 1e-2,
        "{}",
        entry.f16_max_rel_output_error
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(static_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["models"][0]["id"], "tiny");

    // Load as the page will: config from the manifest, weights from the exported file.
    let device = Device::flex();
    let config = UNetConfig::from_json(&manifest["models"][0]["config"].to_string()).unwrap();
    let file =
        SafeTensors::parse(&std::fs::read(static_dir.join("tiny.safetensors")).unwrap()).unwrap();
    let unet = weights::load(UNet::new(&config, &device).unwrap(), &file).unwrap();
    assert_eq!(unet.class_rows(), Some(11));

    let run = load_run(&out, &device).unwrap();
    let spec = ChainSpec {
        n: 2,
        sampler: "ddim".into(),
        options: diffusion::sampler::Options {
            steps: 3,
            ..Default::default()
        },
        classes: vec![1, 7],
        guidance: 1.5,
        seed: 4,
    };
    let mut steps = 0;
    let x = sample(&run.net, &spec, &device, |_| steps += 1).unwrap();
    assert_eq!(steps, 3);
    assert_eq!(x.dims(), [2, 1, 28, 28]);
    let v = x.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|p| p.is_finite()));
    let png = grid_png(&v, 2, 1, 28, 28, 2);
    assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
    std::fs::remove_dir_all(&dir).unwrap();
}
