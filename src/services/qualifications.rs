//! Qualifications: recording a person's standing as instructor, volunteer or administrator,
//! promoting a grade, and revoking with a reason.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{assignments, audit::Entry, people, policy};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        FieldViolation,
        account::Role,
        person::{Employment, Grade, PersonStatus, QualificationKind, QualificationStatus, age_on},
        time::today,
    },
    entities::qualification,
    error::AppError,
};

#[derive(Debug, Clone)]
pub struct NewQualification {
    pub kind: QualificationKind,
    pub grade: Option<Grade>,
    pub certificate_no: Option<String>,
    pub certified_on: NaiveDate,
    pub employment: Option<Employment>,
    /// Who granted it, for grades granted outside the district.
    pub issued_by: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QualificationChanges {
    pub grade: Option<Grade>,
    pub certificate_no: Option<Option<String>>,
    pub employment: Option<Employment>,
    pub issued_by: Option<Option<String>>,
    /// Only `revoked`, with a reason.
    pub status: Option<QualificationStatus>,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

/// Officers record the district's own grade only; higher grades are the bureau's to record.
fn check_grade_right(caller: &Caller, grade: Option<Grade>) -> Result<(), AppError> {
    if grade.is_some_and(|g| g > Grade::Third) {
        caller.require(
            caller.role == Role::BureauAdmin,
            "record grades above third",
        )?;
    }
    Ok(())
}

fn check_shape(
    kind: QualificationKind,
    grade: Option<Grade>,
    employment: Option<Employment>,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    match (kind.has_grade(), grade) {
        (true, None) => violations.push(FieldViolation::new(
            "grade",
            "is required for a social sports instructor",
        )),
        (false, Some(_)) => violations.push(FieldViolation::new(
            "grade",
            "only social sports instructors have a grade",
        )),
        _ => {}
    }
    match (kind.has_employment(), employment) {
        (true, None) => violations.push(FieldViolation::new(
            "employment",
            "is required for an administrator",
        )),
        (false, Some(_)) => violations.push(FieldViolation::new(
            "employment",
            "only administrators are full- or part-time",
        )),
        _ => {}
    }
    violations
}

pub async fn add(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    new: NewQualification,
) -> Result<qualification::Model, AppError> {
    let person = people::find(db, person_id).await?;
    caller.authorize_write(
        Target::Person {
            person_id,
            street_id: person.street_id,
        },
        "person",
        person_id,
    )?;
    check_grade_right(caller, new.grade)?;
    let mut violations = check_shape(new.kind, new.grade, new.employment);
    if new.certified_on > today() {
        violations.push(FieldViolation::new(
            "certified_on",
            "must not be in the future",
        ));
    }
    let min_age = policy::get(db).await?.policy.min_age as i32;
    let age = age_on(person.birth_date, new.certified_on);
    if age < min_age {
        violations.push(FieldViolation::new(
            "certified_on",
            format!(
                "the person was {age} on that day; the minimum age (policy min_age) is {min_age}"
            ),
        ));
    }
    if person.status != PersonStatus::Active {
        violations.push(FieldViolation::new("person_id", "the person is not active"));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }

    let txn = db::begin_write(db).await?;
    let held = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Kind.eq(new.kind))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .one(&txn)
        .await?;
    if let Some(held) = held {
        return Err(AppError::conflict(
            "kind",
            format!(
                "the person holds this qualification already (id {}); change it instead",
                held.id
            ),
        ));
    }
    let now = Utc::now();
    let created = qualification::ActiveModel {
        person_id: Set(person_id),
        kind: Set(new.kind),
        grade: Set(new.grade),
        certificate_no: Set(trimmed(new.certificate_no)),
        certified_on: Set(new.certified_on),
        employment: Set(new.employment),
        issued_by: Set(trimmed(new.issued_by)),
        status: Set(QualificationStatus::Active),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoke_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Entry::new("create", "qualification", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    id: i32,
    changes: QualificationChanges,
) -> Result<qualification::Model, AppError> {
    let person = people::find(db, person_id).await?;
    caller.authorize_write(
        Target::Person {
            person_id,
            street_id: person.street_id,
        },
        "person",
        person_id,
    )?;
    check_grade_right(caller, changes.grade)?;
    let txn = db::begin_write(db).await?;
    let before = qualification::Entity::find_by_id(id)
        .filter(qualification::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("qualification", id))?;
    AppError::check_version(changes.expected_version, before.version)?;
    if before.status == QualificationStatus::Revoked {
        return Err(AppError::conflict(
            "status",
            "a revoked qualification cannot be changed",
        ));
    }
    let mut violations = check_shape(
        before.kind,
        changes.grade.or(before.grade),
        changes.employment.or(before.employment),
    );
    let revoking = changes.status == Some(QualificationStatus::Revoked);
    let reason = changes
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if revoking && reason.is_none() {
        violations.push(FieldViolation::new(
            "reason",
            "is required to revoke a qualification",
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    let now = Utc::now();
    let mut active: qualification::ActiveModel = before.clone().into();
    if let Some(grade) = changes.grade {
        active.grade = Set(Some(grade));
    }
    if let Some(certificate_no) = changes.certificate_no {
        active.certificate_no = Set(trimmed(certificate_no));
    }
    if let Some(employment) = changes.employment {
        active.employment = Set(Some(employment));
    }
    if let Some(issued_by) = changes.issued_by {
        active.issued_by = Set(trimmed(issued_by));
    }
    if revoking {
        active.status = Set(QualificationStatus::Revoked);
        active.revoked_at = Set(Some(now));
        active.revoked_by = Set(caller.account_id);
        active.revoke_reason = Set(reason.map(str::to_owned));
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(now);
    let after = active.update(&txn).await?;
    let action = if revoking { "revoke" } else { "update" };
    Entry::new(action, "qualification", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    if revoking {
        // Without the qualification the person can no longer serve in that role.
        assignments::end_open(
            &txn,
            caller,
            assignments::Scope::Person(person_id),
            Some(before.kind),
            "qualification revoked",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(after)
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
