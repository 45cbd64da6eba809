//! The files of a personal data export: one query per file, each row one JSON value built by
//! PostgreSQL (`to_jsonb` of the row, less secrets and internal keys), streamed so that memory
//! stays flat however many orders the user has. Money is in minor units of its currency.

use futures::stream::BoxStream;
use sqlx::PgPool;
use uuid::Uuid;

/// One file of the export.
pub struct ExportFile {
    pub name: &'static str,
    /// What it holds, for the README inside the ZIP.
    pub about: &'static str,
    /// A single JSON object (the profile) rather than an array of rows.
    pub single: bool,
    /// Rows of JSON text; `$1` is the user's id.
    sql: &'static str,
}

impl ExportFile {
    pub fn rows<'a>(
        &'static self,
        pool: &'a PgPool,
        user_id: Uuid,
    ) -> BoxStream<'a, Result<String, sqlx::Error>> {
        sqlx::query_scalar(self.sql).bind(user_id).fetch(pool)
    }
}

pub const FILES: &[ExportFile] = &[
    ExportFile {
        name: "profile.json",
        about: "Your account: name, email, phone, role, language, and when it was created, \
                verified or changed. The password is stored only as a one-way hash and is not \
                included.",
        single: true,
        sql: "SELECT (to_jsonb(u) - 'password_hash')::text FROM users u WHERE id = $1",
    },
    ExportFile {
        name: "addresses.json",
        about: "Every shipping address you gave with an order, with how many orders used it \
                and when it was first and last used.",
        single: false,
        sql: "SELECT jsonb_build_object('address', shipping_address, 'orders', count(*), \
                'first_used_at', min(created_at), 'last_used_at', max(created_at))::text \
              FROM orders WHERE client_id = $1 AND shipping_address IS NOT NULL \
              GROUP BY shipping_address ORDER BY min(created_at)",
    },
    ExportFile {
        name: "orders.json",
        about: "Your orders, oldest first, each with its shop, status, amounts (in minor units \
                of its currency: cents, or francs for XOF), shipping address, carrier and \
                tracking number, and its lines.",
        single: false,
        sql: "SELECT (to_jsonb(o) - 'client_id' || jsonb_build_object('shop_name', s.name, \
                'lines', (SELECT coalesce(jsonb_agg(to_jsonb(l) - 'order_id' ORDER BY l.id), '[]') \
                          FROM order_lines l WHERE l.order_id = o.id)))::text \
              FROM orders o JOIN shops s ON s.id = o.shop_id \
              WHERE o.client_id = $1 ORDER BY o.created_at, o.id",
    },
    ExportFile {
        name: "payments.json",
        about: "Payments of your orders: provider, reference, status, amounts, the phone \
                number used for mobile money, and refunds.",
        single: false,
        sql: "SELECT (to_jsonb(p) - 'checkout_url' || jsonb_build_object('refunds', \
                (SELECT coalesce(jsonb_agg(to_jsonb(r) - 'payment_id' - 'requested_by' \
                                           ORDER BY r.created_at), '[]') \
                 FROM payment_refunds r WHERE r.payment_id = p.id)))::text \
              FROM payments p JOIN orders o ON o.id = p.order_id \
              WHERE o.client_id = $1 ORDER BY p.created_at, p.id",
    },
    ExportFile {
        name: "quotes.json",
        about: "Your requests for quotes (company, VAT number, notes), the items asked for, \
                and the lines and prices offered.",
        single: false,
        sql: "SELECT (to_jsonb(q) - 'client_id' - 'pdf_key' || jsonb_build_object( \
                'items', (SELECT coalesce(jsonb_agg(to_jsonb(i) - 'quote_id'), '[]') \
                          FROM quote_items i WHERE i.quote_id = q.id), \
                'lines', (SELECT coalesce(jsonb_agg(to_jsonb(l) - 'quote_id'), '[]') \
                          FROM quote_lines l WHERE l.quote_id = q.id)))::text \
              FROM quotes q WHERE q.client_id = $1 ORDER BY q.created_at, q.id",
    },
    ExportFile {
        name: "shops.json",
        about: "The shops you own, if you sell on the marketplace.",
        single: false,
        sql: "SELECT to_jsonb(s)::text FROM shops s WHERE owner_id = $1 ORDER BY created_at, id",
    },
    ExportFile {
        name: "notifications.json",
        about: "Messages addressed to you in the app, by email or by text, and whether you \
                read them.",
        single: false,
        sql: "SELECT (to_jsonb(n) - 'user_id')::text FROM notifications n \
              WHERE user_id = $1 ORDER BY created_at, id",
    },
    ExportFile {
        name: "sessions.json",
        about: "Your sign-in sessions: when each started, was renewed, ends or was ended. The \
                tokens themselves are secrets and are not included.",
        single: false,
        sql: "SELECT (to_jsonb(t) - 'token_hash' - 'user_id')::text FROM refresh_tokens t \
              WHERE user_id = $1 ORDER BY created_at, id",
    },
    ExportFile {
        name: "consents.json",
        about: "Your current choices about marketing by email and by text.",
        single: false,
        sql: "SELECT (to_jsonb(c) - 'user_id')::text FROM marketing_consents c \
              WHERE user_id = $1 ORDER BY channel",
    },
    ExportFile {
        name: "consent_history.json",
        about: "Every change of those choices, with its time and source (and the browser or \
                app that made it).",
        single: false,
        sql: "SELECT (to_jsonb(c) - 'user_id')::text FROM marketing_consent_changes c \
              WHERE user_id = $1 ORDER BY changed_at, id",
    },
    ExportFile {
        name: "sms.json",
        about: "Text messages sent to you: number, purpose, provider, delivery status and \
                times. Their text is not kept here: sign-in codes are secrets.",
        single: false,
        sql: "SELECT (to_jsonb(m) - 'body' - 'user_id' - 'otp_id' - 'dedupe_key')::text \
              FROM sms_messages m WHERE user_id = $1 ORDER BY created_at, id",
    },
    ExportFile {
        name: "emails.json",
        about: "Emails sent to your address: when, and whether they were delivered.",
        single: false,
        sql: "SELECT (to_jsonb(d) - 'provider_reply' - 'dedupe_key')::text FROM deliveries d \
              WHERE channel = 'email' \
                AND lower(recipient) = (SELECT lower(email) FROM users WHERE id = $1) \
              ORDER BY created_at, id",
    },
    ExportFile {
        name: "action_log.json",
        about: "Entries of the marketplace's audit trail where you acted, or where your \
                account was acted upon (for example by an administrator).",
        single: false,
        sql: "SELECT to_jsonb(a)::text FROM action_logs a \
              WHERE actor_id = $1 OR (target_type = 'user' AND target_id = $1) \
              ORDER BY created_at, id",
    },
];

/// The README at the top of the ZIP: what each file holds.
pub fn readme(generated_at: &str) -> String {
    let mut text = format!(
        "Your personal data\n==================\n\nEverything this marketplace holds about \
         you, as of {generated_at}.\nEach file is JSON (UTF-8). Times are in UTC (RFC 3339); \
         identifiers are UUIDs.\n\n"
    );
    for file in FILES {
        text.push_str(file.name);
        text.push_str("\n    ");
        text.push_str(file.about);
        text.push_str("\n\n");
    }
    text.push_str(
        "To have this data erased, delete your account in the app (DELETE /v1/me) or write \
         to the marketplace.\n",
    );
    text
}
