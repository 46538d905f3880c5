//! Creating an account: the role's scope, a unique name and address, and a password or an
//! invitation mail with a one-time activation link.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{NewAccount, check_scope_fields, ensure_unique};
use crate::{
    auth::{Caller, PasswordHasher, Target},
    db,
    domain::{
        FieldViolation, Violations,
        account::{Email, Role, check_new_password},
    },
    entities::account,
    error::AppError,
    services::person_scope,
    services::{account_tokens, audit::Entry},
};

/// Creates an account. Without a password the account gets an invitation mail with a one-time
/// activation link starting with `public_url`.
pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    caller: &Caller,
    new: NewAccount,
    public_url: &str,
) -> Result<account::Model, AppError> {
    match caller.role {
        Role::BureauAdmin => {}
        Role::StreetOfficer => caller.require(
            new.role == Role::Member,
            "create accounts other than members",
        )?,
        Role::Member | Role::Auditor => caller.require(false, "create accounts")?,
    }
    let mut violations = Violations::default();
    if let Some(password) = &new.password {
        violations.check(check_new_password(
            "password",
            password,
            new.username.as_str(),
        ));
    }
    // A member's invitation may go to the address on the person's record, checked below.
    if new.password.is_none() && new.email.is_none() && new.role != Role::Member {
        violations.push(FieldViolation::new(
            "email",
            "account.email_required",
            "is required to invite an account created without a password",
        ));
    }
    if !violations.is_empty() {
        return Err(violations.into());
    }
    let username = new.username;
    let mut email = new.email.map(Email::into_inner);
    check_scope_fields(db, new.role, new.street_id, new.person_id).await?;
    let mut street_id = new.street_id;
    if let Some(person_id) = new.person_id {
        // Officers create member accounts for the people of their own street only; the account
        // carries the person's street so that street's officers see it.
        let person = person_scope::find(db, person_id).await.map_err(|_| {
            AppError::invalid(
                "person_id",
                "person.unknown",
                format!("no person has id {person_id}"),
            )
        })?;
        caller.authorize_write(Target::Street(person.street_id), "person", person_id)?;
        street_id = Some(person.street_id);
        if new.role == Role::Member {
            // A person's account belongs to the person: it is invited at the address on the
            // person's record, and only the bureau may set a password instead.
            caller.require(
                new.password.is_none() || caller.role == Role::BureauAdmin,
                "set the password of a member account (the person sets it from the invitation)",
            )?;
            let on_record = person.email.clone();
            if let Some(given) = &email
                && !on_record
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(given))
            {
                return Err(AppError::invalid(
                    "email",
                    "account.email_not_persons",
                    "a member account uses the address on the person's record; change the record first",
                ));
            }
            email = on_record;
        } else if email.is_none() {
            email = person.email;
        }
        if new.password.is_none() && email.is_none() {
            return Err(AppError::invalid(
                "email",
                "account.email_required",
                "is required to invite an account created without a password (the person has none on record)",
            ));
        }
    }
    let password_hash = match &new.password {
        Some(password) => Some(hasher.hash(password).await?),
        None => None,
    };

    let txn = db::begin_write(db).await?;
    if let (Role::Member, Some(person_id)) = (new.role, new.person_id) {
        // The person row is locked (PostgreSQL) so that two requests cannot both find no account.
        person_scope::lock(&txn, person_id).await?;
        if let Some(existing) = account::Entity::find()
            .filter(account::Column::PersonId.eq(person_id))
            .one(&txn)
            .await?
        {
            return Err(AppError::conflict(
                "person_id",
                "account.person_has_account",
                format!("the person has an account already (id {})", existing.id),
            ));
        }
    }
    ensure_unique(&txn, &username, email.as_deref(), None).await?;
    let now = Utc::now();
    let created = account::ActiveModel {
        username: Set(username.into_inner()),
        role: Set(new.role),
        email: Set(email),
        street_id: Set(street_id),
        person_id: Set(new.person_id),
        password_changed_at: Set(password_hash.as_ref().map(|_| now)),
        password_hash: Set(password_hash),
        disabled: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::unique_or_db(e, "username", "account.username_taken", "is taken"))?;
    if created.password_hash.is_none() {
        account_tokens::invite(&txn, &created, public_url).await?;
    }
    Entry::new("create", "account", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(created)
}
