//! The images the page must produce, computed natively: reads a sampler URL hash exactly as the
//! page does (`SamplerSettings`), loads the model from `static/weights` through the same
//! `zoo::load`, walks the same `ImageChain` on Burn's native CPU backend and prints JSON (the
//! weights' sha256, the shape, the final images). `tests/e2e/sampler.test.mjs` compares the page
//! against the stored output: same seed, same numbers up to float rounding.
//!
//! `cargo run --release -p playground-web --example reference_chain -- static/weights 'model=…&n=2&…'`

#[cfg(not(target_family = "wasm"))]
fn main() -> Result<(), String> {
    use burn::prelude::*;
    use playground_web::sampler_settings::SamplerSettings;
    use playground_web::state::HashState;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, hash] = args.as_slice() else {
        return Err("usage: reference_chain WEIGHTS_DIR 'HASH'".into());
    };
    let dir = std::path::Path::new(dir);
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let manifest = zoo::Manifest::parse(&String::from_utf8_lossy(&read("manifest.json")?))?;
    let mut state = HashState::parse(&format!("#widget=sampler&{hash}"));
    let settings = SamplerSettings::read(&mut state, &manifest);
    let entry = manifest
        .get(&settings.model)
        .ok_or(format!("no model {}", settings.model))?;
    let device = Device::flex();
    let net = zoo::load(entry, &read(&entry.file)?, &device).map_err(|e| e.to_string())?;
    let process = entry.process.clone().ok_or("not an image model")?;
    let spec = settings.spec(net.classes());
    let x = zoo::ImageChain::new(&net, &process, &spec, &device)?.run(|_| {})?;
    let shape = x.dims();
    let images: Vec<f64> = x
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?
        .iter()
        .map(|v| (*v as f64 * 1e5).round() / 1e5)
        .collect();
    let out = serde_json::json!({
        "model": entry.id,
        "sha256": entry.sha256,
        "hash": hash,
        "shape": shape,
        "images": images,
    });
    println!("{out}");
    Ok(())
}

#[cfg(target_family = "wasm")]
fn main() {}
