//! The bureau's coverage dashboard, its home: the district's ratio against the 100% target, a
//! bar per street, the uncovered communities (the newest gaps first) with how long each has
//! lasted, those at risk, instructors per 1,000 residents against the policy target, and the
//! trend of the last 24 month ends, for any past day. A street's page is the same for one street,
//! and is what a street officer sees instead. Exports are in [`export`], the print view made for
//! an inspection in [`print`], the chart in [`chart`].

mod chart;
mod export;
mod print;

use std::collections::HashMap;

use askama::Template;
use chrono::NaiveDate;
use poem::{
    Request, Response, Route, get, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use crate::{
    domain::{account::Role, time::today},
    error::AppError,
    services::{
        coverage::{self, Coverage, Totals},
        coverage_alerts::AT_RISK_DAYS,
        coverage_trend::{self, Trend},
    },
    web::{
        Layout, format, page_with_status, see_other,
        session::{WebCaller, state},
        views::staff::require_staff,
    },
};

/// The months the trend goes back.
pub const TREND_MONTHS: u32 = 24;
/// The most gaps and risks the dashboard lists; the print view and the exports have them all.
const MOST_ROWS: usize = 100;

/// The pages of the dashboard.
pub fn routes(route: Route) -> Route {
    route
        .at("/coverage", get(district))
        .at("/coverage/streets/:id", get(street))
        .at("/coverage/export", get(export::coverage_file))
        .at("/coverage/trend/export", get(export::trend_file))
        .at("/coverage/print", get(print::print))
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    pub as_of: Option<String>,
    pub street_id: Option<String>,
    pub format: Option<String>,
}

/// The day asked for: today when none is given, or the Chinese reason it can't be shown.
pub fn chosen_day(raw: Option<&str>) -> Result<NaiveDate, &'static str> {
    let today = today();
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(raw) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Err(_) => Err("请按“年-月-日”填写日期，例如 2026-06-30"),
            Ok(day) if day > today => Err("不能查看今天以后的日期"),
            Ok(day) => Ok(day),
        },
    }
}

/// Which street a page is about: the one asked for, or an officer's own; officers may not look at
/// another street's.
pub fn street_in_scope(who: &WebCaller, asked: Option<i32>) -> Result<Option<i32>, AppError> {
    match who.caller.role {
        Role::StreetOfficer => match (asked, who.caller.street_id) {
            (Some(id), Some(own)) if id != own => Err(AppError::Forbidden(
                "街道（乡镇）工作人员只能查看本街道（乡镇）的覆盖情况".into(),
            )),
            (_, Some(own)) => Ok(Some(own)),
            (_, None) => Err(AppError::Forbidden("这个账户没有所属街道（乡镇）".into())),
        },
        _ => Ok(asked),
    }
}

pub fn percent(totals: &Totals) -> String {
    format!("{:.1}", totals.ratio * 100.0)
}

pub struct StreetBar {
    pub id: i32,
    pub name: String,
    pub covered: u64,
    pub communities: u64,
    pub percent: String,
    pub per_1000: String,
}

pub struct GapRow {
    pub id: i32,
    pub name: String,
    pub street: String,
    pub since: String,
    pub days: String,
}

pub struct RiskRow {
    pub id: i32,
    pub name: String,
    pub street: String,
    pub from: String,
    pub days_left: i64,
}

/// Instructors per 1,000 residents over the communities whose population is known.
pub struct Density {
    pub instructors: i64,
    pub population: i64,
    pub known: usize,
    pub value: String,
    pub target: String,
    pub met: bool,
}

