//! The audit log: every change is recorded in the transaction that makes it, chained by hash so
//! an edited, removed or reordered entry is detected by [`verify`]. The log is [`CHAINS`] chains
//! side by side, each with its head row, so busy PostgreSQL writers do not share one hot row.

use std::collections::HashMap;

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

/// The `prev_hash` of a chain's first entry (the migrations seed `audit_head` with it).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many hash chains the log keeps (`audit_head` has a row for each). On PostgreSQL an entry
/// joins its actor's chain, so writers of different accounts lock different head rows instead of
/// all queueing on one; within a chain the head's lock orders the entries as they commit. SQLite
/// has a single writer and keeps every entry in chain 0.
pub const CHAINS: i16 = 16;

/// The chain `caller`'s entries join in `txn`.
fn chain_of(txn: &impl ConnectionTrait, caller: &Caller) -> i16 {
    match txn.get_database_backend() {
        DbBackend::Postgres => caller
            .account_id
            .map_or(0, |id| id.rem_euclid(i32::from(CHAINS)) as i16),
        _ => 0,
    }
}

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
        // A SQLite writer keeps chain 0's head for its open group of writes (read once, written
        // once at the group's commit); elsewhere the chain's head row is locked, so concurrent
        // writers of one chain queue on it and each sees the hash its predecessor wrote.
        let chain = chain_of(txn, caller);
        let kept = txn.chain_slot().map(|slot| slot.head.clone());
        let head = match kept {
            Some(Some(head)) => head,
            Some(None) => read_head(txn, chain, false).await?,
            None => read_head(txn, chain, true).await?,
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
            chain: Set(chain),
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
                id: Set(i32::from(chain) + 1),
                last_id: Set(head.last_id),
                last_hash: Set(head.last_hash),
            })
            .exec(txn)
            .await?;
        }
        Ok(())
    }
}

/// A chain's head as stored, locked for the rest of the transaction when `lock` (PostgreSQL;
/// a SQLite writer holds the database's write lock already).
async fn read_head(txn: &WriteTxn, chain: i16, lock: bool) -> Result<ChainHead, AppError> {
    let mut select = audit_head::Entity::find_by_id(i32::from(chain) + 1);
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

/// Recomputes every entry's hash in order and checks each links to its predecessor in its chain,
/// and that each chain's head names its last entry (so removing the newest entries is detected
/// too).
pub async fn verify(db: &DatabaseConnection, caller: &Caller) -> Result<Verification, AppError> {
    caller.require(
        caller.can_read(Target::DistrictRecords),
        "verify the audit log",
    )?;
    // Per chain: its last entry's id and hash so far.
    let mut chains: HashMap<i16, (i64, String)> = HashMap::new();
    let mut last_id = 0i64;
    let mut checked = 0u64;
    let broken = |checked, id| Verification {
        intact: false,
        checked,
        first_broken_id: Some(id),
    };
    loop {
        let batch = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(last_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        last_id = last.id;
        for row in batch {
            checked += 1;
            if !(0..CHAINS).contains(&row.chain) {
                return Ok(broken(checked, row.id));
            }
            let (chain_last, expected_prev) = chains
                .entry(row.chain)
                .or_insert_with(|| (0, GENESIS_HASH.to_owned()));
            if row.prev_hash != *expected_prev
                || HashedFields::of(&row).hash(&row.prev_hash) != row.hash
            {
                return Ok(broken(checked, row.id));
            }
            *chain_last = row.id;
            *expected_prev = row.hash;
        }
    }
    let heads = audit_head::Entity::find().all(db).await?;
    for chain in 0..CHAINS {
        let (chain_last, expected) = chains
            .get(&chain)
            .cloned()
            .unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
        let head = heads.iter().find(|h| h.id == i32::from(chain) + 1);
        if !head.is_some_and(|h| h.last_hash == expected && h.last_id == chain_last) {
            return Ok(broken(checked, chain_last + 1));
        }
    }
    Ok(Verification {
        intact: true,
        checked,
        first_broken_id: None,
    })
}
