//! One person's record as the caller may see it (a full ID number shown is audited as
//! `read_id_number`), and everything the registry holds on a person (subject access).

use super::query::{load_qualifications, load_specialties};
use crate::services::person_scope::{find, may_see_id_number, target};

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::PersonView;
use crate::services::audit::Entry;
use crate::{
    auth::Caller,
    db,
    entities::{account, assignment, enrollment, registration, service_session},
    error::AppError,
};

/// One person. A full ID number shown is recorded as a `read_id_number` audit entry.
pub async fn get(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<PersonView, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    let reveal = may_see_id_number(caller, id);
    if reveal {
        record_id_number_read(db, caller, id).await?;
    }
    let mut specialties = load_specialties(db, &[id]).await?;
    let mut qualifications = load_qualifications(db, &[id]).await?;
    Ok(PersonView {
        specialties: specialties.remove(&id).unwrap_or_default(),
        qualifications: qualifications.remove(&id).unwrap_or_default(),
        reveal_id_number: reveal,
        person: found,
    })
}

pub async fn record_id_number_read(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
) -> Result<(), AppError> {
    let txn = db::begin_write(db).await?;
    Entry::new("read_id_number", "person", person_id)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Everything the registry holds on one person, for the bureau or the person (subject access).
pub async fn data_export(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<serde_json::Value, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    caller.require(may_see_id_number(caller, id), "export this person's data")?;
    record_id_number_read(db, caller, id).await?;
    let specialties = load_specialties(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let qualifications = load_qualifications(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::PersonId.eq(id))
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let service_sessions = service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(id))
        .order_by_asc(service_session::Column::Id)
        .all(db)
        .await?;
    let registrations = registration::Entity::find()
        .filter(registration::Column::PersonId.eq(id))
        .order_by_asc(registration::Column::Year)
        .all(db)
        .await?;
    let training = enrollment::Entity::find()
        .filter(enrollment::Column::PersonId.eq(id))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    let accounts: Vec<_> = account::Entity::find()
        .filter(account::Column::PersonId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| json!({"id": a.id, "username": a.username, "role": a.role, "email": a.email, "disabled": a.disabled,
                        "created_at": a.created_at, "last_login_at": a.last_login_at}))
        .collect();
    let mut person = serde_json::to_value(&found).map_err(|e| AppError::Internal(e.to_string()))?;
    person["id_number"] = json!(found.id_number);
    Ok(json!({
        "exported_at": Utc::now(),
        "person": person,
        "specialties": specialties,
        "qualifications": qualifications,
        "assignments": assignments,
        "service_sessions": service_sessions,
        "training": training,
        "registrations": registrations,
        "accounts": accounts,
    }))
}
