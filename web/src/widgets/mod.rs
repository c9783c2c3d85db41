//! The widgets, each mounted as an instance on its own root element. A widget is a session (its
//! state and transitions, native and unit-tested), views and a thin DOM/worker glue (wasm).

pub mod event;
pub mod sampler;
pub mod toy2d;

wasm_only! {
    mod compare;
    mod mixture;
    pub use start::{Starting, mount};
}

#[cfg(target_family = "wasm")]
mod start {
    use super::{compare, mixture, sampler, toy2d};
    use crate::backend::Backend;
    use crate::root::Root;
    use crate::settings::{HashState, Widget};

    /// A widget being started: the widget, with what it starts before the backend is chosen
    /// (downloads, its worker), so that this overlaps the backend's start instead of following it.
    pub enum Starting {
        Mixture,
        Toy2d,
        Sampler(sampler::Early),
        Compare,
    }

    impl Starting {
        /// `shared`: the sampler's worker is the document's shared one (see `worker::Link`).
        pub fn new(widget: Widget, hash: &mut HashState, shared: bool) -> Self {
            match widget {
                Widget::Mixture => Starting::Mixture,
                Widget::Toy2d => Starting::Toy2d,
                Widget::Sampler => Starting::Sampler(sampler::Early::start(hash, shared)),
                Widget::Compare => Starting::Compare,
            }
        }
    }

    /// Runs the widget on `root` until it is unmounted; an `Err` is a message for the widget.
    pub async fn mount(
        widget: Starting,
        root: &Root,
        backend: &Backend,
        hash: &mut HashState,
    ) -> Result<(), String> {
        match widget {
            Starting::Mixture => mixture::run(root, backend, hash).await,
            Starting::Toy2d => toy2d::run(root, backend, hash).await,
            Starting::Sampler(early) => sampler::run(root, backend, hash, early).await,
            Starting::Compare => compare::run(root, backend, hash).await,
        }
    }
}
