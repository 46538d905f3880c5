//! Creating and changing a course: its rules on the merged values, the status moves, and the
//! mail to everyone enrolled when it is cancelled.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{CourseChanges, CourseView, NewCourse, lock, status_name};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        FieldViolation, text,
        time::{self, today},
        training::{CourseKind, CourseStatus, EnrollmentStatus, MAX_CAPACITY, quarters_of},
    },
    entities::{course, enrollment, person},
    error::AppError,
    mail::{self, Mail},
    services::audit::Entry,
};

pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewCourse,
) -> Result<CourseView, AppError> {
    caller.require(caller.can_write(Target::Reference), "run training courses")?;
    let status = new.status.unwrap_or(CourseStatus::Planned);
    let mut violations = Vec::new();
    if !matches!(status, CourseStatus::Planned | CourseStatus::Open) {
        violations.push(FieldViolation::new(
            "status",
            "course.initial_status",
            "a new course is planned or open",
        ));
    }
    let now = Utc::now();
    let draft = course::Model {
        id: 0,
        title: new.title.trim().to_owned(),
        kind: new.kind,
        target_role: new.target_role,
        target_grade: new.target_grade,
        organizer: new.organizer.trim().to_owned(),
        location: new.location.trim().to_owned(),
        description: trimmed(new.description),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        quarters: 0,
        capacity: new.capacity,
        status,
        cancel_reason: None,
        version: 1,
        created_by: caller.account_id,
        created_at: now,
        updated_at: now,
    };
    let (quarters, mut found) = check(&draft, new.hours);
    violations.append(&mut found);
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    let mut active: course::ActiveModel = course::Model { quarters, ..draft }.into();
    active.id = sea_orm::ActiveValue::NotSet;
    let txn = db::begin_write(db).await?;
    let created = active.insert(&txn).await?;
    Entry::new("create", "course", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(CourseView {
        course: created,
        enrolled: 0,
    })
}

/// The rules every course keeps, on its merged values; returns the hours in quarters.
fn check(course: &course::Model, hours: f64) -> (i32, Vec<FieldViolation>) {
    let mut violations = Vec::new();
    for (field, value, max) in [
        ("title", &course.title, 200),
        ("organizer", &course.organizer, 200),
        ("location", &course.location, 200),
    ] {
        if let Err(v) = text::name(field, value, max) {
            violations.push(v);
        }
    }
    if let Some(Err(v)) = course
        .description
        .as_deref()
        .map(|d| text::text("description", d, 4000))
    {
        violations.push(v);
    }
    for (field, day) in [("starts_on", course.starts_on), ("ends_on", course.ends_on)] {
        if let Err(v) = time::check_date(field, day) {
            violations.push(v);
        }
    }
    if course.ends_on < course.starts_on {
        violations.push(FieldViolation::new(
            "ends_on",
            "course.end_before_start",
            "must not be before starts_on",
        ));
    }
    let quarters = quarters_of(hours).filter(|q| *q > 0);
    if quarters.is_none() {
        violations.push(FieldViolation::new(
            "hours",
            "hours.quarter_steps",
            "must be more than 0 and at most 1000, in steps of 0.25",
        ));
    }
    if !(1..=MAX_CAPACITY).contains(&course.capacity) {
        violations.push(FieldViolation::new(
            "capacity",
            "number.out_of_range",
            format!("must be 1 to {MAX_CAPACITY}"),
        ));
    }
    match (course.target_role.has_grade(), course.target_grade) {
        (false, Some(_)) => violations.push(FieldViolation::new(
            "target_grade",
            "course.grade_not_allowed",
            "only courses for social sports instructors target a grade",
        )),
        (true, None) if course.kind == CourseKind::Certification => {
            violations.push(FieldViolation::new(
                "target_grade",
                "course.grade_required",
                "a certification course for instructors names the grade it trains for",
            ))
        }
        _ => {}
    }
    (quarters.unwrap_or(0), violations)
}

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    changes: CourseChanges,
) -> Result<CourseView, AppError> {
    caller.require(caller.can_write(Target::Reference), "run training courses")?;
    let txn = db::begin_write(db).await?;
    let before = lock(&txn, id).await?;
    AppError::check_version(changes.expected_version, before.version)?;
    let status = changes.status.unwrap_or(before.status);
    if !before.status.may_become(status) {
        return Err(AppError::conflict(
            "status",
            "course.status_transition",
            format!(
                "a {} course cannot become {}",
                status_name(before.status),
                status_name(status)
            ),
        ));
    }
    let cancelling = status == CourseStatus::Cancelled && before.status != CourseStatus::Cancelled;
    let mut after = before.clone();
    if let Some(title) = changes.title {
        after.title = title.trim().to_owned();
    }
    if let Some(kind) = changes.kind {
        after.kind = kind;
    }
    if let Some(role) = changes.target_role {
        after.target_role = role;
    }
    if let Some(grade) = changes.target_grade {
        after.target_grade = grade;
    }
    if let Some(organizer) = changes.organizer {
        after.organizer = organizer.trim().to_owned();
    }
    if let Some(location) = changes.location {
        after.location = location.trim().to_owned();
    }
    if let Some(description) = changes.description {
        after.description = trimmed(description);
    }
    after.starts_on = changes.starts_on.unwrap_or(before.starts_on);
    after.ends_on = changes.ends_on.unwrap_or(before.ends_on);
    after.capacity = changes.capacity.unwrap_or(before.capacity);
    after.status = status;
    let hours = changes
        .hours
        .unwrap_or(crate::domain::hours::hours(before.quarters.into()));
    let (quarters, mut violations) = check(&after, hours);
    after.quarters = quarters;
    let reason = trimmed(changes.cancel_reason);
    match &reason {
        Some(_) if !cancelling => violations.push(FieldViolation::new(
            "cancel_reason",
            "course.cancel_reason_not_allowed",
            "is only given when cancelling the course",
        )),
        Some(r) if r.chars().count() > 500 => violations.push(FieldViolation::new(
            "cancel_reason",
            "text.length",
            "must be at most 500 characters",
        )),
        _ => {}
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    if cancelling {
        after.cancel_reason = reason;
    }

    // What the enrolled people and the recorded results already hold the course to.
    let seats = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(id))
        .all(&txn)
        .await?;
    let enrolled = seats
        .iter()
        .filter(|e| e.status == EnrollmentStatus::Enrolled)
        .count() as i64;
    let results: Vec<&enrollment::Model> = seats.iter().filter(|e| e.result.is_some()).collect();
    if i64::from(after.capacity) < enrolled {
        return Err(AppError::conflict(
            "capacity",
            "course.capacity_below_enrolled",
            format!("{enrolled} people are enrolled; withdraw some before reducing the seats"),
        ));
    }
    if let Some(most) = results.iter().filter_map(|e| e.credited_quarters).max()
        && after.quarters < most
    {
        return Err(AppError::conflict(
            "hours",
            "course.hours_below_results",
            format!(
                "results credit up to {} hours already",
                crate::domain::hours::hours(most.into())
            ),
        ));
    }
    if !results.is_empty() {
        let fixed = [
            ("kind", after.kind != before.kind),
            ("target_role", after.target_role != before.target_role),
            ("target_grade", after.target_grade != before.target_grade),
            ("status", cancelling),
            // Results are recorded once a course has started; it cannot move back to the future.
            ("starts_on", after.starts_on > today()),
        ];
        if let Some((field, _)) = fixed.iter().find(|(_, changed)| *changed) {
            return Err(AppError::conflict(
                field,
                "course.fixed_by_results",
                "results are recorded for this course: what it trains for and whether it took \
                 place are fixed",
            ));
        }
    }

    after.version = before.version + 1;
    after.updated_at = Utc::now();
    let after = course::ActiveModel::from(after)
        .reset_all()
        .update(&txn)
        .await?;
    Entry::new(if cancelling { "cancel" } else { "update" }, "course", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    if cancelling {
        notify_cancelled(&txn, &after, &seats).await?;
    }
    txn.commit().await?;
    Ok(CourseView {
        course: after,
        enrolled,
    })
}

/// Mails every enrolled person with an address that the course is off.
async fn notify_cancelled(
    txn: &impl ConnectionTrait,
    course: &course::Model,
    seats: &[enrollment::Model],
) -> Result<(), AppError> {
    let ids: Vec<i32> = seats
        .iter()
        .filter(|e| e.status == EnrollmentStatus::Enrolled)
        .map(|e| e.person_id)
        .collect();
    for chunk in ids.chunks(500) {
        let people = person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .filter(person::Column::Email.is_not_null())
            .all(txn)
            .await?;
        for person in people {
            let Some(email) = person.email.as_deref() else {
                continue;
            };
            let mail = Mail::CourseCancelled {
                name: &person.name,
                course: &course.title,
                starts_on: course.starts_on,
                reason: course.cancel_reason.as_deref(),
            };
            mail::enqueue(txn, email, &mail).await?;
        }
    }
    Ok(())
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
