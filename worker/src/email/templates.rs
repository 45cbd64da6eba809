//! Email templates (minijinja; HTML auto-escaped). Each template has a subject, a text part and
//! an HTML part, embedded in the binary.

use std::sync::OnceLock;

use minijinja::{Environment, context};

use comptoir_domain::money::format_money;
use comptoir_jobs::email::EmailMessage;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("layout.html", include_str!("../templates/layout.html")),
            ("welcome.txt", include_str!("../templates/welcome.txt")),
            ("welcome.html", include_str!("../templates/welcome.html")),
            (
                "shop_expired.txt",
                include_str!("../templates/shop_expired.txt"),
            ),
            (
                "shop_expired.html",
                include_str!("../templates/shop_expired.html"),
            ),
            (
                "shop_expiring.txt",
                include_str!("../templates/shop_expiring.txt"),
            ),
            (
                "shop_expiring.html",
                include_str!("../templates/shop_expiring.html"),
            ),
            (
                "shop_skipped.txt",
                include_str!("../templates/shop_skipped.txt"),
            ),
            (
                "shop_skipped.html",
                include_str!("../templates/shop_skipped.html"),
            ),
            (
                "notification.txt",
                include_str!("../templates/notification.txt"),
            ),
            (
                "notification.html",
                include_str!("../templates/notification.html"),
            ),
            (
                "order_confirmation.txt",
                include_str!("../templates/order_confirmation.txt"),
            ),
            (
                "order_confirmation.html",
                include_str!("../templates/order_confirmation.html"),
            ),
            (
                "payment_receipt.txt",
                include_str!("../templates/payment_receipt.txt"),
            ),
            (
                "payment_receipt.html",
                include_str!("../templates/payment_receipt.html"),
            ),
            (
                "report_ready.txt",
                include_str!("../templates/report_ready.txt"),
            ),
            (
                "report_ready.html",
                include_str!("../templates/report_ready.html"),
            ),
            (
                "quote_offered.txt",
                include_str!("../templates/quote_offered.txt"),
            ),
            (
                "quote_offered.html",
                include_str!("../templates/quote_offered.html"),
            ),
            (
                "data_export_ready.txt",
                include_str!("../templates/data_export_ready.txt"),
            ),
            (
                "data_export_ready.html",
                include_str!("../templates/data_export_ready.html"),
            ),
        ] {
            // The sources are compiled in, and a test renders each one.
            env.add_template(name, source)
                .expect("embedded template parses");
        }
        env
    })
}

