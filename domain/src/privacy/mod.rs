//! Personal data: exports of everything held about a user, and its erasure.

pub mod erasure;
pub mod export_files;
pub mod exports;
mod scrub;

pub use scrub::ERASED;
