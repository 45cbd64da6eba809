//! Delivery reports: for each accepted recipient, `Submitted` then `Success` (or `Failed` with
//! a `failureReason`), each an unsigned form POSTed to the dashboard's DLR URL.

use crate::callbacks::{Body, Callback};

/// A recipient the send accepted.
pub struct Accepted {
    pub message_id: String,
    pub number: String,
    pub delivered: bool,
}

impl Accepted {
    pub fn final_status(&self) -> &'static str {
        if self.delivered { "Success" } else { "Failed" }
    }
}

/// The operator's MCC+MNC: Togocel for Togo, else Athena, Africa's Talking's simulator.
fn network_code(number: &str) -> &'static str {
    if number.starts_with("+228") {
        "61501"
    } else {
        "99999"
    }
}

/// The reports of a send, in order: each recipient's `Submitted`, then its final status.
pub fn callbacks(url: &str, accepted: &[Accepted]) -> Vec<Callback> {
    accepted
        .iter()
        .flat_map(|sent| {
            ["Submitted", sent.final_status()].map(|status| {
                let mut fields = vec![
                    ("id", sent.message_id.as_str()),
                    ("status", status),
                    ("phoneNumber", sent.number.as_str()),
                    ("networkCode", network_code(&sent.number)),
                ];
                if status == "Failed" {
                    fields.push(("failureReason", "DeliveryFailure"));
                }
                let form = serde_urlencoded::to_string(&fields).unwrap_or_default();
                Callback {
                    label: format!("africastalking {} {status}", sent.message_id),
                    url: url.to_owned(),
                    body: Some(Body {
                        content_type: "application/x-www-form-urlencoded",
                        bytes: form.into_bytes(),
                    }),
                    headers: Vec::new(),
                    stripe_secret: None,
                }
            })
        })
        .collect()
}
