//! One course as the office sees it: its facts and seats left, the people of the caller's scope
//! who hold or held a seat with their results, and, while the course is open, the active people
//! not enrolled yet to enrol several at once. An officer sees its street's people only: the
//! enrolments service scopes every list.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::CourseFacts;
use crate::{
    domain::{hours::hours, person::PersonStatus, training::EnrollmentStatus},
    services::{
        PageRequest, courses, enrollments,
        people::{self, PersonFilter},
        regions,
    },
    web::{
        Layout, format, page_with_status,
        session::{WebCaller, state},
        views::{
            people::held_names,
            staff::{Pager, may_change, page_number, require_staff},
        },
    },
};

/// Seats shown per page.
const PER_PAGE: u64 = 100;
/// The most people offered for enrolment at once; a search narrows them.
const CANDIDATES: u64 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct CourseQuery {
    q: Option<String>,
    page: Option<String>,
    done: Option<String>,
    count: Option<String>,
}

/// What the last form did, shown above the lists.
#[derive(Debug, Default)]
pub struct Outcome {
    pub notice: String,
    /// One sentence per person refused, naming them when the caller may see them.
    pub refused: Vec<String>,
}

pub struct SeatRow {
    pub person_id: i32,
    pub name: String,
    pub street: String,
    pub status: &'static str,
    pub enrolled: bool,
    pub result: &'static str,
    pub hours: String,
    pub enrolled_at: String,
    pub withdrawable: bool,
}

pub struct Candidate {
    pub id: i32,
    pub name: String,
    /// The last four digits of the phone, to tell two people of one name apart.
    pub phone_tail: String,
    pub qualifications: String,
}

#[derive(Template)]
#[template(path = "office/course.html")]
struct CoursePage {
    layout: Layout,
    title: &'static str,
    course: CourseFacts,
    seats: Vec<SeatRow>,
    pager: Pager,
    district: bool,
    candidates: Vec<Candidate>,
    more_candidates: bool,
    q: String,
    may_change: bool,
    /// The bureau runs the course: edit, status moves, results.
    runs_courses: bool,
    notice: String,
    refused: Vec<String>,
}

fn notice_of(query: &CourseQuery) -> String {
    let count = query.count.as_deref().and_then(|c| c.parse::<u32>().ok());
    match (query.done.as_deref(), count) {
        (Some("enrolled"), Some(n)) => format!("已为 {n} 人报名。"),
        (Some("withdrawn"), _) => "已退出这期培训，名额已空出。".to_owned(),
        (Some("created"), _) => "培训已建立。".to_owned(),
        (Some("updated"), _) => "培训信息已保存。".to_owned(),
        (Some("opened"), _) => "已开始报名，各街道（乡镇）现在可以为人员报名。".to_owned(),
        (Some("closed"), _) => "报名已截止。".to_owned(),
        (Some("planned"), _) => "已改回筹备中，暂停报名。".to_owned(),
        (Some("cancelled"), _) => "培训已取消，已通知有邮箱的报名人员。".to_owned(),
        (Some("results"), Some(n)) => format!("已保存 {n} 人的培训结果，学时已计入本人培训记录。"),
        _ => String::new(),
    }
}

/// `/courses/:id`
#[handler]
pub async fn detail(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<CourseQuery>,
) -> poem::Result<Response> {
    let outcome = Outcome {
        notice: notice_of(&query),
        refused: Vec::new(),
    };
    let q = query.q.unwrap_or_default();
    let page_no = page_number(query.page.as_deref());
    render(req, &who, id, &q, page_no, outcome, StatusCode::OK).await
}

/// The course's page with the outcome of a form, answered with `status`.
pub async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    q: &str,
    page_no: u64,
    outcome: Outcome,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let view = courses::get(db, id).await?;
    let course = CourseFacts::of(&view);
    let district = who.caller.is_district_wide_reader();
    let streets: HashMap<i32, String> = if district {
        regions::list_streets(db, PageRequest::first(200))
            .await?
            .items
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    } else {
        HashMap::new()
    };
    let writes = may_change(who);
    let found = enrollments::list(
        db,
        &who.caller,
        id,
        None,
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let seats = found
        .items
        .iter()
        .map(|seat| {
            let e = &seat.enrollment;
            let enrolled = e.status == EnrollmentStatus::Enrolled;
            SeatRow {
                person_id: seat.person.id,
                name: seat.person.name.clone(),
                street: streets
                    .get(&seat.person.street_id)
                    .cloned()
                    .unwrap_or_default(),
                status: e.status.chinese(),
                enrolled,
                result: e.result.map_or("", |r| r.chinese()),
                hours: e
                    .credited_quarters
                    .map(|q| format::hours(hours(i64::from(q))))
                    .unwrap_or_default(),
                enrolled_at: format::date_time(e.enrolled_at),
                withdrawable: writes && enrolled && e.result.is_none() && !course.cancelled,
            }
        })
        .collect();
    let (candidates, more_candidates) = if writes && course.open {
        candidates(db, who, id, q).await?
    } else {
        (Vec::new(), false)
    };
    page_with_status(
        &CoursePage {
            layout: Layout::signed_in(who, &account.username, "/courses"),
            title: "培训详情",
            pager: Pager::new(
                &format!("/courses/{id}"),
                &[("q", q.to_owned())],
                page_no,
                PER_PAGE,
                found.total,
            ),
            course,
            seats,
            district,
            candidates,
            more_candidates,
            q: q.to_owned(),
            may_change: writes,
            runs_courses: who.caller.role == crate::domain::account::Role::BureauAdmin,
            notice: outcome.notice,
            refused: outcome.refused,
        },
        status,
    )
}

/// The active people of the caller's scope, matching `q`, who hold no seat in the course yet;
/// and whether there are more than are shown.
async fn candidates(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    course_id: i32,
    q: &str,
) -> poem::Result<(Vec<Candidate>, bool)> {
    let seated = enrollments::enrolled_person_ids(db, &who.caller, course_id).await?;
    let filter = PersonFilter {
        q: Some(q.trim().to_owned()).filter(|q| !q.is_empty()),
        status: Some(PersonStatus::Active),
        ..Default::default()
    };
    let found = people::list(db, &who.caller, &filter, PageRequest::first(CANDIDATES)).await?;
    let more = found.total > found.items.len() as u64;
    let list = found
        .items
        .iter()
        .filter(|v| !seated.contains(&v.person.id))
        .map(|v| Candidate {
            id: v.person.id,
            name: v.person.name.clone(),
            phone_tail: phone_tail(&v.person.phone).to_owned(),
            qualifications: held_names(v),
        })
        .collect();
    Ok((list, more))
}

fn phone_tail(phone: &str) -> &str {
    phone.get(phone.len().saturating_sub(4)..).unwrap_or("")
}
