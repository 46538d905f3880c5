//! Qualifications: recording a person's standing as instructor, volunteer or administrator,
//! promoting a grade, and revoking with a reason.

use crate::services::open_assignments;
use crate::services::person_scope;
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};

use super::{audit::Entry, eligibility, policy};
use crate::{
    auth::Caller,
    db,
    domain::{
        FieldViolation,
        account::Role,
        person::{Employment, Grade, PersonStatus, QualificationKind, QualificationStatus, age_on},
        time::today,
    },
    entities::{person, qualification},
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
    /// The day a promoted grade was granted; defaults to today.
    pub granted_on: Option<NaiveDate>,
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
            "qualification.grade_required",
            "is required for a social sports instructor",
        )),
        (false, Some(_)) => violations.push(FieldViolation::new(
            "grade",
            "qualification.grade_not_allowed",
            "only social sports instructors have a grade",
        )),
        _ => {}
    }
    match (kind.has_employment(), employment) {
        (true, None) => violations.push(FieldViolation::new(
            "employment",
            "qualification.employment_required",
            "is required for an administrator",
        )),
        (false, Some(_)) => violations.push(FieldViolation::new(
            "employment",
            "qualification.employment_not_allowed",
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
    let person = person_scope::find_writable(db, caller, person_id).await?;
    check_grade_right(caller, new.grade)?;
    let mut violations = check_shape(new.kind, new.grade, new.employment);
    let day_ok = if new.certified_on > today() {
        violations.push(FieldViolation::new(
            "certified_on",
            "date.in_future",
            "must not be in the future",
        ));
        false
    } else if let Err(v) = crate::domain::time::check_date("certified_on", new.certified_on) {
        violations.push(v);
        false
    } else {
        true
    };
    let min_age = policy::get(db).await?.policy.min_age as i32;
    let age = age_on(person.birth_date, new.certified_on);
    if day_ok && age < min_age {
        violations.push(FieldViolation::new(
            "certified_on",
            "qualification.under_min_age",
            format!(
                "the person was {age} on that day; the minimum age (policy min_age) is {min_age}"
            ),
        ));
    }
    if person.status != PersonStatus::Active {
        violations.push(FieldViolation::new(
            "person_id",
            "person.not_active",
            "the person is not active",
        ));
    }
    if let Some(grade) = new.grade.filter(|g| !g.granted_by_district()) {
        violations.extend(missing_grant_record(
            grade,
            new.issued_by.as_deref(),
            new.certificate_no.as_deref(),
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    // A duplicate is a conflict whatever its grade would be judged.
    let held = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Kind.eq(new.kind))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .one(db)
        .await?;
    if let Some(held) = held {
        return Err(held_already(&held));
    }
    let judged = match new.grade {
        Some(grade) => Some(judge_grant(db, &person, grade, new.certified_on).await?),
        None => None,
    };

    let txn = db::begin_write(db).await?;
    let held = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Kind.eq(new.kind))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .one(&txn)
        .await?;
    if let Some(held) = held {
        return Err(held_already(&held));
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
        grade_granted_on: Set(new.grade.map(|_| new.certified_on)),
        eligibility_at_grant: Set(judged.flatten()),
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
    let person = person_scope::find_writable(db, caller, person_id).await?;
    check_grade_right(caller, changes.grade)?;
    let txn = db::begin_write(db).await?;
    // The person's lock orders this change against a new assignment resting on the
    // qualification: a revocation then sees the assignment to end, or the assignment sees the
    // revocation and is refused.
    person_scope::serialise(&txn, person_id).await?;
    let before = qualification::Entity::find_by_id(id)
        .filter(qualification::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("qualification", id))?;
    AppError::check_version(changes.expected_version, before.version)?;
    if before.status == QualificationStatus::Revoked {
        return Err(AppError::conflict(
            "status",
            "qualification.revoked",
            "a revoked qualification cannot be changed",
        ));
    }
    let mut violations = check_shape(
        before.kind,
        changes.grade.or(before.grade),
        changes.employment.or(before.employment),
    );
    let promotion = changes.grade.filter(|g| Some(*g) != before.grade);
    if let (Some(new), Some(held)) = (promotion, before.grade)
        && new < held
    {
        violations.push(FieldViolation::new(
            "grade",
            "qualification.grade_lowered",
            "a grade is never lowered; revoke the qualification instead",
        ));
    }
    let granted_on = changes.granted_on.unwrap_or_else(today);
    if let Some(grade) = promotion.filter(|g| before.grade.is_none_or(|held| *g > held)) {
        violations.extend(missing_grant_record(
            grade,
            changes.issued_by.clone().flatten().as_deref(),
            changes.certificate_no.clone().flatten().as_deref(),
        ));
        let held_since = before.grade_granted_on.unwrap_or(before.certified_on);
        if granted_on > today() || granted_on < held_since {
            violations.push(FieldViolation::new(
                "granted_on",
                "qualification.granted_on_out_of_range", format!("must lie between the day the current grade was granted ({held_since}) and today"),
            ));
        }
    } else if changes.granted_on.is_some() {
        violations.push(FieldViolation::new(
            "granted_on",
            "qualification.granted_on_without_grade",
            "is given only with a new grade",
        ));
    }
    let revoking = changes.status == Some(QualificationStatus::Revoked);
    let reason = changes
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if revoking && reason.is_none() {
        violations.push(FieldViolation::new(
            "reason",
            "qualification.revoke_reason_required",
            "is required to revoke a qualification",
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    let now = Utc::now();
    let mut active: qualification::ActiveModel = before.clone().into();
    if let Some(grade) = promotion {
        let judged = judge_grant(&txn, &person, grade, granted_on).await?;
        active.grade = Set(Some(grade));
        active.grade_granted_on = Set(Some(granted_on));
        active.eligibility_at_grant = Set(judged);
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
    let action = match (revoking, promotion) {
        (true, _) => "revoke",
        (false, Some(_)) => "promote",
        (false, None) => "update",
    };
    Entry::new(action, "qualification", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    if revoking {
        // Without the qualification the person can no longer serve in that role.
        open_assignments::end_open(
            &txn,
            caller,
            open_assignments::Scope::Person(person_id),
            Some(before.kind),
            "qualification revoked",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(after)
}

fn held_already(held: &qualification::Model) -> AppError {
    AppError::conflict(
        "kind",
        "qualification.duplicate",
        format!(
            "the person holds this qualification already (id {}); change it instead",
            held.id
        ),
    )
}

/// Grades granted outside the district are recorded with who granted them and the certificate.
fn missing_grant_record(
    grade: Grade,
    issued_by: Option<&str>,
    certificate_no: Option<&str>,
) -> Vec<FieldViolation> {
    let label = crate::domain::careers::grade_label(grade);
    [("issued_by", issued_by), ("certificate_no", certificate_no)]
        .into_iter()
        .filter(|(_, value)| value.is_none_or(|v| v.trim().is_empty()))
        .map(|(field, _)| {
            FieldViolation::new(
                field,
                "qualification.external_grant_required",
                format!("the {label} grade is granted outside the district: record {field}"),
            )
        })
        .collect()
}

/// Judges the grade on the day it is granted. The district's own grant (`third`) is refused with
/// every unmet requirement; a grade granted elsewhere is recorded whatever the judgement, which
/// is kept beside it (as JSON) so a mismatch stays visible.
async fn judge_grant(
    db: &impl ConnectionTrait,
    person: &person::Model,
    grade: Grade,
    on: NaiveDate,
) -> Result<Option<String>, AppError> {
    let policy = policy::get(db).await?.policy;
    let judged = eligibility::judge(db, person, grade, on, &policy).await?;
    if grade.granted_by_district() && !judged.eligible {
        let unmet = judged
            .requirements
            .iter()
            .filter(|r| !r.met)
            .map(|r| {
                FieldViolation::new(
                    &r.name,
                    "eligibility.requirement_unmet",
                    format!(
                        "{}: needs {}, has {} on {on}",
                        r.description, r.required, r.actual
                    ),
                )
            })
            .collect();
        return Err(AppError::violations(unmet));
    }
    serde_json::to_string(&judged)
        .map(Some)
        .map_err(|e| AppError::Internal(format!("eligibility: {e}")))
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
