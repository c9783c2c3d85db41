//! The zoo end to end on tiny networks: manifest entries, every way a weights file can be wrong
//! (each with its own message), and image chains (batched guidance equals the two-call formula).

use burn::prelude::*;
use diffusion::guidance::Guided;
use diffusion::sampler::Network;
use diffusion::sampler::Options;
use diffusion::{Denoiser, Level, Parameterization};
use models::{Dtype, UNet, UNetConfig};
use serde_json::json;
use zoo::{ChainSpec, Entry, ImageChain, LoadError, Manifest, Net, Process, load, sha256_hex};

fn tiny_config() -> UNetConfig {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    UNetConfig {
        sample_size: 8,
        in_channels: 1,
        out_channels: 1,
        block_out_channels: vec![8, 16],
        layers_per_block: 1,
        down_block_types: s(&["DownBlock2D", "AttnDownBlock2D"]),
        up_block_types: s(&["AttnUpBlock2D", "UpBlock2D"]),
        norm_num_groups: 4,
        num_class_embeds: Some(4),
        ..UNetConfig::default()
    }
}

/// A tiny conditional U-Net (3 classes + "no class") as a shipped entry with its file's bytes.
fn tiny(device: &Device) -> (Entry, Vec<u8>, Net) {
    let net = Net::UNet(UNet::new(&tiny_config(), device).unwrap());
    let bytes = net.weights().to_bytes(Dtype::F16);
    let entry = Entry {
        id: "tiny".into(),
        file: "tiny.safetensors".into(),
        architecture: "unet2d".into(),
        config: serde_json::from_str(&net.config_json()).unwrap(),
        process: Some(Process::ddpm_linear()),
        prediction: "epsilon".into(),
        dataset: "test".into(),
        classes: vec!["a".into(), "b".into(), "c".into()],
        conditional: true,
        null_class: Some(3),
        dtype: "F16".into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        params: net.num_params(),
        f16_max_rel_output_error: 0.0,
        recipe: json!(null),
        evaluation: json!(null),
    };
    (entry, bytes, net)
}

#[test]
fn the_shipped_manifest_parses_and_every_file_matches_it() {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let dir = format!("{root}/../../static/weights");
    let manifest =
        Manifest::parse(&std::fs::read_to_string(format!("{dir}/manifest.json")).unwrap()).unwrap();
    assert!(!manifest.models.is_empty());
    let device = Device::flex();
    for entry in &manifest.models {
        let bytes = std::fs::read(format!("{dir}/{}", entry.file)).unwrap();
        let net = load(entry, &bytes, &device).unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        assert_eq!(net.num_params(), entry.params, "{}", entry.id);
        assert_eq!(net.architecture(), entry.architecture);
        assert!(!entry.samplers().is_empty() || entry.process.is_none());
    }
    // a manifest written back reads the same
    assert_eq!(Manifest::parse(&manifest.to_json()).unwrap(), manifest);
}

#[test]
fn a_good_file_loads_to_the_same_network() {
    let device = Device::flex();
    let (entry, bytes, net) = tiny(&device);
    let loaded = load(&entry, &bytes, &device).unwrap();
    assert_eq!(loaded.num_params(), net.num_params());
    assert_eq!(loaded.classes(), Some(3));
}

