//! Where each role lands: the root, a member's year at a glance, and the desk of the staff roles.

use askama::Template;
use poem::{Request, Response, handler};

use crate::{
    domain::{
        account::Role,
        careers::RegistrationStatus,
        hours::hours,
        person::{QualificationKind, QualificationStatus, SessionStatus},
    },
    error::AppError,
    services::{PageRequest, people, registrations, service_sessions},
    web::{
        Layout, format, home_of, page, see_other,
        session::{MaybeCaller, WebCaller, state},
    },
};

/// `/`: the login page for a visitor, the role's home for a signed-in person.
#[handler]
pub async fn root(MaybeCaller(who): MaybeCaller) -> Response {
    match who {
        Some(who) => see_other(home_of(who.caller.role)),
        None => see_other("/login"),
    }
}

pub fn status_name(status: SessionStatus) -> (&'static str, &'static str) {
    match status {
        SessionStatus::Pending => ("待审核", "status-pending"),
        SessionStatus::Approved => ("已通过", "status-approved"),
        SessionStatus::Rejected => ("未通过", "status-rejected"),
        SessionStatus::Withdrawn => ("已撤回", "status-withdrawn"),
        SessionStatus::Revoked => ("已撤销", "status-revoked"),
    }
}

#[derive(Template)]
#[template(path = "member/home.html")]
struct MemberHome {
    layout: Layout,
    title: &'static str,
    name: String,
    year: i32,
    approved: String,
    pending: String,
    stars: String,
    star_level: u8,
    to_next_star: String,
    /// `(required, percent done)` when the person's kind asks for yearly hours.
    requirement: Option<(String, u32)>,
    met: bool,
    /// This year's work registration, for instructors: its words and whether it is approved.
    registration: Option<(&'static str, bool)>,
    sessions: Vec<crate::web::views::sessions::Row>,
}

/// A member's home: this year's hours, stars, requirement and registration, and the latest
/// sessions.
#[handler]
pub async fn member_home(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let Some(person_id) = who
        .caller
        .person_id
        .filter(|_| who.caller.role == Role::Member)
    else {
        return Err(AppError::Forbidden("这是体育工作者本人的页面".into()).into());
    };
    let summary = service_sessions::summary(db, &who.caller, person_id, None).await?;
    let person = crate::services::person_scope::find_readable(db, &who.caller, person_id).await?;
    let qualifications = people::load_qualifications(db, &[person_id])
        .await?
        .remove(&person_id)
        .unwrap_or_default();
    let is_instructor = qualifications.iter().any(|q| {
        q.kind == QualificationKind::SocialSportsInstructor
            && q.status == QualificationStatus::Active
    });
    let registration = if is_instructor {
        let held = registrations::list(db, &who.caller, person_id, PageRequest::first(50)).await?;
        Some(match held.items.iter().find(|r| r.year == summary.year) {
            Some(r) if r.status == RegistrationStatus::Approved => ("已完成年度注册", true),
            Some(_) => ("年度注册未通过", false),
            None => ("尚未进行年度注册", false),
        })
    } else {
        None
    };
    let filter = service_sessions::SessionFilter {
        person_id: Some(person_id),
        ..Default::default()
    };
    let latest = service_sessions::list(db, &who.caller, &filter, PageRequest::first(5)).await?;
    let sessions = crate::web::views::sessions::rows_of(db, &latest.items).await?;
    let approved = hours(summary.approved_quarters);
    let requirement = summary.annual_requirement_hours.map(|required| {
        let percent = if required > 0.0 {
            ((approved / required) * 100.0).clamp(0.0, 100.0) as u32
        } else {
            100
        };
        (format::hours(required), percent)
    });
    page(&MemberHome {
        layout: Layout::signed_in(&who, &account.username, "/me"),
        title: "我的首页",
        name: person.name,
        year: summary.year,
        approved: format::hours(approved),
        pending: format::hours(hours(summary.pending_quarters)),
        stars: "★".repeat(usize::from(summary.star_level)),
        star_level: summary.star_level,
        to_next_star: summary
            .hours_to_next_star
            .map(format::hours)
            .unwrap_or_default(),
        met: summary.meets_annual_requirement().unwrap_or(false),
        requirement,
        registration,
        sessions,
    })
}

#[derive(Template)]
#[template(path = "desk.html")]
struct Desk {
    layout: Layout,
    title: &'static str,
    username: String,
    role: &'static str,
    /// The street's name for an officer, 全区 for the district roles.
    scope: String,
    covered: u64,
    communities: u64,
    percent: String,
    at_risk: usize,
    people: u64,
    pending: u64,
    corrections: usize,
    may_change: bool,
}

/// The staff roles' start page: the scope's coverage, its people, and what waits for review.
#[handler]
pub async fn desk(req: &Request, who: WebCaller) -> poem::Result<Response> {
    use crate::{
        services::{coverage, coverage_alerts::AT_RISK_DAYS},
        web::views::staff::may_change,
    };
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let role = match who.caller.role {
        Role::BureauAdmin => "区文体新局",
        Role::StreetOfficer => "街道（乡镇）工作人员",
        Role::Auditor => "督查人员",
        Role::Member => return Ok(see_other("/me")),
    };
    let day = crate::domain::time::today();
    let audit = coverage::audit(db, &who.caller, day, None).await?;
    let officer_street = match who.caller.role {
        Role::StreetOfficer => who.caller.street_id,
        _ => None,
    };
    let scope = match officer_street.and_then(|id| audit.streets.iter().find(|s| s.id == id)) {
        Some(street) => street.name.clone(),
        None => "全区".to_owned(),
    };
    let at_risk = coverage::at_risk(db, &who.caller, AT_RISK_DAYS, None)
        .await?
        .len();
    let people = people::list(db, &who.caller, &Default::default(), PageRequest::first(1))
        .await?
        .total;
    let pending = service_sessions::list(
        db,
        &who.caller,
        &service_sessions::SessionFilter {
            status: Some(SessionStatus::Pending),
            street_id: officer_street,
            ..Default::default()
        },
        PageRequest::first(1),
    )
    .await?
    .total;
    let corrections = service_sessions::pending_corrections(db, &who.caller, 1000)
        .await?
        .len();
    let d = &audit.district;
    page(&Desk {
        layout: Layout::signed_in(&who, &account.username, "/desk"),
        title: "工作台",
        username: account.username,
        role,
        scope,
        covered: d.covered,
        communities: d.communities,
        percent: format!("{:.1}", d.ratio * 100.0),
        at_risk,
        people,
        pending,
        corrections,
        may_change: may_change(&who),
    })
}
