//! Enrolments: street offices and the bureau give their people seats in open courses, never more
//! than the course holds; the bureau records how each person finished.

mod enroll;
mod outcome;

pub use enroll::enroll;
pub use outcome::{MOST_RESULTS, record_result, record_results, withdraw};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    auth::{Caller, Target},
    domain::training::{EnrollmentStatus, TrainingResult},
    entities::{course, enrollment, person},
    error::AppError,
};

/// How a person finished a course, as the bureau reports it.
#[derive(Debug, Clone)]
pub struct NewResult {
    pub status: TrainingResult,
    /// Defaults to the course hours when completed, 0 otherwise.
    pub credited_hours: Option<f64>,
    pub score: Option<f64>,
}

/// An enrolment with the person it seats.
#[derive(Debug, Clone)]
pub struct EnrollmentView {
    pub enrollment: enrollment::Model,
    pub person: person::Model,
}

/// The enrolments of a course the caller may see: all for the bureau and auditors, the street's
/// people for an officer, their own for a member.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    status: Option<EnrollmentStatus>,
    page: PageRequest,
) -> Result<Paged<EnrollmentView>, AppError> {
    course::Entity::find_by_id(course_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("course", course_id))?;
    let select = visible(caller, course_id, status);
    let paged = fetch_page(select.order_by_asc(enrollment::Column::Id), db, page).await?;
    let ids: Vec<i32> = paged.items.iter().map(|e| e.person_id).collect();
    let mut people: std::collections::HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut views = Vec::with_capacity(paged.items.len());
    for enrollment in &paged.items {
        let person = people
            .remove(&enrollment.person_id)
            .ok_or_else(|| AppError::Internal("enrolled person vanished".into()))?;
        views.push(EnrollmentView {
            enrollment: enrollment.clone(),
            person,
        });
    }
    Ok(Paged {
        items: views,
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    })
}

/// The people of the caller's scope who hold a seat in a course, in one query.
pub async fn enrolled_person_ids(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
) -> Result<std::collections::HashSet<i32>, AppError> {
    let ids: Vec<i32> = visible(caller, course_id, Some(EnrollmentStatus::Enrolled))
        .select_only()
        .column(enrollment::Column::PersonId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Enrolments of a course within the caller's scope.
pub(super) fn visible(
    caller: &Caller,
    course_id: i32,
    status: Option<EnrollmentStatus>,
) -> sea_orm::Select<enrollment::Entity> {
    let mut select = enrollment::Entity::find().filter(enrollment::Column::CourseId.eq(course_id));
    if let Some(status) = status {
        select = select.filter(enrollment::Column::Status.eq(status));
    }
    select.filter(super::list_scope::of_person(
        caller,
        enrollment::Column::PersonId,
    ))
}

/// A person's enrolment in a course, when the caller may see the person (404 otherwise).
async fn seat(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    course_id: i32,
    person_id: i32,
) -> Result<(enrollment::Model, person::Model), AppError> {
    let missing = || AppError::not_found("enrollment", format!("{course_id}/{person_id}"));
    let person = person::Entity::find_by_id(person_id)
        .one(txn)
        .await?
        .ok_or_else(missing)?;
    if !caller.can_read(person_target(&person)) {
        return Err(missing());
    }
    let found = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::PersonId.eq(person_id))
        .one(txn)
        .await?
        .ok_or_else(missing)?;
    Ok((found, person))
}

fn person_target(person: &person::Model) -> Target<'static> {
    Target::Person {
        person_id: person.id,
        street_id: person.street_id,
    }
}
