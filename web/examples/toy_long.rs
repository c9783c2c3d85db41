//! A long 2-D training run natively, from a URL hash read as the page reads it, each loss checked
//! as the page's trainer checks it: where the loss spikes, and whether the run goes on (the soak's
//! trainer tab once stopped on a spike at step 26,003 with the defaults; a spike after 1,000
//! healthy steps is now taken back). Prints the running mean and the worst loss every 1,000
//! steps, and each spike or stop.
//!
//! `cargo run --release -p playground-web --example toy_long -- 'widget=toy2d&…' STEPS`

#[cfg(not(target_family = "wasm"))]
fn main() -> Result<(), String> {
    use burn::prelude::*;
    use playground_web::settings::HashState;
    use playground_web::settings::toy2d::Toy2dSettings;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [hash, steps] = args.as_slice() else {
        return Err("usage: toy_long 'HASH' STEPS".into());
    };
    let steps: usize = steps.parse().map_err(|e| format!("{steps}: {e}"))?;
    let settings = Toy2dSettings::read(&mut HashState::parse(hash));
    let config = settings.config();
    eprintln!("{config:?}");
    let device = Device::flex();
    let mut run = train::toy::ToyRun::new(config, &device)?;
    let (mut worst, mut at, mut mean) = (0f32, 0, f32::NAN);
    for s in 1..=steps {
        let loss = run.step().into_scalar::<f32>();
        mean = if mean.is_nan() {
            loss
        } else {
            0.95 * mean + 0.05 * loss
        };
        if loss > worst {
            (worst, at) = (loss, s);
        }
        if s % 1000 == 0 {
            println!("step {s}: running mean {mean:.4}, worst so far {worst:.4} at step {at}");
        }
        match run.trainer.check(loss) {
            Ok(()) => {}
            Err(e) if e.goes_on() => println!("step {s}: {e}"),
            Err(e) => return Err(format!("step {s}: {e}")),
        }
    }
    Ok(())
}

#[cfg(target_family = "wasm")]
fn main() {}
