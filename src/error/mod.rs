//! The one application error type, and its single translation into an RFC 9457
//! `application/problem+json` response ([`problem`]). Errors the framework raises before a
//! handler runs (malformed JSON, bad query values, unknown paths) are translated there too.

mod problem;

use poem::{error::ResponseError, http::StatusCode};
use sea_orm::DbErr;

use crate::domain::{FieldViolation, Violations};
pub use problem::{PROBLEM_JSON, Problem, ProblemField, problem_response};

/// The most violations one problem document lists.
pub const MAX_LISTED_VIOLATIONS: usize = 50;

/// What went wrong, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (400).
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldViolation>,
    },
    /// A well-formed value breaks a rule (422).
    #[error("{detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldViolation>,
    },
    /// The id is unknown, or outside the caller's scope (404).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// The change conflicts with existing data (409).
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldViolation>,
    },
    /// No valid credentials (401).
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The request body is larger than allowed (413).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Too many attempts; retry after the given number of seconds (429).
    #[error("too many attempts, retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// The server is overloaded: the database stayed locked or the pool had no free
    /// connection for too long. Answered 503 with `Retry-After`.
    #[error("the server is busy, retry in {retry_after_secs} s")]
    Unavailable { retry_after_secs: u64 },
    /// A database failure: logged with the request id, answered as a generic 500.
    #[error("database error: {0}")]
    Database(DbErr),
    /// Any other server-side failure, answered as a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for AppError {
    /// Overload (a lock held too long, no free connection) is a 503 the client may retry; any
    /// other database failure is a 500.
    fn from(err: DbErr) -> Self {
        if is_overload(&err) {
            tracing::warn!(error = %err, "database overloaded");
            Self::Unavailable {
                retry_after_secs: 1,
            }
        } else {
            Self::Database(err)
        }
    }
}

/// Whether a database error means "busy, try again": SQLite's `SQLITE_BUSY`/`SQLITE_LOCKED`
/// after the busy timeout, a pool that found no free connection in time, or PostgreSQL giving up
/// on a lock (serialization failure, deadlock, lock or statement timeout).
pub fn is_overload(err: &DbErr) -> bool {
    use sea_orm::{ConnAcquireErr, RuntimeErr, sqlx};
    const BUSY_CODES: [&str; 9] = [
        "5", "6", "261", "262", "517", "40001", "40P01", "55P03", "57014",
    ];
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(db) => {
                db.code().is_some_and(|c| BUSY_CODES.contains(&c.as_ref()))
                    || db.message().contains("database is locked")
                    || db.message().contains("database table is locked")
            }
            _ => false,
        },
        _ => false,
    }
}

impl From<Violations> for AppError {
    /// Everything a parse at the edge found at fault, as one 422.
    fn from(violations: Violations) -> Self {
        Self::violations(violations.into_vec())
    }
}

impl AppError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A 400 for one malformed field.
    pub fn bad_request(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let violation = FieldViolation::new(field, code, message);
        Self::BadRequest {
            detail: format!("{}: {}", violation.field, violation.message),
            errors: vec![violation],
        }
    }

    /// A 400 for a violation found while parsing a parameter.
    pub fn bad_request_of(violation: FieldViolation) -> Self {
        Self::BadRequest {
            detail: format!("{}: {}", violation.field, violation.message),
            errors: vec![violation],
        }
    }

    /// The violations a 400, 422 or 409 names, field by field; `None` for any other error.
    pub fn field_violations(&self) -> Option<&[FieldViolation]> {
        match self {
            Self::BadRequest { errors, .. }
            | Self::Unprocessable { errors, .. }
            | Self::Conflict { errors, .. } => Some(errors),
            _ => None,
        }
    }

    /// A 422 for one violation.
    pub fn of(violation: FieldViolation) -> Self {
        Self::violations(vec![violation])
    }

    /// A 422 for one field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let violation = FieldViolation::new(field, code, message);
        Self::Unprocessable {
            detail: format!("{}: {}", violation.field, violation.message),
            errors: vec![violation],
        }
    }

    /// A 422 for several fields at once.
    /// At most [`MAX_LISTED_VIOLATIONS`] are listed; the detail says how many more there were, so
    /// a body with 150,000 bad values answers a short document.
    pub fn violations(mut errors: Vec<FieldViolation>) -> Self {
        let more = errors.len().saturating_sub(MAX_LISTED_VIOLATIONS);
        errors.truncate(MAX_LISTED_VIOLATIONS);
        let mut detail = errors
            .iter()
            .take(10)
            .map(|v| format!("{}: {}", v.field, v.message))
            .collect::<Vec<_>>()
            .join("; ");
        let unlisted_in_detail = errors.len().saturating_sub(10) + more;
        if unlisted_in_detail > 0 {
            detail.push_str(&format!("; and {unlisted_in_detail} more"));
        }
        if more > 0 {
            errors.push(FieldViolation::new(
                "body",
                "violations.truncated",
                format!("{more} more violations are not listed"),
            ));
        }
        Self::Unprocessable { detail, errors }
    }

    /// A 409 for one field.
    pub fn conflict(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let violation = FieldViolation::new(field, code, message);
        Self::Conflict {
            detail: format!("{}: {}", violation.field, violation.message),
            errors: vec![violation],
        }
    }

    /// A unique-constraint violation becomes a 409 naming `field`; any other error stays a
    /// database error.
    pub fn unique_or_db(
        err: DbErr,
        field: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                Self::conflict(field, code, message)
            }
            _ => Self::from(err),
        }
    }

    /// 409 when the client's version is not the stored one.
    pub fn check_version(expected: Option<i64>, actual: impl Into<i64>) -> Result<(), Self> {
        let actual = actual.into();
        match expected {
            Some(expected) if expected != actual => Err(Self::conflict(
                "version",
                "version.stale",
                format!(
                    "the record changed since it was read (version {expected}, now {actual}); reload and retry"
                ),
            )),
            _ => Ok(()),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error. Server-side failures say nothing of their cause.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (detail, errors) = match self {
            Self::BadRequest { detail, errors }
            | Self::Unprocessable { detail, errors }
            | Self::Conflict { detail, errors } => (detail.clone(), errors.clone()),
            Self::Database(_) | Self::Internal(_) => (
                "the server failed to handle the request; it has been logged".to_owned(),
                Vec::new(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        Problem::new(status, detail).with_errors(errors)
    }
}

impl ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_violations_is_listed_up_to_the_cap_and_counted() {
        let many = (0..150_000)
            .map(|i| FieldViolation::new("specialties", "sport_item.unknown", format!("x{i}")))
            .collect();
        let problem = AppError::violations(many).problem();
        let errors = problem.errors.unwrap();
        assert_eq!(errors.len(), MAX_LISTED_VIOLATIONS + 1);
        assert_eq!(errors.last().unwrap().code, "violations.truncated");
        assert!(
            problem.detail.ends_with("and 149990 more"),
            "{}",
            problem.detail
        );
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let problem = AppError::Internal("secret connection string".into()).problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret"));
    }
}
