//! The staging table of one import batch: its valid rows, loaded with `COPY` into a temporary
//! table that the batch's transaction drops when it ends, so that claiming SKUs, the item limit
//! and the write into `products` are a few set-wise statements ([`super::merge`]) whatever
//! the batch size. Temporary tables are not WAL-logged and live in the session's own buffers.

use std::collections::HashMap;
use std::io::Write;

use sqlx::PgConnection;
use uuid::Uuid;

use super::batch::ProductRow;
use crate::{StoreResult, new_id};

/// COPY data is sent in chunks of about this size, so memory does not grow with the batch.
const CHUNK_BYTES: usize = 256 * 1024;

/// Creates `import_batch` and loads `rows` into it, each with a fresh id should it be new.
/// `product_id`, `revive` and `repeated` are filled by [`super::merge::resolve`].
pub async fn load(tx: &mut PgConnection, rows: &[&ProductRow]) -> StoreResult<()> {
    sqlx::query(
        "CREATE TEMPORARY TABLE import_batch (line BIGINT NOT NULL, new_id UUID NOT NULL, \
         sku TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, \
         price_amount BIGINT NOT NULL, currency TEXT NOT NULL, stock INTEGER NOT NULL, \
         category_id UUID, color TEXT, size TEXT, variations JSONB NOT NULL, \
         features JSONB NOT NULL, product_id UUID, revive BOOLEAN NOT NULL DEFAULT FALSE, \
         repeated BOOLEAN NOT NULL DEFAULT FALSE) \
         ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY import_batch (line, new_id, sku, name, description, price_amount, currency, \
             stock, category_id, color, size, variations, features) FROM STDIN",
        )
        .await?;
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
    for row in rows {
        encode(&mut chunk, row);
        if chunk.len() >= CHUNK_BYTES {
            copy.send(chunk.as_slice()).await?;
            chunk.clear();
        }
    }
    copy.send(chunk).await?;
    copy.finish().await?;
    // Statistics, so the joins with `products` are planned for the batch's real size.
    sqlx::query("ANALYZE import_batch")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The products that the staged rows of `lines` became (rows refused meanwhile are absent).
pub async fn product_ids(tx: &mut PgConnection, lines: &[i64]) -> StoreResult<HashMap<i64, Uuid>> {
    let rows: Vec<(i64, Uuid)> = sqlx::query_as(
        "SELECT line, COALESCE(product_id, new_id) FROM import_batch WHERE line = ANY($1)",
    )
    .bind(lines)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().collect())
}

/// One row in COPY's text format, in the column order of [`load`]'s COPY.
fn encode(out: &mut Vec<u8>, row: &ProductRow) {
    write!(out, "{}\t{}", row.line, new_id()).expect("in memory");
    for text in [&row.sku, &row.name, &row.description] {
        field(out, Some(text));
    }
    write!(out, "\t{}", row.price_amount).expect("in memory");
    field(out, Some(&row.currency));
    write!(out, "\t{}", row.stock).expect("in memory");
    field(out, row.category_id.map(|id| id.to_string()).as_deref());
    field(out, row.color.as_deref());
    field(out, row.size.as_deref());
    field(out, Some(&row.variations.to_string()));
    field(out, Some(&row.features.to_string()));
    out.push(b'\n');
}

/// A tab and the field; `None` is SQL NULL.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    out.push(b'\t');
    match value {
        Some(text) => out.extend_from_slice(escaped(text).as_bytes()),
        None => out.extend_from_slice(b"\\N"),
    }
}

/// COPY text escapes: backslash, and the delimiter and line ends that would cut the row.
fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\\', '\t', '\n', '\r']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_is_one_line_of_escaped_tab_separated_fields() {
        let row = ProductRow {
            line: 7,
            sku: "A\\1".to_owned(),
            name: "Tab\there".to_owned(),
            description: "two\nlines\r".to_owned(),
            price_amount: 1999,
            currency: "EUR".to_owned(),
            stock: 3,
            category_id: None,
            color: Some("blue".to_owned()),
            size: None,
            variations: json!([]),
            features: json!({"note": "a\nb"}),
        };
        let mut out = Vec::new();
        encode(&mut out, &row);
        let text = String::from_utf8(out).expect("utf-8");
        let fields: Vec<&str> = text
            .strip_suffix('\n')
            .expect("ends the row")
            .split('\t')
            .collect();
        assert_eq!(fields.len(), 13, "{text:?}");
        assert_eq!(fields[0], "7");
        assert!(fields[1].parse::<Uuid>().is_ok());
        assert_eq!(
            &fields[2..],
            [
                "A\\\\1",
                "Tab\\there",
                "two\\nlines\\r",
                "1999",
                "EUR",
                "3",
                "\\N",
                "blue",
                "\\N",
                "[]",
                r#"{"note":"a\\nb"}"#,
            ]
        );
    }
}
