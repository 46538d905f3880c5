//! Accounts: creating, listing, reading and changing them within the caller's scope.

mod create;
mod invitation;
mod update;

pub use create::create;
pub use invitation::resend_invitation;
pub use update::update;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{PageRequest, Paged, fetch_page, query::escape_like};
use crate::{
    auth::{Caller, Target},
    domain::account::{Email, Role, Username},
    entities::{account, street},
    error::AppError,
    services::person_scope,
};

/// A new account as asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub role: Role,
    pub email: Option<Email>,
    pub street_id: Option<i32>,
    pub person_id: Option<i32>,
    /// Without one the account waits for activation.
    pub password: Option<String>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub disabled: Option<bool>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<Email>>,
    pub role: Option<Role>,
    pub street_id: Option<Option<i32>>,
    pub expected_version: Option<i64>,
}

/// Filters of the account list; all optional.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub street_id: Option<i32>,
    pub disabled: Option<bool>,
    /// Part of the username or e-mail address.
    pub q: Option<String>,
}

pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &AccountFilter,
    page: PageRequest,
) -> Result<Paged<account::Model>, AppError> {
    let mut select = account::Entity::find().filter(super::list_scope::accounts(caller));
    if let Some(role) = filter.role {
        select = select.filter(account::Column::Role.eq(role));
    }
    if let Some(street_id) = filter.street_id {
        select = select.filter(account::Column::StreetId.eq(street_id));
    }
    if let Some(disabled) = filter.disabled {
        select = select.filter(account::Column::Disabled.eq(disabled));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        select = select.filter(
            Condition::any()
                .add(
                    Expr::col(account::Column::Username)
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(account::Column::Email)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    Ok(fetch_page(select.order_by_asc(account::Column::Id), db, page).await?)
}

pub async fn get(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<account::Model, AppError> {
    let found = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("account", id))?;
    caller.authorize_read(Target::Account(&found), "account", id)?;
    Ok(found)
}

/// The member account of a person, when there is one the caller may read.
pub async fn of_person(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
) -> Result<Option<account::Model>, AppError> {
    Ok(account::Entity::find()
        .filter(account::Column::PersonId.eq(person_id))
        .filter(super::list_scope::accounts(caller))
        .one(db)
        .await?)
}

/// Each role carries exactly the scope it needs: a street for officers, a person for members.
async fn check_scope_fields(
    db: &impl ConnectionTrait,
    role: Role,
    street_id: Option<i32>,
    person_id: Option<i32>,
) -> Result<(), AppError> {
    match role {
        Role::StreetOfficer => {
            let street_id = street_id.ok_or_else(|| {
                AppError::invalid(
                    "street_id",
                    "value.required",
                    "is required for a street_officer",
                )
            })?;
            if street::Entity::find_by_id(street_id)
                .one(db)
                .await?
                .is_none()
            {
                return Err(AppError::invalid(
                    "street_id",
                    "street.unknown",
                    format!("no street has id {street_id}"),
                ));
            }
            if person_id.is_some() {
                return Err(AppError::invalid(
                    "person_id",
                    "account.person_not_allowed",
                    "only member accounts belong to a person",
                ));
            }
        }
        Role::Member => {
            let person_id = person_id.ok_or_else(|| {
                AppError::invalid("person_id", "value.required", "is required for a member")
            })?;
            person_street(db, person_id).await?;
        }
        Role::BureauAdmin | Role::Auditor => {
            if street_id.is_some() {
                return Err(AppError::invalid(
                    "street_id",
                    "account.street_not_allowed",
                    "only street_officer accounts belong to a street",
                ));
            }
            if person_id.is_some() {
                return Err(AppError::invalid(
                    "person_id",
                    "account.person_not_allowed",
                    "only member accounts belong to a person",
                ));
            }
        }
    }
    Ok(())
}

/// The street a person is registered in; an unknown person is a 422 on `person_id`.
async fn person_street(db: &impl ConnectionTrait, person_id: i32) -> Result<i32, AppError> {
    person_scope::street_of(db, person_id).await.map_err(|_| {
        AppError::invalid(
            "person_id",
            "person.unknown",
            format!("no person has id {person_id}"),
        )
    })
}

/// 409 when the username or e-mail address belongs to another account.
async fn ensure_unique(
    db: &impl ConnectionTrait,
    username: &Username,
    email: Option<&str>,
    except: Option<i32>,
) -> Result<(), AppError> {
    let mut taken = account::Entity::find().filter(
        Condition::any()
            .add(account::Column::Username.eq(username.as_str()))
            .add_option(email.map(|e| {
                Expr::expr(Func::lower(Expr::col(account::Column::Email))).eq(e.to_lowercase())
            })),
    );
    if let Some(id) = except {
        taken = taken.filter(account::Column::Id.ne(id));
    }
    for other in taken.all(db).await? {
        if except.is_none() && other.username == username.as_str() {
            return Err(AppError::conflict(
                "username",
                "account.username_taken",
                "is taken",
            ));
        }
        if email.is_some_and(|e| {
            other
                .email
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(e))
        }) {
            return Err(AppError::conflict(
                "email",
                "account.email_taken",
                "is used by another account",
            ));
        }
    }
    Ok(())
}
