//! Training courses: the bureau creates, edits, opens, closes and cancels them; everyone may read
//! the catalogue. Each course is returned with its seat count.

mod edit;

pub use edit::{create, update};

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LikeExpr, LockType},
};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    domain::{
        person::{Grade, QualificationKind},
        training::{CourseKind, CourseStatus, EnrollmentStatus},
    },
    entities::{course, enrollment},
    error::AppError,
};

/// A new course as the bureau describes it.
#[derive(Debug, Clone)]
pub struct NewCourse {
    pub title: String,
    pub kind: CourseKind,
    pub target_role: QualificationKind,
    pub target_grade: Option<Grade>,
    pub organizer: String,
    pub location: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub hours: f64,
    pub capacity: i32,
    /// `planned` (the default) or `open`.
    pub status: Option<CourseStatus>,
}

/// A change to a course; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CourseChanges {
    pub title: Option<String>,
    pub kind: Option<CourseKind>,
    pub target_role: Option<QualificationKind>,
    pub target_grade: Option<Option<Grade>>,
    pub organizer: Option<String>,
    pub location: Option<String>,
    pub description: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub hours: Option<f64>,
    pub capacity: Option<i32>,
    pub status: Option<CourseStatus>,
    /// Why the course is cancelled; only with `status: cancelled`.
    pub cancel_reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CourseFilter {
    pub status: Option<CourseStatus>,
    pub kind: Option<CourseKind>,
    pub target_role: Option<QualificationKind>,
    pub target_grade: Option<Grade>,
    /// Courses that end on or after this day.
    pub from: Option<NaiveDate>,
    /// Courses that start on or before this day.
    pub to: Option<NaiveDate>,
    /// Courses that ended before this day.
    pub ended_before: Option<NaiveDate>,
    /// Part of the title.
    pub q: Option<String>,
}

/// A course and the seats taken.
#[derive(Debug, Clone)]
pub struct CourseView {
    pub course: course::Model,
    pub enrolled: i64,
}

pub async fn get(db: &DatabaseConnection, id: i32) -> Result<CourseView, AppError> {
    let course = course::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("course", id))?;
    let enrolled = enrolled_counts(db, &[id]).await?.remove(&id).unwrap_or(0);
    Ok(CourseView { course, enrolled })
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &CourseFilter,
    page: PageRequest,
) -> Result<Paged<CourseView>, AppError> {
    let mut select = course::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(course::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(course::Column::Kind.eq(kind));
    }
    if let Some(role) = filter.target_role {
        select = select.filter(course::Column::TargetRole.eq(role));
    }
    if let Some(grade) = filter.target_grade {
        select = select.filter(course::Column::TargetGrade.eq(grade));
    }
    if let Some(from) = filter.from {
        select = select.filter(course::Column::EndsOn.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(course::Column::StartsOn.lte(to));
    }
    if let Some(day) = filter.ended_before {
        select = select.filter(course::Column::EndsOn.lt(day));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", super::query::escape_like(q));
        select = select
            .filter(Expr::col(course::Column::Title).like(LikeExpr::new(pattern).escape('\\')));
    }
    let paged = fetch_page(
        select
            .order_by_desc(course::Column::StartsOn)
            .order_by_desc(course::Column::Id),
        db,
        page,
    )
    .await?;
    let ids: Vec<i32> = paged.items.iter().map(|c| c.id).collect();
    let mut counts = enrolled_counts(db, &ids).await?;
    Ok(paged.map(|course| CourseView {
        enrolled: counts.remove(&course.id).unwrap_or(0),
        course,
    }))
}

/// Seats taken per course, in one grouped query.
pub async fn enrolled_counts(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, i64>, AppError> {
    #[derive(FromQueryResult)]
    struct Count {
        course_id: i32,
        seats: i64,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::CourseId)
        .column_as(enrollment::Column::Id.count(), "seats")
        .filter(enrollment::Column::CourseId.is_in(ids.iter().copied()))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Enrolled))
        .group_by(enrollment::Column::CourseId)
        .into_model::<Count>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.course_id, r.seats)).collect())
}

/// Reads a course for a change. On PostgreSQL the row stays locked until the transaction ends, so
/// concurrent enrolments in one course queue here and the seat count they read is current; SQLite
/// writers are serialised by `BEGIN IMMEDIATE` already.
pub(super) async fn lock(txn: &impl ConnectionTrait, id: i32) -> Result<course::Model, AppError> {
    let mut select = course::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock(LockType::Update);
    }
    select
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("course", id))
}

pub fn status_name(status: CourseStatus) -> &'static str {
    match status {
        CourseStatus::Planned => "planned",
        CourseStatus::Open => "open",
        CourseStatus::Closed => "closed",
        CourseStatus::Cancelled => "cancelled",
    }
}
