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
    };
    let env = environment();
    Ok(Rendered {
        subject,
        text: env.get_template(&format!("{name}.txt"))?.render(&vars)?,
        html: env.get_template(&format!("{name}.html"))?.render(&vars)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
