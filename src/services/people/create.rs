//! Enrolling a person: the identity checks, a unique ID number, specialties.

use super::query::load_specialties;
use super::specialties::{check_specialties, replace_specialties};
use crate::services::person_scope::may_see_id_number;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};

use super::{NewPerson, PersonView};
use crate::services::audit::Entry;
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        FieldViolation,
        account::{Email, Role},
        person::PersonStatus,
    },
    entities::{person, street},
    error::AppError,
};

pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewPerson,
) -> Result<PersonView, AppError> {
    let street_id = match (caller.role, new.street_id) {
        (Role::StreetOfficer, None) => caller
            .street_id
            .ok_or(AppError::Forbidden("no street".into()))?,
        (_, Some(street_id)) => street_id,
        (_, None) => {
            return Err(AppError::invalid(
                "street_id",
                "value.required",
                "is required",
            ));
        }
    };
    caller.require(
        caller.can_write(Target::Street(street_id)),
        "enrol people in this street",
    )?;
    let mut violations = Vec::new();
    let name = checked_name(&new.name, &mut violations);
    let id_number = new.id_number;
    {
        let number = &id_number;
        if new.birth_date.is_some_and(|d| d != number.birth_date()) {
            violations.push(FieldViolation::new(
                "birth_date",
                "person.birth_date_mismatch",
                "does not match the birth date in the ID number",
            ));
        }
        if new.gender.is_some_and(|g| g != number.gender()) {
            violations.push(FieldViolation::new(
                "gender",
                "person.gender_mismatch",
                "does not match the ID number (odd sequence: male)",
            ));
        }
    }
    check_specialties(db, &new.specialties, &mut violations).await?;
    if street::Entity::find_by_id(street_id)
        .one(db)
        .await?
        .is_none()
    {
        violations.push(FieldViolation::new(
            "street_id",
            "street.unknown",
            format!("no street has id {street_id}"),
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }

    let txn = db::begin_write(db).await?;
    ensure_id_number_free(&txn, id_number.as_str(), None).await?;
    let now = Utc::now();
    let created = person::ActiveModel {
        name: Set(name),
        gender: Set(id_number.gender()),
        birth_date: Set(id_number.birth_date()),
        id_number: Set(id_number.into_inner()),
        phone: Set(new.phone.into_inner()),
        email: Set(new.email.map(Email::into_inner)),
        street_id: Set(street_id),
        status: Set(PersonStatus::Active),
        import_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        AppError::unique_or_db(
            e,
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        )
    })?;
    replace_specialties(&txn, created.id, &new.specialties).await?;
    Entry::new("create", "person", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(PersonView {
        reveal_id_number: may_see_id_number(caller, created.id),
        specialties: load_specialties(db, &[created.id])
            .await?
            .remove(&created.id)
            .unwrap_or_default(),
        qualifications: Vec::new(),
        person: created,
    })
}

pub(super) fn checked_name(raw: &str, violations: &mut Vec<FieldViolation>) -> String {
    crate::domain::text::name("name", raw, 50).unwrap_or_else(|v| {
        violations.push(v);
        raw.trim().to_owned()
    })
}

pub(super) async fn ensure_id_number_free(
    db: &impl ConnectionTrait,
    number: &str,
    except: Option<i32>,
) -> Result<(), AppError> {
    let mut existing = person::Entity::find().filter(person::Column::IdNumber.eq(number));
    if let Some(id) = except {
        existing = existing.filter(person::Column::Id.ne(id));
    }
    if existing.one(db).await?.is_some() {
        return Err(AppError::conflict(
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        ));
    }
    Ok(())
}
