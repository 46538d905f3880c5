//! The outbox: the mail the service writes, waiting, sent or given up, newest first, with the
//! number of attempts and the last error; and the bureau's button that sends the coverage alert
//! now rather than at the daily hour.

use askama::Template;
use poem::{Request, Response, handler, web::Query};
use serde::Deserialize;

use super::{Fields, layout, moment, moment_or, require_bureau};
use crate::{
    domain::account::Role,
    mail::{MailKind, MailStatus},
    services::{PageRequest, coverage_alerts, outbox},
    web::{
        Layout, page, see_other,
        session::{CsrfForm, WebCaller, state},
        views::staff::{Pager, code, code_of, may_change, page_number},
    },
};

/// Mail shown per page.
const PER_PAGE: u64 = 50;

pub fn kind_name(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Invitation => "开通邀请",
        MailKind::PasswordReset => "找回密码",
        MailKind::CoverageAlert => "覆盖提醒",
        MailKind::SessionReviewed => "服务记录审核结果",
        MailKind::SessionCorrected => "服务记录更正",
        MailKind::EnrollmentConfirmed => "培训报名确认",
        MailKind::CourseCancelled => "培训取消",
        MailKind::RegistrationReminder => "年度注册提醒",
        MailKind::RegistrationList => "未注册人员名单",
    }
}

pub fn status_name(status: MailStatus) -> &'static str {
    match status {
        MailStatus::Pending => "待发送",
        MailStatus::Sent => "已发送",
        MailStatus::Failed => "发送失败",
    }
}

pub struct MailRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub failed: bool,
    pub created: String,
    pub attempts: i32,
    pub sent: String,
    pub last_error: String,
}

pub struct Tab {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "office/oversight/outbox.html")]
struct OutboxPage {
    layout: Layout,
    title: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<MailRow>,
    pager: Pager,
    may_change: bool,
    notice: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    page: Option<String>,
    notice: Option<String>,
    streets: Option<String>,
    mails: Option<String>,
}

/// The notice after sending the coverage alert, from the numbers of the run.
fn notice_of(query: &OutboxQuery) -> String {
    if query.notice.as_deref() != Some("alert") {
        return String::new();
    }
    let number = |v: &Option<String>| v.as_deref().and_then(|n| n.parse::<u64>().ok());
    match (number(&query.streets), number(&query.mails)) {
        (Some(0), _) => {
            "覆盖提醒已检查：所有社区（村）都有文体管理员，没有需要提醒的街道（乡镇）。".into()
        }
        (Some(streets), Some(0)) => format!(
            "有 {streets} 个街道（乡镇）存在未覆盖或即将失去文体管理员的社区（村），但这些街道（乡镇）没有填写邮箱的工作人员账户，没有邮件可发。"
        ),
        (Some(streets), Some(mails)) => {
            format!("覆盖提醒已放入发送队列：{streets} 个街道（乡镇），共 {mails} 封邮件。")
        }
        _ => String::new(),
    }
}

/// `GET /admin/outbox?status=pending|sent|failed`
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<OutboxQuery>,
) -> poem::Result<Response> {
    let layout = layout(req, &who).await?;
    let db = &state(req)?.db;
    let status: Option<MailStatus> = code_of(query.status.as_deref());
    let page_no = page_number(query.page.as_deref());
    let found = outbox::list(
        db,
        &who.caller,
        status,
        None,
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let tabs = [
        ("/admin/outbox", "全部", None),
        (
            "/admin/outbox?status=pending",
            "待发送",
            Some(MailStatus::Pending),
        ),
        (
            "/admin/outbox?status=sent",
            "已发送",
            Some(MailStatus::Sent),
        ),
        (
            "/admin/outbox?status=failed",
            "发送失败",
            Some(MailStatus::Failed),
        ),
    ]
    .into_iter()
    .map(|(href, label, of)| Tab {
        href,
        label,
        current: of == status,
    })
    .collect();
    let rows = found
        .items
        .iter()
        .map(|m| MailRow {
            id: m.id,
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            kind: kind_name(m.kind),
            status: status_name(m.status),
            failed: m.status == MailStatus::Failed,
            created: moment(m.created_at),
            attempts: m.attempts,
            sent: moment_or(m.sent_at, ""),
            last_error: m.last_error.clone().unwrap_or_default(),
        })
        .collect();
    let params = [("status", status.map(code).unwrap_or_default())];
    page(&OutboxPage {
        layout,
        title: "邮件发送",
        tabs,
        rows,
        pager: Pager::new("/admin/outbox", &params, page_no, PER_PAGE, found.total),
        may_change: may_change(&who) && who.caller.role == Role::BureauAdmin,
        notice: notice_of(&query),
    })
}

/// `POST /admin/coverage-alerts`: the coverage alert of today, queued now.
#[handler]
pub async fn send_alerts(
    req: &Request,
    CsrfForm { who, .. }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let run = coverage_alerts::send(&state(req)?.db, &who.caller).await?;
    Ok(see_other(&format!(
        "/admin/outbox?status=pending&notice=alert&streets={}&mails={}",
        run.streets, run.mails
    )))
}
