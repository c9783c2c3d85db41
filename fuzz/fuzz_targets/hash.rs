#![no_main]
// cargo-fuzz's entry for `fuzzing::hash` (crates/fuzzing: what it checks)
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::hash(data));
