//! The HTML of the checkout pages and of the phone inbox: self-contained (inline style, no
//! external assets) and sized for a phone. Every value that came from a client is escaped.

use std::fmt::Write;

use crate::actions::View;
use crate::inbox::Sms;

/// Escapes text for an HTML element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111}\
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}\
.card{background:#fff;border-radius:.75rem;padding:1.25rem;box-shadow:0 1px 3px #0002}\
.tag{display:inline-block;font-size:.75rem;background:#fde68a;border-radius:.25rem;padding:.1rem .4rem}\
.amount{font-size:2.25rem;font-weight:700;margin:.5rem 0}\
ul{padding-left:1.1rem;color:#374151}.muted{color:#6b7280;font-size:.875rem}\
.notice{background:#fee2e2;color:#991b1b;padding:.75rem;border-radius:.5rem}\
button{display:block;width:100%;font-size:1.1rem;padding:.9rem;margin-top:.75rem;border:0;border-radius:.5rem;color:#fff}\
.pay{background:#16a34a}.fail{background:#dc2626}.cancel{background:#6b7280}.go{background:#2563eb}\
.card+.card{margin-top:1rem}h2{font-size:1.1rem;margin:0}a{color:#2563eb}\
input{box-sizing:border-box;width:100%;font-size:1.1rem;padding:.7rem;border:1px solid #d1d5db;border-radius:.5rem}\
.sms{border-top:1px solid #e5e7eb;margin-top:.75rem;padding-top:.5rem}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;font-size:1.05rem;margin:.25rem 0}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

/// The page where the customer picks the outcome; the buttons POST back to the page's own URL.
pub fn checkout(merchant: &str, view: &View, notice: Option<&str>) -> String {
    let mut body = format!(
        "<div class=\"card\"><span class=\"tag\">{} sandbox</span>\
         <h1>{}</h1><div class=\"amount\">{} {}</div>",
        escape(view.provider),
        escape(merchant),
        escape(&view.amount),
        escape(&view.currency)
    );
    if !view.lines.is_empty() {
        body.push_str("<ul>");
        for line in &view.lines {
            let _ = write!(body, "<li>{}</li>", escape(line));
        }
        body.push_str("</ul>");
    }
    let _ = write!(
        body,
        "<p class=\"muted\">Status: {}</p>",
        escape(&view.status)
    );
    if let Some(notice) = notice {
        let _ = write!(body, "<p class=\"notice\">{}</p>", escape(notice));
    }
    if view.open {
        body.push_str(
            "<form method=\"post\">\
             <button class=\"pay\" name=\"action\" value=\"pay\">Pay</button>\
             <button class=\"fail\" name=\"action\" value=\"fail\">Fail</button>\
             <button class=\"cancel\" name=\"action\" value=\"cancel\">Cancel</button></form>",
        );
        let _ = write!(body, "<p class=\"muted\">{}</p>", escape(view.hint));
    }
    body.push_str("</div>");
    layout(&format!("{} — {}", view.provider, merchant), &body)
}

/// Shown when there is no URL to send the customer to, or when nothing can be done.
pub fn message(title: &str, text: &str) -> String {
    let body = format!(
        "<div class=\"card\"><h1>{}</h1><p>{}</p></div>",
        escape(title),
        escape(text)
    );
    layout(title, &body)
}

/// A form that POSTs `fields` to `url` by itself (one inline line of script), with a button for
/// browsers without script: CinetPay returns the customer by POST.
pub fn post_back(url: &str, fields: &[(&str, String)]) -> String {
    let mut body = format!(
        "<div class=\"card\"><h1>Returning to the shop…</h1><form id=\"back\" method=\"post\" action=\"{}\">",
        escape(url)
    );
    for (name, value) in fields {
        let _ = write!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    body.push_str(
        "<button class=\"pay\">Return to the shop</button></form></div>\
         <script>document.getElementById('back').submit()</script>",
    );
    layout("Returning to the shop", &body)
}

/// The sandbox's phone: the texts grouped by number (as `Inbox::by_number` orders them), with a
/// form that shows one number only.
pub fn phone(filter: Option<&str>, groups: &[(&str, Vec<&Sms>)]) -> String {
    let mut body = format!(
        "<div class=\"card\"><span class=\"tag\">SMS sandbox</span><h1>Phone</h1>\
         <form method=\"get\"><input name=\"to\" type=\"tel\" placeholder=\"+22890112233\" \
         value=\"{}\" aria-label=\"Phone number\"><button class=\"go\">Show</button></form>",
        escape(filter.unwrap_or_default())
    );
    if filter.is_some() {
        body.push_str("<p><a href=\"phone\">All numbers</a></p>");
    }
    body.push_str("</div>");
    if groups.is_empty() {
        body.push_str(
            "<div class=\"card\"><p class=\"muted\">No text message yet. Texts sent through \
             Twilio or Africa's Talking show up here (kept in memory until the sandbox \
             restarts).</p></div>",
        );
    }
    for (number, texts) in groups {
        let _ = write!(body, "<div class=\"card\"><h2>{}</h2>", escape(number));
        for sms in texts {
            let _ = write!(
                body,
                "<div class=\"sms\"><p class=\"text\">{}</p><p class=\"muted\">From {} \
                 · {} · {} · {}</p></div>",
                escape(&sms.body),
                escape(&sms.from),
                escape(sms.provider),
                sms.received_at.format("%Y-%m-%d %H:%M:%S UTC"),
                escape(sms.status)
            );
        }
        body.push_str("</div>");
    }
    layout("Sandbox phone", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
