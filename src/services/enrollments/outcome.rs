//! How a seat ends: the person withdraws (not once a result is recorded), or the bureau records
//! the result of a course that has started, crediting no more hours than the course gives.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction};

use super::{EnrollmentView, NewResult, person_target, seat};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        hours::hours,
        time::today,
        training::{CourseStatus, EnrollmentStatus, TrainingResult, quarters_of},
    },
    entities::{enrollment, person},
    error::AppError,
    services::{audit::Entry, courses},
};

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
