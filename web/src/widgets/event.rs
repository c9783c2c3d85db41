//! What a widget's session hears from one of its workers (natively in tests, from a
//! `worker::Link` in the page), and what it says in the widget's message area.

/// What a widget hears from its worker.
#[derive(Debug)]
pub enum Event<In> {
    /// One of the widget's own messages.
    Message(In),
    /// A message could not be sent or read; the worker lives on.
    Failed(String),
    /// The worker panicked or could not start: it answers nothing any more (a new link is a new
    /// worker).
    Died(String),
}

/// A banner for the widget's message area.
#[derive(Debug, Clone, PartialEq)]
pub struct Say {
    /// `notice`, `warning` or `error`.
    pub kind: &'static str,
    /// A later message of the same key replaces this one in place; `None`: a new banner, unless the
    /// same text is shown already.
    pub key: Option<&'static str>,
    pub text: String,
}

impl Say {
    pub fn new(kind: &'static str, key: Option<&'static str>, text: impl Into<String>) -> Self {
        Self {
            kind,
            key,
            text: text.into(),
        }
    }
}
