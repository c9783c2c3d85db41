//! The samples the 2-D trainer must produce, computed natively: reads a toy2d URL hash exactly as
//! the page does (`Toy2dSettings`), trains the same `train::toy::ToyRun` for `train_steps` steps
//! on Burn's native CPU backend, walks the same `ToyChain` from its EMA weights and prints JSON
//! (the hash, the samples and the first data points, in the model's normalised coordinates, as the
//! page publishes them). `tests/e2e/toy2d.test.mjs` compares the page against the stored output.
//!
//! `cargo run --release -p playground-web --example toy_chain -- 'data=moons&seed=4&train_steps=30'`

#[cfg(not(target_family = "wasm"))]
fn main() -> Result<(), String> {
    use burn::prelude::*;
    use playground_web::settings::toy2d::{DRAWN, Toy2dSettings};
    use playground_web::settings::{Common, HashState};
    use train::toy::{ToyRun, ToySet};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [hash] = args.as_slice() else {
        return Err("usage: toy_chain 'HASH' (a toy2d URL hash, without widget=)".into());
    };
    let mut state = HashState::parse(&format!("#widget=toy2d&{hash}"));
    let s = Toy2dSettings::read(&mut state);
    if !state.warnings.is_empty() {
        return Err(format!("the hash has problems: {:?}", state.warnings));
    }
    let drawn = (s.data() == DRAWN).then(|| s.drawn.clone());
    let device = Device::flex();
    let mut run = ToyRun::on(ToySet::of(s.config(), drawn)?, &device)?;
    for _ in 0..s.train_steps().unwrap_or(0) {
        run.step();
    }
    let x = run.sample(s.sampler(), &s.options(), s.n(), s.seed(), |_| {})?;
    // f32 as serde_json writes them: the shortest text that reads back as the same f32
    let samples = x
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let data: Vec<f32> = run.set.data.iter().take(16).copied().collect();
    let out = serde_json::json!({
        "hash": hash,
        "step": run.trainer.step,
        "samples": samples,
        "data": data,
    });
    println!("{out}");
    Ok(())
}

#[cfg(target_family = "wasm")]
fn main() {}
