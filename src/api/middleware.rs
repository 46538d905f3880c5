//! Around every request: a request id (the client's `x-request-id` when it is sane, a new one
//! otherwise) in the tracing span and echoed in the response, one log line per request, security
//! headers, a bound on the body size, and the translation of every error into problem+json.

use std::{sync::Arc, time::Instant};

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
    let is_docs = req.uri().path().starts_with("/docs");
    let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.uri().path());
    async move {
        let started = Instant::now();
        let mut response = match next.call(req).await {
            Ok(output) => output.into_response(),
            Err(err) => error_response(err, &request_id),
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        add_security_headers(response.headers_mut(), is_docs);
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

fn error_response(err: poem::Error, request_id: &str) -> Response {
    if err.status().is_server_error() {
        tracing::error!(error = %err, "request failed");
    }
    problem_response(&err, Some(request_id))
}

/// Refuses bodies over [`MAX_JSON_BODY`] (CSV uploads: 20 MiB) with 413: by `Content-Length`
/// when it is given, and by reading at most that much when the body is chunked.
pub async fn limit_body<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    let limit = if req.uri().path().ends_with("/people/import") {
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

/// Headers that keep browsers from sniffing, framing or caching API answers. Swagger UI needs
/// its inline scripts, so the strict content security policy applies to the API only.
fn add_security_headers(headers: &mut HeaderMap, is_docs: bool) {
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !is_docs {
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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

    #[test]
    fn request_ids_from_clients_are_checked() {
        assert!(is_sane_request_id("abc-123_X.y:z"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("with space"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert_eq!(new_request_id().len(), 32);
    }
}
