//! JSON: one array of row objects keyed by column, streamed (never built in memory). Money is
//! in minor units, as everywhere in the API; dates are ISO 8601.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value};

use comptoir_domain::report_rows::Cell;

use super::writer::{Meta, ReportWriter, Totals};

pub struct JsonWriter {
    out: BufWriter<File>,
    meta: Meta,
    rows: u64,
}

impl JsonWriter {
    pub fn create(path: &Path, meta: Meta) -> anyhow::Result<Self> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(b"[")?;
        Ok(Self { out, meta, rows: 0 })
    }
}

fn value_of(cell: &Cell) -> Value {
    match cell {
        Cell::Empty => Value::Null,
        Cell::Text(text) => Value::from(text.as_str()),
        Cell::Integer(value) => Value::from(*value),
        Cell::Money { amount, .. } => Value::from(*amount),
        Cell::Date(date) => Value::from(date.to_string()),
        Cell::Timestamp(time) => Value::from(time.to_rfc3339()),
        Cell::Bool(value) => Value::from(*value),
    }
}

impl ReportWriter for JsonWriter {
    fn row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        let object: Map<String, Value> = self
            .meta
            .columns
            .iter()
            .zip(row)
            .map(|(column, cell)| (column.key.to_owned(), value_of(cell)))
            .collect();
        if self.rows > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &object)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, _totals: &Totals) -> anyhow::Result<()> {
        self.out.write_all(b"\n]\n")?;
        self.out
            .into_inner()
            .map_err(|err| err.into_error())?
            .sync_all()?;
        Ok(())
    }
}
