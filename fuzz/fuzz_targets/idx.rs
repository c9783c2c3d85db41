#![no_main]
// cargo-fuzz's entry for `fuzzing::idx` (crates/fuzzing: what it checks)
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::idx(data));
