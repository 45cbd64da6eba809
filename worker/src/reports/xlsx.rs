//! XLSX through rust_xlsxwriter's constant-memory mode: each row goes to a temporary file as it
//! is written, so memory stays flat. Cells are typed: numbers are numbers, dates are dates, money
//! is a number in major units formatted with its currency; the header row is bold and frozen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use comptoir_domain::money::minor_unit_digits;
use comptoir_domain::report_rows::Cell;

use super::writer::{Meta, ReportWriter, Totals, major_units, neutralise};

/// Rows of a worksheet, the header included.
pub const MAX_ROWS: u64 = 1_048_576;

pub struct XlsxWriter {
    workbook: Workbook,
    path: PathBuf,
    next_row: u32,
    date: Format,
    timestamp: Format,
    /// One number format per currency, e.g. `#,##0.00 "EUR"`.
    money: HashMap<String, Format>,
}

impl XlsxWriter {
    pub fn create(path: &Path, meta: Meta) -> anyhow::Result<Self> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("Report")?;
        let header = Format::new().set_bold();
        for (index, column) in meta.columns.iter().enumerate() {
            let col = u16::try_from(index)?;
            // Wide enough for the data and the header, whichever is longer.
            let width = f64::from(column.width).max(column.title.chars().count() as f64) + 2.0;
            sheet.set_column_width(col, width)?;
            sheet.write_string_with_format(0, col, column.title, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Self {
            workbook,
            path: path.to_owned(),
            next_row: 1,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            timestamp: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            money: HashMap::new(),
        })
    }
}

fn money_format(currency: &str) -> Format {
    let decimals = match minor_unit_digits(currency) {
        0 => String::new(),
        digits => format!(".{}", "0".repeat(digits as usize)),
    };
    let suffix = if currency.is_empty() {
        String::new()
    } else {
        format!(" \"{currency}\"")
    };
    Format::new().set_num_format(format!("#,##0{decimals}{suffix}"))
}

impl ReportWriter for XlsxWriter {
    fn row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        let at = self.next_row;
        if u64::from(at) >= MAX_ROWS {
            anyhow::bail!("an XLSX sheet holds at most {MAX_ROWS} rows");
        }
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (index, cell) in row.iter().enumerate() {
            let col = u16::try_from(index)?;
            let written: Result<_, XlsxError> = match cell {
                Cell::Empty => continue,
                Cell::Text(text) => sheet.write_string(at, col, neutralise(text)),
                Cell::Integer(value) => sheet.write_number(at, col, *value as f64),
                Cell::Money { amount, currency } => {
                    let format = self
                        .money
                        .entry(currency.clone())
                        .or_insert_with(|| money_format(currency));
                    sheet.write_number_with_format(at, col, major_units(*amount, currency), format)
                }
                Cell::Date(date) => sheet.write_date_with_format(at, col, date, &self.date),
                Cell::Timestamp(time) => {
                    sheet.write_datetime_with_format(at, col, time.naive_utc(), &self.timestamp)
                }
                Cell::Bool(value) => sheet.write_boolean(at, col, *value),
            };
            written?;
        }
        self.next_row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, _totals: &Totals) -> anyhow::Result<()> {
        self.workbook.save(&self.path)?;
        Ok(())
    }
}
