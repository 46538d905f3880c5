//! Giving a person a seat: an open course, an active person in the caller's scope, one seat each,
//! and never more seats than the course holds.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use super::{EnrollmentView, person_target};
use crate::{
    auth::Caller,
    db,
    domain::{
        hours::hours,
        person::PersonStatus,
        training::{CourseStatus, EnrollmentStatus},
    },
    entities::enrollment,
    error::AppError,
    mail::{self, Mail},
    services::person_scope,
    services::{audit::Entry, courses},
};

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
