//! The images of a batch's rows. Before the batch's transaction, each image is read from the
//! ZIP (within its checked size) and goes through the image pipeline: scanned by clamd,
//! decoded within the caps, its variants written to storage under content-addressed keys. A
//! missing, infected or invalid image fails its row, and nothing of it is stored. Inside the
//! transaction, the prepared images are attached to their products. A crash in between
//! rewrites the same keys on the re-run, so nothing is duplicated.
//!
//! A dry run only checks that the images are in the ZIP.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};

use comptoir_domain::imports::RowError;
use comptoir_domain::product_images::PreparedImage;

use super::archive::{ArchiveError, ImageArchive};
use super::{Candidate, ImageRef, Outcome};
use crate::error::ResultExt;
use crate::images::ImagePipeline;

/// Images prepared at once: each decode and resize runs on a blocking thread of its own.
const IMAGES_IN_FLIGHT: usize = 2;

pub struct BatchImages<'a> {
    pub archive: Option<&'a Arc<Mutex<ImageArchive>>>,
    pub pipeline: &'a ImagePipeline,
    pub dry_run: bool,
}

impl BatchImages<'_> {
    /// The candidates whose images are all fine, with `prepared` filled in, and the problems
    /// of the others (one list per failed row).
    pub async fn prepare(
        &self,
        candidates: Vec<Candidate>,
    ) -> Result<(Vec<Candidate>, Vec<Vec<RowError>>), Outcome> {
        let mut kept = Vec::with_capacity(candidates.len());
        let mut failed = Vec::new();
        for mut candidate in candidates {
            let outcomes: Vec<Result<Option<PreparedImage>, RowError>> =
                stream::iter(candidate.images.clone())
                    .map(|image| self.prepare_one(image))
                    .buffered(IMAGES_IN_FLIGHT)
                    .try_collect::<Vec<_>>()
                    .await?;
            let (prepared, problems): (Vec<_>, Vec<_>) =
                outcomes.into_iter().partition(Result::is_ok);
            if problems.is_empty() {
                candidate.prepared = prepared.into_iter().flatten().flatten().collect();
                kept.push(candidate);
            } else {
                failed.push(problems.into_iter().filter_map(Result::err).collect());
            }
        }
        Ok((kept, failed))
    }

    /// `Ok(Err(_))`: the row fails; `Ok(Ok(None))`: fine but not prepared (dry run).
    async fn prepare_one(
        &self,
        image: ImageRef,
    ) -> Result<Result<Option<PreparedImage>, RowError>, Outcome> {
        let problem = |reason: String| RowError {
            line: image.line,
            column: image.column.to_owned(),
            reason,
        };
        let missing = || problem(format!("image {:?} is not in the ZIP", image.name));
        if self.dry_run {
            return Ok(if self.has(&image.name) {
                Ok(None)
            } else {
                Err(missing())
            });
        }
        let Some(bytes) = self.read(&image.name).await? else {
            return Ok(Err(missing()));
        };
        Ok(match self.pipeline.prepare(bytes).await? {
            Ok(prepared) => Ok(Some(prepared)),
            Err(rejection) => Err(problem(format!("image {:?}: {rejection}", image.name))),
        })
    }

    fn has(&self, name: &str) -> bool {
        self.archive
            .is_some_and(|archive| archive.lock().is_ok_and(|archive| archive.has(name)))
    }

    async fn read(&self, name: &str) -> Result<Option<Bytes>, Outcome> {
        let Some(archive) = self.archive.cloned() else {
            return Ok(None);
        };
        let name = name.to_owned();
        let read = tokio::task::spawn_blocking(move || {
            let mut archive = archive
                .lock()
                .map_err(|_| ArchiveError::Refused("the ZIP reader failed".to_owned()))?;
            archive.read(&name)
        })
        .await
        .transient()?;
        Ok(read?.map(Bytes::from))
    }
}