#[test]
fn every_bad_file_gets_its_own_message() {
    let device = Device::flex();
    let (entry, bytes, _) = tiny(&device);
    let msg = |r: Result<Net, LoadError>| r.err().expect("must fail");

    let html = b"<!DOCTYPE html><html><body>Not found</body></html>".to_vec();
    let e = msg(load(&entry, &html, &device));
    assert!(matches!(e, LoadError::Html { .. }), "{e}");
    assert!(e.to_string().contains("web page"), "{e}");

    let e = msg(load(&entry, &bytes[..bytes.len() / 2], &device));
    assert!(matches!(e, LoadError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("incomplete"), "{e}");

    let mut longer = bytes.clone();
    longer.extend([0u8; 8]);
    let e = msg(load(&entry, &longer, &device));
    assert!(matches!(e, LoadError::Size { .. }), "{e}");

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    let e = msg(load(&entry, &flipped, &device));
    assert!(matches!(e, LoadError::Checksum { .. }), "{e}");
    assert!(e.to_string().contains("damaged"), "{e}");

    // a valid file of another architecture, listed with its own size and checksum: the shapes
    // do not fit
    let mut other_cfg = tiny_config();
    other_cfg.block_out_channels = vec![8, 8];
    let other = Net::UNet(UNet::new(&other_cfg, &device).unwrap())
        .weights()
        .to_bytes(Dtype::F16);
    let wrong = Entry {
        bytes: other.len() as u64,
        sha256: sha256_hex(&other),
        ..entry.clone()
    };
    let e = msg(load(&wrong, &other, &device));
    assert!(matches!(e, LoadError::Model { .. }), "{e}");
    assert!(e.to_string().contains("shape"), "{e}");

    // a header that is not safetensors at all
    let junk = vec![0xffu8; 64];
    let junk_entry = Entry {
        bytes: 64,
        sha256: sha256_hex(&junk),
        ..entry.clone()
    };
    let e = msg(load(&junk_entry, &junk, &device));
    assert!(matches!(e, LoadError::Model { .. }), "{e}");

    // a config the network cannot be built with is refused, not a panic
    let odd_config = Entry {
        architecture: "scorenet".into(),
        config: json!({"channels": [16, 32, 64, 128]}),
        ..entry.clone()
    };
    let e = msg(load(&odd_config, &bytes, &device));
    assert!(e.to_string().contains("multiple of 32"), "{e}");

    // an unknown architecture
    let odd = Entry {
        architecture: "transformer".into(),
        ..entry.clone()
    };
    let e = msg(load(&odd, &bytes, &device));
    assert!(e.to_string().contains("does not know"), "{e}");
}

#[test]
fn a_manifest_that_is_a_page_or_broken_says_so() {
    let e = Manifest::parse("<!doctype html><p>404</p>").unwrap_err();
    assert!(e.contains("HTML"), "{e}");
    let e = Manifest::parse("{\"models\": [{\"id\": 3}]}").unwrap_err();
    assert!(e.contains("cannot be read"), "{e}");
}

fn spec(n: usize, classes: Vec<usize>, guidance: f64) -> ChainSpec {
    ChainSpec {
        sampler: "dpm++2m".into(),
        options: Options {
            steps: 4,
            ..Default::default()
        },
        n,
        classes,
        guidance,
        seed: 3,
    }
}

#[test]
fn a_chain_walks_every_step_and_refuses_what_does_not_fit() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let process = Process::ddpm_linear();
    let mut chain = ImageChain::new(&net, &process, &spec(2, vec![0, 2], 2.0), &device).unwrap();
    assert_eq!(chain.len(), 4);
    assert_eq!(chain.shape(), [2, 1, 8, 8]);
    let mut seen = 0;
    let x = chain
        .run(|s| {
            assert_eq!(s.index, seen);
            assert_eq!(s.x0.dims(), [2, 1, 8, 8]);
            seen += 1;
        })
        .unwrap();
    assert_eq!(seen, 4);
    let v = x.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|v| v.is_finite()));

    let e = ImageChain::new(&net, &process, &spec(2, vec![0, 3], 1.0), &device)
        .err()
        .unwrap();
    assert!(e.contains("class 3 does not exist"), "{e}");
    let e = ImageChain::new(&net, &process, &spec(2, vec![0], 1.0), &device)
        .err()
        .unwrap();
    assert!(e.contains("1 classes given for 2 images"), "{e}");
    let pc = ChainSpec {
        sampler: "pc".into(),
        ..spec(1, vec![], 0.0)
    };
    let e = ImageChain::new(&net, &process, &pc, &device).err().unwrap();
    assert!(e.contains("does not fit"), "{e}");
    // the same seed gives the same images
    let a = ImageChain::new(&net, &process, &spec(2, vec![], 0.0), &device)
        .unwrap()
        .run(|_| {})
        .unwrap();
    let b = ImageChain::new(&net, &process, &spec(2, vec![], 0.0), &device)
        .unwrap()
        .run(|_| {})
        .unwrap();
    assert_eq!(
        a.into_data().try_to_vec::<f32>().unwrap(),
        b.into_data().try_to_vec::<f32>().unwrap()
    );
}

