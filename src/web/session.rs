//! The web UI's session: an opaque token in an `HttpOnly; SameSite=Lax` cookie (its hash stored
//! as a `web` session, under the API's lifetime and revocation rules), and the defences every
//! form post passes: the request must come from this site (`Sec-Fetch-Site`, else `Origin`), and
//! a signed-in form must echo its session's secret in `csrf_token`, compared in constant time.

use poem::{
    FromRequest, Request, RequestBody,
    http::{Method, header},
    web::cookie::{Cookie, SameSite},
};
use serde::{Deserialize, de::DeserializeOwned};
use subtle::ConstantTimeEq;

use crate::{
    api::middleware::RequestId, app::AppState, auth::Caller, entities::account, error::AppError,
    services::auth,
};

/// The session cookie's name.
pub const COOKIE: &str = "fitreg_session";

/// A request from a signed-in person: who they are, and the secret their forms must carry.
#[derive(Debug, Clone)]
pub struct WebCaller {
    pub caller: Caller,
    pub csrf: String,
    /// The account, as read with the session (a page shows its name without reading it again).
    pub account: account::Model,
}

impl<'a> FromRequest<'a> for WebCaller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        match session_of(req).await? {
            Some(found) => Ok(found),
            None => Err(AppError::Unauthorized.into()),
        }
    }
}

/// The signed-in person, if any: for pages anyone may open (the login page, the root).
pub struct MaybeCaller(pub Option<WebCaller>);

impl<'a> FromRequest<'a> for MaybeCaller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(session_of(req).await?))
    }
}

