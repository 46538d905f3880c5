//! Reading sessions within the caller's scope, and a person's hours of a year.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{SessionFilter, Summary};
use crate::{
    auth::Caller,
    domain::person::{QualificationKind, QualificationStatus, SessionStatus},
    entities::{qualification, service_session},
    error::AppError,
    services::{PageRequest, Paged, fetch_page, list_scope, person_scope},
};

/// A session the caller may read: of a person or a community of its scope (404 otherwise).
pub async fn get(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<service_session::Model, AppError> {
    let found = service_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("service session", id))?;
    if person_scope::record_readable(db, caller, found.person_id, found.community_id).await? {
        Ok(found)
    } else {
        Err(AppError::not_found("service session", id))
    }
}

pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &SessionFilter,
    page: PageRequest,
) -> Result<Paged<service_session::Model>, AppError> {
    let mut select = service_session::Entity::find().filter(list_scope::held(
        caller,
        service_session::Column::PersonId,
        service_session::Column::CommunityId,
    ));
    if let Some(street_id) = filter.street_id {
        select = select.filter(list_scope::in_street(
            service_session::Column::CommunityId,
            street_id,
        ));
    }
    if let Some(person_id) = filter.person_id {
        select = select.filter(service_session::Column::PersonId.eq(person_id));
    }
    if let Some(community_id) = filter.community_id {
        select = select.filter(service_session::Column::CommunityId.eq(community_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(service_session::Column::Status.eq(status));
    }
    if let Some(source) = filter.source {
        select = select.filter(service_session::Column::Source.eq(source.as_str()));
    }
    if let Some(flagged) = filter.needs_attention {
        select = select.filter(service_session::Column::NeedsAttention.eq(flagged));
    }
    if let Some(from) = filter.from {
        select = select.filter(service_session::Column::StartedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(service_session::Column::StartedAt.lt(to));
    }
    select = if filter.oldest_first {
        select
            .order_by_asc(service_session::Column::CreatedAt)
            .order_by_asc(service_session::Column::Id)
    } else {
        select
            .order_by_desc(service_session::Column::StartedAt)
            .order_by_desc(service_session::Column::Id)
    };
    Ok(fetch_page(select, db, page).await?)
}

pub async fn summary(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    year: Option<i32>,
) -> Result<Summary, AppError> {
    let year = year.unwrap_or_else(crate::domain::time::current_year);
    crate::domain::time::check_year("year", year).map_err(AppError::of)?;
    person_scope::find_readable(db, caller, person_id).await?;
    let (from, to) = crate::domain::time::year_bounds(year);
    let rows: Vec<(SessionStatus, DateTime<Utc>, i32)> = service_session::Entity::find()
        .select_only()
        .columns([
            service_session::Column::Status,
            service_session::Column::StartedAt,
            service_session::Column::Quarters,
        ])
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(
            service_session::Column::Status
                .is_in([SessionStatus::Pending, SessionStatus::Approved]),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut summary = Summary {
        year,
        approved_quarters: 0,
        pending_quarters: 0,
        sessions: 0,
        lifetime_quarters: 0,
        star_level: 0,
        hours_to_next_star: None,
        annual_requirement_hours: None,
    };
    for (status, started_at, quarters) in rows {
        let in_year = started_at >= from && started_at < to;
        match status {
            SessionStatus::Approved => {
                summary.lifetime_quarters += i64::from(quarters);
                if in_year {
                    summary.approved_quarters += i64::from(quarters);
                    summary.sessions += 1;
                }
            }
            _ if in_year => summary.pending_quarters += i64::from(quarters),
            _ => {}
        }
    }
    let rules = crate::services::policy::get(db).await?.policy;
    let lifetime = crate::domain::hours::hours(summary.lifetime_quarters);
    summary.star_level = crate::domain::hours::star_level(lifetime, &rules.star_thresholds);
    summary.hours_to_next_star = rules
        .star_thresholds
        .get(usize::from(summary.star_level))
        .map(|next| next - lifetime);
    let kinds: Vec<QualificationKind> = qualification::Entity::find()
        .select_only()
        .column(qualification::Column::Kind)
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .into_tuple()
        .all(db)
        .await?;
    summary.annual_requirement_hours = [
        kinds
            .contains(&QualificationKind::SocialSportsInstructor)
            .then_some(rules.instructor_annual_hours),
        kinds
            .contains(&QualificationKind::FitnessVolunteer)
            .then_some(rules.volunteer_annual_hours),
    ]
    .into_iter()
    .flatten()
    .reduce(f64::max);
    Ok(summary)
}
