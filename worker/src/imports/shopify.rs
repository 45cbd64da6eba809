//! Shopify product exports: rows sharing a handle are one product — its first row carries the
//! product, further rows add variants (their own SKU, price, stock and option values) and
//! images. The product's SKU is the handle (stable across exports, so re-imports update it);
//! the variants are kept in `variations`, and its stock is the sum of theirs.

use serde_json::{Map, Value, json};

use comptoir_domain::imports::batch::ProductRow;
use comptoir_domain::products::limits;

use super::fields::{CategoryIndex, Problems, Record, optional};
use super::layout::ShopifyColumns;
use super::{Candidate, ImageRef, Parsed};

pub fn parse_group(
    records: &[Record],
    columns: &ShopifyColumns,
    currency: &str,
    categories: &CategoryIndex,
) -> Parsed {
    let Some(first) = records.first() else {
        return Parsed::Failed(Vec::new());
    };
    let line = first.line;
    let mut problems = Problems::default();
    let handle = first.get(Some(columns.handle));
    problems.text(line, "handle", handle, limits::SKU_CHARS, true);
    let title = first_of(records, columns.title);
    problems.text(line, "title", title, limits::NAME_CHARS, true);
    let description = strip_html(first_of(records, columns.body));
    problems.text(
        line,
        "description",
        &description,
        limits::DESCRIPTION_CHARS,
        false,
    );
    let option_names: Vec<&str> = columns
        .options
        .iter()
        .map(|(name, _)| first_of(records, Some(*name)))
        .collect();

    let mut variants = Vec::new();
    for record in records.iter().filter(|r| is_variant(r, columns)) {
        let sku = record.get(columns.sku);
        problems.text(record.line, "sku", sku, limits::SKU_CHARS, false);
        let price = problems.price(record.line, "price", record.get(columns.price), currency);
        let stock = problems.stock(record.line, "stock", record.get(columns.quantity));
        let options: Map<String, Value> = option_names
            .iter()
            .zip(&columns.options)
            .filter(|(name, (_, value))| !name.is_empty() && !record.get(Some(*value)).is_empty())
            .map(|(name, (_, value))| ((*name).to_owned(), json!(record.get(Some(*value)))))
            .collect();
        variants.push(Variant {
            sku,
            price,
            stock,
            options,
        });
    }
    let Some(main) = variants.first() else {
        problems.add(line, "price", "the product has no variant row with a price");
        return Parsed::Failed(problems.0);
    };
    let stock: i64 = variants.iter().map(|v| i64::from(v.stock)).sum();
    if stock > i64::from(limits::MAX_STOCK) {
        problems.add(
            line,
            "stock",
            format!(
                "the variants' stock adds up to more than {}",
                limits::MAX_STOCK
            ),
        );
    }
    let category = first_of(records, columns.category);
    let images = images(records, columns);
    if !problems.is_empty() {
        return Parsed::Failed(problems.0);
    }
    let single = variants.len() == 1;
    let option = |names: &[&str]| {
        single
            .then(|| main.option(names))
            .flatten()
            .filter(|value| value.chars().count() <= limits::COLOR_CHARS)
    };
    let row = ProductRow {
        line,
        sku: handle.to_owned(),
        name: title.to_owned(),
        description,
        price_amount: main.price,
        currency: currency.to_owned(),
        stock: i32::try_from(stock).unwrap_or(limits::MAX_STOCK),
        category_id: (!category.is_empty())
            .then(|| categories.find(category))
            .flatten(),
        color: option(&["color", "colour", "couleur"]),
        size: option(&["size", "taille"]),
        variations: variations(&variants, currency),
        features: features(first, columns),
    };
    Parsed::Product(Box::new(Candidate {
        row,
        images,
        prepared: Vec::new(),
    }))
}

struct Variant<'a> {
    sku: &'a str,
    price: i64,
    stock: i32,
    options: Map<String, Value>,
}

impl Variant<'_> {
    fn option(&self, names: &[&str]) -> Option<String> {
        self.options
            .iter()
            .find(|(name, _)| names.contains(&name.to_lowercase().as_str()))
            .and_then(|(_, value)| value.as_str().map(str::to_owned))
    }
}

/// A row is a variant when it has a price or a SKU; image-only rows have neither.
fn is_variant(record: &Record, columns: &ShopifyColumns) -> bool {
    !record.get(columns.price).is_empty() || !record.get(columns.sku).is_empty()
}

/// The first non-empty value of a column in the group (product fields sit on the first row).
fn first_of(records: &[Record], column: Option<usize>) -> &str {
    records
        .iter()
        .map(|record| record.get(column))
        .find(|value| !value.is_empty())
        .unwrap_or("")
}

/// A lone "Default Title" variant is Shopify's way of saying "no variants".
fn variations(variants: &[Variant<'_>], currency: &str) -> Value {
    let trivial = variants.len() == 1
        && variants[0]
            .options
            .values()
            .all(|value| value.as_str() == Some("Default Title"));
    if trivial {
        return json!([]);
    }
    Value::Array(
        variants
            .iter()
            .map(|v| {
                json!({
                    "sku": optional(v.sku),
                    "options": v.options,
                    "price": {"amount": v.price, "currency": currency},
                    "stock": v.stock,
                })
            })
            .collect(),
    )
}

fn features(first: &Record, columns: &ShopifyColumns) -> Value {
    let mut features = Map::new();
    for (key, column) in [
        ("vendor", columns.vendor),
        ("type", columns.product_type),
        ("tags", columns.tags),
    ] {
        let value = first.get(column);
        if !value.is_empty() {
            features.insert(key.to_owned(), json!(value));
        }
    }
    Value::Object(features)
}

/// The group's images in `Image Position` order, each once.
fn images(records: &[Record], columns: &ShopifyColumns) -> Vec<ImageRef> {
    let mut found: Vec<(i64, ImageRef)> = Vec::new();
    for record in records {
        let position = record
            .get(columns.image_position)
            .parse::<i64>()
            .unwrap_or(i64::MAX);
        for (column, name) in [
            ("image", record.get(columns.image)),
            ("variant_image", record.get(columns.variant_image)),
        ] {
            if !name.is_empty() && !found.iter().any(|(_, image)| image.name == name) {
                let image = ImageRef {
                    line: record.line,
                    column,
                    name: name.to_owned(),
                };
                found.push((position, image));
            }
        }
    }
    found.sort_by_key(|(position, _)| *position);
    found.into_iter().map(|(_, image)| image).collect()
}

/// Shopify descriptions are HTML; ours are plain text.
fn strip_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_descriptions_become_plain_text() {
        assert_eq!(
            strip_html("<p>Soft <b>cotton</b> &amp; linen</p>\n<ul><li>S</li></ul>"),
            "Soft cotton & linen S"
        );
    }
}
