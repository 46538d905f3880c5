//! Signing in and out; the passwords (the mail links, a forgotten one, changing one's own) are in
//! [`password`].

mod password;

pub use password::{
    activate, activate_page, change_password, forgot, forgot_page, password_page, reset, reset_page,
};

use askama::Template;
use poem::{
    Request, Response, handler,
    web::{Query, cookie::CookieJar},
};
use serde::Deserialize;

use crate::{
    error::AppError,
    services::auth,
    web::{
        Layout, home_of, page, page_with_status, see_other,
        session::{
            CsrfForm, MaybeCaller, PublicForm, cleared_cookie, request_id, session_cookie, state,
        },
    },
};

/// Only a path of this site may be returned to after login, never another host.
pub fn local_path(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .filter(|n| !n.chars().any(char::is_control))
        .map(str::to_owned)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    title: &'static str,
    next: String,
    username: String,
    error: String,
    notice: &'static str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

#[handler]
pub async fn login_page(
    MaybeCaller(who): MaybeCaller,
    Query(query): Query<LoginQuery>,
) -> poem::Result<Response> {
    if let Some(who) = who {
        return Ok(see_other(home_of(who.caller.role)));
    }
    let notice = match query.done.as_deref() {
        Some("logout") => "您已退出登录。",
        Some("password") => "密码已设置，请用新密码登录。",
        _ => "",
    };
    page(&LoginPage {
        layout: Layout::public(),
        title: "登录",
        next: local_path(query.next.as_deref()).unwrap_or_default(),
        username: String::new(),
        error: String::new(),
        notice,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[handler]
pub async fn login(
    req: &Request,
    jar: &CookieJar,
    PublicForm(form): PublicForm<LoginForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let next = local_path(form.next.as_deref());
    let refused = |error: &str| {
        page_with_status(
            &LoginPage {
                layout: Layout::public(),
                title: "登录",
                next: next.clone().unwrap_or_default(),
                username: form.username.chars().take(64).collect(),
                error: error.to_owned(),
                notice: "",
            },
            poem::http::StatusCode::UNAUTHORIZED,
        )
    };
    let login = match auth::login(
        &state.db,
        &state.hasher,
        &form.username,
        &form.password,
        auth::Channel::Web,
        state.config.token_ttl,
        request_id(req),
    )
    .await
    {
        Ok(login) => login,
        Err(AppError::Unauthorized) => return refused("用户名或密码不正确。"),
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let mut response =
                refused(&format!("连续登录失败次数过多，请 {minutes} 分钟后再试。"))?;
            response.set_status(poem::http::StatusCode::TOO_MANY_REQUESTS);
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    jar.add(session_cookie(state, &login.token));
    Ok(see_other(
        next.as_deref()
            .unwrap_or_else(|| home_of(login.account.role)),
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

#[handler]
pub async fn logout(
    req: &Request,
    jar: &CookieJar,
    form: CsrfForm<Empty>,
) -> poem::Result<Response> {
    let state = state(req)?;
    auth::logout(&state.db, &form.who.caller).await?;
    jar.add(cleared_cookie(state));
    Ok(see_other("/login?done=logout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_this_site_is_returned_to() {
        assert_eq!(local_path(Some("/me")), Some("/me".to_owned()));
        assert_eq!(local_path(Some("//evil.example/")), None);
        assert_eq!(local_path(Some("https://evil.example/")), None);
        assert_eq!(local_path(Some("/\\evil.example")), None);
        assert_eq!(local_path(None), None);
    }
}
