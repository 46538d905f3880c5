//! Reading the policy document assembled from its per-key rows.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Map, Value};

use crate::{domain::policy::Policy, entities::policy, error::AppError};

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
