//! Around every request: a request id (the client's `x-request-id` when it is sane, a new one
//! otherwise) in the tracing span and echoed in the response, one log line per request, security
//! headers, a bound on the body size, and the translation of every error into problem+json.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Instant};

use futures_util::FutureExt;
use poem::{
    Body, Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderMap, HeaderName, HeaderValue, header},
};
use rand::Rng;
use tracing::Instrument;

use crate::error::{AppError, problem_response};

/// Largest JSON request body.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_context<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.uri().path());
    async move {
        let started = Instant::now();
        // A panic is a bug, but it must not drop the connection: it is logged and answered as a
        // problem+json 500 carrying the request id.
        let outcome = AssertUnwindSafe(next.call(req)).catch_unwind().await;
        let mut response = match outcome {
            Ok(Ok(output)) => output.into_response(),
            Ok(Err(err)) => error_response(err, &request_id),
            Err(panic) => {
                tracing::error!(panic = panic_message(&panic), "request handler panicked");
                problem_response(
                    &AppError::Internal("handler panicked".into()).into(),
                    Some(&request_id),
                )
            }
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        add_security_headers(response.headers_mut());
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The text a panic carried, when it is a string.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn error_response(err: poem::Error, request_id: &str) -> Response {
    if err.status().is_server_error() {
        tracing::error!(error = %err, "request failed");
    }
    problem_response(&err, Some(request_id))
}

/// Refuses bodies over [`MAX_JSON_BODY`] (people files: 20 MiB) with 413: by `Content-Length`
/// when it is given, and by reading at most that much when the body is chunked.
pub async fn limit_body<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    let limit = if req.uri().path() == "/people/import" {
        // The web UI's upload: the file and the few fields of its form around it.
        crate::services::import::MAX_UPLOAD + 64 * 1024
    } else if req.uri().path().ends_with("/people/import") {
        crate::services::import::MAX_UPLOAD
    } else {
        MAX_JSON_BODY
    };
    let too_large = || AppError::PayloadTooLarge { limit };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => return Err(too_large().into()),
        Some(_) => {}
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = req
                .take_body()
                .into_bytes_limit(limit)
                .await
                .map_err(|_| too_large())?;
            req.set_body(Body::from(body));
        }
        None => {}
    }
    Ok(next.call(req).await?.into_response())
}

/// Headers that keep browsers from sniffing, framing or caching answers. The content security
/// policy is the strictest one unless the page set its own (Swagger UI and the printable
/// certificate allow their own inline blocks by hash).
fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// With CORS on, an answer depends on the request's `Origin`: caches must key on it.
pub async fn vary_origin<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let mut response = match next.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("origin"));
    Ok(response)
}

/// Client-supplied ids are echoed into logs and headers: keep them short and plain.
fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_problem_500_with_the_request_id() {
        use poem::{EndpointExt, handler};
        #[handler]
        fn explode() -> &'static str {
            panic!("a bug")
        }
        let app = explode.around(request_context);
        let request = Request::builder()
            .header(REQUEST_ID_HEADER, "req-42")
            .finish();
        let response = app.call(request).await.unwrap();
        assert_eq!(
            response.status(),
            poem::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            crate::error::PROBLEM_JSON
        );
        let body = response.into_body().into_string().await.unwrap();
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["request_id"], "req-42");
        assert!(
            !body.contains("a bug"),
            "the cause stays in the log: {body}"
        );
    }

    #[test]
    fn request_ids_from_clients_are_checked() {
        assert!(is_sane_request_id("abc-123_X.y:z"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("with space"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert_eq!(new_request_id().len(), 32);
    }
}
