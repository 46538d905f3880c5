//! Check-in and check-out on the spot: one large button, the open session with its running
//! time, and check-out with the participants and what was done. A community's QR poster opens
//! this page with that community chosen.

use askama::Template;
use chrono::Utc;
use poem::{Request, Response, handler, http::StatusCode, web::Query};
use serde::Deserialize;

use crate::{
    domain::time,
    error::AppError,
    services::{regions, service_sessions, sport_items},
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::sessions::{Choice, community_choices, own_person},
    },
};

pub struct OpenSession {
    pub id: i32,
    pub community: String,
    pub activity: String,
    pub since: String,
    pub running: String,
}

#[derive(Template)]
#[template(path = "member/check_in.html")]
struct CheckInPage {
    layout: Layout,
    title: &'static str,
    open: Option<OpenSession>,
    /// No search on this page; the shared community list reads it.
    q: String,
    mine: Vec<Choice>,
    others: Vec<Choice>,
    activities: Vec<Choice>,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct CheckInQuery {
    community_id: Option<String>,
}

async fn render(
    req: &Request,
    who: &WebCaller,
    community_id: &str,
    activity: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let person_id = own_person(who)?;
    let account = who.account.clone();
    let names = sport_items::names(db).await?;
    let open = match service_sessions::open_check_in(db, &who.caller).await? {
        Some(s) => {
            let community = regions::community_names(db, &[s.community_id])
                .await?
                .remove(&s.community_id)
                .unwrap_or_default();
            let minutes = (Utc::now() - s.started_at).num_minutes().max(0);
            Some(OpenSession {
                id: s.id,
                community,
                activity: names.get(&s.activity).cloned().unwrap_or(s.activity),
                since: time::local(s.started_at).format("%H:%M").to_string(),
                running: format!("{} 小时 {} 分", minutes / 60, minutes % 60),
            })
        }
        None => None,
    };
    let (mine, others) = community_choices(db, who, person_id, "", community_id).await?;
    let mut activities: Vec<Choice> = names
        .into_iter()
        .map(|(code, name)| Choice {
            selected: code == activity,
            value: code,
            label: name,
        })
        .collect();
    activities.sort_by(|a, b| a.value.cmp(&b.value));
    page_with_status(
        &CheckInPage {
            layout: Layout::signed_in(who, &account.username, "/me/check-in"),
            title: "签到",
            open,
            q: String::new(),
            mine,
            others,
            activities,
            errors,
        },
        status,
    )
}

#[handler]
pub async fn page(
    req: &Request,
    who: WebCaller,
    Query(query): Query<CheckInQuery>,
) -> poem::Result<Response> {
    let community = query.community_id.unwrap_or_default();
    render(
        req,
        &who,
        &community,
        "",
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    community_id: String,
    #[serde(default)]
    activity: String,
}

fn shown(err: AppError) -> Result<FieldErrors, AppError> {
    match FieldErrors::from_error(&err) {
        Some(errors) => Ok(errors),
        None => Err(err),
    }
}

#[handler]
pub async fn check_in(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<CheckInForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    let Ok(community_id) = form.community_id.trim().parse::<i32>() else {
        let errors = FieldErrors::one("community_id", "community.unknown");
        return render(
            req,
            &who,
            "",
            &form.activity,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match service_sessions::check_in(&state.db, &who.caller, community_id, form.activity.trim())
        .await
    {
        Ok(_) => Ok(see_other("/me/check-in")),
        Err(err) => {
            let status = err.status();
            let errors = shown(err)?;
            render(
                req,
                &who,
                &form.community_id,
                &form.activity,
                errors,
                status,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CheckOutForm {
    #[serde(default)]
    session_id: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    description: String,
}

#[handler]
pub async fn check_out(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<CheckOutForm>,
) -> poem::Result<Response> {
    let state = state(req)?;
    own_person(&who)?;
    let id = form
        .session_id
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::not_found("service_session", &form.session_id))?;
    let participants = match form.participants.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let errors = FieldErrors::one("participants", "number.invalid");
                return render(req, &who, "", "", errors, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let description = Some(form.description.clone()).filter(|d| !d.trim().is_empty());
    match service_sessions::check_out(&state.db, &who.caller, id, participants, description).await {
        Ok(_) => Ok(see_other("/me/sessions?logged=1")),
        Err(err) => {
            let status = err.status();
            let errors = shown(err)?;
            render(req, &who, "", "", errors, status).await
        }
    }
}
