//! The phone inbox: every text message a provider accepted, in memory, so that tests can read
//! one-time codes and people can read them on `/sandbox/phone`. Only the latest [`CAPACITY`]
//! are kept, so that a long-running sandbox does not grow without limit.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub const CAPACITY: usize = 10_000;

pub struct Sms {
    /// `twilio` or `africastalking`.
    pub provider: &'static str,
    /// The provider's id: Twilio's `SM…` sid, Africa's Talking's `ATXid_…` messageId.
    pub id: String,
    /// E.164, as accepted.
    pub to: String,
    pub from: String,
    pub body: String,
    /// The outcome the delivery reports announce, in the provider's words.
    pub status: &'static str,
    pub received_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct Inbox(VecDeque<Sms>);

impl Inbox {
    pub fn record(&mut self, sms: Sms) {
        if self.0.len() == CAPACITY {
            self.0.pop_front();
        }
        self.0.push_back(sms);
    }

    /// Oldest first. `to` keeps one number's texts; its digits are compared, so `+228…`,
    /// `228…` and a query string's `+` decoded as a space all name the same number.
    pub fn list(&self, to: Option<&str>) -> impl DoubleEndedIterator<Item = &Sms> {
        let wanted: Option<String> = to.map(|to| to.chars().filter(char::is_ascii_digit).collect());
        self.0.iter().filter(move |sms| match &wanted {
            Some(digits) => sms.to.strip_prefix('+') == Some(digits.as_str()),
            None => true,
        })
    }

    /// The texts grouped by number: the most recently texted number first, each group newest
    /// first.
    pub fn by_number(&self, to: Option<&str>) -> Vec<(&str, Vec<&Sms>)> {
        let mut groups: Vec<(&str, Vec<&Sms>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for sms in self.list(to).rev() {
            let group = *index.entry(&sms.to).or_insert_with(|| {
                groups.push((&sms.to, Vec::new()));
                groups.len() - 1
            });
            groups[group].1.push(sms);
        }
        groups
    }
}

impl Sms {
    pub fn json(&self) -> Value {
        json!({
            "provider": self.provider, "id": self.id, "to": self.to, "from": self.from,
            "body": self.body, "status": self.status,
            "received_at": self.received_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(to: &str, body: &str) -> Sms {
        Sms {
            provider: "twilio",
            id: body.into(),
            to: to.into(),
            from: "Comptoir".into(),
            body: body.into(),
            status: "delivered",
            received_at: Utc::now(),
        }
    }

    fn bodies<'a>(texts: impl Iterator<Item = &'a Sms>) -> Vec<&'a str> {
        texts.map(|sms| sms.body.as_str()).collect()
    }

    #[test]
    fn filters_by_any_spelling_and_groups_newest_first() {
        let mut inbox = Inbox::default();
        inbox.record(sms("+22890112233", "a"));
        inbox.record(sms("+22891000000", "b"));
        inbox.record(sms("+22890112233", "c"));
        assert_eq!(bodies(inbox.list(None)), ["a", "b", "c"]);
        for spelling in ["+22890112233", " 22890112233", "22890112233"] {
            assert_eq!(bodies(inbox.list(Some(spelling))), ["a", "c"]);
        }
        assert_eq!(bodies(inbox.list(Some("2289011223"))), Vec::<&str>::new());
        let groups = inbox.by_number(None);
        let numbers: Vec<&str> = groups.iter().map(|(number, _)| *number).collect();
        assert_eq!(numbers, ["+22890112233", "+22891000000"]);
        assert_eq!(bodies(groups[0].1.iter().copied()), ["c", "a"]);
    }

    #[test]
    fn keeps_the_latest_only() {
        let mut inbox = Inbox::default();
        for n in 0..=CAPACITY {
            inbox.record(sms("+22890112233", &n.to_string()));
        }
        assert_eq!(inbox.list(None).count(), CAPACITY);
        assert_eq!(
            inbox.list(None).next().map(|sms| sms.body.as_str()),
            Some("1")
        );
    }
}
