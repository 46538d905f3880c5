//! The web UI: server-rendered Chinese pages under `/`, for the people the registry is for. Its
//! handlers call the same services as the JSON API, so every rule lives in one place; it never
//! builds a query. Every flow is a plain form (POST, then 303 to a GET); htmx only improves.

mod assets;
mod format;
mod messages;
mod session;
mod views;

use std::sync::Arc;

use askama::Template;
use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get,
    http::{HeaderValue, StatusCode, header},
    middleware::CookieJarManager,
    web::Redirect,
};

pub use session::COOKIE;

use crate::{
    domain::account::Role,
    error::AppError,
    web::session::{WebCaller, request_id},
};

/// The content security policy of every page: nothing inline, nothing from elsewhere. Pico's
/// icons are `data:` images.
pub const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The routes of the UI; anything else below `/` that is not the API is a Chinese 404 page.
pub fn routes() -> impl Endpoint<Output = Response> {
    let route = Route::new()
        .at("/", get(views::home::root))
        .at("/me", get(views::home::member_home))
        .at("/desk", get(views::home::desk))
        .at(
            "/me/sessions",
            get(views::sessions::list).post(views::sessions::log),
        )
        .at("/me/sessions/new", get(views::sessions::log_page))
        .at("/me/sessions/:id", get(views::session_detail::detail))
        .at(
            "/me/sessions/:id/edit",
            get(views::sessions::edit_page).post(views::sessions::edit),
        )
        .at(
            "/me/sessions/:id/withdraw",
            poem::post(views::session_detail::withdraw),
        )
        .at(
            "/me/sessions/:id/correction",
            poem::post(views::session_detail::correct),
        )
        .at(
            "/me/check-in",
            get(views::check_in::page).post(views::check_in::check_in),
        )
        .at("/me/check-out", poem::post(views::check_in::check_out))
        .at("/communities/:id/poster", get(views::poster::poster))
        .at("/people", get(views::people::list))
        .at(
            "/people/new",
            get(views::people::form::new_page).post(views::people::form::create),
        )
        .at("/people/check-id", get(views::people::id_check::check_id))
        .at(
            "/people/import",
            get(views::imports::start).post(views::imports::receive),
        )
        .at("/people/import/template", get(views::imports::template))
        .at(
            "/people/import/:id",
            get(views::imports::preview).post(views::imports::decide),
        )
        .at("/imports/:id", get(views::imports::done))
        .at("/imports/:id/undo", poem::post(views::imports::undo))
        .at("/people/export", get(views::people::export))
        .at("/people/:id", get(views::people::detail::detail))
        .at(
            "/people/:id/edit",
            get(views::people::form::edit_page).post(views::people::form::edit),
        )
        .at(
            "/people/:id/qualifications",
            poem::post(views::people::standing::add_qualification),
        )
        .at(
            "/people/:id/qualifications/:qid/promote",
            poem::post(views::people::standing::promote),
        )
        .at(
            "/people/:id/qualifications/:qid/revoke",
            poem::post(views::people::standing::revoke),
        )
        .at(
            "/people/:id/status",
            poem::post(views::people::standing::change_status),
        )
        .at(
            "/people/:id/assignments",
            poem::post(views::people::standing::assign),
        )
        .at(
            "/assignments/:id/end",
            poem::post(views::people::standing::end_assignment),
        )
        .at(
            "/review",
            get(views::review::queue).post(views::review::review_selected),
        )
        .at(
            "/review/sessions/:id",
            get(views::review::detail::detail).post(views::review::detail::review),
        )
        .at(
            "/review/corrections/:id",
            poem::post(views::review::detail::review_correction),
        )
        .at(
            "/people/:id/account",
            poem::post(views::people::account::invite),
        )
        .at(
            "/people/:id/account/invitation",
            poem::post(views::people::account::resend),
        )
        .at("/communities", get(views::communities::list))
        .at("/communities/export", get(views::communities::export))
        .at("/communities/:id", get(views::communities::detail))
        .at(
            "/communities/:id/assignments",
            poem::post(views::communities::assign),
        )
        .at("/me/training", get(views::training::overview))
        .at("/me/certificate", get(views::certificate::choose))
        .at("/me/certificate/print", get(views::certificate::print))
        .at("/verify/:code", get(views::certificate::verify))
        .at(
            "/login",
            get(views::auth::login_page).post(views::auth::login),
        )
        .at("/logout", poem::post(views::auth::logout))
        .at(
            "/activate",
            get(views::auth::activate_page).post(views::auth::activate),
        )
        .at(
            "/forgot-password",
            get(views::auth::forgot_page).post(views::auth::forgot),
        )
        .at(
            "/reset-password",
            get(views::auth::reset_page).post(views::auth::reset),
        )
        .at(
            "/account/password",
            get(views::auth::password_page).post(views::auth::change_password),
        )
        .at("/assets/:version/*name", get(assets::serve));
    // Each area of the bureau's work adds its own pages.
    let route = views::courses::routes(route);
    let route = views::dashboard::routes(route);
    let route = views::oversight::routes(route);
    let route = views::careers::routes(route);
    route.around(html_errors).with(CookieJarManager::new())
}

/// The frame every page shares: who is signed in, and the navigation their role may use.
pub struct Layout {
    pub signed_in: Option<SignedIn>,
    pub nav: Vec<NavItem>,
    pub pico_css: String,
    pub app_css: String,
    pub htmx_js: String,
    pub app_js: String,
}

