//! The images the page must produce, computed natively: reads a sampler URL hash exactly as the
//! page does (`SamplerSettings`), loads the model from `static/weights` through the same
//! `zoo::load`, walks the same `ImageChain` on Burn's native CPU backend and prints JSON (the
//! weights' sha256, the shape, the final images). `tests/e2e/sampler.test.mjs` compares the page
//! against the stored output: same seed, same numbers up to float rounding.
//!
//! `cargo run --release -p playground-web --example reference_chain -- static/weights 'model=…&n=2&…'`
//!
//! With files after the hash, they are a person's own diffusers model, added to the model list as
//! the page adds one (`zoo::own_entry`; the hash names it `model=own%3A%20<weights file name>`).

#[cfg(not(target_family = "wasm"))]
fn main() -> Result<(), String> {
    use burn::prelude::*;
    use playground_web::settings::HashState;
    use playground_web::settings::sampler::SamplerSettings;

    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `edit=invert:DIR:K` or `edit=sdedit:DIR:K` (MNIST test image K of DIR, inverted or edited as
    // the page's Invert and SDEdit do, with the hash's settings) or
    // `edit=interpolate:A,B` (images A and B of the hash's grid, as the page's Interpolate)
    let edit = args
        .iter()
        .position(|a| a.starts_with("edit="))
        .map(|i| args.remove(i)[5..].to_string());
    let [dir, hash, own @ ..] = args.as_slice() else {
        return Err(
            "usage: reference_chain WEIGHTS_DIR 'HASH' [edit=invert:DIR:K | edit=sdedit:DIR:K | edit=interpolate:A,B] [OWN_MODEL_FILE ...]"
                .into(),
        );
    };
    let dir = std::path::Path::new(dir);
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let mut manifest = zoo::Manifest::parse(&String::from_utf8_lossy(&read("manifest.json")?))?;
    let mut own_bytes = None;
    if !own.is_empty() {
        let mut files = Vec::new();
        for path in own {
            let path = std::path::Path::new(path);
            let name = path
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into());
            files.push((
                name,
                std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
            ));
        }
        let (entry, bytes) = zoo::own_entry(files)?;
        manifest.models.push(entry);
        own_bytes = Some(bytes);
    }
    let mut state = HashState::parse(&format!("#widget=sampler&{hash}"));
    let settings = SamplerSettings::read(&mut state, &manifest);
    let entry = manifest
        .get(settings.model())
        .ok_or(format!("no model {}", settings.model()))?;
    let device = Device::flex();
    let net = match own_bytes.as_deref() {
        Some(bytes) if entry.id.starts_with(zoo::OWN) => zoo::build(entry, bytes, &device),
        _ => zoo::load(entry, &read(&entry.file)?, &device),
    }
    .map_err(|e| e.to_string())?;
    let prediction = entry
        .prediction
        .parse()
        .map_err(|e: diffusion::DiffusionError| e.to_string())?;
    let process = entry.process.clone().ok_or("not an image model")?;
    let spec = settings.spec(net.classes());
    let x = match edit.as_deref() {
        None => zoo::ImageChain::predicting(&net, &process, prediction, &spec, &device)?,
        Some(e) => {
            let digit = |rest: &str| -> Result<Vec<f32>, String> {
                let (dir, k) = rest.rsplit_once(':').ok_or("edit=KIND:DIR:K")?;
                let set = data::read_mnist(std::path::Path::new(dir), "t10k")
                    .map_err(|e| e.to_string())?;
                let k: usize = k.parse().map_err(|_| "edit=KIND:DIR:K")?;
                Ok(set.batch_f32(&[k]))
            };
            let (spec, edit) = if let Some(rest) = e.strip_prefix("invert:") {
                let image = digit(rest)?;
                let class = settings.edit_class(net.classes());
                (spec, zoo::EditSpec::Invert { image, class })
            } else if let Some(rest) = e.strip_prefix("sdedit:") {
                let image = digit(rest)?;
                let strength = settings.strength();
                (spec, zoo::EditSpec::Sdedit { image, strength })
            } else if let Some(pair) = e.strip_prefix("interpolate:") {
                let (a, b) = pair.split_once(',').ok_or("edit=interpolate:A,B")?;
                let ab = [a, b].map(|v| v.parse::<usize>().unwrap_or(usize::MAX));
                playground_web::widgets::sampler::session::interpolation(&spec, spec.n, ab, spec.n)
            } else {
                return Err(format!("unknown edit {e}"));
            };
            zoo::ImageChain::editing(&net, &process, prediction, &spec, &edit, &device)?
        }
    }
    .run(|_| {})?;
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
