//! One account: how it stands, and the bureau's forms to disable or enable it, change its
//! address, change its role (and an officer's street), and send the invitation again while it
//! waits for activation. Each form carries the version it was read at; a stale one is a 409 with
//! the page as it is now.

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::{
    Fields, Typed,
    accounts::{STAFF_ROLES, options, role_name, standing, streets},
    layout, moment, moment_or, require_bureau, text,
};
use crate::{
    domain::{
        FieldViolation,
        account::{Email, Role},
    },
    error::AppError,
    services::accounts::{self, AccountChanges},
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            sessions::Choice,
            staff::{code, code_of, may_change},
        },
    },
};

#[derive(Template)]
#[template(path = "office/oversight/account.html")]
struct AccountPage {
    layout: Layout,
    title: &'static str,
    id: i32,
    version: i32,
    username: String,
    role: &'static str,
    street: String,
    email: String,
    person_id: Option<i32>,
    standing: &'static str,
    disabled: bool,
    waiting: bool,
    member: bool,
    last_login: String,
    created: String,
    password_changed: String,
    may_change: bool,
    roles: Vec<Choice>,
    streets: Vec<Choice>,
    typed: Typed,
    notice: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> &'static str {
    match done {
        Some("created") => "账户已开通，开通邀请邮件已放入发送队列。",
        Some("disabled") => "账户已停用，它的登录已全部失效。",
        Some("enabled") => "账户已恢复使用。",
        Some("email") => "电子邮箱已修改。",
        Some("role") => "角色已修改。",
        Some("invited") => "新的开通邀请已放入发送队列，之前的链接随即失效。",
        _ => "",
    }
}

async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    typed: Typed,
    notice: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    let layout = layout(req, who).await?;
    let db = &state(req)?.db;
    let found = accounts::get(db, &who.caller, id).await?;
    let street_list = streets(db).await?;
    let street = found
        .street_id
        .and_then(|s| {
            street_list
                .iter()
                .find(|(id, _)| *id == s.to_string())
                .map(|(_, name)| name.clone())
        })
        .unwrap_or_default();
    let role_code = code(found.role);
    let chosen = |name: &str, now: String| {
        if typed.form == "role" {
            typed.get(name).to_owned()
        } else {
            now
        }
    };
    let roles: Vec<(String, String)> = STAFF_ROLES
        .iter()
        .map(|r| (code(r), role_name(*r).to_owned()))
        .collect();
    let street_choices: Vec<(String, String)> =
        std::iter::once((String::new(), "（不属于街道）".to_owned()))
            .chain(street_list)
            .collect();
    page_with_status(
        &AccountPage {
            layout,
            title: "账户",
            id,
            version: found.version,
            username: found.username.clone(),
            role: role_name(found.role),
            street,
            email: found.email.clone().unwrap_or_default(),
            person_id: found.person_id,
            standing: standing(&found),
            disabled: found.disabled,
            waiting: found.password_hash.is_none() && !found.disabled,
            member: found.role == Role::Member,
            last_login: moment_or(found.last_login_at, "从未登录"),
            created: moment(found.created_at),
            password_changed: moment_or(found.password_changed_at, "尚未设置密码"),
            may_change: may_change(who) && who.caller.role == Role::BureauAdmin,
            roles: options(&roles, &chosen("role", role_code)),
            streets: options(
                &street_choices,
                &chosen(
                    "street_id",
                    found.street_id.map(|s| s.to_string()).unwrap_or_default(),
                ),
            ),
            typed,
            notice,
        },
        status,
    )
}

/// `GET /admin/accounts/:id`
#[handler]
pub async fn detail(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<DetailQuery>,
) -> poem::Result<Response> {
    let notice = notice_of(query.done.as_deref());
    render(req, &who, id, Typed::default(), notice, StatusCode::OK).await
}

fn version(form: &Fields) -> Option<i64> {
    text(form, "version").and_then(|v| v.parse().ok())
}

/// The answer to one of the forms: a 303 to the page with `done`, or the page again with the
/// errors of a 4xx (those of no field of the form shown above it, as `form`).
async fn answer<T>(
    req: &Request,
    who: &WebCaller,
    id: i32,
    (form_name, fields): (&str, &[&str]),
    values: Fields,
    result: Result<T, AppError>,
    done: &str,
) -> poem::Result<Response> {
    let err = match result {
        Ok(_) => return Ok(see_other(&format!("/admin/accounts/{id}?done={done}"))),
        Err(err) => err,
    };
    let violations = match &err {
        AppError::BadRequest { errors, .. }
        | AppError::Unprocessable { errors, .. }
        | AppError::Conflict { errors, .. } => errors,
        _ => return Err(err.into()),
    };
    let shown: Vec<FieldViolation> = violations
        .iter()
        .map(|v| {
            let field = if fields.contains(&v.field.as_str()) {
                v.field.as_str()
            } else {
                "form"
            };
            FieldViolation::new(field, v.code, v.message.clone())
        })
        .collect();
    let typed = Typed::failed(form_name, values, FieldErrors::of(&shown));
    render(req, who, id, typed, "", err.status()).await
}

/// `POST /admin/accounts/:id/status`: `disabled=true` stops the account (its sessions end at
/// once), `disabled=false` lets it sign in again.
#[handler]
pub async fn change_status(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let db = &state(req)?.db;
    let disabled = form.get("disabled").map(String::as_str) == Some("true");
    let result = accounts::update(
        db,
        &who.caller,
        id,
        AccountChanges {
            disabled: Some(disabled),
            expected_version: version(&form),
            ..Default::default()
        },
    )
    .await;
    let done = if disabled { "disabled" } else { "enabled" };
    answer(req, &who, id, ("status", &[]), form, result, done).await
}

/// `POST /admin/accounts/:id/email`
#[handler]
pub async fn change_email(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let db = &state(req)?.db;
    let result = match text(&form, "email").map(|e| Email::parse(&e)) {
        None => Err(AppError::invalid("email", "value.required", "is required")),
        Some(Err(violation)) => Err(AppError::of(violation)),
        Some(Ok(email)) => {
            accounts::update(
                db,
                &who.caller,
                id,
                AccountChanges {
                    email: Some(Some(email)),
                    expected_version: version(&form),
                    ..Default::default()
                },
            )
            .await
        }
    };
    answer(req, &who, id, ("email", &["email"]), form, result, "email").await
}

/// `POST /admin/accounts/:id/role`: another staff role; an officer's account names its street.
#[handler]
pub async fn change_role(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let db = &state(req)?.db;
    let role: Option<Role> = code_of(form.get("role").map(String::as_str));
    let result = match role.filter(|r| STAFF_ROLES.contains(r)) {
        None => Err(AppError::invalid("role", "value.required", "is required")),
        Some(role) => {
            let street_id = text(&form, "street_id")
                .and_then(|s| s.parse::<i32>().ok())
                .filter(|_| role == Role::StreetOfficer);
            accounts::update(
                db,
                &who.caller,
                id,
                AccountChanges {
                    role: Some(role),
                    street_id: Some(street_id),
                    expected_version: version(&form),
                    ..Default::default()
                },
            )
            .await
        }
    };
    let fields: &[&str] = &["role", "street_id"];
    answer(req, &who, id, ("role", fields), form, result, "role").await
}

/// `POST /admin/accounts/:id/invitation`: a new activation link while the account waits.
#[handler]
pub async fn resend(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let result =
        accounts::resend_invitation(&state.db, &who.caller, id, &state.config.public_url).await;
    answer(req, &who, id, ("invitation", &[]), form, result, "invited").await
}