pub fn density<'a>(
    communities: impl Iterator<Item = &'a coverage::CommunityCoverage>,
    target: f64,
) -> Density {
    let (mut instructors, mut population, mut known) = (0i64, 0i64, 0usize);
    for c in communities {
        if let Some(p) = c.population.filter(|p| *p > 0) {
            instructors += c.instructors;
            population += i64::from(p);
            known += 1;
        }
    }
    let value = (population > 0).then(|| instructors as f64 * 1000.0 / population as f64);
    Density {
        instructors,
        population,
        known,
        value: value.map(|v| format!("{v:.2}")).unwrap_or_default(),
        target: format!("{target:.2}"),
        met: value.is_some_and(|v| v >= target),
    }
}

pub struct TrendRow {
    pub day: String,
    pub covered: u64,
    pub communities: u64,
    pub percent: String,
    pub streets: Vec<String>,
}

/// The trend's numbers as a table: a row per month end, a column per street while the chart draws
/// them.
pub fn trend_rows(trend: &Trend) -> (Vec<String>, Vec<TrendRow>) {
    let per_street = trend.streets.len() > 1 && trend.streets.len() <= chart::MOST_LINES;
    let headers = if per_street {
        trend.streets.iter().map(|s| s.name.clone()).collect()
    } else {
        Vec::new()
    };
    let rows = trend
        .points
        .iter()
        .rev()
        .map(|p| TrendRow {
            day: format::date(p.day),
            covered: p.district.covered,
            communities: p.district.communities,
            percent: percent(&p.district),
            streets: if per_street {
                p.streets
                    .iter()
                    .map(|t| format!("{}%", percent(t)))
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    (headers, rows)
}

#[derive(Template)]
#[template(path = "office/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    title: &'static str,
    heading: String,
    /// The street of a street's page.
    street_id: Option<i32>,
    as_of: String,
    as_of_words: String,
    today: String,
    is_today: bool,
    day_error: &'static str,
    covered: u64,
    communities: u64,
    uncovered: u64,
    percent: String,
    streets: Vec<StreetBar>,
    gaps: Vec<GapRow>,
    gaps_total: usize,
    risks: Vec<RiskRow>,
    risks_total: usize,
    at_risk_days: u32,
    density: Density,
    chart: chart::Chart,
    trend_headers: Vec<String>,
    trend: Vec<TrendRow>,
    months: u32,
    /// `as_of=...&street_id=...` for the export and print links.
    query: String,
    may_alert: bool,
}

/// `/coverage`: the district's dashboard; a street officer is sent to its street's.
#[handler]
pub async fn district(
    req: &Request,
    who: WebCaller,
    Query(query): Query<DayQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    if who.caller.role == Role::StreetOfficer {
        let own = street_in_scope(&who, None)?.unwrap_or_default();
        let day = query
            .as_of
            .as_deref()
            .map(|d| format!("?as_of={}", urlencoding(d)))
            .unwrap_or_default();
        return Ok(see_other(&format!("/coverage/streets/{own}{day}")));
    }
    render(req, &who, None, &query).await
}

/// `/coverage/streets/:id`: one street's dashboard.
#[handler]
pub async fn street(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<DayQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let id = street_in_scope(&who, Some(id))?;
    render(req, &who, id, &query).await
}

fn urlencoding(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// The query string naming the day and the street, for links that keep them.
pub fn scope_query(day: NaiveDate, street_id: Option<i32>) -> String {
    match street_id {
        Some(id) => format!("as_of={day}&street_id={id}"),
        None => format!("as_of={day}"),
    }
}

async fn render(
    req: &Request,
    who: &WebCaller,
    street_id: Option<i32>,
    query: &DayQuery,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let (day, day_error) = match chosen_day(query.as_of.as_deref()) {
        Ok(day) => (day, ""),
        Err(reason) => (today(), reason),
    };
    let audit = coverage::audit(db, &who.caller, day, street_id).await?;
    let gaps = coverage::gaps_in(db, &audit).await?;
    // One read of the administrator terms, from the trend's first month end to the at-risk
    // horizon, serves both.
    let horizon = day + chrono::TimeDelta::days(i64::from(AT_RISK_DAYS));
    let from = coverage_trend::month_ends(day, TREND_MONTHS)
        .first()
        .map_or(day, |first| (*first).min(day));
    let scope = coverage::audited_street(&who.caller, street_id)?;
    let terms = coverage::administrator_terms(db, from, horizon, scope).await?;
    let risks = coverage::at_risk_among(&audit, &terms, AT_RISK_DAYS);
    let trend =
        coverage_trend::trend_among(db, &who.caller, day, TREND_MONTHS, street_id, &terms).await?;
    let street_names: HashMap<i32, &str> = audit
        .streets
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let name_of = |id: i32| {
        street_names
            .get(&id)
            .copied()
            .unwrap_or_default()
            .to_owned()
    };
    let (heading, totals) = match street_id.and_then(|id| audit.streets.iter().find(|s| s.id == id))
    {
        Some(s) => (s.name.clone(), s.totals.clone()),
        None => ("全区".to_owned(), audit.district.clone()),
    };
    let mut gaps = gaps;
    // The newest gaps first: a community that just lost its administrator leads the list;
    // those that never had one follow, in code order.
    gaps.sort_by(|a, b| {
        b.uncovered_since
            .cmp(&a.uncovered_since)
            .then_with(|| a.community.code.cmp(&b.community.code))
    });
    let gaps_total = gaps.len();
    let risks_total = risks.len();
    let (trend_headers, trend_rows) = trend_rows(&trend);
    let streets = street_bars(&audit);
    let page = DashboardPage {
        layout: Layout::signed_in(who, &account.username, "/coverage"),
        title: "覆盖总览",
        chart: chart::draw(&trend, &heading),
        heading,
        street_id,
        as_of: day.to_string(),
        as_of_words: format::date(day),
        today: today().to_string(),
        is_today: day == today(),
        day_error,
        covered: totals.covered,
        communities: totals.communities,
        uncovered: totals.communities - totals.covered,
        percent: percent(&totals),
        streets: if street_id.is_none() {
            streets
        } else {
            Vec::new()
        },
        gaps: gaps
            .iter()
            .take(MOST_ROWS)
            .map(|g| GapRow {
                id: g.community.id,
                name: g.community.name.clone(),
                street: name_of(g.community.street_id),
                since: g.uncovered_since.map(format::date).unwrap_or_default(),
                days: g
                    .days
                    .map(|d| format!("{d} 天"))
                    .unwrap_or_else(|| "从未安排".to_owned()),
            })
            .collect(),
        gaps_total,
        risks: risks
            .iter()
            .take(MOST_ROWS)
            .map(|r| RiskRow {
                id: r.community.id,
                name: r.community.name.clone(),
                street: name_of(r.community.street_id),
                from: format::date(r.uncovered_from),
                days_left: r.days_left,
            })
            .collect(),
        risks_total,
        at_risk_days: AT_RISK_DAYS,
        density: density(audit.communities.iter(), audit.instructors_per_1000_target),
        trend_headers,
        trend: trend_rows,
        months: TREND_MONTHS,
        query: scope_query(day, street_id),
        may_alert: who.caller.role == Role::BureauAdmin,
    };
    let status = if day_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page_with_status(&page, status)
}

/// A bar per street, in code order, with its instructors per 1,000 residents.
pub fn street_bars(audit: &Coverage) -> Vec<StreetBar> {
    let mut by_street: HashMap<i32, Vec<&coverage::CommunityCoverage>> = HashMap::new();
    for c in &audit.communities {
        by_street.entry(c.street_id).or_default().push(c);
    }
    audit
        .streets
        .iter()
        .map(|s| StreetBar {
            id: s.id,
            name: s.name.clone(),
            covered: s.totals.covered,
            communities: s.totals.communities,
            percent: percent(&s.totals),
            per_1000: density(
                by_street.get(&s.id).into_iter().flatten().copied(),
                audit.instructors_per_1000_target,
            )
            .value,
        })
        .collect()
}
