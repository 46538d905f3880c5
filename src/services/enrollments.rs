//! Enrolments: street offices and the bureau give their people seats in open courses, never more
//! than the course holds; the bureau records how each person finished.

use crate::services::person_scope;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::{PageRequest, Paged, audit::Entry, courses, fetch_page};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        hours::hours,
        person::PersonStatus,
        time::today,
        training::{CourseStatus, EnrollmentStatus, TrainingResult, quarters_of},
    },
    entities::{course, enrollment, person},
    error::AppError,
    mail::{self, Mail},
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

pub async fn enroll(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    person_id: i32,
) -> Result<EnrollmentView, AppError> {
    let txn = db::begin_write(db).await?;
    let course = courses::lock(&txn, course_id).await?;
    let person = person_scope::find(&txn, person_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound { .. } => {
                AppError::invalid("person_id", "person.unknown", "no such person")
            }
            other => other,
        })?;
    caller.authorize_write(person_target(&person), "person", person_id)?;
    if course.status != CourseStatus::Open {
        return Err(AppError::conflict(
            "status",
            "course.not_open",
            format!(
                "the course is {}: people enrol only while it is open",
                courses::status_name(course.status)
            ),
        ));
    }
    if person.status != PersonStatus::Active {
        return Err(AppError::invalid(
            "person_id",
            "person.not_active",
            "the person is not active",
        ));
    }
    let existing = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.status == EnrollmentStatus::Enrolled)
    {
        return Err(AppError::conflict(
            "person_id",
            "enrollment.duplicate",
            "the person is enrolled in this course already",
        ));
    }
    let taken = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Enrolled))
        .count(&txn)
        .await?;
    if taken >= course.capacity as u64 {
        return Err(AppError::conflict(
            "person_id",
            "course.full",
            format!(
                "the course is full: all {} seats are taken",
                course.capacity
            ),
        ));
    }
    let now = Utc::now();
    let saved = match existing {
        // Someone who withdrew may take a seat again; the record is the same.
        Some(before) => {
            let mut active: enrollment::ActiveModel = before.clone().into();
            active.status = Set(EnrollmentStatus::Enrolled);
            active.enrolled_by = Set(caller.account_id);
            active.enrolled_at = Set(now);
            active.withdrawn_by = Set(None);
            active.withdrawn_at = Set(None);
            active.version = Set(before.version + 1);
            let after = active.update(&txn).await?;
            Entry::new("reenroll", "enrollment", after.id)
                .before(&before)
                .after(&after)
                .record(&txn, caller)
                .await?;
            after
        }
        None => {
            let created = enrollment::ActiveModel {
                course_id: Set(course_id),
                person_id: Set(person_id),
                status: Set(EnrollmentStatus::Enrolled),
                result: Set(None),
                credited_quarters: Set(None),
                score: Set(None),
                enrolled_by: Set(caller.account_id),
                enrolled_at: Set(now),
                withdrawn_by: Set(None),
                withdrawn_at: Set(None),
                result_by: Set(None),
                result_at: Set(None),
                version: Set(1),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|e| {
                AppError::unique_or_db(
                    e,
                    "person_id",
                    "enrollment.duplicate",
                    "the person is enrolled in this course already",
                )
            })?;
            Entry::new("create", "enrollment", created.id)
                .after(&created)
                .record(&txn, caller)
                .await?;
            created
        }
    };
    if let Some(email) = person.email.as_deref() {
        let confirmation = Mail::EnrollmentConfirmed {
            name: &person.name,
            course: &course.title,
            starts_on: course.starts_on,
            ends_on: course.ends_on,
            location: &course.location,
            organizer: &course.organizer,
            hours: hours(course.quarters.into()),
        };
        mail::enqueue(&txn, email, &confirmation).await?;
    }
    txn.commit().await?;
    Ok(EnrollmentView {
        enrollment: saved,
        person,
    })
}

