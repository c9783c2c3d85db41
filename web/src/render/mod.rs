//! Canvas renderers: each draws one kind of picture from plain host data. The loss log and the
//! labels are plain data (native); the rest draws on canvases.

pub mod grid;
pub mod loss_log;
pub mod text;

wasm_only! {
    pub mod images;
    pub mod loss_chart;
    pub mod points;
}
