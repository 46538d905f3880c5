//! The audit log: every change, newest first, with filters by record, actor and days; each entry
//! says when (UTC+08:00), who, what was done to which record (linked to its page where there is
//! one), under which request, and the record before and after. One entry's page and the check of
//! the chain are in [`super::audit_entry`].

use std::collections::HashMap;

use askama::Template;
use chrono::NaiveDate;
use poem::{Request, Response, handler, http::StatusCode, web::Query};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use super::{Typed, layout, moment};
use crate::{
    auth::Caller,
    domain::{FieldViolation, time},
    entities::audit_log,
    error::AppError,
    services::{
        PageRequest, Paged,
        accounts::{self, AccountFilter},
        audit::{self, AuditFilter},
    },
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status,
        views::{
            sessions::Choice,
            staff::{Pager, page_number},
        },
    },
};

/// Entries shown per page.
const PER_PAGE: u64 = 50;

/// The kinds of record the log names, in Chinese.
pub const ENTITIES: [(&str, &str); 13] = [
    ("account", "账户"),
    ("person", "人员"),
    ("qualification", "资格"),
    ("assignment", "社区（村）安排"),
    ("community", "社区（村）"),
    ("service_session", "服务记录"),
    ("course", "培训"),
    ("enrollment", "培训报名"),
    ("registration", "年度工作注册"),
    ("policy", "政策数值"),
    ("coverage", "覆盖提醒"),
    ("people_import", "人员导入"),
    ("people_export", "人员导出"),
];

pub fn entity_name(entity: &str) -> String {
    ENTITIES
        .iter()
        .find(|(code, _)| *code == entity)
        .map_or_else(|| entity.to_owned(), |(_, name)| (*name).to_owned())
}

/// What was done, in Chinese where the catalogue knows it, else its code.
pub fn action_name(action: &str) -> String {
    let name = match action {
        "create" => "新建",
        "update" => "修改",
        "bootstrap" => "初始化",
        "login" => "登录",
        "logout" => "退出登录",
        "change_password" => "修改密码",
        "activate" => "激活（启用）",
        "deactivate" => "停用",
        "reset_password" => "重设密码",
        "request_password_reset" => "申请找回密码",
        "resend_invitation" => "重发开通邀请",
        "end" => "结束",
        "import" => "导入",
        "undo_import" => "撤销导入",
        "read_id_number" => "查看完整身份证号码",
        "issue_certificate" => "开具服务证明",
        "check_in" => "签到",
        "check_out" => "签退",
        "auto_close" => "自动签退",
        "approve" => "通过",
        "reject" => "退回",
        "withdraw" => "撤回（退出）",
        "revoke" => "撤销",
        "promote" => "晋升",
        "override" => "特批",
        "request_correction" => "申请更正",
        "accept_correction" => "同意更正",
        "reject_correction" => "不同意更正",
        "correct" => "更正",
        "cancel" => "取消",
        "reenroll" => "重新报名",
        "record_result" => "记录培训结果",
        "send_coverage_alerts" => "发送覆盖提醒",
        "send_registration_reminders" => "发送注册提醒",
        _ => return action.to_owned(),
    };
    name.to_owned()
}

/// The page of the record an entry is about, when it has one.
pub fn entity_link(entity: &str, id: &str) -> Option<String> {
    let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    match entity {
        "policy" => Some("/admin/policy".to_owned()),
        _ if !numeric => None,
        "person" => Some(format!("/people/{id}")),
        "community" => Some(format!("/communities/{id}")),
        "account" => Some(format!("/admin/accounts/{id}")),
        "course" => Some(format!("/courses/{id}")),
        "service_session" => Some(format!("/review/sessions/{id}")),
        _ => None,
    }
}

/// A stored JSON text, indented for reading; anything else as it is.
pub fn pretty(json: Option<&str>) -> String {
    let Some(text) = json else {
        return String::new();
    };
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// One entry as the pages show it.
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub link: Option<String>,
    pub request_id: String,
    pub before: String,
    pub after: String,
}

/// The usernames of the accounts that made `entries` (`系统` for the system itself).
pub async fn actor_names(
    db: &DatabaseConnection,
    caller: &Caller,
    entries: &[audit_log::Model],
) -> Result<HashMap<i32, String>, AppError> {
    let mut names = HashMap::new();
    for id in entries.iter().filter_map(|e| e.actor_id) {
        if names.contains_key(&id) {
            continue;
        }
        let name = match accounts::get(db, caller, id).await {
            Ok(account) => account.username,
            Err(AppError::NotFound { .. }) => format!("账户 {id}"),
            Err(other) => return Err(other),
        };
        names.insert(id, name);
    }
    Ok(names)
}

