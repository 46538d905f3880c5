//! What the server clears away on its own, so that no client can grow the database without bound
//! and no used secret lingers: failed logins past the lockout window, idempotency keys after 24
//! hours, one-time tokens once used or expired, expired login sessions, and throttle counts past
//! their window, and web import uploads past their lifetime.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::{
    auth::LOCKOUT_WINDOW, import::uploads::UPLOAD_TTL, service_sessions::IDEMPOTENCY_TTL, throttle,
};
use crate::{
    db,
    entities::{
        account_token, import_upload, login_failure, request_throttle, session, session_idempotency,
    },
    error::AppError,
};

/// How many rows one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub login_failures: u64,
    pub idempotency_keys: u64,
    pub account_tokens: u64,
    pub sessions: u64,
    pub throttle_counts: u64,
    pub import_uploads: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.login_failures
            + self.idempotency_keys
            + self.account_tokens
            + self.sessions
            + self.throttle_counts
            + self.import_uploads
    }
}

/// Removes what no rule needs any more as of `now`, in one transaction.
pub async fn purge(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Purged, AppError> {
    let txn = db::begin_write(db).await?;
    // The lockout looks back two windows (a lock lasts one window from a failure that closes
    // five within one window).
    let login_failures = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lt(now - LOCKOUT_WINDOW * 2))
        .exec(&txn)
        .await?
        .rows_affected;
    let idempotency_keys = session_idempotency::Entity::delete_many()
        .filter(session_idempotency::Column::CreatedAt.lt(now - IDEMPOTENCY_TTL))
        .exec(&txn)
        .await?
        .rows_affected;
    let account_tokens = account_token::Entity::delete_many()
        .filter(
            Condition::any()
                .add(account_token::Column::UsedAt.is_not_null())
                .add(account_token::Column::ExpiresAt.lte(now)),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    let sessions = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?
        .rows_affected;
    let throttle_counts = request_throttle::Entity::delete_many()
        .filter(request_throttle::Column::At.lt(now - throttle::LONGEST_WINDOW))
        .exec(&txn)
        .await?
        .rows_affected;
    let import_uploads = import_upload::Entity::delete_many()
        .filter(import_upload::Column::CreatedAt.lt(now - UPLOAD_TTL))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(Purged {
        login_failures,
        idempotency_keys,
        account_tokens,
        sessions,
        throttle_counts,
        import_uploads,
    })
}

/// Purges at start and then every `interval` until shutdown.
pub async fn run(
    db: DatabaseConnection,
    interval: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match purge(&db, Utc::now()).await {
            Ok(purged) if purged.total() > 0 => tracing::info!(?purged, "housekeeping purged"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}
