//! The accounts: the list with its filters, and the form that opens an account for a street
//! officer, an auditor or a bureau administrator. No password is set here: the service mails an
//! invitation with a one-time link, and the person sets the password. Member accounts are opened
//! from the person's page.

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Query};
use serde::Deserialize;

use super::{Fields, Typed, layout, moment_or, require_bureau, text};
use crate::{
    domain::{
        FieldViolation,
        account::{Email, Role, Username},
    },
    entities::account,
    error::AppError,
    services::{
        PageRequest,
        accounts::{self, AccountFilter, NewAccount},
        regions,
    },
    web::{
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            sessions::Choice,
            staff::{Pager, code, code_of, may_change, page_number},
        },
    },
};

/// Accounts shown per page.
const PER_PAGE: u64 = 50;

/// The roles an account opened here may have.
pub const STAFF_ROLES: [Role; 3] = [Role::StreetOfficer, Role::Auditor, Role::BureauAdmin];

/// The list's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct AccountsQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    street_id: Option<String>,
    page: Option<String>,
}

impl AccountsQuery {
    fn filter(&self) -> AccountFilter {
        AccountFilter {
            role: code_of(self.role.as_deref()),
            street_id: self
                .street_id
                .as_deref()
                .and_then(|s| s.trim().parse().ok()),
            disabled: match self.status.as_deref() {
                Some("disabled") => Some(true),
                Some("active") => Some(false),
                _ => None,
            },
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let filter = self.filter();
        vec![
            ("q", filter.q.clone().unwrap_or_default()),
            ("role", filter.role.map(code).unwrap_or_default()),
            (
                "status",
                match filter.disabled {
                    Some(true) => "disabled".into(),
                    Some(false) => "active".into(),
                    None => String::new(),
                },
            ),
            (
                "street_id",
                filter.street_id.map(|s| s.to_string()).unwrap_or_default(),
            ),
        ]
    }
}

/// How an account stands, in Chinese.
pub fn standing(account: &account::Model) -> &'static str {
    if account.disabled {
        "已停用"
    } else if account.password_hash.is_none() {
        "等待激活"
    } else {
        "正常"
    }
}

/// The role's name as the pages say it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Member => "会员（指导员、志愿者）",
        other => other.chinese_name(),
    }
}

pub struct AccountRow {
    pub id: i32,
    pub username: String,
    pub role: &'static str,
    pub street: String,
    pub email: String,
    pub standing: &'static str,
    pub disabled: bool,
    pub last_login: String,
}

/// Options of a select, the `selected` value marked.
pub fn options(options: &[(String, String)], selected: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value: value.clone(),
            label: label.clone(),
        })
        .collect()
}

