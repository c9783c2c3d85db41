//! A person's own diffusers `UNet2DModel` files, read into an entry (`zoo::own_entry`): the
//! fixtures' tiny diffusers checkpoints load through it and sample, a scheduler config sets the
//! process, and every wrong pick is its own sentence.

use burn::prelude::*;
use diffusion::sampler::Options;
use serde_json::json;
use zoo::{ChainSpec, ImageChain, Process, build, own_entry};

fn fixture(name: &str) -> (String, Vec<u8>) {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{root}/../../tests/fixtures/diffusers/{name}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (name.to_string(), bytes)
}

fn named(name: &str, value: serde_json::Value) -> (String, Vec<u8>) {
    (name.to_string(), serde_json::to_vec(&value).unwrap())
}

#[test]
fn the_diffusers_tiny_class_model_loads_and_samples_as_an_own_entry() {
    let picked = vec![
        fixture("unet_tiny_class_config.json"),
        fixture("unet_tiny_class.safetensors"),
    ];
    let (entry, bytes) = own_entry(picked).unwrap();
    assert_eq!(entry.id, "own: unet_tiny_class.safetensors");
    assert_eq!(entry.architecture, "unet2d");
    assert_eq!(entry.process, Some(Process::ddpm_linear()));
    // num_class_embeds = 10: classes 0–8, and row 9 is "no class"
    assert_eq!(entry.classes.len(), 9);
    assert_eq!((entry.conditional, entry.null_class), (true, Some(9)));
    assert_eq!(entry.bytes, bytes.len() as u64);
    let device = Device::flex();
    let net = build(&entry, &bytes, &device).unwrap();
    // the header count equals the network's
    assert_eq!(entry.params, net.num_params());
    assert_eq!(entry.dtype, "F32");
    let spec = ChainSpec {
        sampler: "dpm++2m".into(),
        options: Options {
            steps: 3,
            ..Options::default()
        },
        n: 2,
        classes: vec![1, 8],
        guidance: 1.0,
        seed: 0,
    };
    let process = entry.process.clone().unwrap();
    let x = ImageChain::new(&net, &process, &spec, &device)
        .unwrap()
        .run(|_| {})
        .unwrap();
    assert_eq!(x.dims(), [2, 3, 16, 16]);
    let v = x.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|f| f.is_finite()));
}

#[test]
fn an_unconditional_model_with_a_cosine_scheduler_config() {
    let scheduler = json!({
        "_class_name": "DDPMScheduler", "beta_schedule": "squaredcos_cap_v2",
        "num_train_timesteps": 1000, "prediction_type": "epsilon"
    });
    let (entry, _) = own_entry(vec![
        fixture("unet_tiny.safetensors"),
        named("scheduler_config.json", scheduler),
        fixture("unet_tiny_config.json"),
    ])
    .unwrap();
    assert!(!entry.conditional && entry.classes.is_empty() && entry.null_class.is_none());
    let process = entry.process.unwrap();
    assert!(
        matches!(&process, Process::Ddpm { beta_schedule, .. } if beta_schedule == "squaredcos_cap_v2")
    );
    // the cosine schedule's ᾱ at the last step is about 0 (diffusers' squaredcos_cap_v2)
    let process = process.process().unwrap();
    assert!(process.as_schedule().unwrap().alpha_bar(999) < 1e-4);
}

