//! Logging a session and editing a pending one: one form that keeps what was typed, names every
//! rule in Chinese by its field, and carries a key of its own so a form sent twice logs once.

use askama::Template;
use chrono::{NaiveDate, NaiveTime};
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::{Choice, community_choices, own_person};
use crate::{
    auth::token::new_token,
    domain::time::{self, today},
    error::AppError,
    services::{
        service_sessions::{self, Created, Idempotency, NewSession},
        sport_items,
    },
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
    },
};

/// What the person typed, kept when the form comes back with errors.
#[derive(Debug, Default, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    community_id: String,
    #[serde(default)]
    activity: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    description: String,
    /// The version read, when editing.
    #[serde(default)]
    version: String,
}

#[derive(Template)]
#[template(path = "member/log_session.html")]
struct LogPage {
    layout: Layout,
    title: &'static str,
    /// Where the form posts: a new session, or the edit of a pending one.
    action: String,
    submit: &'static str,
    form: LogForm,
    q: String,
    mine: Vec<Choice>,
    others: Vec<Choice>,
    activities: Vec<Choice>,
    errors: FieldErrors,
    today: String,
}

#[derive(Deserialize)]
pub struct LogQuery {
    community_id: Option<String>,
    q: Option<String>,
}

async fn activity_choices(
    db: &sea_orm::DatabaseConnection,
    selected: &str,
) -> Result<Vec<Choice>, AppError> {
    let mut items: Vec<(String, String)> = sport_items::names(db).await?.into_iter().collect();
    items.sort();
    Ok(items
        .into_iter()
        .map(|(code, name)| Choice {
            selected: code == selected,
            value: code,
            label: name,
        })
        .collect())
}

/// Which form: logging a new session, or editing a pending one.
#[derive(Clone, Copy)]
enum Purpose {
    Log,
    Edit(i32),
}

async fn render_log(
    req: &Request,
    who: &WebCaller,
    purpose: Purpose,
    form: LogForm,
    q: String,
    errors: FieldErrors,
    status: StatusCode,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let person_id = own_person(who)?;
    let account = who.account.clone();
    let (mine, others) = community_choices(db, who, person_id, &q, &form.community_id).await?;
    let activities = activity_choices(db, &form.activity).await?;
    let (title, action, submit) = match purpose {
        Purpose::Log => ("登记服务", "/me/sessions".to_owned(), "提交登记"),
        Purpose::Edit(id) => (
            "修改服务记录",
            format!("/me/sessions/{id}/edit"),
            "保存修改",
        ),
    };
    page_with_status(
        &LogPage {
            layout: Layout::signed_in(who, &account.username, "/me/sessions/new"),
            title,
            action,
            submit,
            form,
            q,
            mine,
            others,
            activities,
            errors,
            today: today().to_string(),
        },
        status,
    )
}

/// The form to log a session. Each rendering carries a fresh key, so a double tap or a form sent
/// twice creates one session.
#[handler]
pub async fn log_page(
    req: &Request,
    who: WebCaller,
    Query(query): Query<LogQuery>,
) -> poem::Result<Response> {
    let form = LogForm {
        form_key: new_token(),
        community_id: query.community_id.unwrap_or_default(),
        date: today().to_string(),
        participants: "0".to_owned(),
        ..Default::default()
    };
    let q = query.q.unwrap_or_default().chars().take(50).collect();
    render_log(
        req,
        &who,
        Purpose::Log,
        form,
        q,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Reads the form's values; what cannot be read is named by its field.
fn parse(form: &LogForm) -> Result<(i32, NaiveDate, NaiveTime, NaiveTime, i32), FieldErrors> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, code: &'static str| {
        errors.push(crate::domain::FieldViolation::new(field, code, ""));
    };
    let community = form.community_id.trim().parse::<i32>().ok();
    if community.is_none() {
        bad("community_id", "community.unknown");
    }
    let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        bad("date", "date.invalid");
    }
    let time = |raw: &str| {
        NaiveTime::parse_from_str(raw.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S"))
            .ok()
    };
    let start = time(&form.start_time);
    if start.is_none() {
        bad("start_time", "time.invalid");
    }
    let end = time(&form.end_time);
    if end.is_none() {
        bad("end_time", "time.invalid");
    }
    let participants = form.participants.trim().parse::<i32>().ok();
    if participants.is_none() {
        bad("participants", "number.invalid");
    }
    match (community, date, start, end, participants) {
        (Some(c), Some(d), Some(s), Some(e), Some(p)) if errors.is_empty() => Ok((c, d, s, e, p)),
        _ => Err(FieldErrors::of(&errors)),
    }
}

