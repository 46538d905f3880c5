//! One of a member's sessions: what was recorded, its history, and what may still be done with
//! it: withdraw a pending one, or ask for a correction of an approved one (with a reason) and
//! see how it was decided.

use askama::Template;
use chrono::NaiveTime;
use poem::{Request, Response, handler, http::StatusCode, web::Path};
use serde::Deserialize;

use crate::{
    domain::{hours::hours, person::SessionStatus, time},
    error::AppError,
    services::{
        regions,
        service_sessions::{self, Correction},
        sport_items,
    },
    web::{
        Layout, format,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{home::status_name, sessions::own_person},
    },
};

pub struct HistoryRow {
    pub when: String,
    pub action: &'static str,
    pub reason: String,
}

pub struct CorrectionRow {
    pub asked: String,
    pub reason: String,
    pub status: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "member/session.html")]
struct DetailPage {
    layout: Layout,
    title: &'static str,
    id: i32,
    day: String,
    start: String,
    end: String,
    community: String,
    activity: String,
    participants: i32,
    description: String,
    hours: String,
    status: &'static str,
    status_class: &'static str,
    review_note: String,
    needs_attention: bool,
    pending: bool,
    approved: bool,
    history: Vec<HistoryRow>,
    corrections: Vec<CorrectionRow>,
    errors: FieldErrors,
    reason: String,
}

pub fn action_name(action: &str) -> &'static str {
    match action {
        "approve" => "审核通过",
        "reject" => "审核未通过",
        "withdraw" => "撤回",
        "revoke" => "撤销",
        "edit" => "修改",
        "correct" => "更正",
        "check_out" => "签退",
        "auto_close" => "超过 12 小时自动结束",
        _ => "变更",
    }
}

pub fn correction_status(status: &str) -> &'static str {
    match status {
        "pending" => "等待审核",
        "accepted" => "已采纳",
        "rejected" => "未采纳",
        _ => "—",
    }
}

/// A session's community and activity by their names.
pub async fn place_and_activity(
    db: &sea_orm::DatabaseConnection,
    session: &crate::entities::service_session::Model,
) -> Result<(String, String), AppError> {
    let community = regions::community_names(db, &[session.community_id])
        .await?
        .remove(&session.community_id)
        .unwrap_or_default();
    let activity = sport_items::names(db)
        .await?
        .remove(&session.activity)
        .unwrap_or_else(|| session.activity.clone());
    Ok((community, activity))
}

/// A session's history as its pages show it.
pub async fn history_rows(
    db: &sea_orm::DatabaseConnection,
    caller: &crate::auth::Caller,
    id: i32,
) -> Result<Vec<HistoryRow>, AppError> {
    Ok(service_sessions::history(db, caller, id)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            when: format::date_time(h.changed_at),
            action: action_name(&h.action),
            reason: h.reason.unwrap_or_default(),
        })
        .collect())
}

async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    errors: FieldErrors,
    reason: String,
    status: StatusCode,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let person_id = own_person(who)?;
    let session = service_sessions::get(db, &who.caller, id).await?;
    if session.person_id != person_id {
        return Err(AppError::not_found("service_session", id).into());
    }
    let account = who.account.clone();
    let (community, activity) = place_and_activity(db, &session).await?;
    let history = history_rows(db, &who.caller, id).await?;
    let corrections = service_sessions::corrections_of(db, &who.caller, id)
        .await?
        .into_iter()
        .map(|c| CorrectionRow {
            asked: format::date_time(c.created_at),
            reason: c.reason,
            status: correction_status(&c.status),
            note: c.review_note.unwrap_or_default(),
        })
        .collect();
    let (status_words, status_class) = status_name(session.status);
    let clock = |at| time::local(at).format("%H:%M").to_string();
    page_with_status(
        &DetailPage {
            layout: Layout::signed_in(who, &account.username, "/me/sessions"),
            title: "服务记录",
            id,
            day: format::date(time::day_of(session.started_at)),
            start: clock(session.started_at),
            end: session.ended_at.map(clock).unwrap_or_default(),
            community,
            activity,
            participants: session.participants,
            description: session.description.clone(),
            hours: format::hours(hours(i64::from(session.quarters))),
            status: status_words,
            status_class,
            review_note: session.review_note.clone().unwrap_or_default(),
            needs_attention: session.needs_attention,
            pending: session.status == SessionStatus::Pending && session.ended_at.is_some(),
            approved: session.status == SessionStatus::Approved,
            history,
            corrections,
            errors,
            reason,
        },
        status,
    )
}

#[handler]
pub async fn detail(req: &Request, who: WebCaller, Path(id): Path<i32>) -> poem::Result<Response> {
    render(
        req,
        &who,
        id,
        FieldErrors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct Nothing {}

#[handler]
pub async fn withdraw(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, .. }: CsrfForm<Nothing>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    match service_sessions::withdraw(&state.db, &who.caller, id).await {
        Ok(_) => Ok(see_other(&format!("/me/sessions/{id}"))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                render(req, &who, id, errors, String::new(), status).await
            }
            None => Err(err.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    description: String,
}

/// Asks for a correction of the fields that differ from the record.
#[handler]
pub async fn correct(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<CorrectionForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    let session = service_sessions::get(&state.db, &who.caller, id).await?;
    let day = time::day_of(session.started_at);
    let clock = |at| time::local(at).format("%H:%M").to_string();
    let mut errors = Vec::new();
    let mut instant = |field: &str, raw: &str, current: String| {
        let raw = raw.trim();
        if raw.is_empty() || raw == current {
            return None;
        }
        match NaiveTime::parse_from_str(raw, "%H:%M") {
            Ok(t) => Some(time::instant_at(day, t)),
            Err(_) => {
                errors.push(crate::domain::FieldViolation::new(
                    field,
                    "time.invalid",
                    "",
                ));
                None
            }
        }
    };
    let started_at = instant("start_time", &form.start_time, clock(session.started_at));
    let ended_at = instant(
        "end_time",
        &form.end_time,
        session.ended_at.map(clock).unwrap_or_default(),
    );
    let participants = match form.participants.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) if n == session.participants => None,
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(crate::domain::FieldViolation::new(
                    "participants",
                    "number.invalid",
                    "",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        let errors = FieldErrors::of(&errors);
        return render(
            req,
            &who,
            id,
            errors,
            form.reason,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let description =
        Some(form.description.clone()).filter(|d| d.trim() != session.description.trim());
    let correction = Correction {
        started_at,
        ended_at,
        activity: None,
        participants,
        description,
        reason: form.reason.clone(),
    };
    match service_sessions::request_correction(&state.db, &who.caller, id, correction).await {
        Ok(_) => Ok(see_other(&format!("/me/sessions/{id}"))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                render(req, &who, id, errors, form.reason, status).await
            }
            None => Err(err.into()),
        },
    }
}