/// One guided batch of 2n equals the core's `Guided` over two calls of n: the chain's first step
/// from the same x̂ must agree.
#[test]
fn batched_guidance_equals_two_calls() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let Net::UNet(unet) = &net else {
        unreachable!()
    };
    let process = Process::ddpm_linear();
    let w = 1.5;
    let mut chain = ImageChain::new(&net, &process, &spec(2, vec![1, 2], w), &device).unwrap();
    let x = chain.start();
    let got = chain.step(&x).unwrap().unwrap().x0;

    let call = |labels: [i64; 2]| {
        let unet = unet.clone();
        let device = device.clone();
        Network {
            kind: Parameterization::Epsilon,
            f: move |x: &Tensor<4>, t: f64, _: Level| {
                unet.forward(
                    x.clone(),
                    Tensor::<1>::full([2], t, &device),
                    Some(Tensor::<1, Int>::from_ints(labels, &device)),
                )
            },
        }
    };
    let (cond, uncond) = (call([1, 2]), call([3, 3]));
    let guided = Guided {
        cond: &cond,
        uncond: &uncond,
        scale: w,
    };
    let mut reference = ImageChain::new(&net, &process, &spec(2, vec![1, 2], w), &device).unwrap();
    let x2 = reference.start();
    // the reference chain's model is replaced by the two-call guidance through a sampler of the
    // same kind, fed the same x
    let mut sampler = diffusion::sampler::build::<4>(
        "dpm++2m",
        &spec(2, vec![], 0.0).options,
        &process.process().unwrap(),
    )
    .unwrap();
    let mut noise = diffusion::SeededNoise::new(99);
    let want = sampler
        .step(&guided as &dyn Denoiser<4>, &x2, &mut noise)
        .unwrap()
        .unwrap()
        .x0;
    let (g, r) = (
        got.into_data().try_to_vec::<f32>().unwrap(),
        want.into_data().try_to_vec::<f32>().unwrap(),
    );
    let err = g
        .iter()
        .zip(&r)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    // x̂₀ at the first step is (x − √(1−ᾱ)·ε)/√ᾱ with 1/√ᾱ_T ≈ 160 on this schedule, so float32
    // rounding of ε (~1e-6, which depends on how the matmuls are blocked for the batch size and
    // the machine's SIMD width) shows up here a hundredfold: CI measured 1.2e-4
    assert!(err < 2e-3, "batched vs two-call guidance differ by {err}");
}

#[test]
fn an_edit_chain_starts_from_the_noised_image_and_takes_its_share_of_the_steps() {
    let device = Device::flex();
    let (entry, _, net) = tiny(&device);
    let process = Process::ddpm_linear();
    let mut s = spec(2, vec![1, 2], 1.0);
    s.options.steps = 10;
    let image: Vec<f32> = (0..64)
        .map(|i| if i % 9 == 0 { 1.0 } else { -1.0 })
        .collect();
    let edit = zoo::EditSpec::Sdedit {
        image: image.clone(),
        strength: 0.3,
    };
    let mut chain = editing(&net, &process, &s, &edit, &device).unwrap();
    assert_eq!(chain.len(), 3, "0.3 of 10 steps");
    assert_eq!(entry.image_shape(), [1, 8, 8]);
    // at strength 0.3 the start is the image noised to step ≈ 300 of the linear schedule
    // (α ≈ 0.63): it still correlates with the image
    let start = chain
        .start()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    let corr: f32 = start
        .iter()
        .zip(image.iter().cycle())
        .map(|(a, b)| a * b)
        .sum::<f32>()
        / start.len() as f32;
    assert!(corr > 0.5, "{corr}");
    let mut x = chain.start();
    let mut steps = 0;
    while let Some(step) = chain.step(&x).unwrap() {
        x = step.x;
        steps += 1;
    }
    assert_eq!(steps, 3);
    let bad = zoo::EditSpec::Sdedit {
        image: vec![0.0; 10],
        strength: 0.5,
    };
    let e = editing(&net, &process, &s, &bad, &device).err().unwrap();
    assert!(e.contains("has 10 values; this model takes 1×8×8"), "{e}");
    let nan = zoo::EditSpec::Sdedit {
        image: vec![f32::NAN; 64],
        strength: 0.5,
    };
    assert!(editing(&net, &process, &s, &nan, &device).is_err());
    let zero = zoo::EditSpec::Sdedit {
        image,
        strength: 0.0,
    };
    let e = editing(&net, &process, &s, &zero, &device).err().unwrap();
    assert!(e.contains("strength"), "{e}");
}

