//! Email templates (minijinja; HTML auto-escaped). Each template has a subject, a text part and
//! an HTML part, embedded in the binary.

use std::sync::OnceLock;

use minijinja::{Environment, context};

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
                "notification.txt",
                include_str!("../templates/notification.txt"),
            ),
            (
                "notification.html",
                include_str!("../templates/notification.html"),
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
        EmailMessage::Notification { subject, body } => (
            "notification",
            subject.clone(),
            context! { subject, body, paragraphs => paragraphs(body) },
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

    #[test]
    fn every_template_renders() {
        let messages = [
            EmailMessage::ShopExpired {
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
        ];
        for message in &messages {
            let rendered = render(message).expect("renders");
            assert!(rendered.subject.contains("Chez Awa"));
            assert!(rendered.text.contains("Chez Awa") && rendered.html.contains("Chez Awa"));
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
}
