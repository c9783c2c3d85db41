#![no_main]
// cargo-fuzz's entry for `fuzzing::image_folder` (crates/fuzzing: what it checks)
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::image_folder(data));
