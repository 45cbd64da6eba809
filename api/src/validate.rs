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
