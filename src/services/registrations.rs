//! Annual work registration (工作注册): an instructor registers for year Y, approved when they held
//! an active instructor qualification during Y and served the policy's hours in Y-1, or approved
//! against the rule by an officer's decision with a note. One registration per person and year.

use crate::services::person_scope;
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{PageRequest, Paged, audit::Entry, eligibility, fetch_page, policy};
use crate::{
    auth::Caller,
    db,
    domain::{
        FieldViolation,
        careers::{RegistrationStatus, registration_shortfalls},
        hours::hours,
        person::{QualificationKind, QualificationStatus, SessionStatus},
        time::{start_of_day, today, year_bounds, year_days},
    },
    entities::{qualification, registration, service_session},
    error::AppError,
};

/// The earliest year the registry accepts a registration for.
pub const FIRST_YEAR: i32 = 2000;

#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub year: i32,
    pub note: Option<String>,
    /// Approve even when the rule is not met; needs a note.
    pub overridden: bool,
}

/// The day registration for `year` opens: 1 December of the year before.
pub fn opens_on(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year.checked_sub(1)?, 12, 1)
}

pub async fn register(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    new: NewRegistration,
) -> Result<registration::Model, AppError> {
    person_scope::find_writable(db, caller, person_id).await?;
    let note = new
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let mut violations = Vec::new();
    let day = today();
    match opens_on(new.year) {
        Some(opens) if new.year >= FIRST_YEAR && opens <= day => {}
        Some(opens) if new.year >= FIRST_YEAR => violations.push(FieldViolation::new(
            "year",
            "registration.not_open",
            format!("registration for {} opens on {opens}", new.year),
        )),
        _ => violations.push(FieldViolation::new(
            "year",
            "year.out_of_range",
            format!("must be {FIRST_YEAR} or later"),
        )),
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        violations.push(FieldViolation::new(
            "note",
            "text.length",
            "must be at most 500 characters",
        ));
    }
    if new.overridden && note.is_none() {
        violations.push(FieldViolation::new(
            "note",
            "registration.override_note_required",
            "approving against the rule needs a note giving the reason",
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    let policy = policy::get(db).await?.policy;

    let txn = db::begin_write(db).await?;
    let existing = registration::Entity::find()
        .filter(registration::Column::PersonId.eq(person_id))
        .filter(registration::Column::Year.eq(new.year))
        .one(&txn)
        .await?;
    if let Some(existing) = existing
        .as_ref()
        .filter(|e| e.status == RegistrationStatus::Approved)
    {
        return Err(AppError::conflict(
            "year",
            "registration.duplicate",
            format!(
                "the person's registration for {} is approved already (id {})",
                new.year, existing.id
            ),
        ));
    }
    let qualified = qualified_during(&txn, person_id, new.year).await?;
    let served = served_quarters(&txn, person_id, new.year - 1).await?;
    let shortfalls = registration_shortfalls(new.year, qualified, served, &policy);
    let (status, overridden, reason) = if shortfalls.is_empty() {
        (
            RegistrationStatus::Approved,
            false,
            format!(
                "held an active social sports instructor qualification in {} and served {} \
                 approved hours in {} (policy: {})",
                new.year,
                hours(served),
                new.year - 1,
                policy.instructor_annual_hours
            ),
        )
    } else if new.overridden {
        (
            RegistrationStatus::Approved,
            true,
            format!("approved against the rule: {}", shortfalls.join("; ")),
        )
    } else {
        (RegistrationStatus::Rejected, false, shortfalls.join("; "))
    };
    let grade = eligibility::instructor_qualification(&txn, person_id)
        .await?
        .and_then(|q| q.grade);
    // A rejected year stays decided unless this decision approves it: registration opens in
    // December, before the year whose hours it counts has ended.
    let mut active = match &existing {
        Some(rejected) if status == RegistrationStatus::Rejected => {
            return Err(AppError::conflict(
                "year",
                "registration.rule_still_unmet",
                format!(
                    "the person's registration for {} was rejected ({}) and the rule is still \
                     not met; approve it against the rule with override and a note",
                    new.year, rejected.reason
                ),
            ));
        }
        Some(rejected) => registration::ActiveModel::from(rejected.clone()),
        None => registration::ActiveModel {
            person_id: Set(person_id),
            year: Set(new.year),
            ..Default::default()
        },
    };
    active.status = Set(status);
    active.reason = Set(reason);
    active.overridden = Set(overridden);
    active.note = Set(note);
    active.grade = Set(grade);
    active.served_quarters = Set(i32::try_from(served).unwrap_or(i32::MAX));
    active.created_by = Set(caller.account_id);
    active.created_at = Set(Utc::now());
    let saved = match &existing {
        Some(_) => active.update(&txn).await?,
        None => active.insert(&txn).await.map_err(|e| {
            AppError::unique_or_db(
                e,
                "year",
                "registration.duplicate",
                "the person has a registration for this year already",
            )
        })?,
    };
    let action = match (overridden, &existing) {
        (true, _) => "override",
        (false, Some(_)) => "approve",
        (false, None) => "create",
    };
    let mut entry = Entry::new(action, "registration", saved.id).after(&saved);
    if let Some(rejected) = &existing {
        entry = entry.before(rejected);
    }
    entry.record(&txn, caller).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A person's registrations, latest year first.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    page: PageRequest,
) -> Result<Paged<registration::Model>, AppError> {
    person_scope::find_readable(db, caller, person_id).await?;
    let select = registration::Entity::find()
        .filter(registration::Column::PersonId.eq(person_id))
        .order_by_desc(registration::Column::Year);
    Ok(fetch_page(select, db, page).await?)
}

/// Whether the person held an active instructor qualification on at least one day of `year`:
/// certified by its end and not revoked before it began (district days).
async fn qualified_during(
    db: &impl ConnectionTrait,
    person_id: i32,
    year: i32,
) -> Result<bool, AppError> {
    let Some((first, last)) = year_days(year) else {
        return Ok(false);
    };
    let held = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor))
        .filter(qualification::Column::CertifiedOn.lte(last))
        .all(db)
        .await?;
    Ok(held.iter().any(|q| match q.status {
        QualificationStatus::Active => true,
        QualificationStatus::Revoked => q.revoked_at.is_some_and(|at| at >= start_of_day(first)),
    }))
}

/// Approved service hours that started in `year` (UTC+08:00), in quarter hours.
pub async fn served_quarters(
    db: &impl ConnectionTrait,
    person_id: i32,
    year: i32,
) -> Result<i64, AppError> {
    if year_days(year).is_none() {
        return Ok(0);
    }
    let (start, end) = year_bounds(year);
    let total: Option<i64> = service_session::Entity::find()
        .select_only()
        .column_as(service_session::Column::Quarters.sum(), "quarters")
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(service_session::Column::Status.eq(SessionStatus::Approved))
        .filter(service_session::Column::StartedAt.gte(start))
        .filter(service_session::Column::StartedAt.lt(end))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(total.unwrap_or(0))
}

pub fn status_name(status: RegistrationStatus) -> &'static str {
    match status {
        RegistrationStatus::Approved => "approved",
        RegistrationStatus::Rejected => "rejected",
    }
}
