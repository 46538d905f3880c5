//! The policy document, assembled from its per-key rows; the bureau replaces it.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
};
use serde_json::{Map, Value};

use super::audit::Entry;
use crate::{
    auth::{Caller, Target},
    db,
    domain::policy::Policy,
    entities::policy,
    error::AppError,
};

/// The policy in force and its version (the sum of the per-key versions, which grows with every
/// change to any key, so a stale version never matches again).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionedPolicy {
    pub policy: Policy,
    pub version: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub async fn get(db: &impl ConnectionTrait) -> Result<VersionedPolicy, AppError> {
    let rows = policy::Entity::find().all(db).await?;
    let mut document = Map::new();
    let mut version = 0i64;
    let mut updated_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    for row in rows {
        let value: Value = serde_json::from_str(&row.value).map_err(|e| {
            AppError::Internal(format!("policy key {} holds invalid JSON: {e}", row.key))
        })?;
        document.insert(row.key, value);
        version += i64::from(row.version);
        updated_at = updated_at.max(row.updated_at);
    }
    let policy = serde_json::from_value(Value::Object(document))
        .map_err(|e| AppError::Internal(format!("stored policy is incomplete or invalid: {e}")))?;
    Ok(VersionedPolicy {
        policy,
        version,
        updated_at,
    })
}

/// Replaces the policy in force; only keys whose value changed are written.
pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    new: Policy,
    expected_version: Option<i64>,
) -> Result<VersionedPolicy, AppError> {
    caller.require(caller.can_write(Target::Reference), "change the policy")?;
    new.validate().map_err(AppError::violations)?;
    let Value::Object(values) = serde_json::to_value(&new)
        .map_err(|e| AppError::Internal(format!("policy serialisation: {e}")))?
    else {
        return Err(AppError::Internal("policy is not a JSON object".into()));
    };
    let txn = db::begin_write(db).await?;
    let before = get(&txn).await?;
    AppError::check_version(expected_version, before.version)?;
    let now = Utc::now();
    for row in policy::Entity::find().all(&txn).await? {
        let Some(value) = values.get(&row.key) else {
            continue;
        };
        let stored: Value = serde_json::from_str(&row.value).unwrap_or(Value::Null);
        if &stored != value {
            let mut changed: policy::ActiveModel = row.clone().into();
            changed.value = Set(value.to_string());
            changed.version = Set(row.version + 1);
            changed.updated_at = Set(now);
            changed.update(&txn).await?;
        }
    }
    let after = get(&txn).await?;
    if after.version != before.version {
        Entry::new("update", "policy", "policy")
            .before(&before.policy)
            .after(&after.policy)
            .record(&txn, caller)
            .await?;
    }
    txn.commit().await?;
    Ok(after)
}
