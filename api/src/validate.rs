//! Field checks shared by the handlers: they collect every problem of a body into
//! [`FieldErrors`], answered at once as one 422 `validation_failed`.

use comptoir_domain::products::limits::text_problem;

use crate::error::{ApiError, ApiResult, FieldErrors};

/// Adds `message` to `field`'s errors.
pub fn add(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

/// Text of at most `max` characters (at least one non-blank when `required`), with no control
/// characters but line feeds.
pub fn check_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize, required: bool) {
    if let Some(problem) = text_problem(value, max, required) {
        add(errors, field, problem);
    }
}

/// `Ok` when nothing was found wrong; otherwise the 422 answer, described by `detail`.
pub fn ensure_valid(errors: FieldErrors, detail: &str) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation {
            detail: detail.to_owned(),
            errors,
        })
    }
}

/// Times a request may carry: RFC 3339 has four-digit years, and nothing the marketplace
/// schedules is before 2000 or after 2100.
pub mod sane_time {
    use chrono::{DateTime, Datelike, Utc};
    use serde::{Deserialize, Deserializer, de::Error};

    const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

    pub fn check(time: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        if YEARS.contains(&time.year()) {
            Ok(time)
        } else {
            Err(format!(
                "{time} is outside the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        check(DateTime::deserialize(d)?).map_err(D::Error::custom)
    }

    /// For `Option<DateTime<Utc>>` fields (with `#[serde(default)]`).
    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<DateTime<Utc>>::deserialize(d)?
                .map(check)
                .transpose()
                .map_err(D::Error::custom)
        }
    }
}