/// The service names the instants; the form shows them by its time fields.
fn form_errors(err: &AppError) -> Option<FieldErrors> {
    let (AppError::Unprocessable { errors, .. } | AppError::Conflict { errors, .. }) = err else {
        return None;
    };
    let renamed: Vec<_> = errors
        .iter()
        .map(|v| {
            let field = match v.field.as_str() {
                "started_at" => "start_time",
                "ended_at" => "end_time",
                "person_id" | "Idempotency-Key" | "status" | "version" => "body",
                other => other,
            };
            crate::domain::FieldViolation::new(field, v.code, v.message.clone())
        })
        .collect();
    Some(FieldErrors::of(&renamed))
}

#[handler]
pub async fn log(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<LogForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    let (community_id, date, start, end, participants) = match parse(&form) {
        Ok(values) => values,
        Err(errors) => {
            return render_log(
                req,
                &who,
                Purpose::Log,
                form,
                String::new(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let new = NewSession {
        person_id: None,
        community_id,
        started_at: time::instant_at(date, start),
        ended_at: time::instant_at(date, end),
        activity: form.activity.trim().to_owned(),
        participants,
        description: form.description.clone(),
    };
    let idempotency = (!form.form_key.is_empty()).then(|| Idempotency {
        key: format!("web:{}", form.form_key.chars().take(64).collect::<String>()),
        body: format!(
            "{community_id}|{date}|{start}|{end}|{participants}|{}|{}",
            new.activity, new.description
        )
        .into_bytes(),
    });
    match service_sessions::create(&state.db, &who.caller, new, idempotency).await {
        Ok(Created::New(_) | Created::Replayed(_)) => Ok(see_other("/me/sessions?logged=1")),
        Err(err) => match form_errors(&err) {
            Some(errors) => {
                let status = err.status();
                render_log(req, &who, Purpose::Log, form, String::new(), errors, status).await
            }
            None => Err(err.into()),
        },
    }
}

/// The log form filled with a pending session of the member's own, to change it.
#[handler]
pub async fn edit_page(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let person_id = own_person(&who)?;
    let session = service_sessions::get(&state.db, &who.caller, id).await?;
    if session.person_id != person_id {
        return Err(AppError::not_found("service_session", id).into());
    }
    let clock = |at| time::local(at).format("%H:%M").to_string();
    let form = LogForm {
        form_key: String::new(),
        community_id: session.community_id.to_string(),
        activity: session.activity.clone(),
        date: time::day_of(session.started_at).to_string(),
        start_time: clock(session.started_at),
        end_time: session.ended_at.map(clock).unwrap_or_default(),
        participants: session.participants.to_string(),
        description: session.description.clone(),
        version: session.version.to_string(),
    };
    render_log(
        req,
        &who,
        Purpose::Edit(id),
        form,
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Saves the changes of a pending session, under the rules of logging.
#[handler]
pub async fn edit(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<LogForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    let purpose = Purpose::Edit(id);
    let (community_id, date, start, end, participants) = match parse(&form) {
        Ok(values) => values,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_log(req, &who, purpose, form, String::new(), errors, status).await;
        }
    };
    let changes = service_sessions::Edit {
        community_id: Some(community_id),
        started_at: Some(time::instant_at(date, start)),
        ended_at: Some(time::instant_at(date, end)),
        activity: Some(form.activity.trim().to_owned()),
        participants: Some(participants),
        description: Some(form.description.clone()),
        expected_version: form.version.trim().parse().ok(),
    };
    match service_sessions::edit(&state.db, &who.caller, id, changes).await {
        Ok(_) => Ok(see_other(&format!("/me/sessions/{id}"))),
        Err(err) => match form_errors(&err) {
            Some(errors) => {
                let status = err.status();
                render_log(req, &who, purpose, form, String::new(), errors, status).await
            }
            None => Err(err.into()),
        },
    }
}