#[test]
fn every_wrong_pick_says_what_is_wrong() {
    let config = || fixture("unet_tiny_config.json");
    let weights = || fixture("unet_tiny.safetensors");
    let cases: Vec<(Vec<(String, Vec<u8>)>, &str)> = vec![
        (vec![config()], "no .safetensors file"),
        (
            vec![config(), weights(), fixture("unet_tiny_class.safetensors")],
            "2 .safetensors files",
        ),
        (vec![weights()], "config.json is missing"),
        (
            vec![
                weights(),
                named("config.json", json!({"_class_name": "AutoencoderKL"})),
            ],
            "describes a AutoencoderKL",
        ),
        (
            vec![
                config(),
                weights(),
                named(
                    "scheduler_config.json",
                    json!({"beta_schedule": "linear", "prediction_type": "flow"}),
                ),
            ],
            "predicts 'flow'",
        ),
        (
            vec![
                config(),
                weights(),
                named("scheduler_config.json", json!({"beta_schedule": "sigmoid"})),
            ],
            "unknown beta schedule “sigmoid”",
        ),
        (
            vec![
                config(),
                weights(),
                ("notes.json".into(), b"{\"a\": 1}".to_vec()),
            ],
            "neither",
        ),
        (
            vec![config(), weights(), ("broken.json".into(), b"{".to_vec())],
            "not valid JSON",
        ),
        (
            vec![config(), weights(), ("photo.png".into(), vec![0; 4])],
            "photo.png is not one of",
        ),
        (
            vec![config(), ("w.safetensors".into(), vec![1, 2, 3])],
            "only 3 bytes",
        ),
        (
            vec![
                config(),
                (
                    "w.safetensors".into(),
                    [200u64.to_le_bytes().to_vec(), b"{}".to_vec()].concat(),
                ),
            ],
            "its header describes 208",
        ),
        (
            vec![
                config(),
                (
                    "w.safetensors".into(),
                    [2u64.to_le_bytes().to_vec(), b"{}".to_vec()].concat(),
                ),
            ],
            "it holds no tensors",
        ),
    ];
    let with = |extra: serde_json::Value| {
        let mut c: serde_json::Value = serde_json::from_slice(&config().1).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        vec![named("config.json", c), weights()]
    };
    let scheduler =
        |s: serde_json::Value| vec![config(), weights(), named("scheduler_config.json", s)];
    let shape = |dims: &str| {
        let h = format!(
            "{{\"w\": {{\"dtype\": \"F32\", \"shape\": {dims}, \"data_offsets\": [0, 0]}}}}"
        );
        [(h.len() as u64).to_le_bytes().to_vec(), h.into_bytes()].concat()
    };
    let cases: Vec<(Vec<(String, Vec<u8>)>, &str)> = cases
        .into_iter()
        .chain([
            // sizes a crafted config could ask the page to allocate
            (
                with(json!({"num_class_embeds": 1_000_000_000u64})),
                "num_class_embeds 1000000000 is not a whole number from 0 to 1001",
            ),
            (with(json!({"num_class_embeds": -3})), "num_class_embeds -3"),
            (
                scheduler(
                    json!({"beta_schedule": "linear", "num_train_timesteps": 3_000_000_000u64}),
                ),
                "num_train_timesteps 3000000000",
            ),
            (
                scheduler(json!({"beta_schedule": "linear", "num_train_timesteps": 0})),
                "num_train_timesteps 0",
            ),
            (
                scheduler(json!({"beta_schedule": "linear", "beta_start": 0.5, "beta_end": 0.1})),
                "0 < start ≤ end < 1",
            ),
            (
                scheduler(json!({"beta_schedule": "linear", "beta_end": 1.5})),
                "0 < start ≤ end < 1",
            ),
            (
                scheduler(json!({"beta_schedule": "linear", "trained_betas": [0.1, 0.2]})),
                "trained_betas",
            ),
            (
                vec![config(), config(), weights()],
                "are both model configs",
            ),
            (
                vec![
                    config(),
                    weights(),
                    named("a.json", json!({"beta_schedule": "linear"})),
                    named("b.json", json!({"_class_name": "DDIMScheduler"})),
                ],
                "are both scheduler configs",
            ),
            (
                vec![
                    config(),
                    (
                        "w.safetensors".into(),
                        shape("[4294967296, 4294967296, 4294967296]"),
                    ),
                ],
                "'w' claims shape",
            ),
            (
                vec![config(), ("w.safetensors".into(), shape("[2, -1]"))],
                "'w' has no valid shape",
            ),
        ])
        .collect();
    for (picked, want) in cases {
        let names: Vec<String> = picked.iter().map(|(n, _)| n.clone()).collect();
        let e = own_entry(picked)
            .err()
            .unwrap_or_else(|| panic!("{names:?} was taken"));
        assert!(e.contains(want), "{names:?}: {e}");
    }
}

#[test]
fn weights_that_do_not_fit_the_config_are_refused_when_built() {
    // the class model's weights with the unconditional config: the header reads, the build says
    let (entry, bytes) = own_entry(vec![
        fixture("unet_tiny_config.json"),
        fixture("unet_tiny_class.safetensors"),
    ])
    .unwrap();
    let e = build(&entry, &bytes, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("class_embedding"), "{e}");
}

#[test]
fn a_pipelines_model_index_is_passed_over_and_sizes_are_checked_before_reading() {
    let index = named(
        "model_index.json",
        json!({"_class_name": "DDPMPipeline", "unet": ["diffusers", "UNet2DModel"]}),
    );
    let (entry, _) = own_entry(vec![
        index,
        fixture("unet_tiny_config.json"),
        fixture("unet_tiny.safetensors"),
    ])
    .unwrap();
    assert_eq!(entry.id, "own: unet_tiny.safetensors");
    assert!(zoo::check_pick("diffusion_pytorch_model.safetensors", 143 << 20).is_ok());
    let e = zoo::check_pick("big.safetensors", 300 << 20).unwrap_err();
    assert!(
        e.contains("more than the 256.0 MiB") || e.contains("more than the 268.4 MB"),
        "{e}"
    );
    let e = zoo::check_pick("config.json", 2 << 20).unwrap_err();
    assert!(e.contains("config.json is"), "{e}");
    let e = zoo::check_pick("model.ckpt", 10).unwrap_err();
    assert!(e.contains("not one of"), "{e}");
}

