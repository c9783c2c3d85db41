//! The 2-D trainer: a person picks (or draws) a point cloud, presses Train, and watches the
//! engine of `train::toy` (the same code as natively) learn it on this page's backend; samples,
//! the denoising chain, forward noising, the ε̂ field and the learned density are drawn from a
//! frozen copy of the EMA weights while training goes on.
//!
//! Training runs in a Web Worker ([`trainer`]) and everything drawn from the model in another
//! ([`viewer`]), each on its own thread, so the page only draws and handles input. The widget's
//! state and its transitions are the [`session`] (native, tested with scripted worker messages);
//! [`widget`] is the thin glue that feeds it the panel's commands and the workers' reports once per
//! frame and carries out what it asks; [`views`] draws it, one function per view.

pub mod density;
pub mod messages;
pub mod results;
pub mod session;

wasm_only! {
    mod jobs;
    mod panel;
    pub mod trainer;
    pub mod viewer;
    mod views;
    mod widget;
    pub use widget::run;
}
