//! What the GPU's failures say to a reader: Burn's runtime reports them as long chains of causes
//! from deep inside; the page says what happened and what to do. Pure text, tested natively.

/// What a failed read says. The work behind it runs lazily, so its failures surface here: the GPU
/// out of memory (Burn's runtime: "can't allocate buffer of size: N" for a buffer over what the
/// device allows, or the device's own out-of-memory error) is said as such, with what to do.
pub fn read_failed(error: &str) -> String {
    // a lost device is said by the caller (`backend::is_device_lost` reads this text)
    if says_device_lost(error) {
        return format!("reading results back from the device failed: {error}");
    }
    let size = error
        .split("can't allocate buffer of size: ")
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        });
    let oom = size.is_some()
        || ["Out of Memory", "OutOfMemory", "out of memory"]
            .iter()
            .any(|k| error.contains(k));
    if !oom {
        return format!("reading results back from the device failed: {error}");
    }
    let what = match size {
        Some(bytes) => format!(
            "a buffer of {} MB did not fit",
            (bytes as f64 / 1e6).round() as u64
        ),
        None => "the device had no memory left".to_string(),
    };
    format!("the GPU ran out of memory ({what}); fewer images, or the CPU (#backend=cpu), will fit")
}

/// Whether an error's text says the device itself is gone (wgpu: "poisoned", "Destroyed",
/// "lost").
pub fn says_device_lost(error: &str) -> bool {
    [
        "device is poisoned",
        "Device was destroyed",
        "Device lost",
        "device lost",
    ]
    .iter()
    .any(|k| error.contains(k))
}

#[cfg(test)]
mod tests {
    use super::{read_failed, says_device_lost};

    #[test]
    fn an_allocation_failure_is_said_as_the_gpu_out_of_memory() {
        let burn = "An error happened during execution\nCaused by:\n  An IO error happened\nCaused by:\n  can't allocate buffer of size: 1644167168\nNo backtrace available";
        assert_eq!(
            read_failed(burn),
            "the GPU ran out of memory (a buffer of 1644 MB did not fit); fewer images, or the CPU (#backend=cpu), will fit"
        );
        assert!(
            read_failed("GPUOutOfMemoryError: Out of Memory")
                .starts_with("the GPU ran out of memory (the device had no memory left)")
        );
        // a lost device's error, out of memory or not, is left for the lost-device check
        let lost = "Device lost: out of memory";
        assert!(read_failed(lost).ends_with(lost) && says_device_lost(&read_failed(lost)));
        assert!(
            read_failed("something else")
                .starts_with("reading results back from the device failed: something else")
        );
    }
}
