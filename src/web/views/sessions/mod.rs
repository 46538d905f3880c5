//! A member's sessions: the list by year and status, and the pieces the session forms share
//! (whose sessions these are, the community choices); logging and editing are in [`form`].

mod form;

pub use form::{edit, edit_page, log, log_page};

use askama::Template;
use chrono::Datelike;
use poem::{Request, Response, handler, web::Query};
use serde::Deserialize;

use crate::{
    domain::{
        account::Role,
        hours::hours,
        person::SessionStatus,
        time::{self, today},
    },
    error::AppError,
    services::{
        PageRequest, assignments,
        regions::{self, CommunityFilter},
        service_sessions::{self, SessionFilter},
        sport_items,
    },
    web::{
        Layout, format, page,
        session::{WebCaller, state},
        views::home::status_name,
    },
};

/// The member's own person; other roles have no sessions of their own here.
pub fn own_person(who: &WebCaller) -> Result<i32, AppError> {
    who.caller
        .person_id
        .filter(|_| who.caller.role == Role::Member)
        .ok_or_else(|| AppError::Forbidden("这是体育工作者本人的页面".into()))
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Communities to choose from: the person's own assignments first, then every active one
/// (narrowed by `q` when given).
pub async fn community_choices(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    person_id: i32,
    q: &str,
    selected: &str,
) -> Result<(Vec<Choice>, Vec<Choice>), AppError> {
    let held = assignments::list(
        db,
        &who.caller,
        &assignments::AssignmentFilter {
            person_id: Some(person_id),
            as_of: Some(today()),
            ..Default::default()
        },
        PageRequest::first(50),
    )
    .await?;
    let mine_ids: Vec<i32> = held.items.iter().map(|a| a.community_id).collect();
    let names = regions::community_names(db, &mine_ids).await?;
    let choice = |id: i32, label: String| Choice {
        selected: selected == id.to_string(),
        value: id.to_string(),
        label,
    };
    let mut mine: Vec<Choice> = Vec::new();
    for id in &mine_ids {
        if !mine.iter().any(|c| c.value == id.to_string()) {
            mine.push(choice(*id, names.get(id).cloned().unwrap_or_default()));
        }
    }
    let all = regions::list_communities(
        db,
        &CommunityFilter {
            active: Some(true),
            q: Some(q.to_owned()).filter(|q| !q.trim().is_empty()),
            ..Default::default()
        },
        PageRequest::first(200),
    )
    .await?;
    let others = all
        .items
        .into_iter()
        .filter(|(community, _)| !mine_ids.contains(&community.id))
        .map(|(community, street)| {
            choice(
                community.id,
                format!("{}（{}）", community.name, street.name),
            )
        })
        .collect();
    Ok((mine, others))
}

pub struct Row {
    pub id: i32,
    pub day: String,
    pub time: String,
    pub community: String,
    pub activity: String,
    pub hours: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub needs_attention: bool,
}

#[derive(Template)]
#[template(path = "member/sessions.html")]
struct SessionsPage {
    layout: Layout,
    title: &'static str,
    years: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<Row>,
    total: u64,
    logged: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    year: Option<String>,
    status: Option<String>,
    logged: Option<String>,
}

fn status_of(code: &str) -> Option<SessionStatus> {
    match code {
        "pending" => Some(SessionStatus::Pending),
        "approved" => Some(SessionStatus::Approved),
        "rejected" => Some(SessionStatus::Rejected),
        "withdrawn" => Some(SessionStatus::Withdrawn),
        "revoked" => Some(SessionStatus::Revoked),
        _ => None,
    }
}

/// One's sessions of a year (this year by default), newest first, by status.
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<ListQuery>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let person_id = own_person(&who)?;
    let account = who.account.clone();
    let this_year = today().year();
    let year = query
        .year
        .as_deref()
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (this_year - 10..=this_year).contains(y))
        .unwrap_or(this_year);
    let status_code = query.status.unwrap_or_default();
    let status = status_of(&status_code);
    let (from, to) = time::year_bounds(year);
    let filter = SessionFilter {
        person_id: Some(person_id),
        status,
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let found = service_sessions::list(db, &who.caller, &filter, PageRequest::first(200)).await?;
    let rows = rows_of(db, &found.items).await?;
    let years = (this_year - 4..=this_year)
        .rev()
        .map(|y| Choice {
            value: y.to_string(),
            label: format!("{y} 年"),
            selected: y == year,
        })
        .collect();
    let statuses = [
        ("", "全部"),
        ("pending", "待审核"),
        ("approved", "已通过"),
        ("rejected", "未通过"),
        ("withdrawn", "已撤回"),
        ("revoked", "已撤销"),
    ]
    .iter()
    .map(|(value, label)| Choice {
        value: (*value).to_owned(),
        label: (*label).to_owned(),
        selected: *value == status_code.as_str() || (value.is_empty() && status.is_none()),
    })
    .collect();
    page(&SessionsPage {
        layout: Layout::signed_in(&who, &account.username, "/me/sessions"),
        title: "我的服务记录",
        years,
        statuses,
        total: found.total,
        rows,
        logged: query.logged.is_some(),
    })
}

/// Sessions as the pages list them: the district day and clock, names instead of codes, Chinese
/// status words.
pub async fn rows_of(
    db: &sea_orm::DatabaseConnection,
    sessions: &[crate::entities::service_session::Model],
) -> Result<Vec<Row>, AppError> {
    let ids: Vec<i32> = sessions.iter().map(|s| s.community_id).collect();
    let communities = regions::community_names(db, &ids).await?;
    let activities = sport_items::names(db).await?;
    Ok(sessions
        .iter()
        .map(|s| {
            let (status, status_class) = status_name(s.status);
            let start = time::local(s.started_at).format("%H:%M").to_string();
            let end = s
                .ended_at
                .map(|e| time::local(e).format("%H:%M").to_string())
                .unwrap_or_else(|| "进行中".to_owned());
            Row {
                id: s.id,
                day: format::date(time::day_of(s.started_at)),
                time: format!("{start}–{end}"),
                community: communities
                    .get(&s.community_id)
                    .cloned()
                    .unwrap_or_default(),
                activity: activities
                    .get(&s.activity)
                    .cloned()
                    .unwrap_or_else(|| s.activity.clone()),
                hours: format::hours(hours(i64::from(s.quarters))),
                status,
                status_class,
                needs_attention: s.needs_attention,
            }
        })
        .collect())
}