pub struct SignedIn {
    pub username: String,
    pub csrf: String,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Layout {
    /// The frame for a visitor who is not signed in.
    pub fn public() -> Self {
        Self {
            signed_in: None,
            nav: Vec::new(),
            pico_css: assets::path("vendor/pico-2.1.1.min.css"),
            app_css: assets::path("app.css"),
            htmx_js: assets::path("vendor/htmx-2.0.8.min.js"),
            app_js: assets::path("app.js"),
        }
    }

    /// The frame for a signed-in person on the page at `current`.
    pub fn signed_in(who: &WebCaller, username: &str, current: &str) -> Self {
        let items: &[(&'static str, &'static str)] = match who.caller.role {
            Role::Member => &[
                ("/me", "我的首页"),
                ("/me/check-in", "签到"),
                ("/me/sessions/new", "登记服务"),
                ("/me/sessions", "服务记录"),
                ("/me/certificate", "服务证明"),
                ("/me/training", "培训与晋级"),
                ("/account/password", "修改密码"),
            ],
            Role::StreetOfficer => &[
                ("/desk", "工作台"),
                ("/people", "人员"),
                ("/communities", "社区（村）"),
                ("/review", "审核"),
                ("/courses", "培训"),
                ("/careers", "注册与晋级"),
                ("/account/password", "修改密码"),
            ],
            Role::BureauAdmin | Role::Auditor => &[
                ("/coverage", "覆盖总览"),
                ("/people", "人员"),
                ("/communities", "社区（村）"),
                ("/review", "审核"),
                ("/courses", "培训"),
                ("/careers", "注册与晋级"),
                ("/admin", "系统管理"),
                ("/account/password", "修改密码"),
            ],
        };
        Self {
            signed_in: Some(SignedIn {
                username: username.to_owned(),
                csrf: who.csrf.clone(),
            }),
            nav: items
                .iter()
                .map(|&(href, label)| NavItem {
                    href,
                    label,
                    current: href == current,
                })
                .collect(),
            ..Self::public()
        }
    }

    /// The form secret of the signed-in person (empty for a visitor).
    pub fn csrf(&self) -> &str {
        self.signed_in.as_ref().map_or("", |s| s.csrf.as_str())
    }
}

/// Where each role starts.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Member => "/me",
        Role::StreetOfficer => "/desk",
        Role::BureauAdmin | Role::Auditor => "/coverage",
    }
}

/// A rendered page with the page policy.
pub fn page(template: &impl Template) -> poem::Result<Response> {
    page_with_status(template, StatusCode::OK)
}

pub fn page_with_status(template: &impl Template, status: StatusCode) -> poem::Result<Response> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, PAGE_POLICY)
        .header(header::CACHE_CONTROL, "no-store")
        .body(html))
}

/// A 303 to `to`, the answer to every successful form.
pub fn see_other(to: &str) -> Response {
    Redirect::see_other(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: &'static str,
    message: String,
    request_id: Option<String>,
}

/// Errors become pages a person can read: not signed in sends to the login page (and back
/// afterwards), anything else is a Chinese error page with its status.
async fn html_errors<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let is_get = req.method() == poem::http::Method::GET;
    let request_id = request_id(&req);
    let err = match next.call(req).await {
        Ok(response) => return Ok(response.into_response()),
        Err(err) => err,
    };
    if path_and_query.starts_with("/api/") {
        // Below /api every answer is the API's: a problem document, even for a version that
        // does not exist.
        return Err(err);
    }
    let status = err.status();
    let app = err.downcast_ref::<AppError>();
    if matches!(app, Some(AppError::Unauthorized)) || status == StatusCode::UNAUTHORIZED {
        let back = if is_get && path_and_query != "/" {
            let query = serde_urlencoded::to_string([("next", path_and_query.as_str())])
                .unwrap_or_default();
            format!("/login?{query}")
        } else {
            "/login".to_owned()
        };
        return Ok(see_other(&back));
    }
    let (title, message) = match status.as_u16() {
        403 => (
            "没有权限",
            match app {
                Some(AppError::Forbidden(reason)) if !reason.is_ascii() => reason.clone(),
                _ => "您的账户不能查看或办理此项。".to_owned(),
            },
        ),
        404 => ("页面不存在", "没有找到这个页面或记录。".to_owned()),
        400 | 413 | 415 | 422 => ("提交的内容有误", "请返回上一页检查后重新提交。".to_owned()),
        409 => (
            "记录已变化",
            "这条记录已被别人修改，请刷新后重试。".to_owned(),
        ),
        429 => ("尝试次数过多", "请稍后再试。".to_owned()),
        503 => ("系统繁忙", "请稍后再试。".to_owned()),
        _ => {
            tracing::error!(error = %err, "page failed");
            (
                "系统出错",
                "处理请求时出错，已记录下来。请稍后再试。".to_owned(),
            )
        }
    };
    let status = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    let mut response = page_with_status(
        &ErrorPage {
            layout: Layout::public(),
            title,
            message,
            request_id,
        },
        status,
    )?;
    if let Some(
        AppError::TooManyRequests { retry_after_secs } | AppError::Unavailable { retry_after_secs },
    ) = app
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(response)
}