/// An edit chain of an ε-model.
fn editing(
    net: &Net,
    process: &Process,
    spec: &ChainSpec,
    edit: &zoo::EditSpec,
    device: &Device,
) -> Result<ImageChain, String> {
    ImageChain::editing(net, process, Parameterization::Epsilon, spec, edit, device)
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

fn final_images(chain: &mut ImageChain) -> Vec<f32> {
    values(chain.run(|_| {}).unwrap())
}

#[test]
fn interpolation_ends_at_the_grids_two_images_and_blends_their_classes() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let process = Process::ddpm_linear();
    // a grid of 3 from a deterministic sampler, as the page samples it
    let grid_spec = spec(3, vec![0, 1, 2], 1.0);
    let grid = final_images(&mut ImageChain::new(&net, &process, &grid_spec, &device).unwrap());
    let mut strip_spec = grid_spec.clone();
    strip_spec.n = 5;
    let edit = zoo::EditSpec::Interpolate {
        of: 3,
        a: 2,
        b: 0,
        classes: [Some(2), Some(0)],
    };
    let mut chain = editing(&net, &process, &strip_spec, &edit, &device).unwrap();
    assert_eq!(chain.shape(), [5, 1, 8, 8]);
    let strip = final_images(&mut chain);
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    // the ends are images 2 and 0 of the grid (the batch's size may move the last float bits)
    assert!(
        close(&strip[..64], &grid[128..]) < 1e-4,
        "{}",
        close(&strip[..64], &grid[128..])
    );
    assert!(close(&strip[256..], &grid[..64]) < 1e-4);
    // and the middle is neither
    assert!(close(&strip[128..192], &grid[..64]) > 1e-2);
    let bad = zoo::EditSpec::Interpolate {
        of: 3,
        a: 0,
        b: 3,
        classes: [None, None],
    };
    let e = editing(&net, &process, &strip_spec, &bad, &device)
        .err()
        .unwrap();
    assert!(e.contains("not both in a grid of 3"), "{e}");
    // a stochastic grid sampler: the strip walks DDIM (η = 0) instead, as a DDIM grid would
    let strip = |sampler: &str, eta: f64| {
        let mut spec = strip_spec.clone();
        spec.sampler = sampler.into();
        spec.options.eta = eta;
        final_images(&mut editing(&net, &process, &spec, &edit, &device).unwrap())
    };
    assert_eq!(strip("ddpm", 0.0), strip("ddim", 0.0));
    assert_eq!(strip("ddim", 1.0), strip("ddim", 0.0));
    assert_ne!(strip("dpm++2m", 0.0), strip("ddim", 0.0));
}

#[test]
fn a_blended_class_of_one_class_is_that_class() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let x = Tensor::<4>::random(
        [2, 1, 8, 8],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let level = Level {
        alpha: 0.8,
        sigma: 0.6,
    };
    let ids =
        zoo::chain::denoiser(&net, Parameterization::Epsilon, &[1, 2], 2, 1.5, &device).unwrap();
    let blend = zoo::chain::blended(
        &net,
        Parameterization::Epsilon,
        &[
            [(Some(1), 1.0), (None, 0.0)],
            [(Some(0), 0.0), (Some(2), 1.0)],
        ],
        1.5,
        &device,
    )
    .unwrap();
    let (a, b) = (
        values(ids.predict(&x, 300.0, level).eps),
        values(blend.predict(&x, 300.0, level).eps),
    );
    let err = a
        .iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(err < 1e-5, "{err}");
    // half of one class and half of another is neither
    let half = zoo::chain::blended(
        &net,
        Parameterization::Epsilon,
        &[
            [(Some(1), 0.5), (Some(0), 0.5)],
            [(Some(2), 1.0), (None, 0.0)],
        ],
        1.5,
        &device,
    )
    .unwrap();
    let c = values(half.predict(&x, 300.0, level).eps);
    assert!(
        a[..64]
            .iter()
            .zip(&c[..64])
            .any(|(x, y)| (x - y).abs() > 1e-4)
    );
    assert!(
        zoo::chain::blended(
            &net,
            Parameterization::Epsilon,
            &[[(Some(9), 1.0), (None, 0.0)]],
            0.0,
            &device
        )
        .err()
        .unwrap()
        .contains("class 9 does not exist")
    );
}

