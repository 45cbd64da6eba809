//! The export's ZIP, written on a blocking thread from pieces sent by the query side: a file is
//! opened, its rows (JSON text) follow, the next file closes it. Each file is a JSON array of
//! rows, or one object; at most the batches in flight are in memory, whatever the export's size.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub enum Piece {
    /// A plain text file, written whole.
    Text {
        name: &'static str,
        body: String,
    },
    /// A JSON file: an array of the rows that follow, or the one row that follows (`single`).
    Json {
        name: &'static str,
        single: bool,
    },
    Row(String),
}

struct OpenJson {
    single: bool,
    rows: u64,
}

pub struct Archive {
    zip: ZipWriter<File>,
    options: SimpleFileOptions,
    open: Option<OpenJson>,
}

impl Archive {
    /// A ZIP at `path` whose files are dated `written_at`.
    pub fn create(path: &Path, written_at: DateTime<Utc>) -> std::io::Result<Self> {
        // Zip64 where needed: an orders file of a big buyer can pass 4 GiB uncompressed.
        let mut options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true);
        if let Some(date) = zip_date(written_at) {
            options = options.last_modified_time(date);
        }
        Ok(Self {
            zip: ZipWriter::new(File::create(path)?),
            options,
            open: None,
        })
    }

    pub fn add(&mut self, piece: Piece) -> anyhow::Result<()> {
        match piece {
            Piece::Text { name, body } => {
                self.close_json()?;
                self.zip.start_file(name, self.options)?;
                self.zip.write_all(body.as_bytes())?;
            }
            Piece::Json { name, single } => {
                self.close_json()?;
                self.zip.start_file(name, self.options)?;
                if !single {
                    self.zip.write_all(b"[")?;
                }
                self.open = Some(OpenJson { single, rows: 0 });
            }
            Piece::Row(row) => {
                let open = self
                    .open
                    .as_mut()
                    .ok_or_else(|| anyhow::anyhow!("a row outside any JSON file"))?;
                let separator: &[u8] = match (open.single, open.rows) {
                    (true, 0) => b"",
                    (true, _) => anyhow::bail!("a second row in a single-object file"),
                    (false, 0) => b"\n",
                    (false, _) => b",\n",
                };
                open.rows += 1;
                self.zip.write_all(separator)?;
                self.zip.write_all(row.as_bytes())?;
            }
        }
        Ok(())
    }

    fn close_json(&mut self) -> std::io::Result<()> {
        match self.open.take() {
            Some(OpenJson {
                single: true,
                rows: 0,
            }) => self.zip.write_all(b"null\n"),
            Some(OpenJson { single: true, .. }) => self.zip.write_all(b"\n"),
            Some(OpenJson {
                single: false,
                rows: 0,
            }) => self.zip.write_all(b"]\n"),
            Some(OpenJson { single: false, .. }) => self.zip.write_all(b"\n]\n"),
            None => Ok(()),
        }
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.close_json()?;
        self.zip.finish()?.sync_all()?;
        Ok(())
    }
}

/// The ZIP format's date (UTC, to the even second); `None` outside its years (1980 to 2107).
fn zip_date(at: DateTime<Utc>) -> Option<zip::DateTime> {
    let narrow = |value: u32| u8::try_from(value).ok();
    zip::DateTime::from_date_and_time(
        u16::try_from(at.year()).ok()?,
        narrow(at.month())?,
        narrow(at.day())?,
        narrow(at.hour())?,
        narrow(at.minute())?,
        narrow(at.second())?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn files_are_valid_json_arrays_objects_and_text() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("export.zip");
        let written_at = DateTime::parse_from_rfc3339("2026-12-07T16:20:31Z")
            .expect("date")
            .with_timezone(&Utc);
        let mut archive = Archive::create(&path, written_at).expect("create");
        for piece in [
            Piece::Text {
                name: "README.txt",
                body: "hello".into(),
            },
            Piece::Json {
                name: "profile.json",
                single: true,
            },
            Piece::Row(r#"{"name":"Awa"}"#.into()),
            Piece::Json {
                name: "orders.json",
                single: false,
            },
            Piece::Row(r#"{"id":1}"#.into()),
            Piece::Row(r#"{"id":2}"#.into()),
            Piece::Json {
                name: "quotes.json",
                single: false,
            },
        ] {
            archive.add(piece).expect("add");
        }
        archive.finish().expect("finish");
        let mut zip = zip::ZipArchive::new(File::open(&path).expect("open")).expect("zip");
        let mut read = |name: &str| {
            let mut text = String::new();
            zip.by_name(name)
                .expect("entry")
                .read_to_string(&mut text)
                .expect("read");
            text
        };
        assert_eq!(read("README.txt"), "hello");
        let parse = |text: String| serde_json::from_str::<serde_json::Value>(&text).expect("json");
        assert_eq!(parse(read("profile.json"))["name"], "Awa");
        assert_eq!(parse(read("orders.json"))[1]["id"], 2);
        assert_eq!(parse(read("quotes.json")), serde_json::json!([]));
        let dated = zip.by_name("README.txt").expect("entry").last_modified();
        let dated = dated.expect("a date");
        assert_eq!(
            (
                dated.year(),
                dated.month(),
                dated.day(),
                dated.hour(),
                dated.minute()
            ),
            (2026, 12, 7, 16, 20)
        );
    }
}