async fn session_of(req: &Request) -> poem::Result<Option<WebCaller>> {
    let Some(token) = session_token(req) else {
        return Ok(None);
    };
    let state = state(req)?;
    match auth::authenticate_web(&state.db, &token, request_id(req)).await {
        Ok((caller, csrf, account)) => Ok(Some(WebCaller {
            caller,
            csrf,
            account,
        })),
        Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The raw session token of the request's cookie.
pub fn session_token(req: &Request) -> Option<String> {
    req.cookie()
        .get(COOKIE)
        .map(|c| c.value_str().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

pub fn state(req: &Request) -> poem::Result<&AppState> {
    Ok(req
        .data::<AppState>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?)
}

pub fn request_id(req: &Request) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.0.clone())
}

/// The session cookie as set at login: `Secure` exactly when the public URL is https.
pub fn session_cookie(state: &AppState, token: &str) -> Cookie {
    let mut cookie = Cookie::new_with_str(COOKIE, token);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(is_https(state));
    cookie.set_max_age(state.config.token_ttl);
    cookie
}

/// The cookie that removes the session cookie.
pub fn cleared_cookie(state: &AppState) -> Cookie {
    let mut cookie = session_cookie(state, "");
    cookie.set_max_age(std::time::Duration::ZERO);
    cookie
}

pub fn is_https(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// `scheme://host[:port]` of the public URL.
fn public_origin(state: &AppState) -> String {
    let url = state.config.public_url.trim_end_matches('/');
    match url.find("://") {
        Some(at) => match url[at + 3..].find('/') {
            Some(slash) => url[..at + 3 + slash].to_owned(),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Refuses an unsafe request that a browser says came from another site: `Sec-Fetch-Site` other
/// than `same-origin` or `none`, or else an `Origin` that is not this service's public origin.
/// Every browser sends one of the two on a form post; a client that sends neither is no browser a
/// forged page could drive, and still needs the session's secret for any signed-in form.
fn check_same_origin(req: &Request) -> poem::Result<()> {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
    let forbidden = || AppError::Forbidden("跨站请求被拒绝".into());
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return if matches!(site, "same-origin" | "none") {
            Ok(())
        } else {
            Err(forbidden().into())
        };
    }
    match req.headers().get(header::ORIGIN) {
        None => Ok(()),
        Some(origin) if origin.to_str().ok() == Some(public_origin(state(req)?).as_str()) => Ok(()),
        Some(_) => Err(forbidden().into()),
    }
}

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf_token: String,
}

/// The forms an auditor may post: its own session and password. Every other form writes to the
/// registry, which the inspection offices read and never change.
const AUDITOR_FORMS: [&str; 2] = ["/logout", "/account/password"];

/// An auditor's post to any other form is a 403 before its body is read, whatever it holds.
fn refuse_readers(req: &Request, who: &WebCaller) -> poem::Result<()> {
    if who.caller.role == crate::domain::account::Role::Auditor
        && !AUDITOR_FORMS.contains(&req.uri().path())
    {
        return Err(AppError::Forbidden("检查账户只能查看，不能修改登记内容".into()).into());
    }
    Ok(())
}

/// A form posted by a signed-in person: from this site, with the session's secret. Anything else
/// is a 403 before the handler runs, so nothing is written; so is any form of an auditor's but
/// its own logout and password.
pub struct CsrfForm<T> {
    pub who: WebCaller,
    pub form: T,
}

impl<'a, T: DeserializeOwned> FromRequest<'a> for CsrfForm<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        check_same_origin(req)?;
        let who = WebCaller::from_request(req, body).await?;
        refuse_readers(req, &who)?;
        let bytes = read_form(req, body).await?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or(Token {
            csrf_token: String::new(),
        });
        if !bool::from(token.csrf_token.as_bytes().ct_eq(who.csrf.as_bytes()))
            || who.csrf.is_empty()
        {
            return Err(AppError::Forbidden("表单已失效，请刷新页面后重试".into()).into());
        }
        let form = parse_form(&bytes)?;
        Ok(Self { who, form })
    }
}

/// A file posted by a signed-in person (`multipart/form-data`): from this site, with the
/// session's secret in `csrf_token` and the file in `file` (at most `MAX_UPLOAD` bytes); other
/// short text fields are read and ignored.
pub struct CsrfUpload {
    pub who: WebCaller,
    pub file_name: String,
    pub body: Vec<u8>,
}

/// Largest text field of an upload form.
const MAX_UPLOAD_FIELD: u64 = 4096;

impl<'a> FromRequest<'a> for CsrfUpload {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        use tokio::io::AsyncReadExt;
        check_same_origin(req)?;
        let who = WebCaller::from_request(req, body).await?;
        refuse_readers(req, &who)?;
        let refused = |e: poem::error::ParseMultipartError| {
            AppError::bad_request("body", "body.invalid", format!("not a file upload: {e}"))
        };
        let mut multipart = poem::web::Multipart::from_request(req, body)
            .await
            .map_err(|_| {
                AppError::bad_request("body", "body.not_a_form", "expects multipart/form-data")
            })?;
        let limit = crate::services::import::MAX_UPLOAD;
        let (mut file_name, mut file, mut fields) =
            (String::new(), Vec::new(), std::collections::HashMap::new());
        while let Some(field) = multipart.next_field().await.map_err(refused)? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = field.file_name().is_some();
            if is_file && name == "file" {
                file_name = field.file_name().unwrap_or_default().to_owned();
                let mut reader = field.into_async_read().take(limit as u64 + 1);
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .await
                    .map_err(|e| AppError::bad_request("file", "body.invalid", e.to_string()))?;
                if bytes.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit }.into());
                }
                file = bytes;
            } else {
                let mut reader = field.into_async_read().take(MAX_UPLOAD_FIELD);
                let mut text = String::new();
                reader
                    .read_to_string(&mut text)
                    .await
                    .map_err(|e| AppError::bad_request(&name, "body.invalid", e.to_string()))?;
                fields.insert(name, text);
            }
        }
        let token = fields.get("csrf_token").map_or("", String::as_str);
        if !bool::from(token.as_bytes().ct_eq(who.csrf.as_bytes())) || who.csrf.is_empty() {
            return Err(AppError::Forbidden("表单已失效，请刷新页面后重试".into()).into());
        }
        Ok(Self {
            who,
            file_name,
            body: file,
        })
    }
}

/// A form anyone may post (login, a forgotten password, setting a password from a mail link):
/// from this site only.
pub struct PublicForm<T>(pub T);

impl<'a, T: DeserializeOwned> FromRequest<'a> for PublicForm<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        check_same_origin(req)?;
        let bytes = read_form(req, body).await?;
        Ok(Self(parse_form(&bytes)?))
    }
}

/// Largest form body.
const MAX_FORM: usize = 64 * 1024;

async fn read_form(req: &Request, body: &mut RequestBody) -> poem::Result<Vec<u8>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::bad_request(
            "body",
            "body.not_a_form",
            "expects application/x-www-form-urlencoded",
        )
        .into());
    }
    let bytes = body
        .take()?
        .into_bytes_limit(MAX_FORM)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit: MAX_FORM })?;
    Ok(bytes.to_vec())
}

fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> poem::Result<T> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| AppError::bad_request("body", "body.invalid", e.to_string()).into())
}
