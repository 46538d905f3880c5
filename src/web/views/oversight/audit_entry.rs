//! One audit entry with its hashes, and the check of the whole chain: intact, or the first entry
//! that no longer matches (its id, its time, a link to it). Both only read, so the auditors use
//! them as the bureau does.

use askama::Template;
use poem::{Request, Response, handler, web::Path};

use super::{
    audit::{AuditRow, actor_names, row_of},
    layout, moment,
};
use crate::{
    error::AppError,
    services::audit,
    web::{
        Layout, page,
        session::{WebCaller, state},
    },
};

#[derive(Template)]
#[template(path = "office/oversight/audit_entry.html")]
struct EntryPage {
    layout: Layout,
    title: &'static str,
    row: AuditRow,
    chain: i16,
    prev_hash: String,
    hash: String,
}

/// `GET /admin/audit-log/:id`
#[handler]
pub async fn detail(req: &Request, who: WebCaller, Path(id): Path<i64>) -> poem::Result<Response> {
    let layout = layout(req, &who).await?;
    let db = &state(req)?.db;
    let entry = audit::entry(db, &who.caller, id).await?;
    let names = actor_names(db, &who.caller, std::slice::from_ref(&entry)).await?;
    page(&EntryPage {
        layout,
        title: "审计记录",
        row: row_of(&entry, &names),
        chain: entry.chain,
        prev_hash: entry.prev_hash.clone(),
        hash: entry.hash.clone(),
    })
}

/// The first entry of a broken chain, as the page names it.
pub struct Broken {
    pub id: i64,
    /// When it was recorded; empty when the entry is missing (the newest ones were removed).
    pub at: String,
    pub exists: bool,
}

#[derive(Template)]
#[template(path = "office/oversight/audit_verify.html")]
struct VerifyPage {
    layout: Layout,
    title: &'static str,
    intact: bool,
    checked: u64,
    broken: Option<Broken>,
    at: String,
}

/// `GET /admin/audit-log/verify`: recomputes every hash in order.
#[handler]
pub async fn verify(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let layout = layout(req, &who).await?;
    let db = &state(req)?.db;
    let result = audit::verify(db, &who.caller).await?;
    let broken = match result.first_broken_id.filter(|_| !result.intact) {
        None => None,
        Some(id) => Some(match audit::entry(db, &who.caller, id).await {
            Ok(entry) => Broken {
                id,
                at: moment(entry.at),
                exists: true,
            },
            Err(AppError::NotFound { .. }) => Broken {
                id,
                at: String::new(),
                exists: false,
            },
            Err(other) => return Err(other.into()),
        }),
    };
    page(&VerifyPage {
        layout,
        title: "验证审计日志",
        intact: result.intact,
        checked: result.checked,
        broken,
        at: moment(chrono::Utc::now()),
    })
}
