//! The problem document (RFC 9457) every error becomes, ours or the framework's, and the
//! problem responses every operation declares in the OpenAPI document.

use poem::{
    Response,
    error::{MethodNotAllowedError, NotFoundError},
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object,
    error::{ParseParamError, ParsePathError, ParseRequestPayloadError},
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};

use super::AppError;
use crate::domain::FieldViolation;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

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
}
