//! Bounds on query values that the parameter types alone cannot express: every date or instant a
//! client sends lies in the registry's plausible range, or the request is a 400 naming it.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{domain::time, error::AppError};

/// A date parameter, refused (400) outside 1900-01-01..=2099-12-31.
pub fn day(name: &str, value: Option<NaiveDate>) -> Result<Option<NaiveDate>, AppError> {
    value
        .map(|d| time::check_date(name, d).map_err(AppError::bad_request_of))
        .transpose()
}

/// An instant parameter, refused (400) when its district day is outside the plausible range.
pub fn instant(
    name: &str,
    value: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    value
        .map(|at| time::check_instant(name, at).map_err(AppError::bad_request_of))
        .transpose()
}
