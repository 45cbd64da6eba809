//! Finding and replacing a user's personal values where copies of them were made: job payloads,
//! delivery records, provider events, audit metadata, other users' notifications, stored
//! responses. A row is scrubbed when it names the user (their id, email or phone) or belongs to
//! them; in it every personal value becomes `[erased]`. JSON is rewritten string by string,
//! never as text, so numbers and keys stay what they were and the document stays valid.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreResult;
use crate::users::escape_like;

/// What replaces a personal value.
pub const ERASED: &str = "[erased]";
/// Shorter values (a house number, a country code) are not searched for inside other text:
/// replacing them would damage unrelated words. The rows holding them are still cleared.
const MIN_VALUE_CHARS: usize = 3;

/// A user's personal values and the identifiers that find the rows naming them.
pub struct Personal {
    /// Their id, email and phone: a row whose text holds one of them concerns the user.
    identifiers: Vec<String>,
    /// Every value to replace, longest first (a name inside an address goes with the address).
    values: Vec<String>,
}

impl Personal {
    pub fn new(user_id: Uuid, identifiers: Vec<String>, values: Vec<String>) -> Self {
        let mut values: Vec<String> = values
            .into_iter()
            .chain(identifiers.iter().cloned())
            .map(|value| value.trim().to_owned())
            .filter(|value| value.chars().count() >= MIN_VALUE_CHARS)
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        let mut identifiers: Vec<String> = identifiers
            .into_iter()
            .filter(|id| id.chars().count() >= MIN_VALUE_CHARS)
            .collect();
        identifiers.push(user_id.to_string());
        Self {
            identifiers,
            values,
        }
    }

    /// `text` with every personal value replaced.
    pub fn erase_text(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |text, value| text.replace(value, ERASED))
    }

    /// Replaces personal values inside every string of `doc` (keys are left as they are).
    pub fn erase_json(&self, doc: &mut Value) {
        match doc {
            Value::String(text) => *text = self.erase_text(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.erase_json(item)),
            Value::Object(fields) => fields.values_mut().for_each(|field| self.erase_json(field)),
            _ => {}
        }
    }

    /// The email, phone (both ways it is written) and id that find the rows naming the user.
    pub fn identifiers(&self) -> &[String] {
        &self.identifiers
    }

    /// `LIKE` patterns matching text that holds an identifier.
    fn patterns(&self) -> Vec<String> {
        self.identifiers
            .iter()
            .map(|id| format!("%{}%", escape_like(id)))
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Json,
}

/// Columns that may hold copies of personal values, with the rows that belong to the user
/// whatever their text (`$1` is the user's id).
struct Copies {
    table: &'static str,
    columns: &'static [(&'static str, Kind)],
    owned: &'static str,
    /// Rows never touched: the erasure job's own ledger row (its payload is the user's id
    /// only), whose lease the worker renews while the scrub runs.
    spared: &'static str,
}

const COPIES: &[Copies] = &[
    Copies {
        table: "jobs",
        columns: &[("payload", Kind::Json), ("last_error", Kind::Text)],
        owned: "FALSE",
        spared: "kind = 'privacy.erase.v1'",
    },
    Copies {
        table: "deliveries",
        columns: &[
            ("recipient", Kind::Text),
            ("provider_reply", Kind::Text),
            ("last_error", Kind::Text),
        ],
        owned: "FALSE",
        spared: "FALSE",
    },
    Copies {
        table: "payment_events",
        columns: &[("payload", Kind::Json)],
        owned: "payment_id IN (SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id \
                WHERE o.client_id = $1)",
        spared: "FALSE",
    },
    Copies {
        table: "payments",
        columns: &[
            ("checkout_url", Kind::Text),
            ("instructions", Kind::Text),
            ("return_url", Kind::Text),
            ("failure_reason", Kind::Text),
        ],
        owned: "order_id IN (SELECT id FROM orders WHERE client_id = $1)",
        spared: "FALSE",
    },
    Copies {
        table: "payment_refunds",
        columns: &[("reason", Kind::Text), ("failure_reason", Kind::Text)],
        owned: "payment_id IN (SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id \
                WHERE o.client_id = $1)",
        spared: "FALSE",
    },
    Copies {
        table: "action_logs",
        columns: &[("meta", Kind::Json)],
        owned: "actor_id = $1 OR target_id = $1",
        spared: "FALSE",
    },
    Copies {
        table: "notifications",
        columns: &[("subject", Kind::Text), ("body", Kind::Text)],
        owned: "FALSE",
        spared: "FALSE",
    },
    Copies {
        table: "notification_batches",
        columns: &[("subject", Kind::Text), ("body", Kind::Text)],
        owned: "FALSE",
        spared: "FALSE",
    },
    Copies {
        table: "idempotency_keys",
        columns: &[("response_body", Kind::Json)],
        owned: "FALSE",
        spared: "FALSE",
    },
    Copies {
        table: "sms_messages",
        columns: &[
            ("to_phone", Kind::Text),
            ("body", Kind::Text),
            ("error", Kind::Text),
        ],
        owned: "user_id = $1",
        spared: "FALSE",
    },
    Copies {
        table: "quotes",
        columns: &[("offer_notes", Kind::Text)],
        owned: "client_id = $1",
        spared: "FALSE",
    },
    Copies {
        table: "import_errors",
        columns: &[("reason", Kind::Text)],
        owned: "FALSE",
        spared: "FALSE",
    },
];

