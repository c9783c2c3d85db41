//! The widgets the page can mount, each on its own root element.

mod mixture;
mod sampler;
mod toy2d;

use crate::backend::Backend;
use crate::dom::Root;
use crate::state::{HashState, Widget};

/// A widget being started: the widget, with what it starts before the backend is chosen
/// (downloads, its worker), so that this overlaps the backend's start instead of following it.
pub enum Starting {
    Mixture,
    Toy2d,
    Sampler(sampler::Early),
}

impl Starting {
    pub fn new(widget: Widget, state: &mut HashState) -> Self {
        match widget {
            Widget::Mixture => Starting::Mixture,
            Widget::Toy2d => Starting::Toy2d,
            Widget::Sampler => Starting::Sampler(sampler::Early::start(state)),
        }
    }
}

/// Mounts the widget on `root` and runs it; an `Err` is a message for the page.
pub async fn mount(
    widget: Starting,
    root: &Root,
    backend: &Backend,
    state: &mut HashState,
) -> Result<(), String> {
    match widget {
        Starting::Mixture => mixture::run(root, backend, state).await,
        Starting::Toy2d => toy2d::run(root, backend, state).await,
        Starting::Sampler(early) => sampler::run(root, backend, state, early).await,
    }
}
