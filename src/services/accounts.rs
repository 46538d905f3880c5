//! Accounts: creating, listing, reading and changing them within the caller's scope.

use crate::services::person_scope;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{PageRequest, Paged, account_tokens, audit::Entry, fetch_page, query::escape_like};
use crate::{
    auth::{Caller, PasswordHasher, Target},
    db,
    domain::{
        FieldViolation,
        account::{Email, Role, Username, check_new_password},
    },
    entities::{account, session, street},
    error::AppError,
};

/// A new account as asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub role: Role,
    pub email: Option<String>,
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
    pub email: Option<Option<String>>,
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
    let mut violations = Vec::new();
    let username = Username::parse(&new.username)
        .map_err(|v| violations.push(v))
        .ok();
    let email = new
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|v| violations.push(v))
        .ok()
        .flatten();
    if let (Some(password), Some(name)) = (&new.password, &username)
        && let Err(v) = check_new_password("password", password, name.as_str())
    {
        violations.push(v);
    }
    // A member's invitation may go to the address on the person's record, checked below.
    if new.password.is_none()
        && email.is_none()
        && new.role != Role::Member
        && !violations.iter().any(|v| v.field == "email")
    {
        violations.push(FieldViolation::new(
            "email",
            "account.email_required",
            "is required to invite an account created without a password",
        ));
    }
    let (Some(username), true) = (username, violations.is_empty()) else {
        return Err(AppError::violations(violations));
    };
    let mut email = email.map(Email::into_inner);
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

    let email = match changes.email {
        Some(Some(raw)) => Some(Some(
            Email::parse(&raw)
                .map_err(|v| AppError::violations(vec![v]))?
                .into_inner(),
        )),
        other => other,
    };
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