#[test]
fn inpainting_keeps_the_known_pixels_and_inversion_comes_first() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let process = Process::ddpm_linear();
    let mut s = spec(2, vec![1, 2], 1.0);
    s.options.steps = 6;
    let image: Vec<f32> = (0..64).map(|i| (i as f32 / 32.0) - 1.0).collect();
    // keep the top half
    let keep: Vec<f32> = (0..64).map(|i| if i < 32 { 1.0 } else { 0.0 }).collect();
    let edit = zoo::EditSpec::Inpaint {
        image: image.clone(),
        keep: keep.clone(),
        jump: 2,
        resample: 2,
    };
    let mut chain = editing(&net, &process, &s, &edit, &device).unwrap();
    assert!(chain.len() > 6, "resampling adds steps: {}", chain.len());
    let out = final_images(&mut chain);
    for img in out.chunks(64) {
        for i in 0..32 {
            assert!(
                (img[i] - image[i]).abs() < 1e-5,
                "pixel {i}: {} vs {}",
                img[i],
                image[i]
            );
        }
    }
    let bad = zoo::EditSpec::Inpaint {
        image: image.clone(),
        keep: vec![1.0; 10],
        jump: 2,
        resample: 2,
    };
    assert!(
        editing(&net, &process, &s, &bad, &device)
            .err()
            .unwrap()
            .contains("the mask has 10 values")
    );
    // inversion: the way up (one image shown twice), then the way down, as two images
    let edit = zoo::EditSpec::Invert {
        image,
        class: Some(2),
    };
    let mut chain = editing(&net, &process, &s, &edit, &device).unwrap();
    assert_eq!(chain.len(), 12);
    assert_eq!(chain.shape(), [2, 1, 8, 8]);
    let mut x = chain.start();
    let mut seen = Vec::new();
    while let Some(step) = chain.step(&x).unwrap() {
        assert_eq!(step.x.dims(), [2, 1, 8, 8]);
        seen.push((step.index, step.t));
        x = step.x;
    }
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    // up: times rise; down: they fall
    assert!(seen[0].1 < seen[5].1 && seen[6].1 > seen[11].1, "{seen:?}");
}

#[test]
fn a_model_list_asking_for_a_billion_timesteps_is_refused_before_it_allocates() {
    // found by the fuzz smoke (fuzz/regressions/manifest/timesteps-1e9.json): 41 s and gigabytes
    let mut p = Process::ddpm_linear();
    if let Process::Ddpm {
        num_train_timesteps,
        ..
    } = &mut p
    {
        *num_train_timesteps = 1_000_000_000;
    }
    let e = p.process().err().unwrap();
    assert!(e.contains("at most 100000 are taken"), "{e}");
}

