//! One session as its reviewer sees it: what was recorded and by whom, its history, the
//! corrections asked for it; approve or reject it while pending, accept or reject a correction.

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Path};
use serde::Deserialize;

use crate::{
    domain::{hours::hours, person::SessionStatus, time},
    services::{people, service_sessions, service_sessions::Decision},
    web::{
        Layout, format,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            home::status_name,
            session_detail::{HistoryRow, correction_status, history_rows, place_and_activity},
            staff::{may_change, require_staff},
        },
    },
};

pub struct CorrectionItem {
    pub id: i32,
    pub asked: String,
    pub reason: String,
    pub changes: Vec<(&'static str, String)>,
    pub pending: bool,
    pub status: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "office/session.html")]
struct SessionPage {
    layout: Layout,
    title: &'static str,
    id: i32,
    person_id: i32,
    person: String,
    day: String,
    time: String,
    community: String,
    activity: String,
    participants: i32,
    description: String,
    hours: String,
    status: &'static str,
    status_class: &'static str,
    source: &'static str,
    review_note: String,
    needs_attention: bool,
    reviewable: bool,
    history: Vec<HistoryRow>,
    corrections: Vec<CorrectionItem>,
    may_change: bool,
    form: String,
    errors: FieldErrors,
    note: String,
}

fn field_name(key: &str) -> &'static str {
    match key {
        "started_at" => "开始时间",
        "ended_at" => "结束时间",
        "activity" => "项目",
        "participants" => "参与人数",
        "description" => "服务内容",
        _ => "其他",
    }
}

fn changes_of(json: &str) -> Vec<(&'static str, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(key, value)| {
            let shown = match (&*key, &value) {
                ("started_at" | "ended_at", serde_json::Value::String(at)) => {
                    chrono::DateTime::parse_from_rfc3339(at)
                        .map(|at| format::date_time(at.with_timezone(&chrono::Utc)))
                        .unwrap_or_else(|_| at.clone())
                }
                (_, serde_json::Value::String(text)) => text.clone(),
                (_, other) => other.to_string(),
            };
            (field_name(&key), shown)
        })
        .collect()
}

async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    form: String,
    errors: FieldErrors,
    note: String,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let session = service_sessions::get(db, &who.caller, id).await?;
    let person = people::names(db, &[session.person_id])
        .await?
        .remove(&session.person_id)
        .unwrap_or_default();
    let (community, activity) = place_and_activity(db, &session).await?;
    let history = history_rows(db, &who.caller, id).await?;
    let corrections = service_sessions::corrections_of(db, &who.caller, id)
        .await?
        .into_iter()
        .map(|c| CorrectionItem {
            id: c.id,
            asked: format::date_time(c.created_at),
            changes: changes_of(&c.changes),
            pending: c.status == "pending",
            status: correction_status(&c.status),
            reason: c.reason,
            note: c.review_note.unwrap_or_default(),
        })
        .collect();
    let (status_words, status_class) = status_name(session.status);
    let clock = |at| time::local(at).format("%H:%M").to_string();
    let source = match session.source.as_str() {
        "self" => "本人登记",
        "staff" => "工作人员登记",
        "checkin" => "现场签到",
        "import" => "批量导入",
        _ => "—",
    };
    page_with_status(
        &SessionPage {
            layout: Layout::signed_in(who, &account.username, "/review"),
            title: "服务记录",
            id,
            person_id: session.person_id,
            person,
            day: format::date(time::day_of(session.started_at)),
            time: format!(
                "{}–{}",
                clock(session.started_at),
                session
                    .ended_at
                    .map(clock)
                    .unwrap_or_else(|| "进行中".into())
            ),
            community,
            activity,
            participants: session.participants,
            description: session.description.clone(),
            hours: format::hours(hours(i64::from(session.quarters))),
            status: status_words,
            status_class,
            source,
            review_note: session.review_note.clone().unwrap_or_default(),
            needs_attention: session.needs_attention,
            reviewable: session.status == SessionStatus::Pending && session.ended_at.is_some(),
            history,
            corrections,
            may_change: may_change(who),
            form,
            errors,
            note,
        },
        status,
    )
}

/// `/review/sessions/:id`
#[handler]
pub async fn detail(req: &Request, who: WebCaller, Path(id): Path<i32>) -> poem::Result<Response> {
    render(
        req,
        &who,
        id,
        String::new(),
        FieldErrors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// `POST /review/sessions/:id`: approve, or reject with a note.
#[handler]
pub async fn review(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<DecisionForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let decision = if form.decision == "reject" {
        Decision::Reject
    } else {
        Decision::Approve
    };
    let note = Some(form.note.as_str()).filter(|n| !n.trim().is_empty());
    match service_sessions::review(&state.db, &who.caller, id, decision, note).await {
        Ok(_) => Ok(see_other(&format!("/review/sessions/{id}"))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                render(req, &who, id, "review".into(), errors, form.note, status).await
            }
            None => Err(err.into()),
        },
    }
}

/// `POST /review/corrections/:id`: accept a correction, or reject it with a note.
#[handler]
pub async fn review_correction(
    req: &Request,
    Path(correction_id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<DecisionForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let accept = form.decision != "reject";
    let note = Some(form.note.as_str()).filter(|n| !n.trim().is_empty());
    let result =
        service_sessions::review_correction(&state.db, &who.caller, correction_id, accept, note)
            .await;
    match result {
        Ok(correction) => Ok(see_other(&format!(
            "/review/sessions/{}",
            correction.session_id
        ))),
        Err(err) => {
            let Some(errors) = FieldErrors::from_error(&err) else {
                return Err(err.into());
            };
            // The page of the correction's session, which the caller may read.
            let pending =
                service_sessions::pending_corrections(&state.db, &who.caller, 1000).await?;
            match pending.iter().find(|(c, _)| c.id == correction_id) {
                Some((_, session)) => {
                    let status = err.status();
                    let form_name = format!("correction-{correction_id}");
                    render(req, &who, session.id, form_name, errors, form.note, status).await
                }
                None => Err(err.into()),
            }
        }
    }
}
