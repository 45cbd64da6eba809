//! The one interface of the four file writers, what they share (title, totals, the spreadsheet
//! formula guard, money in major units), and the factory that picks one by format.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use comptoir_domain::money::{format_money, minor_unit_digits};
use comptoir_domain::report_rows::{Cell, Column, Kind};
use comptoir_domain::reports::ReportFormat;

use super::{csv, json, pdf, xlsx};
use crate::pdf::FontFiles;

/// What every file says about itself.
pub struct Meta {
    pub title: String,
    /// "2026-11-01 to 2026-11-30".
    pub period: String,
    pub generated_at: DateTime<Utc>,
    pub columns: &'static [Column],
}

/// A report file being written, row by row, in order. Writers run on a blocking thread.
pub trait ReportWriter: Send {
    fn row(&mut self, row: &[Cell]) -> anyhow::Result<()>;
    /// Ends the file (totals line where the format has one) and flushes it to disk.
    fn finish(self: Box<Self>, totals: &Totals) -> anyhow::Result<()>;
}

/// A writer for `format` at `path`; the header is written at once.
pub fn create(
    format: ReportFormat,
    path: &Path,
    meta: Meta,
    pdf_fonts: &FontFiles,
) -> anyhow::Result<Box<dyn ReportWriter>> {
    Ok(match format {
        ReportFormat::Csv => Box::new(csv::CsvWriter::create(path, &meta)?),
        ReportFormat::Json => Box::new(json::JsonWriter::create(path, meta)?),
        ReportFormat::Xlsx => Box::new(xlsx::XlsxWriter::create(path, meta)?),
        ReportFormat::Pdf => Box::new(pdf::PdfWriter::create(path, meta, pdf_fonts)?),
    })
}

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and the tab and
/// carriage return OWASP lists) gets a leading apostrophe.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Minor units as a number of major units (`1999` EUR → 19.99) for spreadsheets.
pub fn major_units(amount: i64, currency: &str) -> f64 {
    amount as f64 / 10_f64.powi(minor_unit_digits(currency) as i32)
}

/// `1999` EUR → "19.99" (no currency: the file has a currency column).
pub fn decimal(amount: i64, currency: &str) -> String {
    let formatted = format_money(amount, currency);
    match formatted.split_once(' ') {
        Some((number, _)) => number.to_owned(),
        None => formatted,
    }
}

/// A cell as text (CSV, PDF).
pub fn text_of(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(value) => value.to_string(),
        Cell::Money { amount, currency } => decimal(*amount, currency),
        Cell::Date(date) => date.to_string(),
        Cell::Timestamp(time) => time.format("%Y-%m-%d %H:%M:%S").to_string(),
        Cell::Bool(value) => if *value { "yes" } else { "no" }.to_owned(),
    }
}

/// Sums of the columns marked `total`; money per currency.
pub struct Totals {
    columns: &'static [Column],
    integers: Vec<i64>,
    money: Vec<BTreeMap<String, i64>>,
}

impl Totals {
    pub fn new(columns: &'static [Column]) -> Self {
        Self {
            columns,
            integers: vec![0; columns.len()],
            money: vec![BTreeMap::new(); columns.len()],
        }
    }

    pub fn add(&mut self, row: &[Cell]) {
        for (index, (column, cell)) in self.columns.iter().zip(row).enumerate() {
            if !column.total {
                continue;
            }
            match cell {
                Cell::Integer(value) => self.integers[index] += value,
                Cell::Money { amount, currency } => {
                    *self.money[index].entry(currency.clone()).or_default() += amount;
                }
                _ => {}
            }
        }
    }

    /// The totals lines: integers on the first; money one currency per line ("19.99 EUR", then
    /// "500 XOF"), so no cell has to hold them all.
    pub fn lines(&self) -> Vec<Vec<String>> {
        let count = self
            .money
            .iter()
            .map(BTreeMap::len)
            .max()
            .unwrap_or(0)
            .max(1);
        (0..count)
            .map(|line| {
                self.columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| match (column.total, column.kind) {
                        (true, Kind::Integer) if line == 0 => self.integers[index].to_string(),
                        (true, Kind::Money) => self.money[index]
                            .iter()
                            .nth(line)
                            .map(|(currency, amount)| {
                                format_money(*amount, currency).trim().to_owned()
                            })
                            .unwrap_or_default(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_kept() {
        for risky in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\t=1"] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        for safe in ["Awa", "1+1", "", "Привет"] {
            assert_eq!(neutralise(safe), safe);
        }
    }

    #[test]
    fn money_is_shown_in_major_units() {
        assert_eq!(decimal(1999, "EUR"), "19.99");
        assert_eq!(decimal(12_500, "XOF"), "12500");
        assert!((major_units(1999, "EUR") - 19.99).abs() < 1e-9);
        assert!((major_units(12_500, "XOF") - 12_500.0).abs() < 1e-9);
    }
}
