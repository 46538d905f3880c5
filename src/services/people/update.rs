//! Changing a person: contact details, specialties, status (ending open assignments), and, for
//! the bureau, the street and a mistyped ID number.

use super::create::{checked_name, ensure_id_number_free};
use super::privacy::get;
use super::specialties::{check_specialties, replace_specialties};
use crate::services::person_scope::{find, target};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use serde_json::json;

use super::{PersonChanges, PersonView};
use crate::services::{audit::Entry, open_assignments};
use crate::{
    auth::Caller,
    db,
    domain::{
        account::{Email, Role},
        person::PersonStatus,
    },
    entities::{account, person, street},
    error::AppError,
};

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    changes: PersonChanges,
) -> Result<PersonView, AppError> {
    let mut violations = Vec::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| checked_name(n, &mut violations));
    let phone = changes.phone;
    let email = changes.email.map(|e| e.map(Email::into_inner));
    let id_number = changes.id_number;
    if let Some(specialties) = &changes.specialties {
        check_specialties(db, specialties, &mut violations).await?;
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }

    let txn = db::begin_write(db).await?;
    let before = find(&txn, id).await?;
    caller.authorize_write(target(&before), "person", id)?;
    if changes.street_id.is_some_and(|s| s != before.street_id) || id_number.is_some() {
        caller.require(
            caller.role == Role::BureauAdmin,
            "move a person or change an ID number",
        )?;
    }
    AppError::check_version(changes.expected_version, before.version)?;
    if let Some(street_id) = changes.street_id
        && street::Entity::find_by_id(street_id)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "street_id",
            "street.unknown",
            format!("no street has id {street_id}"),
        ));
    }
    let mut active: person::ActiveModel = before.clone().into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(phone) = phone {
        active.phone = Set(phone.into_inner());
    }
    if let Some(email) = email {
        active.email = Set(email);
    }
    if let Some(number) = id_number {
        ensure_id_number_free(&txn, number.as_str(), Some(id)).await?;
        active.gender = Set(number.gender());
        active.birth_date = Set(number.birth_date());
        active.id_number = Set(number.into_inner());
    }
    if let Some(street_id) = changes.street_id {
        active.street_id = Set(street_id);
    }
    if let Some(status) = changes.status {
        active.status = Set(status);
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await.map_err(|e| {
        AppError::unique_or_db(
            e,
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        )
    })?;
    if let Some(specialties) = &changes.specialties {
        replace_specialties(&txn, id, specialties).await?;
    }
    if after.status != PersonStatus::Active && before.status == PersonStatus::Active {
        let reason = format!(
            "person {}",
            json!(after.status).as_str().unwrap_or("inactive")
        );
        open_assignments::end_open(
            &txn,
            caller,
            open_assignments::Scope::Person(id),
            None,
            &reason,
        )
        .await?;
    }
    if after.street_id != before.street_id {
        // Member accounts follow their person, so the new street's officers see them.
        account::Entity::update_many()
            .col_expr(account::Column::StreetId, Expr::value(after.street_id))
            .filter(account::Column::PersonId.eq(id))
            .exec(&txn)
            .await?;
    }
    Entry::new("update", "person", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    get(db, caller, id).await
}
