//! Personal data in the workers: the export of everything held about a user, and its erasure.

mod archive;
mod erasure;
mod export;

pub use erasure::Eraser;
pub use export::DataExporter;
