//! Limits on how often one key may do something in a window (password-reset requests per address
//! and per client). Attempts are rows of `request_throttle`, counted in the caller's transaction
//! and purged once older than every window.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::{auth::hex, entities::request_throttle, error::AppError};

/// At most `max` attempts within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub window: TimeDelta,
}

/// Reset mails one address receives: three an hour.
pub const RESET_PER_ADDRESS: Limit = Limit {
    max: 3,
    window: TimeDelta::hours(1),
};
/// Reset requests one client sends: ten in 15 minutes.
pub const RESET_PER_CLIENT: Limit = Limit {
    max: 10,
    window: TimeDelta::minutes(15),
};
/// Rows older than this count for no limit.
pub const LONGEST_WINDOW: TimeDelta = TimeDelta::hours(1);

/// The key of a value that must not be stored in clear (an e-mail address).
pub fn hashed_key(kind: &str, value: &str) -> String {
    format!("{kind}:{}", hex(&Sha256::digest(value.as_bytes())))
}

/// Counts an attempt under `key`. Within the limit it is recorded and `None` returned; over it,
/// nothing is recorded and the seconds until the next attempt is allowed are returned.
pub async fn attempt(
    txn: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Option<u64>, AppError> {
    let recent: Vec<DateTime<Utc>> = request_throttle::Entity::find()
        .select_only()
        .column(request_throttle::Column::At)
        .filter(request_throttle::Column::Key.eq(key))
        .filter(request_throttle::Column::At.gt(now - limit.window))
        .order_by_asc(request_throttle::Column::At)
        .into_tuple()
        .all(txn)
        .await?;
    if recent.len() as u64 >= limit.max {
        let frees = recent[recent.len() - limit.max as usize] + limit.window;
        let secs = (frees - now).num_milliseconds().max(1) as u64;
        return Ok(Some(secs.div_ceil(1000)));
    }
    request_throttle::Entity::insert(request_throttle::ActiveModel {
        key: Set(key.chars().take(128).collect()),
        at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(None)
}