/// Scrubs every copy column; returns the number of rows changed.
pub async fn copies(tx: &mut PgConnection, user_id: Uuid, personal: &Personal) -> StoreResult<u64> {
    let patterns = personal.patterns();
    let mut changed = 0;
    for copies in COPIES {
        for &(column, kind) in copies.columns {
            changed += scrub_column(tx, copies, column, kind, user_id, personal, &patterns).await?;
        }
    }
    Ok(changed)
}

async fn scrub_column(
    tx: &mut PgConnection,
    copies: &Copies,
    column: &str,
    kind: Kind,
    user_id: Uuid,
    personal: &Personal,
    patterns: &[String],
) -> StoreResult<u64> {
    // `ctid` addresses any row, whatever its key; the rows are locked until the update. The
    // table, column and condition are constants of `COPIES`; values are bound.
    let (table, owned, spared) = (copies.table, copies.owned, copies.spared);
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT ctid::text, {column}::text FROM {table} \
         WHERE {column} IS NOT NULL AND (({owned}) OR {column}::text LIKE ANY($2)) \
           AND NOT ({spared}) FOR UPDATE"
    )))
    .bind(user_id)
    .bind(patterns)
    .fetch_all(&mut *tx)
    .await?;
    let mut changed = 0;
    for (ctid, text) in rows {
        let erased = match kind {
            Kind::Text => personal.erase_text(&text),
            Kind::Json => match serde_json::from_str::<Value>(&text) {
                Ok(mut doc) => {
                    personal.erase_json(&mut doc);
                    doc.to_string()
                }
                Err(_) => personal.erase_text(&text),
            },
        };
        if erased == text {
            continue;
        }
        let cast = match kind {
            Kind::Text => "",
            Kind::Json => "::jsonb",
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = $2{cast} WHERE ctid = $1::tid"
        )))
        .bind(&ctid)
        .bind(&erased)
        .execute(&mut *tx)
        .await?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn personal() -> Personal {
        Personal::new(
            Uuid::nil(),
            vec!["awa@example.test".to_owned(), "+221771234567".to_owned()],
            vec![
                "Awa Diop".to_owned(),
                "Awa".to_owned(),
                "12".to_owned(),
                "Rue 10, Dakar".to_owned(),
            ],
        )
    }

    #[test]
    fn every_value_in_text_is_replaced_longest_first() {
        let text = "Awa Diop <awa@example.test>, Rue 10, Dakar, tel +221771234567";
        assert_eq!(
            personal().erase_text(text),
            "[erased] <[erased]>, [erased], tel [erased]"
        );
    }

    #[test]
    fn json_strings_are_rewritten_and_numbers_and_keys_kept() {
        let mut doc = json!({
            "to": "awa@example.test",
            "message": {"template": "welcome", "name": "Awa Diop", "Awa": 12, "total": 1200},
            "lines": ["12 x Awa Diop's basket"],
        });
        personal().erase_json(&mut doc);
        assert_eq!(
            doc,
            json!({
                "to": "[erased]",
                "message": {"template": "welcome", "name": "[erased]", "Awa": 12, "total": 1200},
                "lines": ["12 x [erased]'s basket"],
            })
        );
    }

    #[test]
    fn short_values_are_not_searched_for() {
        assert_eq!(personal().erase_text("order 12 of 120"), "order 12 of 120");
    }
}
