//! Finding one person within the caller's scope, for reading or changing, and locking a person
//! for a write: shared by every service whose records belong to a person (assignments,
//! sessions, training, careers, accounts), so none of them needs the people registry itself.

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QuerySelect, sea_query::LockType};

use crate::{
    auth::{Caller, Target},
    domain::account::Role,
    entities::person,
    error::AppError,
};

pub fn target(person: &person::Model) -> Target<'static> {
    Target::Person {
        person_id: person.id,
        street_id: person.street_id,
    }
}

/// A person the caller may read (404 when unknown or out of scope).
pub async fn find_readable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<person::Model, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    Ok(found)
}

/// A person the caller may change (404 when unknown or out of scope, 403 when read-only).
pub async fn find_writable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<person::Model, AppError> {
    let found = find(db, id).await?;
    caller.authorize_write(target(&found), "person", id)?;
    Ok(found)
}

/// Whether `caller` sees full ID numbers of `person`: the bureau, and the person.
pub fn may_see_id_number(caller: &Caller, person_id: i32) -> bool {
    caller.role == Role::BureauAdmin
        || (caller.role == Role::Member && caller.person_id == Some(person_id))
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<person::Model, AppError> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("person", id))
}

/// Whether the caller may read a record of a person held at a community (an assignment, a service
/// session): through the person's scope, or through the community's street.
pub async fn record_readable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    person_id: i32,
    community_id: i32,
) -> Result<bool, AppError> {
    let person = find(db, person_id).await?;
    if caller.can_read(target(&person)) {
        return Ok(true);
    }
    let community = crate::entities::community::Entity::find_by_id(community_id)
        .one(db)
        .await?;
    Ok(community.is_some_and(|c| caller.can_read(Target::Street(c.street_id))))
}

/// The street a person is registered in (404 when there is no such person).
pub async fn street_of(db: &impl ConnectionTrait, person_id: i32) -> Result<i32, AppError> {
    Ok(find(db, person_id).await?.street_id)
}

/// The person a request body names, read before the write (422 on `person_id` when unknown);
/// the write then takes [`serialise`].
pub async fn named(db: &impl ConnectionTrait, person_id: i32) -> Result<person::Model, AppError> {
    person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("person_id", "person.unknown", "no such person"))
}

/// Inside a write: on PostgreSQL, locks the person row for the rest of the transaction so that two
/// writes for one person are checked one after the other; on SQLite the single writer serialises
/// them already, and this costs nothing.
pub async fn serialise(txn: &impl ConnectionTrait, person_id: i32) -> Result<(), AppError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        lock(txn, person_id).await?;
    }
    Ok(())
}

/// The person row, locked for the rest of the transaction on PostgreSQL so that two writes for
/// one person are checked one after the other (SQLite serialises writers already). An unknown
/// person is a 422 on `person_id`: the id came in a request body.
pub async fn lock(txn: &impl ConnectionTrait, person_id: i32) -> Result<person::Model, AppError> {
    let mut select = person::Entity::find_by_id(person_id);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock(LockType::Update);
    }
    select
        .one(txn)
        .await?
        .ok_or_else(|| AppError::invalid("person_id", "person.unknown", "no such person"))
}
