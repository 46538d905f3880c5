//! An import as its page shows it: who ran it and when, what it wrote, the people it enrolled,
//! and whether it can still be undone. The web UI's uploads wait in [`super::uploads`].

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::undo::{blockers, may_undo, people_of};
use crate::{
    auth::Caller,
    domain::account::Role,
    entities::{account, people_import, person},
    error::AppError,
};

#[derive(Debug, Clone)]
pub struct ImportView {
    pub import: people_import::Model,
    /// Who ran it.
    pub by: Option<String>,
    /// The people it enrolled (not those it only added to), by name.
    pub people: Vec<person::Model>,
    /// Whether the caller may undo imports of this kind.
    pub may_undo: bool,
    /// Whether undoing is still possible: nothing new hangs on its people.
    pub undo_possible: bool,
}

/// An import the caller may read: any for the bureau and auditors, an officer's own or those of
/// its street's officers; 404 otherwise.
pub async fn view(
    db: &DatabaseConnection,
    caller: &Caller,
    import_id: &str,
) -> Result<ImportView, AppError> {
    let not_found = || AppError::not_found("import", import_id);
    let found = people_import::Entity::find_by_id(import_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let creator = match found.created_by {
        Some(id) => account::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let readable = match caller.role {
        Role::BureauAdmin | Role::Auditor => true,
        Role::StreetOfficer => creator.as_ref().is_some_and(|a| {
            Some(a.id) == caller.account_id
                || (a.street_id.is_some() && a.street_id == caller.street_id)
        }),
        Role::Member => false,
    };
    if !readable {
        return Err(not_found());
    }
    let ids = people_of(db, import_id).await?;
    let undo_possible = found.undone_at.is_none() && blockers(db, import_id, &ids).await? == 0;
    let people = person::Entity::find()
        .filter(person::Column::ImportId.eq(import_id))
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    Ok(ImportView {
        may_undo: may_undo(caller, &found),
        undo_possible,
        by: creator.map(|a| a.username),
        people,
        import: found,
    })
}
