//! `/careers`: the active social sports instructors whose annual work registration for a year
//! lapsed (never registered, or rejected), of the officer's street or of the district (one street
//! at a time if asked), with what the rule looks at.

use askama::Template;
use chrono::Datelike;
use poem::{Request, Response, handler, web::Query};
use serde::Deserialize;

use crate::{
    domain::{account::Role, hours::hours, time::today},
    services::{
        PageRequest, policy, regions,
        registration_list::{self, LapsedFilter},
        registrations::FIRST_YEAR,
    },
    web::{
        Layout, format, page,
        session::{WebCaller, state},
        views::{
            careers::person::shortfall_words,
            sessions::Choice,
            staff::{Pager, page_number, require_staff},
        },
    },
};

const PER_PAGE: u64 = 50;

pub struct LapsedRow {
    pub id: i32,
    pub name: String,
    pub grade: &'static str,
    pub street: String,
    pub communities: String,
    pub rejected: String,
    pub last_registered: String,
    pub served: String,
    pub served_enough: bool,
}

#[derive(Template)]
#[template(path = "office/careers.html")]
struct CareersPage {
    layout: Layout,
    title: &'static str,
    year: i32,
    years: Vec<Choice>,
    district: bool,
    streets: Vec<Choice>,
    scope: String,
    rows: Vec<LapsedRow>,
    pager: Pager,
    hours_needed: String,
    still_open: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct LapsedQuery {
    year: Option<String>,
    street_id: Option<String>,
    page: Option<String>,
}

/// `/careers`
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<LapsedQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let day = today();
    let newest = if day.month() == 12 {
        day.year() + 1
    } else {
        day.year()
    };
    let year = query
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (FIRST_YEAR..=newest).contains(y))
        .unwrap_or(day.year());
    let district = who.caller.role != Role::StreetOfficer;
    let street_id = if district {
        query
            .street_id
            .as_deref()
            .and_then(|s| s.trim().parse::<i32>().ok())
    } else {
        who.caller.street_id
    };
    let page_no = page_number(query.page.as_deref());
    let found = registration_list::lapsed(
        db,
        &who.caller,
        LapsedFilter { year, street_id },
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let hours_needed = policy::get(db).await?.policy.instructor_annual_hours;
    let streets = regions::list_streets(db, PageRequest::first(500))
        .await?
        .items;
    let scope = match street_id {
        Some(id) => streets
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        None => "全区".to_owned(),
    };
    let street_value = street_id.map(|s| s.to_string()).unwrap_or_default();
    let rows = found
        .items
        .iter()
        .map(|l| {
            let served = hours(l.served_quarters);
            LapsedRow {
                id: l.person.id,
                name: l.person.name.clone(),
                grade: l.grade.map_or("", |g| g.chinese()),
                street: l.street.clone(),
                communities: l.communities.join("、"),
                rejected: l
                    .rejected
                    .as_deref()
                    .map(|reason| shortfall_words(year, l.served_quarters, reason))
                    .unwrap_or_default(),
                last_registered: l
                    .last_registered
                    .map(|y| format!("{y}年"))
                    .unwrap_or_default(),
                served: format::hours(served),
                served_enough: served >= hours_needed,
            }
        })
        .collect();
    let params = [
        ("year", year.to_string()),
        (
            "street_id",
            if district {
                street_value.clone()
            } else {
                String::new()
            },
        ),
    ];
    page(&CareersPage {
        layout: Layout::signed_in(&who, &account.username, "/careers"),
        title: "注册与晋级",
        year,
        years: (FIRST_YEAR.max(day.year() - 9)..=newest)
            .rev()
            .map(|y| Choice {
                selected: y == year,
                value: y.to_string(),
                label: format!("{y}年"),
            })
            .collect(),
        district,
        streets: std::iter::once(Choice {
            selected: street_value.is_empty(),
            value: String::new(),
            label: "全区".to_owned(),
        })
        .chain(streets.iter().map(|s| Choice {
            selected: s.id.to_string() == street_value,
            value: s.id.to_string(),
            label: s.name.clone(),
        }))
        .collect(),
        scope,
        rows,
        pager: Pager::new("/careers", &params, page_no, PER_PAGE, found.total),
        hours_needed: format::hours(hours_needed),
        // The year's registration stays open until 31 March.
        still_open: year > day.year() || (year == day.year() && day.month() <= 3),
    })
}
