//! The one application error type, and its single translation into an RFC 9457
//! `application/problem+json` response. Errors the framework raises before a handler runs
//! (malformed JSON, bad query values, unknown paths) are translated here too.

use poem::{
    Response,
    error::{MethodNotAllowedError, NotFoundError, ResponseError},
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object,
    error::{ParseParamError, ParsePathError, ParseRequestPayloadError},
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};
use sea_orm::DbErr;

use crate::domain::FieldViolation;

/// The most violations one problem document lists.
pub const MAX_LISTED_VIOLATIONS: usize = 50;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

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

/// One invalid field in a problem document.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct ProblemField {
    /// The field, query or path parameter at fault (`body` when the whole body is).
    pub field: String,
    /// The stable machine name of the broken rule, e.g. `session.too_long` or
    /// `id_number.checksum`, for clients to show their own words.
    pub code: String,
    /// What is wrong with it, in English.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct Problem {
    /// A URI identifying the kind of problem.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// The id of the request, as echoed in the `x-request-id` header.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// The invalid fields, for validation errors.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<ProblemField>>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let slug = match status.as_u16() {
            400 => "bad-request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            409 => "conflict",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "validation",
            429 => "too-many-requests",
            503 => "unavailable",
            s if s >= 500 => "server-error",
            _ => "client-error",
        };
        Self {
            problem_type: format!("urn:fitreg:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            request_id: None,
            errors: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldViolation>) -> Self {
        if !errors.is_empty() {
            self.errors = Some(
                errors
                    .into_iter()
                    .map(|v| ProblemField {
                        field: v.field,
                        code: v.code.to_owned(),
                        message: v.message,
                    })
                    .collect(),
            );
        }
        self
    }

    /// Translates an error the framework raised before or instead of a handler.
    fn from_framework_error(err: &poem::Error) -> Self {
        if let Some(param) = err.downcast_ref::<ParseParamError>() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                format!("invalid parameter `{}`: {}", param.name, param.reason),
            )
            .with_errors(vec![FieldViolation::new(
                param.name,
                "parameter.invalid",
                param.reason.clone(),
            )]);
        }
        if let Some(path) = err.downcast_ref::<ParsePathError>() {
            // poem-openapi names path parameters by position (`param0`), not by their name.
            return Self::new(
                StatusCode::BAD_REQUEST,
                format!("invalid path parameter: {}", path.reason),
            )
            .with_errors(vec![FieldViolation::new(
                "path",
                "path.invalid",
                path.reason.clone(),
            )]);
        }
        if let Some(payload) = err.downcast_ref::<ParseRequestPayloadError>() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                format!("malformed request body: {}", payload.reason),
            )
            .with_errors(vec![FieldViolation::new(
                payload_field(&payload.reason),
                "body.invalid",
                payload.reason.clone(),
            )]);
        }
        if err.is::<NotFoundError>() {
            return Self::new(StatusCode::NOT_FOUND, "no such endpoint");
        }
        if err.is::<MethodNotAllowedError>() {
            return Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this method is not allowed on this endpoint",
            );
        }
        let status = err.status();
        if status.is_server_error() {
            Self::new(
                status,
                "the server failed to handle the request; it has been logged",
            )
        } else {
            Self::new(status, err.to_string())
        }
    }

    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body =
            serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self)).unwrap_or_default();
        Response::builder()
            .status(status)
            .content_type(PROBLEM_JSON)
            .body(body)
    }
}

/// The field a body parse error is about: poem-openapi names it as "(field `x`)".
fn payload_field(reason: &str) -> String {
    reason
        .split("field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| "body".to_owned())
}

/// The problem+json response for any error reaching the HTTP layer, ours or the framework's.
pub fn problem_response(err: &poem::Error, request_id: Option<&str>) -> Response {
    let app = err.downcast_ref::<AppError>();
    let mut problem = app
        .map(AppError::problem)
        .unwrap_or_else(|| Problem::from_framework_error(err));
    problem.request_id = request_id.map(str::to_owned);
    let mut response = problem.into_response();
    if let Some(
        AppError::TooManyRequests { retry_after_secs } | AppError::Unavailable { retry_after_secs },
    ) = app
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

impl ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}

/// Documents the problem responses every operation may give, so clients and contract fuzzers see
/// them in the OpenAPI document.
impl ApiResponse for AppError {
    fn meta() -> MetaResponses {
        let problem = |status: u16, description: &'static str| MetaResponse {
            description,
            status: Some(status),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: PROBLEM_JSON,
                schema: Problem::schema_ref(),
            }],
            headers: vec![],
        };
        MetaResponses {
            responses: vec![
                problem(400, "Malformed body, query or path parameter"),
                problem(401, "Missing or invalid bearer token"),
                problem(403, "Authenticated but not allowed"),
                problem(404, "Unknown id, or outside the caller's scope"),
                problem(409, "Conflict with existing data or a stale version"),
                problem(413, "Request body too large"),
                problem(422, "A well-formed value that breaks a rule"),
                problem(429, "Too many attempts (see `Retry-After`)"),
                problem(500, "Server failure (logged with the request id)"),
                problem(503, "Overloaded: retry after `Retry-After` seconds"),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_field_is_taken_from_the_parse_reason() {
        assert_eq!(
            payload_field("failed to parse \"Foo\": (field `name`) expects a string"),
            "name"
        );
        assert_eq!(
            payload_field("EOF while parsing an object at line 1 column 4"),
            "body"
        );
    }

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
