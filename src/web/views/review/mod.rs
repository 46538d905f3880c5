//! Reviewing the street's sessions: the queue of pending sessions held in the street's
//! communities, oldest first, with filters; several approved at once, or rejected with a note;
//! the corrections waiting for this office. One session's page is in [`detail`].

pub mod detail;

use std::collections::HashMap;

use askama::Template;
use chrono::NaiveDate;
use poem::{Request, Response, handler, web::Query};
use serde::Deserialize;

use crate::{
    domain::{account::Role, person::SessionStatus, time},
    error::AppError,
    services::{
        PageRequest, people,
        service_sessions::{self, Decision, SessionFilter},
    },
    web::{
        Layout, format,
        messages::message,
        page, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            people::{choices, street_communities},
            sessions::{Choice, Row, rows_of},
            staff::{Pager, may_change, page_number, require_staff},
        },
    },
};

const PER_PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    community_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    attention: Option<String>,
    page: Option<String>,
    approved: Option<String>,
    rejected: Option<String>,
    refused: Option<String>,
}

pub struct QueueRow {
    pub session: Row,
    pub person_id: i32,
    pub person: String,
    pub participants: i32,
    pub logged: String,
}

pub struct CorrectionLine {
    pub session_id: i32,
    pub person: String,
    pub asked: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "office/review.html")]
struct ReviewPage {
    layout: Layout,
    title: &'static str,
    communities: Vec<Choice>,
    from: String,
    to: String,
    attention: bool,
    rows: Vec<QueueRow>,
    pager: Pager,
    corrections: Vec<CorrectionLine>,
    may_change: bool,
    outcome: String,
    refused: Vec<String>,
}

fn day(raw: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw?.trim(), "%Y-%m-%d").ok()
}

/// `/review`: the pending sessions of the street, oldest first.
#[handler]
pub async fn queue(
    req: &Request,
    who: WebCaller,
    Query(query): Query<QueueQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let community_id = query
        .community_id
        .as_deref()
        .and_then(|c| c.trim().parse::<i32>().ok());
    let (from, to) = (day(query.from.as_deref()), day(query.to.as_deref()));
    let attention = query.attention.is_some_and(|a| !a.is_empty());
    let filter = SessionFilter {
        community_id,
        // An officer reviews what was held in its street's communities.
        street_id: match who.caller.role {
            Role::StreetOfficer => who.caller.street_id,
            _ => None,
        },
        status: Some(SessionStatus::Pending),
        from: from.map(time::start_of_day),
        to: to.map(|d| time::start_of_day(d + chrono::TimeDelta::days(1))),
        needs_attention: attention.then_some(true),
        oldest_first: true,
        ..Default::default()
    };
    let page_no = page_number(query.page.as_deref());
    let found = service_sessions::list(
        db,
        &who.caller,
        &filter,
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let items = found.items;
    let sessions = rows_of(db, &items).await?;
    let mut person_ids: Vec<i32> = items.iter().map(|s| s.person_id).collect();
    let corrections = service_sessions::pending_corrections(db, &who.caller, 100).await?;
    person_ids.extend(corrections.iter().map(|(_, s)| s.person_id));
    let names: HashMap<i32, String> = people::names(db, &person_ids).await?;
    let name_of = |id: i32| names.get(&id).cloned().unwrap_or_default();
    let rows = items
        .iter()
        .zip(sessions)
        .map(|(s, session)| QueueRow {
            session,
            person_id: s.person_id,
            person: name_of(s.person_id),
            participants: s.participants,
            logged: format::date_time(s.created_at),
        })
        .collect();
    let corrections = corrections
        .into_iter()
        .map(|(c, s)| CorrectionLine {
            session_id: s.id,
            person: name_of(s.person_id),
            asked: format::date_time(c.created_at),
            reason: c.reason,
        })
        .collect();
    let params = vec![
        (
            "community_id",
            community_id.map(|c| c.to_string()).unwrap_or_default(),
        ),
        ("from", from.map(|d| d.to_string()).unwrap_or_default()),
        ("to", to.map(|d| d.to_string()).unwrap_or_default()),
        (
            "attention",
            if attention { "1".into() } else { String::new() },
        ),
    ];
    let count = |v: &Option<String>| v.as_deref().and_then(|n| n.parse::<usize>().ok());
    let outcome = match (count(&query.approved), count(&query.rejected)) {
        (Some(n), _) => format!("已批准 {n} 条服务记录。"),
        (_, Some(n)) => format!("已退回 {n} 条服务记录。"),
        _ => String::new(),
    };
    let refused = query
        .refused
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter_map(|part| part.split_once(':'))
        .filter_map(|(id, code)| {
            let id: i32 = id.parse().ok()?;
            Some(if id == 0 {
                message(code).to_owned()
            } else {
                format!("第 {id} 号记录未能办理：{}", message(code))
            })
        })
        .take(50)
        .collect();
    page(&ReviewPage {
        layout: Layout::signed_in(&who, &account.username, "/review"),
        title: "审核服务记录",
        communities: choices(
            "全部社区（村）",
            &street_communities(db, &who).await?,
            &community_id.map(|c| c.to_string()).unwrap_or_default(),
        ),
        from: from.map(|d| d.to_string()).unwrap_or_default(),
        to: to.map(|d| d.to_string()).unwrap_or_default(),
        attention,
        rows,
        pager: Pager::new("/review", &params, page_no, PER_PAGE, found.total),
        corrections,
        may_change: may_change(&who),
        outcome,
        refused,
    })
}

/// `POST /review`: the selected sessions approved, or rejected with one note. Each is reviewed
/// by the single-review rules; those refused are named on the queue.
#[handler]
pub async fn review_selected(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    if !may_change(&who) {
        return Err(AppError::Forbidden("督查人员只能查看，不能审核".into()).into());
    }
    let state = state(req)?;
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let ids: Vec<i32> = form
        .iter()
        .filter(|(n, _)| n == "id")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .take(500)
        .collect();
    let decision = match field("decision").as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Err(
                AppError::invalid("decision", "value.required", "approve or reject").into(),
            );
        }
    };
    let note = field("note");
    if ids.is_empty() {
        return Ok(see_other("/review?refused=0:review.nothing_selected"));
    }
    if decision == Decision::Reject && note.is_empty() {
        return Ok(see_other("/review?refused=0:review.note_required"));
    }
    let note = Some(note.as_str()).filter(|n| !n.is_empty());
    let outcomes =
        service_sessions::review_many(&state.db, &who.caller, &ids, decision, note).await;
    let mut done = 0;
    let mut refused = Vec::new();
    for (id, outcome) in outcomes {
        match outcome {
            Ok(_) => done += 1,
            Err(err) if err.status().is_server_error() => return Err(err.into()),
            Err(err) => {
                let code = match &err {
                    AppError::BadRequest { errors, .. }
                    | AppError::Unprocessable { errors, .. }
                    | AppError::Conflict { errors, .. } => {
                        errors.first().map_or("review.refused", |e| e.code)
                    }
                    AppError::NotFound { .. } => "session.unknown",
                    _ => "review.refused",
                };
                refused.push(format!("{id}:{code}"));
            }
        }
    }
    let verb = if decision == Decision::Approve {
        "approved"
    } else {
        "rejected"
    };
    let mut to = format!("/review?{verb}={done}");
    if !refused.is_empty() {
        to.push_str("&refused=");
        to.push_str(&refused.join(","));
    }
    Ok(see_other(&to))
}
