//! The print view made for an inspection: a page for the district (its ratio, every street, the
//! gaps), then a page per street listing every community with its administrators and, for an
//! uncovered one, since when. A street officer prints its own street's page.

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Query};

use super::{DayQuery, StreetBar, chosen_day, percent, street_bars, street_in_scope};
use crate::{
    domain::time::today,
    error::AppError,
    services::coverage,
    web::{
        Layout, format, page_with_status,
        session::{WebCaller, state},
        views::staff::require_staff,
    },
};

pub struct PrintRow {
    pub code: String,
    pub name: String,
    pub full_time: i64,
    pub part_time: i64,
    pub instructors: i64,
    pub volunteers: i64,
    pub covered: bool,
    pub gap: String,
}

pub struct DistrictLine {
    pub covered: u64,
    pub communities: u64,
    pub percent: String,
}

pub struct PrintStreet {
    pub name: String,
    pub covered: u64,
    pub communities: u64,
    pub percent: String,
    pub rows: Vec<PrintRow>,
}

#[derive(Template)]
#[template(path = "office/dashboard_print.html")]
struct PrintPage {
    layout: Layout,
    title: &'static str,
    as_of: String,
    printed_on: String,
    /// The district's page; none when one street is printed.
    district: Option<DistrictLine>,
    bars: Vec<StreetBar>,
    streets: Vec<PrintStreet>,
    back: String,
}

/// `/coverage/print?as_of=&street_id=`.
#[handler]
pub async fn print(
    req: &Request,
    who: WebCaller,
    Query(query): Query<DayQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let day = chosen_day(query.as_of.as_deref())
        .map_err(|_| AppError::invalid("as_of", "date.invalid", "is not a past date"))?;
    let asked = query
        .street_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i32>().ok());
    let street_id = street_in_scope(&who, asked)?;
    let audit = coverage::audit(db, &who.caller, day, street_id).await?;
    let gaps: HashMap<i32, String> = coverage::gaps_in(db, &audit)
        .await?
        .into_iter()
        .map(|g| {
            let words = match (g.uncovered_since, g.days) {
                (Some(since), Some(days)) => format!("自{}起空缺 {days} 天", format::date(since)),
                _ => "从未安排".to_owned(),
            };
            (g.community.id, words)
        })
        .collect();
    let mut by_street: HashMap<i32, Vec<PrintRow>> = HashMap::new();
    for c in &audit.communities {
        by_street.entry(c.street_id).or_default().push(PrintRow {
            code: c.code.clone(),
            name: c.name.clone(),
            full_time: c.administrators_full_time,
            part_time: c.administrators_part_time,
            instructors: c.instructors,
            volunteers: c.volunteers,
            covered: c.covered,
            gap: gaps.get(&c.id).cloned().unwrap_or_default(),
        });
    }
    let streets = audit
        .streets
        .iter()
        .map(|s| PrintStreet {
            name: s.name.clone(),
            covered: s.totals.covered,
            communities: s.totals.communities,
            percent: percent(&s.totals),
            rows: by_street.remove(&s.id).unwrap_or_default(),
        })
        .collect();
    let back = match street_id {
        Some(id) => format!("/coverage/streets/{id}?as_of={day}"),
        None => format!("/coverage?as_of={day}"),
    };
    page_with_status(
        &PrintPage {
            layout: Layout::signed_in(&who, &account.username, "/coverage"),
            title: "覆盖情况（打印）",
            as_of: format::date(day),
            printed_on: format::date(today()),
            district: street_id.is_none().then(|| DistrictLine {
                covered: audit.district.covered,
                communities: audit.district.communities,
                percent: percent(&audit.district),
            }),
            bars: if street_id.is_none() {
                street_bars(&audit)
            } else {
                Vec::new()
            },
            streets,
            back,
        },
        StatusCode::OK,
    )
}