pub fn row_of(entry: &audit_log::Model, names: &HashMap<i32, String>) -> AuditRow {
    let entity_id = entry.entity_id.clone().unwrap_or_default();
    AuditRow {
        id: entry.id,
        at: moment(entry.at),
        actor: entry.actor_id.map_or_else(
            || "系统".to_owned(),
            |id| names.get(&id).cloned().unwrap_or_default(),
        ),
        action: action_name(&entry.action),
        entity: entity_name(&entry.entity),
        link: entity_link(&entry.entity, &entity_id),
        entity_id,
        request_id: entry.request_id.clone().unwrap_or_default(),
        before: pretty(entry.before.as_deref()),
        after: pretty(entry.after.as_deref()),
    }
}

/// The list's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    /// A username or an account id.
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

fn trimmed(value: &Option<String>) -> String {
    value.as_deref().unwrap_or_default().trim().to_owned()
}

impl AuditQuery {
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("entity", trimmed(&self.entity)),
            ("entity_id", trimmed(&self.entity_id)),
            ("actor", trimmed(&self.actor)),
            ("from", trimmed(&self.from)),
            ("to", trimmed(&self.to)),
        ]
    }

    /// The service's filter, or the violations of what was typed.
    async fn filter(
        &self,
        db: &DatabaseConnection,
        caller: &Caller,
    ) -> Result<AuditFilter, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut day = |field: &str, raw: String| -> Option<NaiveDate> {
            if raw.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map_err(|_| FieldViolation::new(field, "date.invalid", "not a date"))
                .and_then(|d| time::check_date(field, d))
            {
                Ok(day) => Some(day),
                Err(v) => {
                    violations.push(v);
                    None
                }
            }
        };
        let from = day("from", trimmed(&self.from));
        let to = day("to", trimmed(&self.to));
        let actor = trimmed(&self.actor);
        let actor_id = if actor.is_empty() {
            None
        } else if let Ok(id) = actor.parse::<i32>() {
            Some(id)
        } else {
            let wanted = actor.to_lowercase();
            let found = accounts::list(
                db,
                caller,
                &AccountFilter {
                    q: Some(wanted.clone()),
                    ..Default::default()
                },
                PageRequest::first(200),
            )
            .await
            .map_err(|_| vec![FieldViolation::new("actor", "audit.actor_unknown", "")])?;
            let id = found
                .items
                .iter()
                .find(|a| a.username == wanted)
                .map(|a| a.id);
            if id.is_none() {
                violations.push(FieldViolation::new(
                    "actor",
                    "audit.actor_unknown",
                    "no account has this username",
                ));
            }
            id
        };
        if !violations.is_empty() {
            return Err(violations);
        }
        let text = |v: String| Some(v).filter(|v| !v.is_empty());
        Ok(AuditFilter {
            entity: text(trimmed(&self.entity)),
            entity_id: text(trimmed(&self.entity_id)),
            actor_id,
            action: None,
            from: from.map(time::start_of_day),
            to: to.map(|d| time::days_span(d, d).1),
        })
    }
}

#[derive(Template)]
#[template(path = "office/oversight/audit_log.html")]
struct AuditPage {
    layout: Layout,
    title: &'static str,
    entities: Vec<Choice>,
    entity_id: String,
    actor: String,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    pager: Pager,
    filtered: bool,
    typed: Typed,
}

/// `GET /admin/audit-log`
#[handler]
pub async fn list(
    req: &Request,
    who: crate::web::session::WebCaller,
    Query(query): Query<AuditQuery>,
) -> poem::Result<Response> {
    let layout = layout(req, &who).await?;
    let db = &crate::web::session::state(req)?.db;
    let page_no = page_number(query.page.as_deref());
    let (found, typed, status) = match query.filter(db, &who.caller).await {
        Ok(filter) => {
            let request = PageRequest {
                page: page_no,
                per_page: PER_PAGE,
            };
            let found = audit::list(db, &who.caller, &filter, request).await?;
            (found, Typed::default(), StatusCode::OK)
        }
        Err(violations) => {
            let empty = Paged {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: PER_PAGE,
            };
            let errors = FieldErrors::of(&violations);
            let typed = Typed::failed("filter", HashMap::new(), errors);
            (empty, typed, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let names = actor_names(db, &who.caller, &found.items).await?;
    let params = query.params();
    let entity = trimmed(&query.entity);
    let entities = std::iter::once(("", "全部记录类型"))
        .chain(ENTITIES)
        .map(|(value, label)| Choice {
            selected: value == entity,
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    page_with_status(
        &AuditPage {
            layout,
            title: "审计日志",
            entities,
            entity_id: trimmed(&query.entity_id),
            actor: trimmed(&query.actor),
            from: trimmed(&query.from),
            to: trimmed(&query.to),
            rows: found.items.iter().map(|e| row_of(e, &names)).collect(),
            pager: Pager::new("/admin/audit-log", &params, page_no, PER_PAGE, found.total),
            filtered: params.iter().any(|(_, v)| !v.is_empty()),
            typed,
        },
        status,
    )
}
