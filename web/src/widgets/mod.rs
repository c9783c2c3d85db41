//! The widgets the page can mount, each on its own root element.

mod mixture;
mod sampler;
mod toy2d;

use crate::backend::Backend;
use crate::dom::Root;
use crate::state::{HashState, Widget};

/// Mounts `widget` on `root` and runs it; an `Err` is a message for the page.
pub async fn mount(
    widget: Widget,
    root: &Root,
    backend: &Backend,
    state: &mut HashState,
) -> Result<(), String> {
    match widget {
        Widget::Mixture => mixture::run(root, backend, state).await,
        Widget::Toy2d => toy2d::run(root, backend, state).await,
        Widget::Sampler => sampler::run(root, backend, state).await,
    }
}
