//! Settings of the file pipelines: object storage and bulk imports.

use std::path::PathBuf;

use serde::Deserialize;

use super::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    pub backend: StorageBackend,
    /// The directory of the `local` backend.
    pub root: PathBuf,
    #[serde(default)]
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    Local,
    S3,
}

/// An S3-compatible bucket (AWS, MinIO, Garage, Ceph...), addressed path-style. What is left
/// empty (credentials when `access_key_id` is, the region, the endpoint) may come from the usual
/// `AWS_*` environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// Empty for AWS itself; e.g. `http://minio:9000` otherwise.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub allow_http: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    pub max_csv_bytes: u64,
    pub max_zip_bytes: u64,
    pub default_currency: String,
    pub batch_rows: usize,
    pub max_stored_errors: i64,
    pub max_rows_per_handle: usize,
    pub zip: ZipLimits,
}

/// What an untrusted ZIP of images may contain.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    pub max_ratio: u64,
}
