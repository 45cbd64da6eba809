//! Reading an import file: a blocking thread parses the CSV record by record and hands batches
//! of parsed products to the async writer through a bounded channel, so memory holds a batch or
//! two whatever the file's size, and parsing overlaps with the database writes.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use tokio::sync::mpsc;

use comptoir_domain::imports::RowError;

use super::fields::{CategoryIndex, Record};
use super::layout::{Layout, sniff_delimiter};
use super::{Parsed, Unit, own, shopify};

/// Why a file cannot be imported at all (as opposed to a bad row).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<csv::Error> for FileError {
    fn from(error: csv::Error) -> Self {
        match error.into_kind() {
            csv::ErrorKind::Io(io) => FileError::Io(io),
            other => FileError::Invalid(format!("the CSV cannot be read: {other:?}")),
        }
    }
}

pub struct ReadOptions<'a> {
    /// Records already imported (a resumed import starts after them).
    pub skip_records: u64,
    pub batch_rows: usize,
    pub default_currency: &'a str,
    pub max_rows_per_handle: usize,
    pub categories: &'a CategoryIndex,
}

/// Opens the CSV with its delimiter sniffed from the first line; a UTF-8 BOM is skipped.
fn open(path: &Path) -> Result<csv::Reader<File>, FileError> {
    let mut first_line = Vec::new();
    BufReader::new(File::open(path)?).read_until(b'\n', &mut first_line)?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&first_line))
        .flexible(true)
        .from_reader(File::open(path)?))
}

/// The number of records (rows after the header), for progress.
pub fn count_records(path: &Path) -> Result<u64, FileError> {
    let mut reader = open(path)?;
    let mut record = csv::ByteRecord::new();
    let mut count = 0;
    while reader.read_byte_record(&mut record)? {
        count += 1;
    }
    Ok(count)
}

/// Parses the file and sends batches of about `batch_rows` records; returns the layout seen.
/// Stops early (without error) when the receiver is gone.
pub fn read(
    path: &Path,
    options: &ReadOptions<'_>,
    batches: &mpsc::Sender<Vec<Unit>>,
) -> Result<&'static str, FileError> {
    let mut reader = open(path)?;
    let header: Vec<String> = reader
        .byte_headers()?
        .iter()
        .map(|name| String::from_utf8(name.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| FileError::Invalid("the header row is not valid UTF-8".to_owned()))?;
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let layout = Layout::detect(&names).map_err(FileError::Invalid)?;
    let mut units = Units::new(options, batches, header.len(), &layout);
    let mut raw = csv::ByteRecord::new();
    let mut seen = 0_u64;
    while reader.read_byte_record(&mut raw)? {
        seen += 1;
        if seen <= options.skip_records {
            continue;
        }
        if !units.push(&raw) {
            return Ok(layout.describe());
        }
    }
    units.finish();
    Ok(layout.describe())
}

/// Turns records into units (a product or a failed row) and units into batches.
struct Units<'a> {
    options: &'a ReadOptions<'a>,
    batches: &'a mpsc::Sender<Vec<Unit>>,
    width: usize,
    layout: &'a Layout,
    /// The rows of the Shopify handle being read, and how many more were dropped past the cap.
    group: Vec<Record>,
    group_overflow: u32,
    batch: Vec<Unit>,
    batch_records: usize,
    open: bool,
}

impl<'a> Units<'a> {
    fn new(
        options: &'a ReadOptions<'a>,
        batches: &'a mpsc::Sender<Vec<Unit>>,
        width: usize,
        layout: &'a Layout,
    ) -> Self {
        Self {
            options,
            batches,
            width,
            layout,
            group: Vec::new(),
            group_overflow: 0,
            batch: Vec::new(),
            batch_records: 0,
            open: true,
        }
    }

    /// Takes one record; `false` once nobody listens any more.
    fn push(&mut self, raw: &csv::ByteRecord) -> bool {
        let line = raw.position().map_or(0, |p| p.line()) as i64;
        let record = match csv::StringRecord::from_byte_record(raw.clone()) {
            Err(_) => return self.reject(line, "the row is not valid UTF-8"),
            Ok(fields) if fields.len() != self.width => {
                let found = fields.len();
                let reason = format!("expected {} fields, found {found}", self.width);
                return self.reject(line, &reason);
            }
            Ok(fields) => Record { line, fields },
        };
        match self.layout {
            Layout::Own(columns) => {
                let parsed = own::parse(
                    &record,
                    columns,
                    self.options.default_currency,
                    self.options.categories,
                );
                self.emit(1, parsed)
            }
            Layout::Shopify(columns) => {
                let handle = record.get(Some(columns.handle));
                let same = self
                    .group
                    .first()
                    .is_some_and(|first| first.get(Some(columns.handle)) == handle);
                if !same && !self.flush_group() {
                    return false;
                }
                if self.group.len() < self.options.max_rows_per_handle {
                    self.group.push(record);
                } else {
                    self.group_overflow += 1;
                }
                true
            }
        }
    }

    fn reject(&mut self, line: i64, reason: &str) -> bool {
        let error = RowError {
            line,
            column: String::new(),
            reason: reason.to_owned(),
        };
        // A broken row inside a Shopify group ends the group: its rows are flushed first.
        self.flush_group() && self.emit(1, Parsed::Failed(vec![error]))
    }

    fn flush_group(&mut self) -> bool {
        let Layout::Shopify(columns) = self.layout else {
            return true;
        };
        if self.group.is_empty() {
            return true;
        }
        let group = std::mem::take(&mut self.group);
        let records = group.len() as u32 + std::mem::take(&mut self.group_overflow);
        let parsed = if records as usize > self.options.max_rows_per_handle {
            Parsed::Failed(vec![RowError {
                line: group[0].line,
                column: "handle".to_owned(),
                reason: format!(
                    "more than {} rows share this handle",
                    self.options.max_rows_per_handle
                ),
            }])
        } else {
            shopify::parse_group(
                &group,
                columns,
                self.options.default_currency,
                self.options.categories,
            )
        };
        self.emit(records, parsed)
    }

    fn emit(&mut self, records: u32, parsed: Parsed) -> bool {
        self.batch.push(Unit { records, parsed });
        self.batch_records += records as usize;
        if self.batch_records >= self.options.batch_rows {
            return self.send();
        }
        true
    }

    fn send(&mut self) -> bool {
        self.batch_records = 0;
        let batch = std::mem::take(&mut self.batch);
        self.open = self.open && self.batches.blocking_send(batch).is_ok();
        self.open
    }

    fn finish(mut self) {
        if self.flush_group() && !self.batch.is_empty() {
            self.send();
        }
    }
}
