//! How a seat ends: the person withdraws (not once a result is recorded), or the bureau records
//! the result of a course that has started, crediting no more hours than the course gives; a
//! whole class's results are recorded at once, all or nothing.

use crate::db::WriteTxn;
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{EnrollmentView, NewResult, person_target, seat};
use crate::{
    auth::{Caller, Target},
    db,
    domain::FieldViolation,
    domain::{
        hours::hours,
        time::today,
        training::{CourseStatus, EnrollmentStatus, TrainingResult, quarters_of},
    },
    entities::{course, enrollment, person},
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
    // A seat the caller may not see is not found before the caller is refused the write.
    let (before, person) = seat(&txn, caller, course_id, person_id).await?;
    may_record(caller, &course)?;
    let view = apply(&txn, caller, &course, before, person, &result).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records the results of a whole class in one transaction: every row is checked, and when any
/// is refused nothing is written. A refusal names its row as `results[<person_id>].<field>`.
/// A row that repeats what is recorded already changes nothing (no new version, no audit entry).
pub async fn record_results(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    rows: Vec<(i32, NewResult)>,
) -> Result<Vec<EnrollmentView>, AppError> {
    if rows.is_empty() {
        return Err(AppError::invalid(
            "results",
            "result.nothing_given",
            "give the result of at least one enrolled person",
        ));
    }
    if rows.len() > MOST_RESULTS {
        return Err(AppError::invalid(
            "results",
            "result.too_many",
            format!("at most {MOST_RESULTS} results at once"),
        ));
    }
    let txn = db::begin_write(db).await?;
    let course = courses::lock(&txn, course_id).await?;
    may_record(caller, &course)?;
    // The class's seats and people in a few queries, not two per row.
    let ids: Vec<i32> = rows.iter().map(|(id, _)| *id).collect();
    let mut seats: HashMap<i32, enrollment::Model> = HashMap::new();
    let mut people: HashMap<i32, person::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for seat in enrollment::Entity::find()
            .filter(enrollment::Column::CourseId.eq(course_id))
            .filter(enrollment::Column::PersonId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            seats.insert(seat.person_id, seat);
        }
        for person in person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            people.insert(person.id, person);
        }
    }
    let mut done = Vec::with_capacity(rows.len());
    let mut refused: Vec<FieldViolation> = Vec::new();
    let mut only_conflicts = true;
    let mut seen = std::collections::HashSet::new();
    for (person_id, result) in rows {
        let row = format!("results[{person_id}]");
        if !seen.insert(person_id) {
            only_conflicts = false;
            refused.push(FieldViolation::new(
                &row,
                "result.duplicate_row",
                "the same person is given twice",
            ));
            continue;
        }
        let outcome = match (seats.remove(&person_id), people.remove(&person_id)) {
            // A person the caller may not see holds no seat it may know of.
            (Some(before), Some(person)) if caller.can_read(person_target(&person)) => {
                apply(&txn, caller, &course, before, person, &result).await
            }
            _ => Err(AppError::invalid(
                "person_id",
                "result.not_enrolled",
                "the person holds no seat in this course",
            )),
        };
        match outcome {
            Ok(view) => done.push(view),
            Err(err) => {
                let Some(errors) = err.field_violations() else {
                    return Err(err);
                };
                only_conflicts &= matches!(err, AppError::Conflict { .. });
                refused.extend(errors.iter().map(|v| FieldViolation {
                    field: format!("{row}.{}", v.field),
                    ..v.clone()
                }));
            }
        }
    }
    if !refused.is_empty() {
        // Dropping the transaction rolls back every row written before the refusal.
        drop(txn);
        // Listed up to the cap like any set of violations; 409 when each is a conflict.
        return Err(match AppError::violations(refused) {
            AppError::Unprocessable { detail, errors } if only_conflicts => {
                AppError::Conflict { detail, errors }
            }
            other => other,
        });
    }
    txn.commit().await?;
    Ok(done)
}

/// The most results one call records: a class is at most the largest course.
pub const MOST_RESULTS: usize = crate::domain::training::MAX_CAPACITY as usize;

/// Whether the caller records results at all, and the course has taken place.
fn may_record(caller: &Caller, course: &course::Model) -> Result<(), AppError> {
    caller.require(
        caller.can_write(Target::Reference),
        "record training results",
    )?;
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
    Ok(())
}

/// Checks one result against the seat and the course and writes it with its audit entry, inside
/// the caller's transaction.
async fn apply(
    txn: &WriteTxn,
    caller: &Caller,
    course: &course::Model,
    before: enrollment::Model,
    person: person::Model,
    result: &NewResult,
) -> Result<EnrollmentView, AppError> {
    if before.status == EnrollmentStatus::Withdrawn {
        return Err(AppError::conflict(
            "status",
            "enrollment.withdrawn",
            "the person withdrew from the course",
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
    if before.result == Some(result.status)
        && before.credited_quarters == Some(credited)
        && before.score == result.score
    {
        return Ok(EnrollmentView {
            enrollment: before,
            person,
        });
    }
    let mut active: enrollment::ActiveModel = before.clone().into();
    active.result = Set(Some(result.status));
    active.credited_quarters = Set(Some(credited));
    active.score = Set(result.score);
    active.result_by = Set(caller.account_id);
    active.result_at = Set(Some(Utc::now()));
    write(txn, caller, "record_result", &before, active, person).await
}

/// Writes a changed enrolment with the next version and its audit entry, and commits.
async fn save(
    txn: WriteTxn,
    caller: &Caller,
    action: &str,
    before: &enrollment::Model,
    active: enrollment::ActiveModel,
    person: person::Model,
) -> Result<EnrollmentView, AppError> {
    let view = write(&txn, caller, action, before, active, person).await?;
    txn.commit().await?;
    Ok(view)
}

/// Writes a changed enrolment with the next version and its audit entry.
async fn write(
    txn: &WriteTxn,
    caller: &Caller,
    action: &str,
    before: &enrollment::Model,
    mut active: enrollment::ActiveModel,
    person: person::Model,
) -> Result<EnrollmentView, AppError> {
    active.version = Set(before.version + 1);
    let after = active.update(txn).await?;
    Entry::new(action, "enrollment", after.id)
        .before(before)
        .after(&after)
        .record(txn, caller)
        .await?;
    Ok(EnrollmentView {
        enrollment: after,
        person,
    })
}
