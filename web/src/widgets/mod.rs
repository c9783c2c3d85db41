//! The widgets the page can mount, each on its own root element.

mod mixture;
mod sampler;
mod toy2d;

use crate::backend::Backend;
use crate::dom::Root;
use crate::state::{HashState, Widget};

/// What a widget starts before the backend is chosen (downloads, its worker), so that it overlaps
/// the backend's start instead of following it.
pub enum Early {
    Sampler(sampler::Early),
    Nothing,
}

impl Early {
    pub fn start(widget: Widget, state: &mut HashState) -> Self {
        match widget {
            Widget::Sampler => Early::Sampler(sampler::Early::start(state)),
            Widget::Mixture | Widget::Toy2d => Early::Nothing,
        }
    }
}

/// Mounts `widget` on `root` and runs it; an `Err` is a message for the page.
pub async fn mount(
    widget: Widget,
    root: &Root,
    backend: &Backend,
    state: &mut HashState,
    early: Early,
) -> Result<(), String> {
    match (widget, early) {
        (Widget::Mixture, _) => mixture::run(root, backend, state).await,
        (Widget::Toy2d, _) => toy2d::run(root, backend, state).await,
        (Widget::Sampler, Early::Sampler(early)) => sampler::run(root, backend, state, early).await,
        (Widget::Sampler, Early::Nothing) => {
            let early = sampler::Early::start(state);
            sampler::run(root, backend, state, early).await
        }
    }
}
