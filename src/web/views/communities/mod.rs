//! The communities of a street as its office keeps them: each with its administrators in force
//! (full- and part-time), instructors and volunteers, covered or not, how long a gap has lasted,
//! and the day a covered one will lose its last administrator; a community's page with the people
//! serving it, the history of its assignments, a form to assign someone and its QR poster.

pub mod admin;
mod community;

pub use community::{assign, detail, show_errors};

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Query};
use serde::Deserialize;

use crate::{
    domain::{account::Role, time::today},
    services::{PageRequest, coverage, coverage_alerts::AT_RISK_DAYS, regions},
    web::{
        Layout, format, page_with_status,
        session::{WebCaller, state},
        views::{people::choices, staff::require_staff},
    },
};

pub struct CommunityRow {
    pub id: i32,
    pub name: String,
    pub street: String,
    pub full_time: i64,
    pub part_time: i64,
    pub instructors: i64,
    pub volunteers: i64,
    pub covered: bool,
    /// For an uncovered community: since when, and for how many days.
    pub gap: String,
    /// For a covered one: the first day without an administrator, when within the window.
    pub at_risk: String,
}

#[derive(Template)]
#[template(path = "office/communities.html")]
struct CommunitiesPage {
    layout: Layout,
    title: &'static str,
    heading: String,
    covered: u64,
    communities: u64,
    percent: String,
    rows: Vec<CommunityRow>,
    at_risk_days: u32,
    district: bool,
    street_query: String,
    /// The district roles choose a street.
    streets: Vec<crate::web::views::sessions::Choice>,
    show_inactive: bool,
    inactive: Vec<InactiveRow>,
    may_add: bool,
}

/// A deactivated community, listed when asked.
pub struct InactiveRow {
    pub id: i32,
    pub name: String,
    pub street: String,
    pub since: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    street_id: Option<String>,
    inactive: Option<String>,
}

pub(super) fn gap_words(since: Option<chrono::NaiveDate>, days: Option<i64>) -> String {
    match (since, days) {
        (Some(since), Some(days)) => format!("自{}起空缺 {days} 天", format::date(since)),
        _ => "从未安排文体管理员".to_owned(),
    }
}

/// `/communities`: the street's communities (the district's for the bureau and auditors, or one
/// street's with `?street_id=`), the uncovered ones first.
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<ListQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let district_role = who.caller.role != Role::StreetOfficer;
    let street_id = query
        .street_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|_| district_role);
    let show_inactive = query.inactive.as_deref().is_some_and(|v| !v.is_empty());
    let day = today();
    let audit = coverage::audit(db, &who.caller, day, street_id).await?;
    let gaps: HashMap<i32, String> = coverage::gaps_in(db, &audit)
        .await?
        .into_iter()
        .map(|g| (g.community.id, gap_words(g.uncovered_since, g.days)))
        .collect();
    let risks: HashMap<i32, String> = coverage::at_risk_in(db, &audit, AT_RISK_DAYS)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.community.id,
                format!(
                    "{}起无人（还剩 {} 天）",
                    format::date(r.uncovered_from),
                    r.days_left
                ),
            )
        })
        .collect();
    let streets: HashMap<i32, String> = audit
        .streets
        .iter()
        .map(|s| (s.id, s.name.clone()))
        .collect();
    let mut rows: Vec<CommunityRow> = audit
        .communities
        .iter()
        .map(|c| CommunityRow {
            id: c.id,
            name: c.name.clone(),
            street: streets.get(&c.street_id).cloned().unwrap_or_default(),
            full_time: c.administrators_full_time,
            part_time: c.administrators_part_time,
            instructors: c.instructors,
            volunteers: c.volunteers,
            covered: c.covered,
            gap: gaps.get(&c.id).cloned().unwrap_or_default(),
            at_risk: risks.get(&c.id).cloned().unwrap_or_default(),
        })
        .collect();
    // Uncovered first, then those at risk, each in code order (the audit's order).
    rows.sort_by_key(|r| (r.covered, r.at_risk.is_empty()));
    let (covered, communities, heading) = match (street_id, who.caller.role) {
        (Some(_), _) | (None, Role::StreetOfficer) => {
            let id = street_id.or(who.caller.street_id).unwrap_or_default();
            let street = audit.streets.iter().find(|s| s.id == id);
            (
                street.map_or(0, |s| s.totals.covered),
                street.map_or(0, |s| s.totals.communities),
                street.map(|s| s.name.clone()).unwrap_or_default(),
            )
        }
        _ => (
            audit.district.covered,
            audit.district.communities,
            "全区".to_owned(),
        ),
    };
    let percent = if communities == 0 {
        "100".to_owned()
    } else {
        format!("{:.1}", covered as f64 * 100.0 / communities as f64)
    };
    let inactive = if show_inactive {
        inactive_rows(db, street_id.or(who.caller.street_id)).await?
    } else {
        Vec::new()
    };
    let streets = if district_role {
        let all: Vec<(String, String)> = regions::list_streets(db, PageRequest::first(500))
            .await?
            .items
            .into_iter()
            .map(|s| (s.id.to_string(), s.name))
            .collect();
        choices(
            "全区",
            &all,
            &street_id.map(|s| s.to_string()).unwrap_or_default(),
        )
    } else {
        Vec::new()
    };
    page_with_status(
        &CommunitiesPage {
            layout: Layout::signed_in(&who, &account.username, "/communities"),
            title: "社区（村）",
            heading,
            covered,
            communities,
            percent,
            rows,
            at_risk_days: AT_RISK_DAYS,
            district: street_id.is_none() && who.caller.role != Role::StreetOfficer,
            street_query: street_id
                .map(|s| format!("street_id={s}"))
                .unwrap_or_default(),
            streets,
            show_inactive,
            inactive,
            may_add: who.caller.role == Role::BureauAdmin,
        },
        StatusCode::OK,
    )
}

/// The deactivated communities of a street (or the district), with the day each stopped.
async fn inactive_rows(
    db: &sea_orm::DatabaseConnection,
    street_id: Option<i32>,
) -> Result<Vec<InactiveRow>, crate::error::AppError> {
    let found = regions::list_communities(
        db,
        &regions::CommunityFilter {
            street_id,
            active: Some(false),
            ..Default::default()
        },
        PageRequest::first(1000),
    )
    .await?;
    Ok(found
        .items
        .into_iter()
        .map(|(c, s)| InactiveRow {
            id: c.id,
            name: c.name,
            street: s.name,
            since: c.deactivated_on.map(format::date).unwrap_or_default(),
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    street_id: Option<String>,
}

/// `/communities/export?format=csv|xlsx`: today's coverage of the street (or the district, or
/// one street for the district roles) as a file.
#[handler]
pub async fn export(
    req: &Request,
    who: WebCaller,
    Query(query): Query<ExportQuery>,
) -> poem::Result<Response> {
    use poem::IntoResponse;

    use crate::{
        api::files::{ExportFile, ExportFormat},
        services::coverage_export,
    };
    require_staff(&who)?;
    let state = state(req)?;
    let street_id = query
        .street_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i32>().ok());
    let day = today();
    let audit = coverage::audit(&state.db, &who.caller, day, street_id).await?;
    let format = match query.format.as_deref() {
        Some("csv") => ExportFormat::Csv,
        _ => ExportFormat::Xlsx,
    };
    Ok(ExportFile {
        body: coverage_export::file(audit, None, format.into()).into(),
        format,
        name: format!("coverage-{day}"),
    }
    .into_response())
}
