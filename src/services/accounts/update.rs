//! Changing an account: who may change what (a member only its own address, an officer only within
//! its street, only the bureau the role), with the version checked and sessions ended on disabling.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use super::{AccountChanges, check_scope_fields, ensure_unique};
use crate::{
    auth::{Caller, Target},
    db,
    domain::account::{Email, Role, Username},
    entities::{account, session},
    error::AppError,
    services::audit::Entry,
};

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    changes: AccountChanges,
) -> Result<account::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = account::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("account", id))?;
    let own_account = caller.account_id == Some(before.id);
    if caller.role == Role::Member && own_account {
        // Members change their own address, nothing else.
        caller.require(
            changes.disabled.is_none() && changes.role.is_none() && changes.street_id.is_none(),
            "change anything of your account but its address",
        )?;
    } else {
        caller.authorize_write(Target::Account(&before), "account", id)?;
    }
    if before.role == Role::Member && changes.email.is_some() {
        caller.require(
            caller.role == Role::BureauAdmin || own_account,
            "change a member account's address (only the bureau or the person does)",
        )?;
    }
    if changes.role.is_some() || changes.street_id.is_some() {
        caller.require(
            caller.role == Role::BureauAdmin,
            "change an account's role or street",
        )?;
    }
    AppError::check_version(changes.expected_version, before.version)?;

    let email = changes.email.map(|e| e.map(Email::into_inner));
    let role = changes.role.unwrap_or(before.role);
    let mut street_id = changes.street_id.unwrap_or(before.street_id);
    let mut person_id = before.person_id;
    if matches!(role, Role::BureauAdmin | Role::Auditor) {
        // District-wide roles carry no street or person.
        street_id = None;
        person_id = None;
    }
    if role != before.role || street_id != before.street_id {
        check_scope_fields(&txn, role, street_id, person_id).await?;
    }
    if let Some(Some(address)) = &email {
        let username =
            Username::parse(&before.username).map_err(|v| AppError::violations(vec![v]))?;
        ensure_unique(&txn, &username, Some(address), Some(id)).await?;
    }
    let disabled = changes.disabled.unwrap_or(before.disabled);
    let stays_admin = role == Role::BureauAdmin && !disabled;
    if before.role == Role::BureauAdmin && !before.disabled && !stays_admin {
        let other_admins = account::Entity::find()
            .filter(account::Column::Role.eq(Role::BureauAdmin))
            .filter(account::Column::Disabled.eq(false))
            .filter(account::Column::Id.ne(id))
            .count(&txn)
            .await?;
        if other_admins == 0 {
            return Err(AppError::conflict(
                "role",
                "account.last_bureau_admin",
                "the district needs at least one active bureau_admin account",
            ));
        }
    }

    let mut active: account::ActiveModel = before.clone().into();
    active.role = Set(role);
    active.street_id = Set(street_id);
    active.person_id = Set(person_id);
    active.disabled = Set(disabled);
    if let Some(email) = email {
        active.email = Set(email);
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await.map_err(|e| {
        AppError::unique_or_db(
            e,
            "email",
            "account.email_taken",
            "is used by another account",
        )
    })?;
    if disabled && !before.disabled {
        // A disabled account's sessions end at once.
        session::Entity::delete_many()
            .filter(session::Column::AccountId.eq(id))
            .exec(&txn)
            .await?;
    }
    Entry::new("update", "account", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(after)
}
