//! Turning one CSV record's text fields into typed product fields, collecting every problem
//! of the row as (line, column, reason) instead of stopping at the first.

use std::collections::HashMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use comptoir_domain::categories::Category;
use comptoir_domain::imports::RowError;
use comptoir_domain::money;
use comptoir_domain::products::limits::{self, text_problem};

/// One CSV record: its line in the file and its fields (header order).
pub struct Record {
    pub line: i64,
    pub fields: csv::StringRecord,
}

impl Record {
    /// The trimmed field at `column`, empty when the column is absent or the row short.
    pub fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|position| self.fields.get(position))
            .map_or("", str::trim)
    }
}

/// The problems found in one row (or one group of Shopify rows).
#[derive(Debug, Default)]
pub struct Problems(pub Vec<RowError>);

impl Problems {
    pub fn add(&mut self, line: i64, column: &str, reason: impl Into<String>) {
        self.0.push(RowError {
            line,
            column: column.to_owned(),
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Notes a problem when a text field breaks the product rules.
    pub fn text(&mut self, line: i64, column: &str, value: &str, max: usize, required: bool) {
        if let Some(problem) = text_problem(value, max, required) {
            self.add(line, column, problem);
        }
    }

    pub fn price(&mut self, line: i64, column: &str, value: &str, currency: &str) -> i64 {
        if value.is_empty() {
            self.add(line, column, "is required");
            return 0;
        }
        match money::parse_decimal(value, currency) {
            Ok(amount) if amount > 0 => amount,
            Ok(_) => {
                self.add(line, column, "must be greater than 0");
                0
            }
            Err(reason) => {
                self.add(line, column, reason);
                0
            }
        }
    }

    /// A stock level; empty means 0.
    pub fn stock(&mut self, line: i64, column: &str, value: &str) -> i32 {
        if value.is_empty() {
            return 0;
        }
        match value.parse::<i32>() {
            Ok(stock) if (0..=limits::MAX_STOCK).contains(&stock) => stock,
            _ => {
                self.add(
                    line,
                    column,
                    format!("must be a whole number between 0 and {}", limits::MAX_STOCK),
                );
                0
            }
        }
    }

    pub fn currency(&mut self, line: i64, column: &str, value: &str, default: &str) -> String {
        if value.is_empty() {
            return default.to_owned();
        }
        let code = value.to_ascii_uppercase();
        if !comptoir_domain::currencies::is_currency(&code) {
            self.add(line, column, "must be an ISO 4217 code such as XOF or EUR");
        }
        code
    }
}

/// An optional short text: `None` when empty.
pub fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// Features as `key:value` pairs separated by `|` (`material:cotton|fit:slim`), or a JSON
/// object.
pub fn parse_features(value: &str) -> Result<Value, String> {
    if value.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    if value.starts_with('{') {
        return match serde_json::from_str::<Value>(value) {
            Ok(object @ Value::Object(_)) => Ok(object),
            _ => Err("must be key:value pairs separated by | or a JSON object".to_owned()),
        };
    }
    let mut features = Map::new();
    for pair in value.split('|') {
        let Some((key, text)) = pair.split_once(':') else {
            return Err(format!("{pair:?} is not a key:value pair"));
        };
        features.insert(key.trim().to_owned(), Value::String(text.trim().to_owned()));
    }
    Ok(Value::Object(features))
}

/// Finds categories by id, by path (`Clothing > Shirts`, case-insensitive) or by a name that
/// only one category has. Loaded once per import: a taxonomy is small.
pub struct CategoryIndex {
    by_key: HashMap<String, Uuid>,
}

impl CategoryIndex {
    pub fn new(categories: &[Category]) -> Self {
        let by_id: HashMap<Uuid, &Category> = categories.iter().map(|c| (c.id, c)).collect();
        let path_of = |category: &Category| {
            let mut names = vec![category.name.to_lowercase()];
            let mut parent = category.parent_id;
            while let Some(node) = parent.and_then(|id| by_id.get(&id)) {
                names.push(node.name.to_lowercase());
                parent = node.parent_id;
                if names.len() > categories.len() {
                    break; // a cycle cannot exist, but never loop on bad data
                }
            }
            names.reverse();
            names.join(" > ")
        };
        let mut by_key = HashMap::new();
        let mut name_count: HashMap<String, usize> = HashMap::new();
        for category in categories {
            by_key.insert(category.id.to_string(), category.id);
            by_key.insert(path_of(category), category.id);
            *name_count.entry(category.name.to_lowercase()).or_default() += 1;
        }
        for category in categories {
            let name = category.name.to_lowercase();
            if name_count[&name] == 1 {
                by_key.entry(name).or_insert(category.id);
            }
        }
        Self { by_key }
    }

    pub fn find(&self, text: &str) -> Option<Uuid> {
        let key: Vec<String> = text
            .split(['>', '/'])
            .map(|part| part.trim().to_lowercase())
            .collect();
        self.by_key.get(&key.join(" > ")).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_read_pairs_or_json_objects() {
        assert_eq!(
            parse_features("material: cotton|fit:slim").expect("pairs"),
            serde_json::json!({"material": "cotton", "fit": "slim"})
        );
        assert_eq!(
            parse_features(r#"{"a": 1}"#).expect("json"),
            serde_json::json!({"a": 1})
        );
        assert!(parse_features("[1]").is_err());
        assert!(parse_features("cotton").is_err());
    }

    #[test]
    fn categories_resolve_by_id_path_and_unique_name() {
        let category = |id: u128, parent: Option<u128>, name: &str| Category {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            name: name.to_owned(),
        };
        let index = CategoryIndex::new(&[
            category(1, None, "Clothing"),
            category(2, Some(1), "Shirts"),
            category(3, None, "Kids"),
            category(4, Some(3), "Shirts"),
        ]);
        assert_eq!(index.find("clothing > SHIRTS"), Some(Uuid::from_u128(2)));
        assert_eq!(index.find("Kids/Shirts"), Some(Uuid::from_u128(4)));
        assert_eq!(index.find("Clothing"), Some(Uuid::from_u128(1)));
        assert_eq!(
            index.find(&Uuid::from_u128(3).to_string()),
            Some(Uuid::from_u128(3))
        );
        assert_eq!(index.find("Shirts"), None, "ambiguous");
        assert_eq!(index.find("Shoes"), None);
    }
}
