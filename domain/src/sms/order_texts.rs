//! Order status by text, for clients whose phone is their account: a verified phone and no
//! email address (those with an email get the order emails instead). Placed, paid and shipped,
//! in the client's language, at most once per order and event.

use sqlx::PgConnection;
use uuid::Uuid;

use super::messages::{self, NewSms, SmsPurpose};
use crate::StoreResult;
use crate::config::SmsSettings;
use crate::money::format_money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    Placed,
    Paid,
    Shipped,
}

impl OrderEvent {
    fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
        }
    }
}

#[derive(sqlx::FromRow)]
struct Addressee {
    client_id: Uuid,
    phone: Option<String>,
    locale: Option<String>,
    shop_name: String,
    total: i64,
    currency: String,
}

/// Records the text telling order `order_id`'s client about `event`, when they should get one;
/// returns the message to enqueue a `SendSms` for, in the same transaction.
pub async fn record(
    tx: &mut PgConnection,
    settings: &SmsSettings,
    order_id: Uuid,
    event: OrderEvent,
) -> StoreResult<Option<Uuid>> {
    let addressee: Option<Addressee> = sqlx::query_as(
        "SELECT u.id AS client_id, u.phone, u.locale, s.name AS shop_name, o.total_amount AS total, o.currency \
         FROM orders o JOIN users u ON u.id = o.client_id JOIN shops s ON s.id = o.shop_id \
         WHERE o.id = $1 AND u.email IS NULL AND u.phone_verified_at IS NOT NULL \
           AND u.banned_at IS NULL",
    )
    .bind(order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(to) = addressee else {
        return Ok(None);
    };
    let Some(phone) = to.phone.as_deref().filter(|phone| settings.allows(phone)) else {
        return Ok(None);
    };
    let locale = to.locale.as_deref().unwrap_or(&settings.default_locale);
    let body = text(
        locale,
        &settings.sender_name,
        event,
        &reference(order_id),
        &to.shop_name,
        &format_money(to.total, &to.currency),
    );
    let key = format!("order-{}:{order_id}", event.as_str());
    messages::insert(
        &mut *tx,
        NewSms {
            to_phone: phone,
            purpose: SmsPurpose::OrderStatus,
            user_id: Some(to.client_id),
            otp_id: None,
            body: Some(&body),
            dedupe_key: Some(&key),
        },
    )
    .await
}

/// The short order reference a text carries: the id's last eight hex digits, which differ
/// between orders placed in the same second (a UUIDv7 starts with its timestamp).
pub fn reference(order_id: Uuid) -> String {
    let hex = order_id.simple().to_string();
    hex[hex.len() - 8..].to_uppercase()
}

fn text(
    locale: &str,
    sender: &str,
    event: OrderEvent,
    reference: &str,
    shop: &str,
    total: &str,
) -> String {
    match (locale, event) {
        ("en", OrderEvent::Placed) => {
            format!("{sender}: order {reference} at {shop} received ({total}). Thank you!")
        }
        ("en", OrderEvent::Paid) => {
            format!("{sender}: payment of {total} received for order {reference} at {shop}.")
        }
        ("en", OrderEvent::Shipped) => {
            format!("{sender}: your order {reference} from {shop} has been shipped.")
        }
        (_, OrderEvent::Placed) => {
            format!("{sender} : commande {reference} chez {shop} reçue ({total}). Merci !")
        }
        (_, OrderEvent::Paid) => {
            format!("{sender} : paiement de {total} reçu pour la commande {reference} chez {shop}.")
        }
        (_, OrderEvent::Shipped) => {
            format!("{sender} : votre commande {reference} de {shop} a été expédiée.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_fit_one_segment_and_speak_the_clients_language() {
        let long_shop = "Boutique de la Grande Lagune";
        for locale in ["fr", "en"] {
            for event in [OrderEvent::Placed, OrderEvent::Paid, OrderEvent::Shipped] {
                let body = text(
                    locale,
                    "Comptoir",
                    event,
                    "1A2B3C4D",
                    long_shop,
                    "125 000 XOF",
                );
                assert!(body.chars().count() <= 160, "{body}");
                assert!(body.contains("1A2B3C4D"), "{body}");
            }
        }
        assert!(text("en", "C", OrderEvent::Paid, "R", "S", "T").starts_with("C: payment"));
        assert!(text("fr", "C", OrderEvent::Shipped, "R", "S", "T").contains("expédiée"));
    }

    #[test]
    fn a_reference_is_the_ids_tail() {
        let id: Uuid = "01a23ad0-0da0-71b6-8b98-d579734066fe"
            .parse()
            .expect("a uuid");
        assert_eq!(reference(id), "734066FE");
    }
}
