//! The people list and export: one select narrowed to the caller's scope and the filters, and
//! the specialties and qualifications of a page in two more queries.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder,
    sea_query::{Expr, LikeExpr, Query},
};

use super::{PersonFilter, PersonView};
use crate::services::{PageRequest, Paged, fetch_page, query::escape_like};
use crate::{
    auth::Caller,
    domain::{
        careers::{RegistrationStanding, RegistrationStatus},
        person::{PersonStatus, QualificationKind, QualificationStatus},
        time::today,
    },
    entities::{assignment, person, person_specialty, qualification, registration},
    error::AppError,
};

/// People matching `filter` within the caller's scope, with their specialties and
/// qualifications: three queries whatever the page size. Lists show ID numbers masked.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &PersonFilter,
    page: PageRequest,
) -> Result<Paged<PersonView>, AppError> {
    let select = filtered(caller, filter)?;
    let paged = fetch_page(select.order_by_asc(person::Column::Id), db, page).await?;
    let ids: Vec<i32> = paged.items.iter().map(|p| p.id).collect();
    let mut specialties = load_specialties(db, &ids).await?;
    let mut qualifications = load_qualifications(db, &ids).await?;
    Ok(paged.map(|person| PersonView {
        specialties: specialties.remove(&person.id).unwrap_or_default(),
        qualifications: qualifications.remove(&person.id).unwrap_or_default(),
        reveal_id_number: false,
        person,
    }))
}

/// The select behind the list and the export.
pub fn filtered(
    caller: &Caller,
    filter: &PersonFilter,
) -> Result<sea_orm::Select<person::Entity>, AppError> {
    let mut select = person::Entity::find().filter(crate::services::list_scope::people(caller));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(q));
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let mut any = Condition::any()
            .add(Expr::col(person::Column::Name).like(LikeExpr::new(pattern).escape('\\')))
            .add(person::Column::IdNumber.eq(q.to_ascii_uppercase()));
        if digits.len() >= 3 {
            any = any
                .add(Expr::col(person::Column::Phone).like(LikeExpr::new(format!("%{digits}%"))));
        }
        select = select.filter(any);
    }
    if let Some(street_id) = filter.street_id {
        select = select.filter(person::Column::StreetId.eq(street_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(person::Column::Status.eq(status));
    }
    if let Some(community_id) = filter.community_id {
        let day = today();
        let mut in_force = Query::select();
        in_force
            .column(assignment::Column::PersonId)
            .from(assignment::Entity)
            .and_where(assignment::Column::CommunityId.eq(community_id))
            .and_where(assignment::Column::StartsOn.lte(day))
            .cond_where(
                Condition::any()
                    .add(assignment::Column::EndsOn.is_null())
                    .add(assignment::Column::EndsOn.gt(day)),
            );
        select = select.filter(person::Column::Id.in_subquery(in_force.to_owned()));
    }
    if filter.role.is_some() || filter.grade.is_some() {
        let mut held = Query::select();
        held.column(qualification::Column::PersonId)
            .from(qualification::Entity)
            .and_where(qualification::Column::Status.eq(QualificationStatus::Active));
        if let Some(role) = filter.role {
            held.and_where(qualification::Column::Kind.eq(role));
        }
        if let Some(grade) = filter.grade {
            held.and_where(qualification::Column::Grade.eq(grade));
        }
        select = select.filter(person::Column::Id.in_subquery(held.to_owned()));
    }
    if let Some(standing) = filter.registration {
        select = select.filter(registration_condition(standing, today()));
    }
    if let Some(specialty) = &filter.specialty {
        let mut teaches = Query::select();
        teaches
            .column(person_specialty::Column::PersonId)
            .from(person_specialty::Entity)
            .and_where(person_specialty::Column::SportItem.eq(specialty.as_str()));
        select = select.filter(person::Column::Id.in_subquery(teaches.to_owned()));
    }
    Ok(select)
}

/// People current with the registration of `day`'s year, or instructors lapsed with it (only
/// after 31 March: until then the year's registration is still open).
fn registration_condition(standing: RegistrationStanding, day: NaiveDate) -> Condition {
    let mut approved = Query::select();
    approved
        .column(registration::Column::PersonId)
        .from(registration::Entity)
        .and_where(registration::Column::Year.eq(day.year()))
        .and_where(registration::Column::Status.eq(RegistrationStatus::Approved));
    match standing {
        RegistrationStanding::Current => {
            Condition::all().add(person::Column::Id.in_subquery(approved.to_owned()))
        }
        RegistrationStanding::Lapsed => {
            let mut instructors = Query::select();
            instructors
                .column(qualification::Column::PersonId)
                .from(qualification::Entity)
                .and_where(
                    qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor),
                )
                .and_where(qualification::Column::Status.eq(QualificationStatus::Active));
            let period_closed = day.month() > 3;
            Condition::all()
                .add(Expr::val(period_closed).eq(true))
                .add(person::Column::Status.eq(PersonStatus::Active))
                .add(person::Column::Id.in_subquery(instructors.to_owned()))
                .add(person::Column::Id.not_in_subquery(approved.to_owned()))
        }
    }
}

pub async fn load_specialties(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<person_specialty::Model>>, AppError> {
    let mut map: HashMap<i32, Vec<person_specialty::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = person_specialty::Entity::find()
        .filter(person_specialty::Column::PersonId.is_in(ids.iter().copied()))
        .order_by_asc(person_specialty::Column::SportItem)
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.person_id).or_default().push(row);
    }
    Ok(map)
}

pub async fn load_qualifications(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<qualification::Model>>, AppError> {
    let mut map: HashMap<i32, Vec<qualification::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = qualification::Entity::find()
        .filter(qualification::Column::PersonId.is_in(ids.iter().copied()))
        .order_by_asc(qualification::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.person_id).or_default().push(row);
    }
    Ok(map)
}

/// Whether an ID number is registered already, as the caller may be told: the person when the
/// caller may read them, only the fact otherwise (enrolling them again would be refused anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    No,
    Readable { id: i32, name: String },
    Elsewhere,
}

pub async fn registered(
    db: &DatabaseConnection,
    caller: &Caller,
    number: &crate::domain::id_number::IdNumber,
) -> Result<Registered, AppError> {
    let Some(found) = person::Entity::find()
        .filter(person::Column::IdNumber.eq(number.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Registered::No);
    };
    Ok(
        if caller.can_read(crate::services::person_scope::target(&found)) {
            Registered::Readable {
                id: found.id,
                name: found.name,
            }
        } else {
            Registered::Elsewhere
        },
    )
}

/// The names of people, by id (for lists of records that name a person).
pub async fn names(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, String>, AppError> {
    let mut map = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows = person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        map.extend(rows.into_iter().map(|p| (p.id, p.name)));
    }
    Ok(map)
}
