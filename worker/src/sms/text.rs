//! The words of the messages the worker writes itself: one-time codes, in the configured
//! language. Short and plain, so that one SMS segment holds them.

use comptoir_domain::sms::OtpPurpose;

/// The text carrying `code`.
pub fn one_time_code(
    locale: &str,
    sender: &str,
    purpose: OtpPurpose,
    code: &str,
    ttl_mins: u64,
) -> String {
    match locale {
        "en" => {
            let what = match purpose {
                OtpPurpose::Registration => "verification",
                OtpPurpose::Login => "login",
                OtpPurpose::PasswordReset => "password reset",
            };
            format!(
                "{sender}: your {what} code is {code}. It expires in {ttl_mins} min. Never share it."
            )
        }
        _ => {
            let what = match purpose {
                OtpPurpose::Registration => "de vérification",
                OtpPurpose::Login => "de connexion",
                OtpPurpose::PasswordReset => "de réinitialisation",
            };
            format!(
                "{sender} : votre code {what} est {code}. Il expire dans {ttl_mins} min. Ne le partagez jamais."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fit_one_segment_in_both_languages() {
        for locale in ["fr", "en"] {
            for purpose in OtpPurpose::ALL {
                let text = one_time_code(locale, "Comptoir", purpose, "123456", 10);
                assert!(text.contains("123456"));
                assert!(text.chars().count() <= 160, "{text}");
            }
        }
    }
}
