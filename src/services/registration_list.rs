//! What the offices read about annual work registration (工作注册) beyond one person: the
//! instructors of the caller's scope whose registration for a year lapsed, with what the rule
//! looks at, and who decided a registration.

use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};

use super::{PageRequest, Paged, fetch_page, list_scope};
use crate::{
    auth::Caller,
    domain::{
        careers::RegistrationStatus,
        person::{Grade, PersonStatus, QualificationKind, QualificationStatus, SessionStatus},
        time::{today, year_bounds, year_days},
    },
    entities::{
        account, assignment, community, person, qualification, registration, service_session,
        street,
    },
    error::AppError,
};

/// Which lapsed registrations to list.
#[derive(Debug, Clone, Copy)]
pub struct LapsedFilter {
    pub year: i32,
    /// One street of the district (the district roles); an officer's list is its street's.
    pub street_id: Option<i32>,
}

/// An instructor without an approved registration for the year.
#[derive(Debug, Clone)]
pub struct Lapsed {
    pub person: person::Model,
    pub grade: Option<Grade>,
    pub street: String,
    /// The communities the person serves today, by name.
    pub communities: Vec<String>,
    /// The latest year with an approved registration, if any.
    pub last_registered: Option<i32>,
    /// The reason, when the year's registration was decided and rejected.
    pub rejected: Option<String>,
    /// Approved service in the year before, in quarter hours: what the rule counts.
    pub served_quarters: i64,
}

/// Active people of the caller's scope holding an active social sports instructor
/// qualification granted by the end of `year`, without an approved registration for it (never
/// registered, or rejected), by street and name. Six queries whatever the page size.
pub async fn lapsed(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: LapsedFilter,
    page: PageRequest,
) -> Result<Paged<Lapsed>, AppError> {
    let Some((_, last_day)) = year_days(filter.year) else {
        return Ok(empty(0, page.page, page.per_page));
    };
    let mut instructors = Query::select();
    instructors
        .column(qualification::Column::PersonId)
        .from(qualification::Entity)
        .and_where(qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor))
        .and_where(qualification::Column::Status.eq(QualificationStatus::Active))
        .and_where(qualification::Column::CertifiedOn.lte(last_day));
    let mut approved = Query::select();
    approved
        .column(registration::Column::PersonId)
        .from(registration::Entity)
        .and_where(registration::Column::Year.eq(filter.year))
        .and_where(registration::Column::Status.eq(RegistrationStatus::Approved));
    let mut select = person::Entity::find()
        .filter(list_scope::people(caller))
        .filter(person::Column::Status.eq(PersonStatus::Active))
        .filter(person::Column::Id.in_subquery(instructors.to_owned()))
        .filter(person::Column::Id.not_in_subquery(approved.to_owned()));
    if let Some(street_id) = filter.street_id {
        select = select.filter(person::Column::StreetId.eq(street_id));
    }
    let select = select
        .order_by_asc(person::Column::StreetId)
        .order_by_asc(person::Column::Name)
        .order_by_asc(person::Column::Id);
    let paged = fetch_page(select, db, page).await?;
    let ids: Vec<i32> = paged.items.iter().map(|p| p.id).collect();
    if ids.is_empty() {
        return Ok(empty(paged.total, paged.page, paged.per_page));
    }

    let grades: HashMap<i32, Option<Grade>> = qualification::Entity::find()
        .filter(qualification::Column::PersonId.is_in(ids.clone()))
        .filter(qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.person_id, q.grade))
        .collect();
    let last: HashMap<i32, i32> = registration::Entity::find()
        .select_only()
        .column(registration::Column::PersonId)
        .column_as(registration::Column::Year.max(), "year")
        .filter(registration::Column::PersonId.is_in(ids.clone()))
        .filter(registration::Column::Status.eq(RegistrationStatus::Approved))
        .group_by(registration::Column::PersonId)
        .into_tuple::<(i32, Option<i32>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, year)| year.map(|y| (id, y)))
        .collect();
    let rejected: HashMap<i32, String> = registration::Entity::find()
        .filter(registration::Column::PersonId.is_in(ids.clone()))
        .filter(registration::Column::Year.eq(filter.year))
        .filter(registration::Column::Status.eq(RegistrationStatus::Rejected))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.person_id, r.reason))
        .collect();
    let (start, end) = year_bounds(filter.year - 1);
    let served: HashMap<i32, i64> = service_session::Entity::find()
        .select_only()
        .column(service_session::Column::PersonId)
        .column_as(service_session::Column::Quarters.sum(), "quarters")
        .filter(service_session::Column::PersonId.is_in(ids.clone()))
        .filter(service_session::Column::Status.eq(SessionStatus::Approved))
        .filter(service_session::Column::StartedAt.gte(start))
        .filter(service_session::Column::StartedAt.lt(end))
        .group_by(service_session::Column::PersonId)
        .into_tuple::<(i32, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, q)| (id, q.unwrap_or(0)))
        .collect();
    let day = today();
    let mut serving: HashMap<i32, Vec<String>> = HashMap::new();
    for (a, c) in assignment::Entity::find()
        .find_also_related(community::Entity)
        .filter(assignment::Column::PersonId.is_in(ids.clone()))
        .filter(assignment::Column::StartsOn.lte(day))
        .filter(
            Condition::any()
                .add(assignment::Column::EndsOn.is_null())
                .add(assignment::Column::EndsOn.gt(day)),
        )
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?
    {
        let names = serving.entry(a.person_id).or_default();
        if let Some(c) = c.filter(|c| !names.contains(&c.name)) {
            names.push(c.name);
        }
    }
    let street_ids: Vec<i32> = paged.items.iter().map(|p| p.street_id).collect();
    let streets: HashMap<i32, String> = street::Entity::find()
        .filter(street::Column::Id.is_in(street_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(paged.map(|person| Lapsed {
        grade: grades.get(&person.id).copied().flatten(),
        street: streets.get(&person.street_id).cloned().unwrap_or_default(),
        communities: serving.remove(&person.id).unwrap_or_default(),
        last_registered: last.get(&person.id).copied(),
        rejected: rejected.get(&person.id).cloned(),
        served_quarters: served.get(&person.id).copied().unwrap_or(0),
        person,
    }))
}

fn empty(total: u64, page: u64, per_page: u64) -> Paged<Lapsed> {
    Paged {
        items: Vec::new(),
        total,
        page,
        per_page,
    }
}

/// The usernames of the accounts that decided registrations, by account id.
pub async fn deciders(
    db: &DatabaseConnection,
    decisions: &[registration::Model],
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = decisions.iter().filter_map(|r| r.created_by).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.username))
        .collect())
}

/// The years a registration may be decided for on the district's today: this year and the
/// five before, and the next one from 1 December.
pub fn decidable_years() -> Vec<i32> {
    let day = today();
    let newest = if day.month() == 12 {
        day.year() + 1
    } else {
        day.year()
    };
    (day.year() - 5..=newest)
        .rev()
        .filter(|y| *y >= super::registrations::FIRST_YEAR)
        .collect()
}
