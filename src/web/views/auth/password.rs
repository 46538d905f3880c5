//! Passwords: setting one from the mail links (an invitation signs the person in, a reset sends
//! to the login page), asking for a reset link, and changing one's own.

use askama::Template;
use poem::{
    Request, Response, handler,
    web::{Query, cookie::CookieJar},
};
use serde::Deserialize;

use crate::{
    error::AppError,
    services::{account_tokens, auth},
    web::{
        Layout, home_of,
        messages::FieldErrors,
        page, page_with_status, see_other,
        session::{CsrfForm, PublicForm, WebCaller, request_id, session_cookie, state},
    },
};

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    title: &'static str,
    lead: &'static str,
    action: &'static str,
    submit: &'static str,
    token: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

impl SetPasswordPage {
    fn activation(token: String, errors: FieldErrors) -> Self {
        Self {
            layout: Layout::public(),
            title: "激活账户",
            lead: "欢迎使用鱼峰区体育工作者登记系统。请为您的账户设置密码，设置后即可登录。",
            action: "/activate",
            submit: "设置密码并登录",
            token,
            errors,
        }
    }

    fn reset(token: String, errors: FieldErrors) -> Self {
        Self {
            layout: Layout::public(),
            title: "重设密码",
            lead: "请设置新密码。设置后，所有设备上的登录都会退出。",
            action: "/reset-password",
            submit: "设置新密码",
            token,
            errors,
        }
    }
}

#[handler]
pub async fn activate_page(Query(query): Query<TokenQuery>) -> poem::Result<Response> {
    let errors = token_errors(&query.token);
    page(&SetPasswordPage::activation(query.token, errors))
}

#[handler]
pub async fn reset_page(Query(query): Query<TokenQuery>) -> poem::Result<Response> {
    let errors = token_errors(&query.token);
    page(&SetPasswordPage::reset(query.token, errors))
}

/// A link without its token cannot work; say so before the person types a password.
fn token_errors(token: &str) -> FieldErrors {
    if token.trim().is_empty() {
        FieldErrors::one("token", "token.invalid")
    } else {
        FieldErrors::default()
    }
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

impl SetPasswordForm {
    /// The two passwords typed must be the same.
    fn check_again(&self) -> Result<(), AppError> {
        if self.password == self.password_again {
            Ok(())
        } else {
            Err(AppError::invalid(
                "password_again",
                "password.mismatch",
                "the two passwords differ",
            ))
        }
    }
}

/// The form again with what was wrong by its fields, or the error page for anything else.
fn again(
    page_of: fn(String, FieldErrors) -> SetPasswordPage,
    token: String,
    err: AppError,
) -> poem::Result<Response> {
    match FieldErrors::from_error(&err) {
        Some(errors) => page_with_status(&page_of(token, errors), err.status()),
        None => Err(err.into()),
    }
}

/// Sets the password from an invitation, then signs the person in.
#[handler]
pub async fn activate(
    req: &Request,
    jar: &CookieJar,
    PublicForm(form): PublicForm<SetPasswordForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    if let Err(err) = form.check_again() {
        return again(SetPasswordPage::activation, form.token, err);
    }
    match account_tokens::activate(
        &state.db,
        &state.hasher,
        &form.token,
        &form.password,
        request_id(req),
    )
    .await
    {
        Ok(account) => {
            let opened = auth::open_session(
                &state.db,
                account,
                auth::Channel::Web,
                state.config.token_ttl,
                request_id(req),
            )
            .await?;
            jar.add(session_cookie(state, &opened.token));
            Ok(see_other(home_of(opened.account.role)))
        }
        Err(err) => again(SetPasswordPage::activation, form.token, err),
    }
}

/// Sets a new password from a reset mail; every session ends, and the person signs in anew.
#[handler]
pub async fn reset(
    req: &Request,
    PublicForm(form): PublicForm<SetPasswordForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    if let Err(err) = form.check_again() {
        return again(SetPasswordPage::reset, form.token, err);
    }
    match account_tokens::confirm_reset(
        &state.db,
        &state.hasher,
        &form.token,
        &form.password,
        request_id(req),
    )
    .await
    {
        Ok(_) => Ok(see_other("/login?done=password")),
        Err(err) => again(SetPasswordPage::reset, form.token, err),
    }
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    title: &'static str,
    sent: bool,
    email: String,
    error: &'static str,
}

#[handler]
pub async fn forgot_page() -> poem::Result<Response> {
    page(&ForgotPage {
        layout: Layout::public(),
        title: "忘记密码",
        sent: false,
        email: String::new(),
        error: "",
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Mails a reset link; the page reads the same whether or not the address has an account.
#[handler]
pub async fn forgot(
    req: &Request,
    PublicForm(form): PublicForm<ForgotForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let client = req
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string());
    let result = account_tokens::request_reset(
        &state.db,
        &form.email,
        client.as_deref(),
        &state.config.public_url,
        request_id(req),
    )
    .await;
    let (sent, error, status) = match result {
        Ok(()) => (true, "", poem::http::StatusCode::OK),
        Err(AppError::TooManyRequests { .. }) => (
            false,
            "申请次数过多，请 15 分钟后再试。",
            poem::http::StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(err) if FieldErrors::from_error(&err).is_some() => (
            false,
            "请填写有效的电子邮箱地址。",
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(err) => return Err(err.into()),
    };
    page_with_status(
        &ForgotPage {
            layout: Layout::public(),
            title: "忘记密码",
            sent,
            email: form.email.chars().take(254).collect(),
            error,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePasswordPage {
    layout: Layout,
    title: &'static str,
    errors: FieldErrors,
    done: bool,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn password_page(
    req: &Request,
    who: WebCaller,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let _state = state(req)?;
    let account = who.account.clone();
    page(&ChangePasswordPage {
        layout: Layout::signed_in(&who, &account.username, "/account/password"),
        title: "修改密码",
        errors: FieldErrors::default(),
        done: query.done.is_some(),
    })
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    password_again: String,
}

/// Changes the password; this session stays, every other one ends.
#[handler]
pub async fn change_password(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<ChangePasswordForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let account = who.account.clone();
    let refused = |errors: FieldErrors, status| {
        page_with_status(
            &ChangePasswordPage {
                layout: Layout::signed_in(&who, &account.username, "/account/password"),
                title: "修改密码",
                errors,
                done: false,
            },
            status,
        )
    };
    if form.new_password != form.password_again {
        return refused(
            FieldErrors::one("password_again", "password.mismatch"),
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match auth::change_password(
        &state.db,
        &state.hasher,
        &who.caller,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => Ok(see_other("/account/password?done=1")),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => refused(errors, err.status()),
            None => Err(err.into()),
        },
    }
}
