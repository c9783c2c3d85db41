//! "Embed": what an author copies to put a widget in a post. [`snippets`] writes the link, the
//! iframe and the element snippets from a widget's settings (native, tested); the dialog that
//! offers them, with copy buttons, is wasm.

pub mod snippets;

wasm_only! {
    mod dialog;
    pub use dialog::offer;
}