/// The class model's weights under the attention names diffusers used before its `Attention`
/// class (`query`, `key`, `value`, `proj_attn`), as older checkpoints such as
/// google/ddpm-cifar10-32 have them: opened as an own model, they give diffusers' stored outputs.
#[test]
fn weights_with_old_attention_names_load_and_match_diffusers() {
    use models::{Dtype, SafeTensors};
    let (_, bytes) = fixture("unet_tiny_class.safetensors");
    let mut file = SafeTensors::parse(&bytes).unwrap();
    let renamed: Vec<(String, String)> = file
        .tensors
        .keys()
        .filter_map(|k| {
            [
                ("to_q", "query"),
                ("to_k", "key"),
                ("to_v", "value"),
                ("to_out.0", "proj_attn"),
            ]
            .iter()
            .find(|(new, _)| k.contains(&format!(".{new}.")))
            .map(|(new, old)| {
                (
                    k.clone(),
                    k.replace(&format!(".{new}."), &format!(".{old}.")),
                )
            })
        })
        .collect();
    // attention blocks: one in the second down block, two in the first up block (an up block has
    // one more layer), one in the middle; four projections each, weight and bias
    assert_eq!(renamed.len(), 4 * 4 * 2);
    for (new, old) in &renamed {
        let t = file.tensors.remove(new).unwrap();
        file.tensors.insert(old.clone(), t);
    }
    let old_bytes = file.to_bytes(Dtype::F32);
    let (entry, bytes) = own_entry(vec![
        fixture("unet_tiny_class_config.json"),
        ("diffusion_pytorch_model.safetensors".into(), old_bytes),
    ])
    .unwrap();
    let device = Device::flex();
    let zoo::Net::UNet(unet) = build(&entry, &bytes, &device).unwrap() else {
        panic!("not a U-Net")
    };
    let io = SafeTensors::parse(&fixture("unet_tiny_class_io.safetensors").1).unwrap();
    let x = &io.tensors["x"];
    let x = Tensor::<4>::from_data(TensorData::new(x.values.clone(), x.shape.clone()), &device);
    let t = Tensor::<1>::from_floats(io.tensors["t"].values.as_slice(), &device);
    let labels: Vec<i64> = io.tensors["class_labels"]
        .values
        .iter()
        .map(|&v| v as i64)
        .collect();
    let y = unet
        .forward(
            x,
            t,
            Some(Tensor::<1, Int>::from_ints(labels.as_slice(), &device)),
        )
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let want = &io.tensors["y"].values;
    let err = y
        .iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(err < 1e-4, "max |ours − diffusers| = {err:.3e}");
}

/// A scheduler config's `prediction_type` reaches the chain: the same network read as a
/// v-prediction or an x₀-prediction model samples other images than as an ε-model, and a chain
/// built for ε explicitly equals the default one.
#[test]
fn the_scheduler_configs_prediction_type_reaches_the_chain() {
    use diffusion::Parameterization;
    let open = |prediction: &str| {
        own_entry(vec![
            fixture("unet_tiny_config.json"),
            fixture("unet_tiny.safetensors"),
            named(
                "scheduler_config.json",
                json!({"_class_name": "DDIMScheduler", "prediction_type": prediction}),
            ),
        ])
        .unwrap()
    };
    let device = Device::flex();
    let spec = ChainSpec {
        sampler: "ddim".into(),
        options: Options {
            steps: 3,
            ..Options::default()
        },
        n: 1,
        classes: vec![],
        guidance: 0.0,
        seed: 1,
    };
    let mut finals = Vec::new();
    for (name, p) in [
        ("epsilon", Parameterization::Epsilon),
        ("v_prediction", Parameterization::Velocity),
        ("sample", Parameterization::Sample),
    ] {
        let (entry, bytes) = open(name);
        assert_eq!(entry.prediction, name);
        assert_eq!(entry.prediction.parse::<Parameterization>().unwrap(), p);
        let net = build(&entry, &bytes, &device).unwrap();
        let process = entry.process.unwrap();
        let x = ImageChain::predicting(&net, &process, p, &spec, &device)
            .unwrap()
            .run(|_| {})
            .unwrap();
        finals.push(x.into_data().try_to_vec::<f32>().unwrap());
        if p == Parameterization::Epsilon {
            let default = ImageChain::new(&net, &process, &spec, &device)
                .unwrap()
                .run(|_| {})
                .unwrap();
            assert_eq!(default.into_data().try_to_vec::<f32>().unwrap(), finals[0]);
        }
    }
    let differ = |a: &[f32], b: &[f32]| a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-3);
    assert!(
        differ(&finals[0], &finals[1])
            && differ(&finals[0], &finals[2])
            && differ(&finals[1], &finals[2])
    );
    assert!(finals.iter().flatten().all(|v| v.is_finite()));
}
