//! The playground's browser app: widgets mounted as instances ([`mount`]: any number in one
//! document; the page's own one on `#app` from its URL hash), each on the compute backend it
//! asks for (WebGPU through Burn's wgpu runtime, else Burn's CPU backend). [`settings`] and the
//! widgets' sessions are platform-independent and tested natively; the DOM and worker glue runs in
//! wasm. `docs/architecture.md` is the map.

/// Items of the page that exist only in wasm (the DOM, workers, Burn's web backends); the rest,
/// settings and the widgets' sessions, compiles natively too and is tested there.
macro_rules! wasm_only {
    ($($item:item)*) => { $( #[cfg(target_family = "wasm")] $item )* };
}

pub mod embed;
pub mod floats;
pub mod gpu_error;
pub mod render;
pub mod settings;
pub mod widgets;

wasm_only! {
    mod app;
    pub mod backend;
    mod controls;
    mod dom;
    pub mod mount;
    pub mod readback;
    mod keys;
    mod root;
    mod screen;
    mod weights;
    mod worker;

    unsafe extern "C" {
        /// Synthesised by the linker (wasm-ld): runs the static constructors, here the `inventory`
        /// registrations of CubeCL's IR dialects that Burn's WebGPU backend relies on.
        fn __wasm_call_ctors();
    }

    /// Runs the static constructors once. Unless some exported function calls `__wasm_call_ctors`,
    /// wasm-ld links the module "command-style" and runs the constructors again at the top of
    /// *every* export: every call from JS into wasm (each closure, each resolved promise) re-ran
    /// them, which a CPU profile of sampling showed as ~35 ms per step. The app's start calls this
    /// first, and [`backend::webgpu`] (the way into CubeCL) again, so other callers such as the wasm
    /// tests are covered too.
    pub fn run_static_constructors() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: the linker's constructor function takes no arguments and runs once (Once).
        ONCE.call_once(|| unsafe { __wasm_call_ctors() });
    }
}
