//! Canvas renderers: each draws one kind of picture from plain host data.

pub mod images;
pub mod loss_chart;
pub mod loss_log;
pub mod points;
pub mod text;
