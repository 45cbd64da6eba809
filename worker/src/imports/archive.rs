//! The ZIP of images that comes with an import. It is untrusted, so it is checked whole before
//! any row is imported: entry count, per-entry and total uncompressed size, compression ratio
//! (zip bombs), and names (no `..`, no absolute paths, no symlinks). A hostile archive fails
//! the import with its reason; nothing from it is ever extracted to the file system — entries
//! are read into memory, within their checked size, one at a time.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use comptoir_domain::config::ZipLimits;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive is refused; the message says why, for the import's error.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub struct ImageArchive {
    archive: zip::ZipArchive<File>,
    limits: ZipLimits,
    /// Entry index by full name, and by bare file name when only one entry has it.
    index: HashMap<String, usize>,
}

impl ImageArchive {
    pub fn open(path: &Path, limits: ZipLimits) -> Result<Self, ArchiveError> {
        let refused = |reason: String| ArchiveError::Refused(reason);
        let mut archive = zip::ZipArchive::new(File::open(path)?)
            .map_err(|error| refused(format!("the images file is not a valid ZIP: {error}")))?;
        if archive.len() > limits.max_entries {
            return Err(refused(format!(
                "the ZIP has {} entries, more than the limit of {}",
                archive.len(),
                limits.max_entries
            )));
        }
        let mut total = 0_u64;
        let mut full_names = HashMap::new();
        let mut bare_names: HashMap<String, Option<usize>> = HashMap::new();
        for position in 0..archive.len() {
            let entry = archive
                .by_index(position)
                .map_err(|error| refused(format!("ZIP entry {position} is unreadable: {error}")))?;
            let name = entry
                .name()
                .map_err(|_| refused(format!("ZIP entry {position} has an unreadable name")))?
                .into_owned();
            check_name(&name, entry.enclosed_name().is_some(), entry.is_symlink())
                .map_err(refused)?;
            if entry.is_dir() {
                continue;
            }
            let size = entry.size();
            if size > limits.max_entry_bytes {
                return Err(refused(format!(
                    "ZIP entry {name:?} expands to {size} bytes, more than the limit of {}",
                    limits.max_entry_bytes
                )));
            }
            if size / entry.compressed_size().max(1) > limits.max_ratio {
                return Err(refused(format!(
                    "ZIP entry {name:?} is compressed more than {}:1 (a zip bomb?)",
                    limits.max_ratio
                )));
            }
            total += size;
            if total > limits.max_total_bytes {
                return Err(refused(format!(
                    "the ZIP expands to more than the limit of {} bytes",
                    limits.max_total_bytes
                )));
            }
            let bare = name.rsplit('/').next().unwrap_or(&name).to_owned();
            bare_names
                .entry(bare)
                .and_modify(|seen| *seen = None)
                .or_insert(Some(position));
            full_names.insert(name, position);
        }
        let mut index: HashMap<String, usize> = bare_names
            .into_iter()
            .filter_map(|(name, position)| Some((name, position?)))
            .collect();
        index.extend(full_names);
        Ok(Self {
            archive,
            limits,
            index,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(lookup_key(name))
    }

    /// The bytes of the entry named `name` (full path or unique bare file name); `Ok(None)` if
    /// the archive has no such entry. The read is capped at the entry's checked size, whatever
    /// its header claims.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let Some(&position) = self.index.get(lookup_key(name)) else {
            return Ok(None);
        };
        let entry = self
            .archive
            .by_index(position)
            .map_err(|error| ArchiveError::Refused(format!("ZIP entry {name:?}: {error}")))?;
        let limit = entry.size().min(self.limits.max_entry_bytes);
        let mut bytes = Vec::with_capacity(limit as usize);
        entry
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| ArchiveError::Refused(format!("ZIP entry {name:?}: {error}")))?;
        if bytes.len() as u64 > limit {
            return Err(ArchiveError::Refused(format!(
                "ZIP entry {name:?} is larger than its header says"
            )));
        }
        Ok(Some(bytes))
    }
}

/// Rows name images as written in the archive, or as URLs whose file name is in it.
fn lookup_key(name: &str) -> &str {
    let name = name.trim_start_matches("./");
    if name.contains("://") {
        let path = name.split(['?', '#']).next().unwrap_or(name);
        return path.rsplit('/').next().unwrap_or(path);
    }
    name
}

/// Entry names are refused when they could point outside the archive.
fn check_name(name: &str, enclosed: bool, symlink: bool) -> Result<(), String> {
    if symlink {
        return Err(format!("ZIP entry {name:?} is a symbolic link"));
    }
    let climbs = name.split(['/', '\\']).any(|part| part == "..");
    let absolute = name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':');
    if climbs || absolute || !enclosed {
        return Err(format!("ZIP entry {name:?} points outside the archive"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_archive_are_refused() {
        for name in [
            "../x.jpg",
            "a/../../x.jpg",
            "a/../x.jpg",
            "/etc/passwd",
            "\\x.jpg",
            "C:x.jpg",
        ] {
            assert!(check_name(name, true, false).is_err(), "{name}");
        }
        assert!(check_name("photos/x.jpg", true, true).is_err(), "symlink");
        assert!(check_name("photos/x.jpg", true, false).is_ok());
    }
}
