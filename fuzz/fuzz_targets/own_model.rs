#![no_main]
// cargo-fuzz's entry for `fuzzing::own_model` (crates/fuzzing: what it checks)
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::own_model(data));
