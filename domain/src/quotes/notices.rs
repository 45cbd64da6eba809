//! What the parties of a quote are told: the seller gets an in-app notification of each step
//! the client (or time) takes; the client gets the offer's PDF by email, behind a signed link.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::StoreResult;
use crate::notifications::{self, Channel, NewNotification};

/// What the signature of a quote PDF link covers, besides the quote.
pub const LINK_SUBJECT: &str = "quote";

/// Tells the seller that quote `number` was `what` (e.g. "requested", "accepted").
pub async fn notify_seller(
    db: impl PgExecutor<'_>,
    seller_id: Uuid,
    number: &str,
    what: &str,
) -> StoreResult<()> {
    let subject = format!("Quote {number} {what}");
    let body = format!("Quote {number} was {what}. See GET /v1/quotes for its details.");
    notifications::insert(
        db,
        NewNotification {
            user_id: seller_id,
            channel: Channel::InApp,
            subject: Some(&subject),
            body: &body,
        },
    )
    .await?;
    Ok(())
}