/// A pool of workers splits a grid into parts (`ImageChain::part`): glued back together, their
/// images are those of the grid sampled in one piece, for every sampler that steps each image
/// alone, guided or not, and for SDEdit and inpainting; the others are refused.
#[test]
fn parts_of_a_grid_glued_together_are_the_grid() {
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let process = Process::ddpm_linear();
    let image: Vec<f32> = (0..64).map(|i| (i as f32 / 32.0) - 1.0).collect();
    let keep: Vec<f32> = (0..64).map(|i| if i < 32 { 1.0 } else { 0.0 }).collect();
    let edits = [
        None,
        Some(zoo::EditSpec::Sdedit {
            image: image.clone(),
            strength: 0.5,
        }),
        Some(zoo::EditSpec::Inpaint {
            image,
            keep,
            jump: 2,
            resample: 2,
        }),
    ];
    let parts = [(0, 2), (2, 1), (3, 2)];
    let mut tried = 0;
    for info in diffusion::sampler::fitting(diffusion::sampler::Family::Discrete) {
        for (e, edit) in edits.iter().enumerate() {
            if e > 0 && info != "ddpm" {
                continue; // an edit walks its own path whatever the sampler
            }
            for w in [0.0, 2.0] {
                let mut s = spec(5, vec![0, 1, 2, 1, 0], w);
                s.sampler = info.to_string();
                s.options.eta = 1.0;
                let whole = match edit {
                    Some(edit) => editing(&net, &process, &s, edit, &device),
                    None => ImageChain::new(&net, &process, &s, &device),
                };
                let whole = final_images(&mut whole.unwrap());
                let mut glued = Vec::new();
                for (start, len) in parts {
                    let part = zoo::Part { start, len };
                    let mut chain = ImageChain::part(
                        &net,
                        &process,
                        Parameterization::Epsilon,
                        &s,
                        edit.as_ref(),
                        part,
                        &device,
                    )
                    .unwrap();
                    assert_eq!(chain.shape(), [len, 1, 8, 8]);
                    glued.extend(final_images(&mut chain));
                }
                let diff = whole
                    .iter()
                    .zip(&glued)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert_eq!(whole.len(), glued.len());
                assert!(
                    diff < 1e-5,
                    "{info}, edit {e}, w {w}: parts differ by {diff}"
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 10, "{tried}");
    // what runs as one path, or a part outside the grid, is refused
    let s = spec(5, vec![0, 1, 2, 1, 0], 0.0);
    let part = |start, len| zoo::Part { start, len };
    let invert = zoo::EditSpec::Invert {
        image: vec![0.0; 64],
        class: None,
    };
    for (edit, p) in [
        (Some(&invert), part(0, 1)),
        (None, part(4, 2)),
        (None, part(0, 0)),
    ] {
        assert!(
            ImageChain::part(
                &net,
                &process,
                Parameterization::Epsilon,
                &s,
                edit,
                p,
                &device
            )
            .is_err()
        );
    }
    let mut pc = s.clone();
    pc.sampler = "pc".into();
    assert!(!zoo::splits(&pc, None) && zoo::splits(&s, None));
}

/// Two chains that split one guided chain by halves (`ImageChain::half`, a pool of two workers
/// on a grid of one image), each attempting its steps and handing its halves to the other, which
/// gets them in its next turn (so a half often comes before its call is made): both end on the
/// same images to the last bit, and those are the images of one chain, for every sampler of the
/// discrete family and of the SDE family (the predictor–corrector, probability-flow Heun and
/// annealed Langevin call the model more than once a step, the stochastic ones draw noise), one
/// image or three. Unguided, a halved chain hands out nothing and is one chain.
#[test]
fn halves_of_a_guided_chain_exchanged_are_the_chain() {
    use diffusion::sampler::Family;
    use zoo::{Attempt, Half};
    let device = Device::flex();
    let (_, _, net) = tiny(&device);
    let (mut tried, mut multi_call) = (0, 0);
    let families = [
        (Process::ddpm_linear(), Family::Discrete),
        (Process::seed_ve(25.0), Family::Sde),
    ];
    for (process, info) in families.iter().flat_map(|(p, f)| {
        diffusion::sampler::fitting(*f)
            .into_iter()
            .map(move |i| (p, i))
    }) {
        let half = |s: &ChainSpec, h| {
            ImageChain::half(&net, process, Parameterization::Epsilon, s, h, &device).unwrap()
        };
        for (classes, w) in [(vec![2], 2.0), (vec![0, 1, 2], 1.5), (vec![1], 0.0)] {
            let mut s = spec(classes.len(), classes, w);
            s.sampler = info.to_string();
            s.options.eta = 1.0;
            let whole = final_images(&mut ImageChain::new(&net, process, &s, &device).unwrap());
            let mut chains = [half(&s, Half::Cond), half(&s, Half::Uncond)];
            let mut xs = [chains[0].start(), chains[1].start()];
            let mut inbox: [Vec<(usize, usize, Vec<f32>)>; 2] = Default::default();
            let (mut steps, mut done, mut sent) = ([0; 2], [false; 2], 0);
            for _turn in 0..1000 {
                if done == [true; 2] {
                    break;
                }
                for i in 0..2 {
                    for (step, call, v) in std::mem::take(&mut inbox[i]) {
                        chains[i].give_half(step, call, v).unwrap();
                    }
                    if done[i] {
                        continue;
                    }
                    match chains[i].attempt(&xs[i]).unwrap() {
                        Attempt::Step(Some(st)) => {
                            xs[i] = st.x;
                            steps[i] += 1;
                        }
                        Attempt::Step(None) => done[i] = true,
                        Attempt::Wants { step, .. } => assert_eq!(step, steps[i], "{info}"),
                    }
                    for own in chains[i].take_own_halves() {
                        assert_eq!(own.values.dims(), [s.n, 1, 8, 8]);
                        inbox[1 - i].push((own.step, own.call, values(own.values)));
                        sent += 1;
                    }
                }
            }
            assert_eq!(done, [true; 2], "{info}: the two halves did not finish");
            assert_eq!(steps, [chains[0].len(); 2], "{info}");
            if w == 0.0 {
                assert_eq!(sent, 0, "{info}: unguided, nothing to exchange");
            } else {
                assert!(
                    sent >= 2 * steps[0],
                    "{info}: {sent} halves for {steps:?} steps"
                );
            }
            let [xa, xb] = xs;
            let (va, vb) = (values(xa), values(xb));
            assert_eq!(va, vb, "{info}: the two workers' images differ");
            let diff = whole
                .iter()
                .zip(&va)
                .map(|(p, q)| (p - q).abs())
                .fold(0f32, f32::max);
            assert_eq!(whole.len(), va.len());
            assert!(
                diff < 1e-5,
                "{info}, w {w}: halves differ from one chain by {diff}"
            );
            if w != 0.0 && sent > 2 * steps[0] {
                multi_call += 1;
            }
            tried += 1;
        }
    }
    assert!(tried >= 20, "{tried}");
    assert!(
        multi_call >= 2,
        "samplers calling the model more than once a step: {multi_call}"
    );
    let process = Process::ddpm_linear();
    let half = |s: &ChainSpec, h| {
        ImageChain::half(&net, &process, Parameterization::Epsilon, s, h, &device).unwrap()
    };
    // a half of a step long gone or far ahead, one that comes twice, or of the wrong size, is
    // refused
    let s = spec(1, vec![2], 2.0);
    let mut a = half(&s, Half::Cond);
    let x = a.start();
    assert!(matches!(
        a.attempt(&x).unwrap(),
        Attempt::Wants { step: 0, call: 0 }
    ));
    assert_eq!(a.take_own_halves().len(), 1);
    assert!(matches!(
        a.attempt(&x).unwrap(),
        Attempt::Wants { step: 0, call: 0 }
    ));
    assert!(a.take_own_halves().is_empty(), "its half runs once");
    a.give_half(0, 0, vec![0.5; 64]).unwrap();
    assert!(a.give_half(0, 0, vec![0.5; 64]).is_err(), "twice");
    assert!(
        a.give_half(5, 0, vec![0.0; 64]).is_err(),
        "a step far ahead"
    );
    assert!(matches!(a.attempt(&x).unwrap(), Attempt::Step(Some(_))));
    assert!(a.give_half(0, 1, vec![0.0; 64]).is_err(), "a step gone");
    let mut c = half(&s, Half::Cond);
    c.give_half(0, 0, vec![0.0; 63]).unwrap();
    let e = c.attempt(&x).unwrap_err();
    assert!(e.contains("63 values, not 64"), "{e}");
    let mut whole = ImageChain::new(&net, &process, &s, &device).unwrap();
    assert!(whole.give_half(0, 0, vec![0.0; 64]).is_err());
    assert!(whole.take_own_halves().is_empty());
}
