//! Files uploaded through the web UI's import: kept for the account that uploaded them between
//! the preview (a dry run, repeated on every look so it reflects the registry of the moment) and
//! the decision to import, then dropped; old ones are purged by the server's housekeeping
//! (`services::housekeeping`).

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{FileFormat, MAX_UPLOAD};
use crate::{
    auth::{Caller, hex},
    db,
    domain::account::Role,
    entities::import_upload,
    error::AppError,
};

/// How long an upload waits for its decision.
pub const UPLOAD_TTL: TimeDelta = TimeDelta::hours(2);

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub file_name: String,
    pub format: FileFormat,
    pub body: Vec<u8>,
    pub uploaded_at: DateTime<Utc>,
}

fn format_code(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv => "csv",
        FileFormat::Xlsx => "xlsx",
    }
}

/// Keeps an uploaded file for the caller; its id is the upload's address.
pub async fn stash(
    db: &DatabaseConnection,
    caller: &Caller,
    file_name: &str,
    format: FileFormat,
    body: Vec<u8>,
) -> Result<String, AppError> {
    caller.require(
        matches!(caller.role, Role::BureauAdmin | Role::StreetOfficer),
        "import people",
    )?;
    let account_id = caller
        .account_id
        .ok_or_else(|| AppError::Forbidden("uploads belong to an account".into()))?;
    if body.len() > MAX_UPLOAD {
        return Err(AppError::PayloadTooLarge { limit: MAX_UPLOAD });
    }
    let id = hex(&rand::random::<[u8; 16]>());
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let txn = db::begin_write(db).await?;
    import_upload::Entity::insert(import_upload::ActiveModel {
        id: Set(id.clone()),
        account_id: Set(account_id),
        file_name: Set(name),
        format: Set(format_code(format).to_owned()),
        body: Set(body),
        created_at: Set(Utc::now()),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The caller's own upload, while it waits; 404 for anyone else's or an expired one.
pub async fn load(db: &DatabaseConnection, caller: &Caller, id: &str) -> Result<Upload, AppError> {
    let found = import_upload::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .filter(|u| Some(u.account_id) == caller.account_id)
        .filter(|u| u.created_at > Utc::now() - UPLOAD_TTL)
        .ok_or_else(|| AppError::not_found("upload", id))?;
    Ok(Upload {
        format: if found.format == "xlsx" {
            FileFormat::Xlsx
        } else {
            FileFormat::Csv
        },
        id: found.id,
        file_name: found.file_name,
        body: found.body,
        uploaded_at: found.created_at,
    })
}

/// Drops the caller's upload (imported, or given up).
pub async fn discard(db: &DatabaseConnection, caller: &Caller, id: &str) -> Result<(), AppError> {
    if let Some(account_id) = caller.account_id {
        let txn = db::begin_write(db).await?;
        import_upload::Entity::delete_many()
            .filter(import_upload::Column::Id.eq(id))
            .filter(import_upload::Column::AccountId.eq(account_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(())
}