/// Every street, by id, in code order.
pub async fn streets(db: &sea_orm::DatabaseConnection) -> Result<Vec<(String, String)>, AppError> {
    Ok(regions::list_streets(db, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .map(|s| (s.id.to_string(), s.name))
        .collect())
}

#[derive(Template)]
#[template(path = "office/oversight/accounts.html")]
struct AccountsPage {
    layout: crate::web::Layout,
    title: &'static str,
    q: String,
    roles: Vec<Choice>,
    statuses: Vec<Choice>,
    streets: Vec<Choice>,
    rows: Vec<AccountRow>,
    pager: Pager,
    filtered: bool,
    may_change: bool,
    new_roles: Vec<Choice>,
    new_streets: Vec<Choice>,
    typed: Typed,
}

async fn render(
    req: &Request,
    who: &WebCaller,
    query: &AccountsQuery,
    typed: Typed,
    status: StatusCode,
) -> poem::Result<Response> {
    let layout = layout(req, who).await?;
    let db = &state(req)?.db;
    let page_no = page_number(query.page.as_deref());
    let found = accounts::list(
        db,
        &who.caller,
        &query.filter(),
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let street_list = streets(db).await?;
    let street_names: HashMap<String, String> = street_list.iter().cloned().collect();
    let params = query.params();
    let selected = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let any = |label: &str| (String::new(), label.to_owned());
    let role_options: Vec<(String, String)> = std::iter::once(any("全部角色"))
        .chain(
            [
                Role::BureauAdmin,
                Role::StreetOfficer,
                Role::Auditor,
                Role::Member,
            ]
            .iter()
            .map(|r| (code(r), role_name(*r).to_owned())),
        )
        .collect();
    let status_options = [
        any("全部状态"),
        ("active".into(), "正常使用".into()),
        ("disabled".into(), "已停用".into()),
    ];
    let with_any = |label: &str| {
        std::iter::once(any(label))
            .chain(street_list.iter().cloned())
            .collect::<Vec<_>>()
    };
    let new_roles: Vec<(String, String)> = STAFF_ROLES
        .iter()
        .map(|r| (code(r), role_name(*r).to_owned()))
        .collect();
    let rows = found
        .items
        .iter()
        .map(|a| AccountRow {
            id: a.id,
            username: a.username.clone(),
            role: role_name(a.role),
            street: a
                .street_id
                .and_then(|s| street_names.get(&s.to_string()).cloned())
                .unwrap_or_default(),
            email: a.email.clone().unwrap_or_default(),
            standing: standing(a),
            disabled: a.disabled,
            last_login: moment_or(a.last_login_at, "从未登录"),
        })
        .collect();
    page_with_status(
        &AccountsPage {
            layout,
            title: "账户",
            q: query.q.clone().unwrap_or_default(),
            roles: options(&role_options, &selected("role")),
            statuses: options(&status_options, &selected("status")),
            streets: options(&with_any("全部街道（乡镇）"), &selected("street_id")),
            rows,
            pager: Pager::new("/admin/accounts", &params, page_no, PER_PAGE, found.total),
            filtered: params.iter().any(|(_, v)| !v.is_empty()),
            may_change: may_change(who) && who.caller.role == Role::BureauAdmin,
            new_roles: options(&new_roles, typed.get("role")),
            new_streets: options(&with_any("（请选择）"), typed.get("street_id")),
            typed,
        },
        status,
    )
}

/// `GET /admin/accounts`
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<AccountsQuery>,
) -> poem::Result<Response> {
    render(req, &who, &query, Typed::default(), StatusCode::OK).await
}

/// The new account the form asks for, or the violations of what was typed.
fn new_account(form: &Fields) -> Result<NewAccount, AppError> {
    let mut violations = Vec::new();
    let username = Username::parse(form.get("username").map_or("", String::as_str))
        .map_err(|v| violations.push(v))
        .ok();
    let role: Option<Role> = code_of(form.get("role").map(String::as_str));
    if !role.is_some_and(|r| STAFF_ROLES.contains(&r)) {
        violations.push(FieldViolation::new("role", "value.required", "is required"));
    }
    let email = text(form, "email")
        .map(|e| Email::parse(&e).map_err(|v| violations.push(v)).ok())
        .unwrap_or_default();
    let street_id = text(form, "street_id").and_then(|s| s.parse::<i32>().ok());
    match (username, role) {
        (Some(username), Some(role)) if violations.is_empty() => Ok(NewAccount {
            username,
            role,
            email,
            // Only an officer's account belongs to a street; a street chosen before the role was
            // changed is left out.
            street_id: street_id.filter(|_| role == Role::StreetOfficer),
            person_id: None,
            password: None,
        }),
        _ => Err(AppError::violations(violations)),
    }
}

/// `POST /admin/accounts`: a staff account, invited by mail.
#[handler]
pub async fn create(
    req: &Request,
    Query(query): Query<AccountsQuery>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let result = match new_account(&form) {
        Ok(new) => {
            accounts::create(
                &state.db,
                &state.hasher,
                &who.caller,
                new,
                &state.config.public_url,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(created) => Ok(see_other(&format!(
            "/admin/accounts/{}?done=created",
            created.id
        ))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let typed = Typed::failed("create", form, errors);
                render(req, &who, &query, typed, err.status()).await
            }
            None => Err(err.into()),
        },
    }
}
