//! One person as the office sees them: identity (the ID number masked unless the caller may see
//! it), qualifications, assignments now and before, sessions, training, registrations, the next
//! grade, and the member account. The forms on the page post to [`super::standing`].

use std::collections::HashMap;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::{
    account::{self, AccountSection},
    choices, grade_options, kind_options, street_communities,
};
use crate::{
    domain::{
        hours::hours,
        id_number::mask,
        person::{Grade, PersonStatus},
        time::today,
    },
    error::AppError,
    services::{
        PageRequest, assignments, people, people::PersonView, regions, service_sessions,
        sport_items, training,
    },
    web::{
        Layout, format,
        messages::FieldErrors,
        page_with_status,
        session::{WebCaller, state},
        views::{
            careers::person::{
                self as careers, CareersSection, QualificationRow, qualification_rows,
            },
            sessions::{Choice, Row, rows_of},
            staff::{code, may_change, require_staff},
        },
    },
};

/// What was typed into one of the page's forms, kept when it comes back with errors.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    /// Which form: `qualification`, `promote-<id>`, `revoke-<id>`, `assign`, `end-<id>`, `status`,
    /// `account`.
    pub form: String,
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
}

impl Typed {
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

pub struct AssignmentRow {
    pub id: i32,
    pub community_id: i32,
    pub community: String,
    pub role: &'static str,
    pub starts_on: String,
    pub ends_on: String,
    pub end_reason: String,
}

#[derive(Template)]
#[template(path = "office/person.html")]
struct PersonPage {
    layout: Layout,
    title: &'static str,
    id: i32,
    version: i32,
    name: String,
    gender: &'static str,
    birth_date: String,
    id_number: String,
    phone: String,
    email: String,
    street: String,
    status: &'static str,
    active: bool,
    specialties: String,
    qualifications: Vec<QualificationRow>,
    current: Vec<AssignmentRow>,
    past: Vec<AssignmentRow>,
    sessions: Vec<Row>,
    sessions_total: u64,
    training_total: String,
    courses: Vec<(String, String, String)>,
    careers: CareersSection,
    member_account: AccountSection,
    may_change: bool,
    kinds: Vec<Choice>,
    grades: Vec<Choice>,
    communities: Vec<Choice>,
    today: String,
    typed: Typed,
    notice: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> &'static str {
    match done {
        Some("created") => "人员已登记。",
        Some("saved") => "修改已保存。",
        Some("qualification") => "资格已记录。",
        Some("promoted") => "等级已晋升。",
        Some("revoked") => "资格已撤销。",
        Some("assigned") => "已安排到社区（村）。",
        Some("ended") => "安排已结束。",
        Some("status") => "人员状态已更改。",
        Some("invited") => "账户已开通，邀请邮件已发出。",
        Some("reinvited") => "新的邀请邮件已发出，之前的链接不再有效。",
        Some("registration-approved") => "年度注册已通过。",
        Some("registration-rejected") => "年度注册未通过，原因见下方年度注册表。",
        _ => "",
    }
}

/// `/people/:id`
#[handler]
pub async fn detail(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<DetailQuery>,
) -> poem::Result<Response> {
    let notice = notice_of(query.done.as_deref());
    render(req, &who, id, Typed::default(), notice, StatusCode::OK).await
}

/// The person's page, with `typed` kept in the form that failed.
pub async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    typed: Typed,
    notice: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let view = people::get(db, &who.caller, id).await?;
    let held = assignments::list(
        db,
        &who.caller,
        &assignments::AssignmentFilter {
            person_id: Some(id),
            ..Default::default()
        },
        PageRequest::first(500),
    )
    .await?;
    let community_ids: Vec<i32> = held.items.iter().map(|a| a.community_id).collect();
    let names = regions::community_names(db, &community_ids).await?;
    let day = today();
    let (mut current, mut past) = (Vec::new(), Vec::new());
    for a in held.items.iter().rev() {
        let row = AssignmentRow {
            id: a.id,
            community_id: a.community_id,
            community: names.get(&a.community_id).cloned().unwrap_or_default(),
            role: a.role.chinese(),
            starts_on: format::date(a.starts_on),
            ends_on: a.ends_on.map(format::date).unwrap_or_default(),
            end_reason: a.end_reason.clone().unwrap_or_default(),
        };
        // In force today or starting later: current; ended by today: past.
        if a.ends_on.is_none_or(|e| e > day) {
            current.push(row);
        } else {
            past.push(row);
        }
    }
    let filter = service_sessions::SessionFilter {
        person_id: Some(id),
        ..Default::default()
    };
    let latest = service_sessions::list(db, &who.caller, &filter, PageRequest::first(10)).await?;
    let sessions = rows_of(db, &latest.items).await?;
    let transcript = training::transcript(db, &who.caller, id).await?;
    let courses = transcript
        .items
        .iter()
        .map(|(seat, course)| {
            (
                course.title.clone(),
                format::date(course.starts_on),
                seat.credited_quarters
                    .map(|q| format::hours(hours(i64::from(q))))
                    .unwrap_or_else(|| "未记录结果".to_owned()),
            )
        })
        .collect();
    let street = regions::get_street(db, view.person.street_id).await?;
    let member_account = account::section(db, who, id).await?;
    let specialties = specialty_names(db, &view).await?;
    let qualifications = qualification_rows(&view);
    let careers = careers::section(db, who, &view, &typed).await?;
    // Officers record the district's own grade; higher ones are the bureau's to record.
    let grades = if careers.may_record_grades {
        grade_options()
    } else {
        vec![(code(Grade::Third), Grade::Third.chinese().to_owned())]
    };
    let p = view.person;
    page_with_status(
        &PersonPage {
            layout: Layout::signed_in(who, &account.username, "/people"),
            title: "人员信息",
            id: p.id,
            version: p.version,
            gender: p.gender.chinese(),
            birth_date: format::date(p.birth_date),
            id_number: if view.reveal_id_number {
                p.id_number.clone()
            } else {
                mask(&p.id_number)
            },
            phone: p.phone,
            email: p.email.unwrap_or_default(),
            street: street.name,
            status: p.status.chinese(),
            active: p.status == PersonStatus::Active,
            name: p.name,
            specialties,
            qualifications,
            current,
            past,
            sessions,
            sessions_total: latest.total,
            training_total: format::hours(hours(transcript.total_quarters)),
            courses,
            careers,
            member_account,
            may_change: may_change(who),
            kinds: choices("请选择", &kind_options(), typed.get("kind")),
            grades: choices("（无）", &grades, typed.get("grade")),
            communities: choices(
                "请选择社区（村）",
                &street_communities(db, who).await?,
                typed.get("community_id"),
            ),
            today: day.to_string(),
            typed,
            notice,
        },
        status,
    )
}

async fn specialty_names(
    db: &sea_orm::DatabaseConnection,
    view: &PersonView,
) -> Result<String, AppError> {
    let names = sport_items::names(db).await?;
    Ok(view
        .specialties
        .iter()
        .map(|s| {
            let name = names
                .get(&s.sport_item)
                .cloned()
                .unwrap_or_else(|| s.sport_item.clone());
            match &s.licence_no {
                Some(licence) => format!("{name}（证书 {licence}）"),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join("、"))
}