pub fn render(message: &EmailMessage) -> Result<Rendered, minijinja::Error> {
    let (name, subject, vars) = match message {
        EmailMessage::Welcome { name } => (
            "welcome",
            format!("Welcome to Comptoir, {name}"),
            context! { name },
        ),
        EmailMessage::ShopExpired { name, shop_name } => (
            "shop_expired",
            format!("Your shop {shop_name} is closed: its paid period ended"),
            context! { name, shop_name },
        ),
        EmailMessage::ShopExpiring {
            name,
            shop_name,
            end_date,
        } => (
            "shop_expiring",
            format!("Your shop {shop_name} closes soon"),
            context! { name, shop_name, end_date },
        ),
        EmailMessage::ShopSkipped { name, shop_name } => (
            "shop_skipped",
            format!("Your shop {shop_name} has been closed"),
            context! { name, shop_name },
        ),
        EmailMessage::Notification { subject, body } => (
            "notification",
            subject.clone(),
            context! { subject, body, paragraphs => paragraphs(body) },
        ),
        EmailMessage::OrderConfirmation {
            name,
            order_id,
            shop_name,
            currency,
            lines,
            subtotal,
            discount,
            total,
        } => {
            let money = |amount: i64| format_money(amount, currency);
            let lines: Vec<_> = lines
                .iter()
                .map(|line| context! { name => line.name, quantity => line.quantity, line_total => money(line.line_total) })
                .collect();
            (
                "order_confirmation",
                format!("Your order at {shop_name}: {}", money(*total)),
                context! {
                    name, order_id, shop_name, lines,
                    subtotal => money(*subtotal), discount => money(*discount), total => money(*total),
                    has_discount => *discount > 0,
                },
            )
        }
        EmailMessage::PaymentReceipt {
            name,
            order_id,
            shop_name,
            currency,
            amount,
            method,
            reference,
        } => {
            let amount = format_money(*amount, currency);
            (
                "payment_receipt",
                format!("Payment received: {amount} at {shop_name}"),
                context! { name, order_id, shop_name, amount, method, reference },
            )
        }
        EmailMessage::ReportReady {
            name,
            title,
            format,
            period,
            url,
            expires_at,
        } => (
            "report_ready",
            format!("Your report is ready: {title}"),
            context! { name, title, format, period, url, expires_at },
        ),
        EmailMessage::QuoteOffered {
            name,
            number,
            shop_name,
            company_name,
            total,
            valid_until,
            url,
            expires_at,
        } => (
            "quote_offered",
            format!("Quote {number} from {shop_name}"),
            context! { name, number, shop_name, company_name, total, valid_until, url, expires_at },
        ),
        EmailMessage::DataExportReady {
            name,
            url,
            expires_at,
        } => (
            "data_export_ready",
            "Your personal data is ready to download".to_owned(),
            context! { name, url, expires_at },
        ),
    };
    let env = environment();
    Ok(Rendered {
        subject,
        text: env.get_template(&format!("{name}.txt"))?.render(&vars)?,
        html: env.get_template(&format!("{name}.html"))?.render(&vars)?,
    })
}

