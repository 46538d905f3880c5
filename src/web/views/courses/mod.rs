//! Training for the street office: the courses open for enrolment and those coming up or
//! running, each with its seats left. One course's page, with the street's people enrolled and
//! the forms to enrol and withdraw them, is in [`detail`]; the forms' handlers and the sign-in
//! sheet in [`seats`].

pub mod detail;
pub mod form;
pub mod results;
pub mod seats;

use askama::Template;
use poem::{Request, Response, Route, get, handler, post};

use crate::{
    domain::{
        hours::hours,
        time::today,
        training::{CourseKind, CourseStatus},
    },
    services::{
        PageRequest,
        courses::{self, CourseFilter, CourseView},
    },
    web::{
        Layout, format, page,
        session::{WebCaller, state},
        views::{staff::require_staff, training::grade_name},
    },
};

/// The pages of the courses.
pub fn routes(route: Route) -> Route {
    route
        .at("/courses", get(list))
        .at("/courses/new", get(form::new_page).post(form::create))
        .at("/courses/:id", get(detail::detail))
        .at("/courses/:id/edit", get(form::edit_page).post(form::update))
        .at("/courses/:id/status", post(form::change_status))
        .at(
            "/courses/:id/results",
            get(results::page).post(results::record),
        )
        .at("/courses/:id/enrollments", post(seats::enrol))
        .at(
            "/courses/:id/enrollments/:person_id/withdraw",
            post(seats::withdraw),
        )
        .at("/courses/:id/sign-in-sheet", get(seats::sign_in_sheet))
}

/// The most courses each part of the list shows.
const MOST: u64 = 200;

/// A course as the pages show it, in Chinese.
pub struct CourseFacts {
    pub id: i32,
    pub title: String,
    pub kind: &'static str,
    pub target: String,
    pub organizer: String,
    pub location: String,
    pub description: String,
    pub period: String,
    pub hours: String,
    pub capacity: i32,
    pub enrolled: i64,
    pub seats_left: i64,
    pub status: &'static str,
    /// The class of the status text: open courses stand out, cancelled ones are muted.
    pub status_class: &'static str,
    pub open: bool,
    pub cancelled: bool,
    pub cancel_reason: String,
    pub version: i64,
    /// The moves its life allows from here, for the bureau's buttons.
    pub may_open: bool,
    pub may_close: bool,
    pub may_plan: bool,
    /// A closed course opens again rather than for the first time.
    pub reopens: bool,
    /// Whether it has started and is not cancelled: results may be recorded.
    pub may_record: bool,
}

impl CourseFacts {
    pub fn of(view: &CourseView) -> Self {
        let c = &view.course;
        let target = match (c.kind, c.target_grade) {
            (CourseKind::Certification, Some(grade)) => grade_name(grade),
            (_, Some(grade)) => format!("{}（{}）", c.target_role.chinese(), grade.chinese()),
            (_, None) => c.target_role.chinese().to_owned(),
        };
        let period = if c.starts_on == c.ends_on {
            format::date(c.starts_on)
        } else {
            format!(
                "{} 至 {}",
                format::date(c.starts_on),
                format::date(c.ends_on)
            )
        };
        Self {
            id: c.id,
            title: c.title.clone(),
            kind: c.kind.chinese(),
            target,
            organizer: c.organizer.clone(),
            location: c.location.clone(),
            description: c.description.clone().unwrap_or_default(),
            period,
            hours: format::hours(hours(i64::from(c.quarters))),
            capacity: c.capacity,
            enrolled: view.enrolled,
            seats_left: (i64::from(c.capacity) - view.enrolled).max(0),
            status: c.status.chinese(),
            status_class: match c.status {
                CourseStatus::Open => "status-approved",
                CourseStatus::Cancelled => "status-withdrawn",
                CourseStatus::Planned | CourseStatus::Closed => "",
            },
            open: c.status == CourseStatus::Open,
            cancelled: c.status == CourseStatus::Cancelled,
            cancel_reason: c.cancel_reason.clone().unwrap_or_default(),
            version: c.version.into(),
            may_open: matches!(c.status, CourseStatus::Planned | CourseStatus::Closed),
            may_close: c.status == CourseStatus::Open,
            may_plan: c.status == CourseStatus::Open,
            reopens: c.status == CourseStatus::Closed,
            may_record: c.status != CourseStatus::Cancelled && today() >= c.starts_on,
        }
    }
}

#[derive(Template)]
#[template(path = "office/courses.html")]
struct CoursesPage {
    layout: Layout,
    title: &'static str,
    open: Vec<CourseFacts>,
    coming: Vec<CourseFacts>,
    ended: Vec<CourseFacts>,
    /// The bureau runs courses: it gets the button to start one.
    runs_courses: bool,
}

/// `/courses`: the courses taking enrolments, soonest first, below them the planned and closed
/// ones that have not ended yet, and last the courses of the past year, latest first (where the
/// bureau records results and anyone finds last spring's class).
#[handler]
pub async fn list(req: &Request, who: WebCaller) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let open = courses::list(
        db,
        &CourseFilter {
            status: Some(CourseStatus::Open),
            ..Default::default()
        },
        PageRequest::first(MOST),
    )
    .await?;
    let current = courses::list(
        db,
        &CourseFilter {
            from: Some(today()),
            ..Default::default()
        },
        PageRequest::first(MOST),
    )
    .await?;
    // The service lists the latest first; a clerk plans from the soonest.
    let open: Vec<CourseFacts> = open.items.iter().rev().map(CourseFacts::of).collect();
    let coming = current
        .items
        .iter()
        .rev()
        .filter(|v| {
            matches!(
                v.course.status,
                CourseStatus::Planned | CourseStatus::Closed
            )
        })
        .map(CourseFacts::of)
        .collect();
    let past = courses::list(
        db,
        &CourseFilter {
            from: today().checked_sub_days(chrono::Days::new(366)),
            ended_before: Some(today()),
            ..Default::default()
        },
        PageRequest::first(MOST),
    )
    .await?;
    let ended = past.items.iter().map(CourseFacts::of).collect();
    page(&CoursesPage {
        layout: Layout::signed_in(&who, &account.username, "/courses"),
        title: "培训",
        open,
        coming,
        ended,
        runs_courses: who.caller.role == crate::domain::account::Role::BureauAdmin,
    })
}
