//! CSV (RFC 4180: comma, CRLF, quotes doubled), UTF-8. Money in major units beside a currency
//! column; text that a spreadsheet would run as a formula is neutralised.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use comptoir_domain::report_rows::Cell;

use super::writer::{Meta, ReportWriter, Totals, neutralise, text_of};

pub struct CsvWriter {
    out: csv::Writer<BufWriter<File>>,
    record: Vec<String>,
}

impl CsvWriter {
    pub fn create(path: &Path, meta: &Meta) -> anyhow::Result<Self> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(BufWriter::new(File::create(path)?));
        out.write_record(meta.columns.iter().map(|column| column.title))?;
        Ok(Self {
            out,
            record: Vec::with_capacity(meta.columns.len()),
        })
    }
}

impl ReportWriter for CsvWriter {
    fn row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        self.record.clear();
        self.record.extend(row.iter().map(|cell| match cell {
            Cell::Text(text) => neutralise(text).into_owned(),
            other => text_of(other),
        }));
        self.out.write_record(&self.record)?;
        Ok(())
    }

    fn finish(self: Box<Self>, _totals: &Totals) -> anyhow::Result<()> {
        // Data only: a totals line would be read back as one more row.
        self.out
            .into_inner()
            .map_err(|err| err.into_error())?
            .into_inner()?
            .sync_all()?;
        Ok(())
    }
}