/// The body's paragraphs (separated by blank lines), each as its lines, for the HTML part: the
/// template escapes every line and joins them with `<br>`.
fn paragraphs(body: &str) -> Vec<Vec<&str>> {
    let mut paragraphs = vec![Vec::new()];
    for line in body.lines().map(str::trim_end) {
        match paragraphs.last_mut() {
            Some(current) if !line.is_empty() => current.push(line),
            Some(current) if !current.is_empty() => paragraphs.push(Vec::new()),
            _ => {}
        }
    }
    paragraphs.retain(|paragraph| !paragraph.is_empty());
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;
    use comptoir_jobs::email::OrderEmailLine;

    /// Two wax prints at 9.99 EUR, 2.99 EUR off.
    fn sample_order() -> EmailMessage {
        EmailMessage::OrderConfirmation {
            name: "Awa".into(),
            order_id: uuid::Uuid::nil(),
            shop_name: "Chez Awa".into(),
            currency: "EUR".into(),
            lines: vec![OrderEmailLine {
                name: "Pagne <wax>".into(),
                quantity: 2,
                line_total: 1998,
            }],
            subtotal: 1998,
            discount: 299,
            total: 1699,
        }
    }

    #[test]
    fn every_template_renders() {
        let messages = [
            sample_order(),
            EmailMessage::ShopExpired {
                name: "Awa".into(),
                shop_name: "Chez Awa".into(),
            },
            EmailMessage::ShopSkipped {
                name: "Awa".into(),
                shop_name: "Chez Awa".into(),
            },
            EmailMessage::ShopExpiring {
                name: "Awa".into(),
                shop_name: "Chez Awa".into(),
                end_date: "2026-12-01T00:00:00Z".into(),
            },
            EmailMessage::Notification {
                subject: "News from Chez Awa".into(),
                body: "Chez Awa opens on Monday.".into(),
            },
            EmailMessage::PaymentReceipt {
                name: "Awa".into(),
                order_id: uuid::Uuid::nil(),
                shop_name: "Chez Awa".into(),
                currency: "XOF".into(),
                amount: 5000,
                method: "Mobile money (CinetPay)".into(),
                reference: "0190".into(),
            },
            EmailMessage::ReportReady {
                name: "Awa".into(),
                title: "Chez Awa sales".into(),
                format: "pdf".into(),
                period: "2026-11-01 to 2026-11-30".into(),
                url: "http://127.0.0.1:8080/v1/reports/x/download?token=t".into(),
                expires_at: "2026-12-01T00:00:00Z".into(),
            },
            EmailMessage::QuoteOffered {
                name: "Awa".into(),
                number: "Q-2026-000001".into(),
                shop_name: "Chez Awa".into(),
                company_name: "Awa & Co".into(),
                total: "123.00 EUR".into(),
                valid_until: "2026-12-11 19:00 UTC".into(),
                url: "http://127.0.0.1:8080/v1/quotes/x/pdf?token=t".into(),
                expires_at: "2026-12-11T00:00:00Z".into(),
            },
        ];
        for message in &messages {
            let rendered = render(message).expect("renders");
            assert!(rendered.subject.contains("Chez Awa"));
            assert!(rendered.text.contains("Chez Awa") && rendered.html.contains("Chez Awa"));
        }
    }

    #[test]
    fn data_export_ready_carries_the_link_and_its_end() {
        let rendered = render(&EmailMessage::DataExportReady {
            name: "Awa".into(),
            url: "http://127.0.0.1:8080/v1/me/data-exports/x/download?token=t".into(),
            expires_at: "2026-12-14T00:00:00Z".into(),
        })
        .expect("renders");
        assert!(
            rendered
                .text
                .contains("/v1/me/data-exports/x/download?token=t")
        );
        // HTML escapes the slashes of the link (browsers read them back).
        assert!(rendered.html.contains("download?token=t"));
        for part in [&rendered.text, &rendered.html] {
            assert!(part.contains("2026-12-14T00:00:00Z"));
        }
    }

    #[test]
    fn welcome_renders_both_parts_and_escapes_html() {
        let rendered = render(&EmailMessage::Welcome {
            name: "Awa <b>".into(),
        })
        .expect("renders");
        assert_eq!(rendered.subject, "Welcome to Comptoir, Awa <b>");
        assert!(rendered.text.contains("Hello Awa <b>,"));
        assert!(
            rendered.html.contains("Hello Awa &lt;b&gt;,"),
            "{}",
            rendered.html
        );
        assert!(!rendered.html.contains("<b>,"));
    }

    #[test]
    fn a_notification_keeps_its_paragraphs_and_escapes_html() {
        let rendered = render(&EmailMessage::Notification {
            subject: "Sale <today>".into(),
            body: "Hello <script>x</script> & all,\r\nline two\n\n\nSecond paragraph.".into(),
        })
        .expect("renders");
        assert_eq!(rendered.subject, "Sale <today>");
        assert!(rendered.text.starts_with("Hello <script>x</script> & all,"));
        assert!(rendered.html.contains("<title>Sale &lt;today&gt;</title>"));
        assert!(
            rendered.html.contains(
                "<p>Hello &lt;script&gt;x&lt;&#x2f;script&gt; &amp; all,<br>line two</p>\n<p>Second paragraph.</p>"
            ),
            "{}",
            rendered.html
        );
        assert!(!rendered.html.contains("<script>"));
    }

    #[test]
    fn order_confirmations_show_amounts_in_major_units() {
        let rendered = render(&sample_order()).expect("renders");
        assert_eq!(rendered.subject, "Your order at Chez Awa: 16.99 EUR");
        assert!(
            rendered.text.contains("- 2 x Pagne <wax>: 19.98 EUR"),
            "{}",
            rendered.text
        );
        assert!(
            rendered.text.contains("Discount: -2.99 EUR"),
            "{}",
            rendered.text
        );
        assert!(
            rendered.html.contains("Pagne &lt;wax&gt;"),
            "{}",
            rendered.html
        );
        assert_eq!(format_money(12_500, "XOF"), "12500 XOF");
        assert_eq!(format_money(5, "EUR"), "0.05 EUR");
        assert_eq!(format_money(1_234, "KWD"), "1.234 KWD");
    }
}
