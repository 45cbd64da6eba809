//! Image jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Scans, decodes and resizes one uploaded product image (a `pending` product_images row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessImage {
    pub image_id: Uuid,
}

impl Job for ProcessImage {
    const KIND: &'static str = "images.process.v1";
    const QUEUE: &'static str = queues::IMAGES;
}
