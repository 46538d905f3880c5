//! Oversight, for the bureau (the auditors read it): the accounts of the staff, the policy
//! values, the audit log and its chain, and the outbox with the coverage alert. The bureau sees
//! and uses everything; an auditor sees every page without a form that writes, and every form
//! post answers it 403; street officers and members are refused every page.

mod account;
mod accounts;
mod audit;
mod audit_entry;
mod outbox;
mod policy;

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, Route, get, handler, post};

use crate::{
    domain::{account::Role, time},
    error::AppError,
    mail::MailStatus,
    services::{
        self, PageRequest,
        accounts::{AccountFilter, list},
    },
    web::{
        Layout, format,
        messages::FieldErrors,
        page,
        session::{WebCaller, state},
        views::staff::may_change,
    },
};

/// The pages of this area.
pub fn routes(route: Route) -> Route {
    route
        .at("/admin", get(hub))
        .at(
            "/admin/accounts",
            get(accounts::list).post(accounts::create),
        )
        .at("/admin/accounts/:id", get(account::detail))
        .at("/admin/accounts/:id/status", post(account::change_status))
        .at("/admin/accounts/:id/email", post(account::change_email))
        .at("/admin/accounts/:id/role", post(account::change_role))
        .at("/admin/accounts/:id/invitation", post(account::resend))
        .at("/admin/policy", get(policy::page).post(policy::edit))
        .at("/admin/audit-log", get(audit::list))
        .at("/admin/audit-log/verify", get(audit_entry::verify))
        .at("/admin/audit-log/:id", get(audit_entry::detail))
        .at("/admin/outbox", get(outbox::list))
        .at("/admin/coverage-alerts", post(outbox::send_alerts))
}

/// The oversight pages are the bureau's and the auditors'.
fn require_oversight(who: &WebCaller) -> Result<(), AppError> {
    if matches!(who.caller.role, Role::BureauAdmin | Role::Auditor) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "系统管理只对区文体新局和督查人员开放".into(),
        ))
    }
}

/// Every form of this area is the bureau's: checked before anything of the form is read.
fn require_bureau(who: &WebCaller) -> Result<(), AppError> {
    require_oversight(who)?;
    if who.caller.role != Role::BureauAdmin || !may_change(who) {
        return Err(AppError::Forbidden("督查人员只能查看，不能修改".into()));
    }
    Ok(())
}

/// The signed-in person's frame with 系统管理 current, once the role may open the page.
async fn layout(_req: &Request, who: &WebCaller) -> poem::Result<Layout> {
    require_oversight(who)?;
    let account = who.account.clone();
    Ok(Layout::signed_in(who, &account.username, "/admin"))
}

type Fields = HashMap<String, String>;

/// A form's value, trimmed; empty is none.
fn text(form: &Fields, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// What was typed into one of a page's forms, kept when it comes back with errors.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    /// Which form failed; empty when none did.
    pub form: String,
    pub values: Fields,
    pub errors: FieldErrors,
}

impl Typed {
    fn failed(form: &str, values: Fields, errors: FieldErrors) -> Self {
        Self {
            form: form.to_owned(),
            values,
            errors,
        }
    }

    /// What was typed into `name` of the form that failed.
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// The error of `field` when `form` is the one that failed.
    pub fn error(&self, form: &str, field: &str) -> &'static str {
        if self.form == form {
            self.errors.get(field)
        } else {
            ""
        }
    }
}

/// A moment as the district's clocks read it, to the second: `2026年12月1日 08:30:05`.
fn moment(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = time::local(at);
    format!(
        "{} {}",
        format::date(local.date_naive()),
        local.format("%H:%M:%S")
    )
}

fn moment_or(at: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    at.map_or_else(|| none.to_owned(), moment)
}

#[derive(Template)]
#[template(path = "office/oversight/hub.html")]
struct HubPage {
    layout: Layout,
    title: &'static str,
    accounts: u64,
    disabled: u64,
    pending: u64,
    failed: u64,
    may_change: bool,
}

/// `/admin`: the four pages of oversight, each with a line and what is cheap to count.
#[handler]
pub async fn hub(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let layout = layout(req, &who).await?;
    let db = &state(req)?.db;
    let count = PageRequest::first(1);
    let accounts = list(db, &who.caller, &AccountFilter::default(), count).await?;
    let disabled = list(
        db,
        &who.caller,
        &AccountFilter {
            disabled: Some(true),
            ..Default::default()
        },
        count,
    )
    .await?;
    let mail = |status| services::outbox::list(db, &who.caller, Some(status), None, count);
    let pending = mail(MailStatus::Pending).await?;
    let failed = mail(MailStatus::Failed).await?;
    page(&HubPage {
        layout,
        title: "系统管理",
        accounts: accounts.total,
        disabled: disabled.total,
        pending: pending.total,
        failed: failed.total,
        may_change: may_change(&who) && who.caller.role == Role::BureauAdmin,
    })
}
