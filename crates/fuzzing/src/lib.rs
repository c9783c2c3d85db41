//! One function per parser that takes bytes or text from outside the program, each run on any
//! input: it must return (an error is fine) without panicking, hanging or allocating beyond what
//! the input justifies, and where it accepts the input, what it returns must hold together.
//! cargo-fuzz runs them for hours (`fuzz/`, nightly, `scripts/fuzz.sh`); the test command runs a
//! short mutation smoke over the same seeds and every input that once broke one
//! (`tests/smoke.rs`). docs/reliability.md has the figures.

use playground_web::settings::HashState;
use playground_web::settings::compare::CompareSettings;
use playground_web::settings::mixture::MixtureSettings;
use playground_web::settings::sampler::SamplerSettings;
use playground_web::settings::toy2d::Toy2dSettings;

/// Every target, by the name its seeds and cargo-fuzz binary have.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("safetensors", safetensors),
    ("manifest", manifest),
    ("own_model", own_model),
    ("hash", hash),
    ("points", points),
    ("idx", idx),
    ("image_folder", image_folder),
];

/// A weights file: the header alone (what the page checks before a worker builds anything),
/// then every tensor decoded.
pub fn safetensors(data: &[u8]) {
    use models::safetensors::{Header, SafeTensors};
    if let Ok(header) = Header::parse(data) {
        for (name, t) in &header.tensors {
            assert!(
                t.bytes.end <= data.len(),
                "{name}'s bytes are past the file"
            );
            assert_eq!(
                t.bytes.len(),
                t.count() * t.dtype.size(),
                "{name}'s byte count"
            );
        }
    }
    if let Ok(file) = SafeTensors::parse(data) {
        for (name, t) in &file.tensors {
            assert_eq!(t.values.len(), t.shape.iter().product::<usize>(), "{name}");
        }
    }
}

/// The model list (`manifest.json`), and what the page derives from each entry.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = zoo::Manifest::parse(text) {
        for e in &m.models {
            let _ = e.image_shape();
            let _ = e.samplers();
            let _ = e.size_text();
            if let Some(p) = &e.process {
                let _ = p.process();
            }
        }
        let _ = zoo::Manifest::parse(&m.to_json()).expect("a manifest written back parses");
    }
}

/// A person's own diffusers model: `config.json`, `scheduler_config.json` and the weights,
/// joined by 0xFF (which JSON text never holds; the weights come last and may).
pub fn own_model(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let mut files = Vec::new();
    for name in [
        "config.json",
        "scheduler_config.json",
        "diffusion_pytorch_model.safetensors",
    ] {
        match parts.next() {
            Some(bytes) if !bytes.is_empty() => files.push((name.to_string(), bytes.to_vec())),
            _ => {}
        }
    }
    if let Ok((entry, bytes)) = zoo::own_entry(files) {
        assert!(entry.id.starts_with(zoo::OWN));
        assert_eq!(entry.bytes, bytes.len() as u64);
        let _ = entry.image_shape();
        if let Some(p) = &entry.process {
            let _ = p.process();
        }
    }
}

/// The URL hash (and an embed's `settings` attribute, the same text) of every widget: each
/// widget's settings read from it; the URL a widget writes for them reads back to that same URL
/// (what the page writes is stable, whatever it was opened with).
pub fn hash(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = HashState::parse(&text);
    let manifest = shipped_manifest();
    let sampler_url = |hash: &mut HashState| {
        let s = SamplerSettings::read(hash, &manifest);
        let mut out = HashState::parse("");
        s.write(&mut out, &manifest);
        out.to_hash()
    };
    let once = sampler_url(&mut parsed.clone());
    let twice = sampler_url(&mut HashState::parse(&once));
    assert_eq!(once, twice, "the sampler's URL reads back to itself");
    let toy_url = |hash: &mut HashState| {
        let t = Toy2dSettings::read(hash);
        let mut out = HashState::parse("");
        t.write(&mut out);
        out.to_hash()
    };
    let once = toy_url(&mut parsed.clone());
    let twice = toy_url(&mut HashState::parse(&once));
    assert_eq!(once, twice, "the trainer's URL reads back to itself");
    let _ = CompareSettings::read(&mut parsed.clone());
    let _ = MixtureSettings::read(&mut parsed.clone());
}

/// The 2-D trainer's drawn points (`pts=`): decoded, encoded and decoded to the same points.
pub fn points(data: &[u8]) {
    use playground_web::settings::points::{decode_points, encode_points};
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = decode_points(&text) {
        assert_eq!(p.len() % 2, 0, "points come in pairs");
        let again = decode_points(&encode_points(&p)).expect("encoded points decode");
        assert_eq!(again.len(), p.len());
    }
}

/// MNIST's IDX files (gzipped or not), as images and as labels.
pub fn idx(data: &[u8]) {
    for dims in [1, 3] {
        if let Ok((shape, values)) = data::parse_idx(data, dims, "fuzz") {
            assert_eq!(shape.len(), dims);
            assert_eq!(shape.iter().product::<usize>(), values.len());
        }
    }
}

/// A labelled image folder packed as `.tar.gz`.
pub fn image_folder(data: &[u8]) {
    for split in ["train", "test"] {
        if let Ok(images) = data::read_image_folder_tar_gz_from(data, "fuzz.tar.gz", split) {
            let per = images.channels * images.height * images.width;
            assert_eq!(
                images.pixels.len(),
                per * images.len(),
                "pixels for every label"
            );
        }
    }
}

fn shipped_manifest() -> zoo::Manifest {
    static SHIPPED: std::sync::OnceLock<zoo::Manifest> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            zoo::Manifest::parse(include_str!("../../../static/weights/manifest.json"))
                .expect("the shipped manifest parses")
        })
        .clone()
}