/// Gives a seat back. The record stays, marked withdrawn.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    person_id: i32,
) -> Result<EnrollmentView, AppError> {
    let txn = db::begin_write(db).await?;
    let course = courses::lock(&txn, course_id).await?;
    let (before, person) = seat(&txn, caller, course_id, person_id).await?;
    caller.authorize_write(person_target(&person), "enrollment", person_id)?;
    if before.status == EnrollmentStatus::Withdrawn {
        return Err(AppError::conflict(
            "status",
            "enrollment.withdrawn",
            "the person has withdrawn already",
        ));
    }
    if before.result.is_some() {
        return Err(AppError::conflict(
            "result",
            "enrollment.has_result",
            "a result is recorded: the person took part",
        ));
    }
    if course.status == CourseStatus::Cancelled {
        return Err(AppError::conflict(
            "status",
            "course.cancelled",
            "the course is cancelled",
        ));
    }
    let mut active: enrollment::ActiveModel = before.clone().into();
    active.status = Set(EnrollmentStatus::Withdrawn);
    active.withdrawn_by = Set(caller.account_id);
    active.withdrawn_at = Set(Some(Utc::now()));
    save(txn, caller, "withdraw", &before, active, person).await
}

/// Records (or corrects) how an enrolled person finished a course that has started.
pub async fn record_result(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    person_id: i32,
    result: NewResult,
) -> Result<EnrollmentView, AppError> {
    let txn = db::begin_write(db).await?;
    let course = courses::lock(&txn, course_id).await?;
    let (before, person) = seat(&txn, caller, course_id, person_id).await?;
    caller.require(
        caller.can_write(Target::Reference),
        "record training results",
    )?;
    if before.status == EnrollmentStatus::Withdrawn {
        return Err(AppError::conflict(
            "status",
            "enrollment.withdrawn",
            "the person withdrew from the course",
        ));
    }
    if course.status == CourseStatus::Cancelled {
        return Err(AppError::conflict(
            "status",
            "course.cancelled",
            "the course is cancelled",
        ));
    }
    if today() < course.starts_on {
        return Err(AppError::invalid(
            "status",
            "result.course_not_started",
            format!(
                "results are recorded once the course has started ({})",
                course.starts_on
            ),
        ));
    }
    let credited = match result.credited_hours {
        None if result.status == TrainingResult::Completed => course.quarters,
        None => 0,
        Some(value) => quarters_of(value).ok_or_else(|| {
            AppError::invalid(
                "credited_hours",
                "hours.quarter_steps",
                "must be 0 or more, in steps of 0.25 hours",
            )
        })?,
    };
    if credited > course.quarters {
        return Err(AppError::invalid(
            "credited_hours",
            "result.hours_exceed_course",
            format!(
                "must not exceed the course's {} hours",
                hours(course.quarters.into())
            ),
        ));
    }
    if result.status == TrainingResult::Absent && credited > 0 {
        return Err(AppError::invalid(
            "credited_hours",
            "result.absent_with_hours",
            "an absent person is credited no hours",
        ));
    }
    if let Some(score) = result.score
        && !(score.is_finite() && (0.0..=100.0).contains(&score))
    {
        return Err(AppError::invalid(
            "score",
            "number.out_of_range",
            "must be between 0 and 100",
        ));
    }
    let mut active: enrollment::ActiveModel = before.clone().into();
    active.result = Set(Some(result.status));
    active.credited_quarters = Set(Some(credited));
    active.score = Set(result.score);
    active.result_by = Set(caller.account_id);
    active.result_at = Set(Some(Utc::now()));
    save(txn, caller, "record_result", &before, active, person).await
}

/// Writes a changed enrolment with the next version and its audit entry, and commits.
async fn save(
    txn: DatabaseTransaction,
    caller: &Caller,
    action: &str,
    before: &enrollment::Model,
    mut active: enrollment::ActiveModel,
    person: person::Model,
) -> Result<EnrollmentView, AppError> {
    active.version = Set(before.version + 1);
    let after = active.update(&txn).await?;
    Entry::new(action, "enrollment", after.id)
        .before(before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(EnrollmentView {
        enrollment: after,
        person,
    })
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
