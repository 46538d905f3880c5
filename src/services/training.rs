//! A person's training record (学时): every course they took part in with its result, their
//! credited hours in total and per year, and the hours that count toward a grade.

use crate::services::person_scope;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    auth::Caller,
    domain::{
        person::Grade,
        training::{CourseKind, EnrollmentStatus, TrainingResult},
    },
    entities::{course, enrollment},
    error::AppError,
};

/// A person's training record.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub person_id: i32,
    /// Credited hours of every result, in quarter hours.
    pub total_quarters: i64,
    /// Credited quarter hours per calendar year in which the course ended.
    pub by_year: BTreeMap<i32, i64>,
    /// Seats held (not withdrawn), latest course first.
    pub items: Vec<(enrollment::Model, course::Model)>,
}

pub async fn transcript(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
) -> Result<Transcript, AppError> {
    person_scope::find_readable(db, caller, person_id).await?;
    let mut items = seats(db, person_id).await?;
    items.sort_by_key(|(_, course)| std::cmp::Reverse((course.starts_on, course.id)));
    let mut total_quarters = 0;
    let mut by_year = BTreeMap::new();
    for (seat, course) in &items {
        if let Some(quarters) = seat.credited_quarters.filter(|q| *q > 0) {
            total_quarters += i64::from(quarters);
            *by_year.entry(course.ends_on.year()).or_insert(0) += i64::from(quarters);
        }
    }
    Ok(Transcript {
        person_id,
        total_quarters,
        by_year,
        items,
    })
}

/// What a person's training holds toward `grade` on `as_of`: how many certification courses for
/// that grade they completed, and the hours credited by completed courses targeted at it, counting
/// courses that had started by then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GradeTraining {
    pub certifications_completed: i64,
    pub credited_quarters: i64,
}

pub async fn toward_grade(
    db: &impl ConnectionTrait,
    person_id: i32,
    grade: Grade,
    as_of: NaiveDate,
) -> Result<GradeTraining, AppError> {
    let mut held = GradeTraining::default();
    for (seat, course) in seats(db, person_id).await? {
        if seat.result != Some(TrainingResult::Completed)
            || course.target_grade != Some(grade)
            || course.starts_on > as_of
        {
            continue;
        }
        if course.kind == CourseKind::Certification {
            held.certifications_completed += 1;
        }
        held.credited_quarters += i64::from(seat.credited_quarters.unwrap_or(0));
    }
    Ok(held)
}

/// A person's seats (not withdrawn) with their courses, in one query.
async fn seats(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Vec<(enrollment::Model, course::Model)>, AppError> {
    let rows = enrollment::Entity::find()
        .filter(enrollment::Column::PersonId.eq(person_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Enrolled))
        .find_also_related(course::Entity)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(seat, course)| {
            course
                .map(|c| (seat, c))
                .ok_or_else(|| AppError::Internal("enrolment without its course".into()))
        })
        .collect()
}
