//! `diffuse sample --diffusers DIR`: a diffusers UNet2DModel folder (or a pipeline folder with
//! `unet/` and `scheduler/`) samples to a PNG grid, as the page samples a person's own files; a
//! folder without a config says so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(root)
        .join("../../tests/fixtures/diffusers")
        .join(name)
}

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("diffuse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy(from: &str, to: &Path) {
    std::fs::copy(fixture(from), to).unwrap_or_else(|e| panic!("{from}: {e}"));
}

fn sample(dir: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_diffuse"))
        .args(["sample", "--diffusers"])
        .arg(dir)
        .args(["--steps", "2", "--n", "4", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Width and height from a PNG's IHDR.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG");
    let be = |at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn a_model_folder_and_a_pipeline_folder_sample_and_a_folder_without_config_says_so() {
    // a model folder as save_pretrained writes it: class-conditional, guided
    let model = fresh("model");
    copy("unet_tiny_class_config.json", &model.join("config.json"));
    copy(
        "unet_tiny_class.safetensors",
        &model.join("diffusion_pytorch_model.safetensors"),
    );
    let out = model.join("grid.png");
    let chain = model.join("chain.png");
    let r = sample(
        &model,
        &out,
        &[
            "--class",
            "3",
            "--guidance",
            "2",
            "--chain",
            chain.to_str().unwrap(),
        ],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // 4 images of 16 × 16 in 2 columns, 2 px apart: 2 × 18 + 2
    assert_eq!(png_size(&out), (38, 38));
    assert!(chain.exists());

    // a pipeline folder: unet/ and scheduler/ (a v-prediction scheduler), model_index.json on top
    let pipe = fresh("pipeline");
    for sub in ["unet", "scheduler"] {
        std::fs::create_dir_all(pipe.join(sub)).unwrap();
    }
    std::fs::write(
        pipe.join("model_index.json"),
        r#"{"_class_name": "DDPMPipeline"}"#,
    )
    .unwrap();
    copy("unet_tiny_config.json", &pipe.join("unet/config.json"));
    copy(
        "unet_tiny.safetensors",
        &pipe.join("unet/diffusion_pytorch_model.safetensors"),
    );
    std::fs::write(
        pipe.join("scheduler/scheduler_config.json"),
        r#"{"_class_name": "DDPMScheduler", "beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction"}"#,
    )
    .unwrap();
    let out = pipe.join("grid.png");
    let r = sample(&pipe, &out, &["--sampler", "ddim"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(png_size(&out), (38, 38));

    // weights without their config
    let bare = fresh("bare");
    copy(
        "unet_tiny.safetensors",
        &bare.join("diffusion_pytorch_model.safetensors"),
    );
    let r = sample(&bare, &bare.join("grid.png"), &[]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("config.json is missing"), "{err}");
    for dir in [model, pipe, bare] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
