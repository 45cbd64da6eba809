//! The export's ZIP, written on a blocking thread from pieces sent by the query side: a file is
//! opened, its rows (JSON text) follow, the next file closes it. Each file is a JSON array of
//! rows, or one object; at most the batches in flight are in memory, whatever the export's size.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use zip::CompressionMethod;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

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
    open: Option<OpenJson>,
}

impl Archive {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            zip: ZipWriter::new(File::create(path)?),
            open: None,
        })
    }

    fn options() -> SimpleFileOptions {
        // Zip64 where needed: an orders file of a big buyer can pass 4 GiB uncompressed.
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true)
    }

    pub fn add(&mut self, piece: Piece) -> anyhow::Result<()> {
        match piece {
            Piece::Text { name, body } => {
                self.close_json()?;
                self.zip.start_file(name, Self::options())?;
                self.zip.write_all(body.as_bytes())?;
            }
            Piece::Json { name, single } => {
                self.close_json()?;
                self.zip.start_file(name, Self::options())?;
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn files_are_valid_json_arrays_objects_and_text() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("export.zip");
        let mut archive = Archive::create(&path).expect("create");
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
    }
}
