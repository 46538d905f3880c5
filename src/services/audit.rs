//! The audit log: every change is recorded in the transaction that makes it, chained by hash so
//! an edited, removed or reordered entry is detected by [`verify`].

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    auth::{Caller, Target, hex},
    db::{ChainHead, WriteTxn},
    entities::{audit_head, audit_log},
    error::AppError,
};

/// The `prev_hash` of the first entry (the migration seeds `audit_head` with it).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change about to be recorded.
#[derive(Debug, Clone)]
pub struct Entry {
    action: String,
    entity: String,
    entity_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl Entry {
    pub fn new(action: &str, entity: &str, entity_id: impl ToString) -> Self {
        Self {
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: Some(entity_id.to_string()),
            before: None,
            after: None,
        }
    }

    /// The record before the change.
    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = serde_json::to_string(value).ok();
        self
    }

    /// The record after the change.
    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = serde_json::to_string(value).ok();
        self
    }

    /// Appends the entry inside `txn`, by `caller`.
    pub async fn record(self, txn: &WriteTxn, caller: &Caller) -> Result<(), AppError> {
        // A SQLite writer keeps the head for its open group of writes (read once, written once at
        // the group's commit); elsewhere the head row is locked, so concurrent writers queue on it
        // and each sees the hash its predecessor wrote.
        let kept = txn.chain_slot().map(|slot| slot.head.clone());
        let head = match kept {
            Some(Some(head)) => head,
            Some(None) => read_head(txn, false).await?,
            None => read_head(txn, true).await?,
        };
        // Timestamps keep microseconds, the precision both backends store, so the hash recomputes.
        let at = Utc::now()
            .duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or_else(|_| Utc::now());
        let fields = HashedFields {
            at,
            actor_id: caller.account_id,
            action: &self.action,
            entity: &self.entity,
            entity_id: self.entity_id.as_deref(),
            before: self.before.as_deref(),
            after: self.after.as_deref(),
            request_id: caller.request_id.as_deref(),
        };
        let hash = fields.hash(&head.last_hash);
        let inserted = audit_log::Entity::insert(audit_log::ActiveModel {
            at: Set(at),
            actor_id: Set(caller.account_id),
            action: Set(self.action),
            entity: Set(self.entity),
            entity_id: Set(self.entity_id),
            before: Set(self.before),
            after: Set(self.after),
            request_id: Set(caller.request_id.clone()),
            prev_hash: Set(head.last_hash),
            hash: Set(hash.clone()),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let head = ChainHead {
            last_id: inserted.last_insert_id,
            last_hash: hash,
        };
        let unkept = match txn.chain_slot() {
            Some(mut slot) => {
                slot.head = Some(head);
                slot.dirty = true;
                None
            }
            None => Some(head),
        };
        if let Some(head) = unkept {
            audit_head::Entity::update(audit_head::ActiveModel {
                id: Set(1),
                last_id: Set(head.last_id),
                last_hash: Set(head.last_hash),
            })
            .exec(txn)
            .await?;
        }
        Ok(())
    }
}

/// The chain's head as stored, locked for the rest of the transaction when `lock` (PostgreSQL;
/// a SQLite writer holds the database's write lock already).
async fn read_head(txn: &WriteTxn, lock: bool) -> Result<ChainHead, AppError> {
    let mut select = audit_head::Entity::find_by_id(1);
    if lock && txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let head = select
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal("audit_head row is missing".into()))?;
    Ok(ChainHead {
        last_id: head.last_id,
        last_hash: head.last_hash,
    })
}

/// The fields an entry's hash covers, besides the previous hash.
struct HashedFields<'a> {
    at: DateTime<Utc>,
    actor_id: Option<i32>,
    action: &'a str,
    entity: &'a str,
    entity_id: Option<&'a str>,
    before: Option<&'a str>,
    after: Option<&'a str>,
    request_id: Option<&'a str>,
}

impl HashedFields<'_> {
    fn hash(&self, prev_hash: &str) -> String {
        let canonical = serde_json::json!([
            prev_hash,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor_id,
            self.action,
            self.entity,
            self.entity_id,
            self.before,
            self.after,
            self.request_id,
        ]);
        hex(&Sha256::digest(canonical.to_string().as_bytes()))
    }

    fn of(row: &audit_log::Model) -> HashedFields<'_> {
        HashedFields {
            at: row.at,
            actor_id: row.actor_id,
            action: &row.action,
            entity: &row.entity,
            entity_id: row.entity_id.as_deref(),
            before: row.before.as_deref(),
            after: row.after.as_deref(),
            request_id: row.request_id.as_deref(),
        }
    }
}

/// Filters of the audit log list; all optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i32>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Entries matching `filter`, newest first.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Paged<audit_log::Model>, AppError> {
    caller.require(
        caller.can_read(Target::DistrictRecords),
        "read the audit log",
    )?;
    let mut select = audit_log::Entity::find();
    if let Some(entity) = &filter.entity {
        select = select.filter(audit_log::Column::Entity.eq(entity.as_str()));
    }
    if let Some(entity_id) = &filter.entity_id {
        select = select.filter(audit_log::Column::EntityId.eq(entity_id.as_str()));
    }
    if let Some(actor_id) = filter.actor_id {
        select = select.filter(audit_log::Column::ActorId.eq(actor_id));
    }
    if let Some(action) = &filter.action {
        select = select.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(audit_log::Column::At.lt(to));
    }
    Ok(fetch_page(select.order_by_desc(audit_log::Column::Id), db, page).await?)
}

/// One entry by its id, for the bureau and auditors (the entry a broken chain names, say).
pub async fn entry(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> Result<audit_log::Model, AppError> {
    caller.require(
        caller.can_read(Target::DistrictRecords),
        "read the audit log",
    )?;
    audit_log::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("audit entry", id))
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub intact: bool,
    pub checked: u64,
    pub first_broken_id: Option<i64>,
}

/// Entries are checked in batches of this many.
const VERIFY_BATCH: u64 = 1000;

/// Recomputes every entry's hash in order and checks each links to its predecessor, and that the
/// head names the last entry (so removing the newest entries is detected too).
pub async fn verify(db: &DatabaseConnection, caller: &Caller) -> Result<Verification, AppError> {
    caller.require(
        caller.can_read(Target::DistrictRecords),
        "verify the audit log",
    )?;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut last_id = 0i64;
    let mut checked = 0u64;
    loop {
        let batch = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(last_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        last_id = last.id;
        for row in &batch {
            checked += 1;
            if row.prev_hash != expected_prev
                || HashedFields::of(row).hash(&row.prev_hash) != row.hash
            {
                return Ok(Verification {
                    intact: false,
                    checked,
                    first_broken_id: Some(row.id),
                });
            }
            expected_prev = row.hash.clone();
        }
    }
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    let head_matches = head.is_some_and(|h| h.last_hash == expected_prev && h.last_id == last_id);
    Ok(Verification {
        intact: head_matches,
        checked,
        first_broken_id: (!head_matches).then_some(last_id + 1),
    })
}
