//! Undoing an import while its people have neither changed nor gained other records.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use super::CHUNK;
use crate::services::audit::Entry;
use crate::{
    auth::Caller,
    db,
    domain::account::Role,
    entities::{
        account, assignment, certificate, enrollment, people_import, person, person_specialty,
        qualification, registration, service_session,
    },
    error::AppError,
};

/// Removes what an import wrote, unless its people have gained other records or changed since.
pub async fn undo(
    db: &DatabaseConnection,
    caller: &Caller,
    import_id: &str,
) -> Result<(), AppError> {
    // Auditors read every import and change none; for members no import exists.
    caller.require(caller.role != Role::Auditor, "undo imports")?;
    let txn = db::begin_write(db).await?;
    let found = people_import::Entity::find_by_id(import_id.to_owned())
        .one(&txn)
        .await?
        .filter(|i| may_undo(caller, i))
        .ok_or_else(|| AppError::not_found("import", import_id))?;
    if found.undone_at.is_some() {
        return Err(AppError::conflict(
            "import_id",
            "import.undone",
            "the import has been undone already",
        ));
    }
    let people = people_of(&txn, import_id).await?;
    if blockers(&txn, import_id, &people).await? > 0 {
        return Err(AppError::conflict(
            "import_id",
            "import.undo_not_possible",
            "people of this import have changed or gained other records since; undo is no longer possible",
        ));
    }
    assignment::Entity::delete_many()
        .filter(assignment::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    qualification::Entity::delete_many()
        .filter(qualification::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    for chunk in people.chunks(CHUNK) {
        person_specialty::Entity::delete_many()
            .filter(person_specialty::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let removed = person::Entity::delete_many()
        .filter(person::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    people_import::Entity::update(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        undone_at: Set(Some(Utc::now())),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    Entry::new("undo_import", "people_import", import_id)
        .after(&serde_json::json!({"people_removed": removed.rows_affected}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The bureau undoes any import, an officer its own.
pub(super) fn may_undo(caller: &Caller, import: &people_import::Model) -> bool {
    caller.role == Role::BureauAdmin
        || (caller.role == Role::StreetOfficer
            && caller.account_id.is_some()
            && import.created_by == caller.account_id)
}

pub(super) async fn people_of(
    db: &impl ConnectionTrait,
    import_id: &str,
) -> Result<Vec<i32>, AppError> {
    Ok(person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::ImportId.eq(import_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// What stands in the way of undoing: people changed since, records of theirs the import did
/// not write, and the import's own records changed since. Zero means undo is possible.
pub(super) async fn blockers(
    db: &impl ConnectionTrait,
    import_id: &str,
    people: &[i32],
) -> Result<u64, AppError> {
    let changed_people = person::Entity::find()
        .filter(person::Column::ImportId.eq(import_id))
        .filter(person::Column::Version.gt(1))
        .count(db)
        .await?;
    let mut others = 0;
    for chunk in people.chunks(CHUNK) {
        others += qualification::Entity::find()
            .filter(qualification::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(
                Condition::any()
                    .add(qualification::Column::ImportId.is_null())
                    .add(qualification::Column::ImportId.ne(import_id)),
            )
            .count(db)
            .await?;
        others += assignment::Entity::find()
            .filter(assignment::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(
                Condition::any()
                    .add(assignment::Column::ImportId.is_null())
                    .add(assignment::Column::ImportId.ne(import_id)),
            )
            .count(db)
            .await?;
        others += account::Entity::find()
            .filter(account::Column::PersonId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
        others += service_session::Entity::find()
            .filter(service_session::Column::PersonId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
        others += enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
        others += certificate::Entity::find()
            .filter(certificate::Column::PersonId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
        others += registration::Entity::find()
            .filter(registration::Column::PersonId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
    }
    let changed_records = qualification::Entity::find()
        .filter(qualification::Column::ImportId.eq(import_id))
        .filter(qualification::Column::Version.gt(1))
        .count(db)
        .await?
        + assignment::Entity::find()
            .filter(assignment::Column::ImportId.eq(import_id))
            .filter(assignment::Column::EndsOn.is_not_null())
            .count(db)
            .await?;
    Ok(changed_people + others + changed_records)
}
