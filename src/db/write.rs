//! The write path of a SQLite file: one writer connection, taken in arrival order, with the
//! writes that queue behind each other committed together.
//!
//! Every write runs inside a savepoint of a transaction the writer keeps open while writes are
//! queued: a write that fails rolls back its savepoint only, one that succeeds releases it and
//! waits until the whole group commits, so each stays atomic and none is acknowledged before it is
//! durable. The group commits when nobody is queued behind its last member (or it reached
//! [`MAX_GROUP`]): one `COMMIT`, one write of the audit chain's head, for the whole group.
//! A request that waits for the writer longer than its bound is refused as overload.

use std::{
    sync::{
        Arc, Mutex as StdMutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sea_orm::{
    ActiveValue::Set, ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, ExecResult, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, prelude::async_trait::async_trait,
};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::entities::audit_head;

/// At most this many writes share one commit, so the first of them is not kept waiting long.
const MAX_GROUP: usize = 64;

/// The newest audit entry, as the writer holds it while a group is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub last_id: i64,
    pub last_hash: String,
}

/// The audit chain's head within the open group: unknown until the group's first entry reads
/// it, then kept here and written once when the group commits.
#[derive(Debug, Default, Clone)]
pub struct ChainSlot {
    pub head: Option<ChainHead>,
    pub dirty: bool,
}

/// The writer of one SQLite file.
pub(super) struct Group {
    writer: DatabaseConnection,
    open: Arc<Mutex<Open>>,
    /// Writes waiting for `open`: while there are some, a finished write leaves the commit to them.
    queued: AtomicUsize,
    wait: Duration,
    chain: StdMutex<ChainSlot>,
}

/// The transaction a group writes in, and the writes done in it that wait for its commit.
#[derive(Default)]
struct Open {
    outer: Option<DatabaseTransaction>,
    members: usize,
    waiting: Vec<oneshot::Sender<Result<(), DbErr>>>,
}

impl Group {
    pub(super) fn new(writer: DatabaseConnection, wait: Duration) -> Arc<Self> {
        Arc::new(Self {
            writer,
            open: Arc::default(),
            queued: AtomicUsize::new(0),
            wait,
            chain: StdMutex::default(),
        })
    }

    fn chain(&self) -> std::sync::MutexGuard<'_, ChainSlot> {
        self.chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the writer in arrival order, within the bound.
    async fn enter(self: &Arc<Self>) -> Result<OwnedMutexGuard<Open>, DbErr> {
        let mut queued = Queued::new(self);
        let guard = tokio::time::timeout(self.wait, self.open.clone().lock_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?;
        queued.acquired = true;
        Ok(guard)
    }

    /// Commits the open group (writing the chain's head first) and tells its waiting members.
    async fn commit(&self, open: &mut Open) -> Result<(), DbErr> {
        let Some(outer) = open.outer.take() else {
            return Ok(());
        };
        let slot = std::mem::take(&mut *self.chain());
        let result = async {
            if let (true, Some(head)) = (slot.dirty, slot.head) {
                audit_head::Entity::update(audit_head::ActiveModel {
                    id: Set(1),
                    last_id: Set(head.last_id),
                    last_hash: Set(head.last_hash),
                })
                .exec(&outer)
                .await?;
            }
            outer.commit().await
        }
        .await;
        self.settle(open, result.clone());
        result
    }

    /// Ends the open group without committing (its transaction is rolled back as it drops).
    fn abort(&self, open: &mut Open, err: DbErr) {
        open.outer = None;
        *self.chain() = ChainSlot::default();
        self.settle(open, Err(err));
    }

    fn settle(&self, open: &mut Open, result: Result<(), DbErr>) {
        open.members = 0;
        for member in open.waiting.drain(..) {
            let _ = member.send(result.clone());
        }
    }

    /// Hands the writer on after a write that added nothing: commits the group when nobody is
    /// queued behind it (so earlier members are not left waiting), or leaves it to the next.
    async fn hand_on(&self, mut open: OwnedMutexGuard<Open>) {
        if self.queued.load(Ordering::SeqCst) == 0
            && let Err(err) = self.commit(&mut open).await
        {
            tracing::error!(error = %err, "group commit failed");
        }
    }
}

/// Counts a write waiting for the writer. One that gives up (timed out, or its request dropped)
/// as the last in the queue commits the group it would have joined, so no member waits forever.
struct Queued<'a> {
    group: &'a Arc<Group>,
    acquired: bool,
}

impl<'a> Queued<'a> {
    fn new(group: &'a Arc<Group>) -> Self {
        group.queued.fetch_add(1, Ordering::SeqCst);
        Self {
            group,
            acquired: false,
        }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        let last = self.group.queued.fetch_sub(1, Ordering::SeqCst) == 1;
        if last
            && !self.acquired
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let group = self.group.clone();
            runtime.spawn(async move {
                let open = group.open.clone().lock_owned().await;
                group.hand_on(open).await;
            });
        }
    }
}

/// A write transaction from [`super::begin_write`]: a savepoint in the writer's group on a SQLite
/// file, a transaction of its own on PostgreSQL (and on an in-memory SQLite database). Dropped
/// without [`WriteTxn::commit`], it rolls back.
pub struct WriteTxn {
    txn: Option<DatabaseTransaction>,
    member: Option<Member>,
}

struct Member {
    group: Arc<Group>,
    open: OwnedMutexGuard<Open>,
    /// The chain's head before this write, restored when it rolls back.
    chain_before: ChainSlot,
}

impl WriteTxn {
    /// A transaction of its own (PostgreSQL, in-memory SQLite).
    pub(super) async fn alone(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(Self {
            txn: Some(txn),
            member: None,
        })
    }

    /// A savepoint in `group`'s open transaction, opening one (`BEGIN IMMEDIATE`) if none is.
    pub(super) async fn join(group: &Arc<Group>) -> Result<Self, DbErr> {
        let mut open = group.enter().await?;
        let started = match open.outer.take() {
            Some(outer) => Ok(outer),
            None => {
                group
                    .writer
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
        };
        let savepoint = match started {
            Ok(outer) => {
                let savepoint = outer.begin().await;
                open.outer = Some(outer);
                savepoint
            }
            Err(err) => Err(err),
        };
        match savepoint {
            Ok(txn) => Ok(Self {
                txn: Some(txn),
                member: Some(Member {
                    chain_before: group.chain().clone(),
                    group: group.clone(),
                    open,
                }),
            }),
            Err(err) => {
                // The group's transaction is in doubt: end it, failing whoever waits for it.
                group.abort(&mut open, err.clone());
                Err(err)
            }
        }
    }

    fn txn(&self) -> &DatabaseTransaction {
        self.txn
            .as_ref()
            .expect("a write transaction is used only before it ends")
    }

    /// The audit chain's head kept by the writer for this write, when it keeps one.
    pub fn chain_slot(&self) -> Option<std::sync::MutexGuard<'_, ChainSlot>> {
        self.member.as_ref().map(|m| m.group.chain())
    }

    /// Commits: on its own, or by releasing the savepoint and then committing with the group
    /// (returns once the group's commit is done, with its outcome).
    pub async fn commit(mut self) -> Result<(), DbErr> {
        let txn = self.txn.take().expect("a write transaction commits once");
        let Some(member) = self.member.take() else {
            return txn.commit().await;
        };
        let Member {
            group,
            mut open,
            chain_before,
        } = member;
        if let Err(err) = txn.commit().await {
            *group.chain() = chain_before;
            group.abort(&mut open, err.clone());
            return Err(err);
        }
        open.members += 1;
        if group.queued.load(Ordering::SeqCst) == 0 || open.members >= MAX_GROUP {
            return group.commit(&mut open).await;
        }
        let (tell, told) = oneshot::channel();
        open.waiting.push(tell);
        drop(open);
        told.await
            .unwrap_or_else(|_| Err(DbErr::Custom("the group commit was abandoned".into())))
    }
}

impl WriteTxn {
    /// Rolls back (a dry run, say), and waits until that is done.
    pub async fn rollback(mut self) -> Result<(), DbErr> {
        let txn = self.txn.take();
        match self.member.take() {
            Some(member) => member.roll_back(txn).await,
            None => match txn {
                Some(txn) => txn.rollback().await,
                None => Ok(()),
            },
        }
    }
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        let Some(member) = self.member.take() else {
            return;
        };
        let undo = member.roll_back(self.txn.take());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(err) = undo.await {
                        tracing::error!(error = %err, "rolling back a write failed");
                    }
                });
            }
            // No runtime left (the process is ending): the transaction rolls back as it drops.
            Err(_) => drop(undo),
        }
    }
}

impl Member {
    /// Rolls the savepoint back and hands the writer on; if the savepoint cannot be rolled
    /// back, the whole group is in doubt and ends.
    async fn roll_back(self, txn: Option<DatabaseTransaction>) -> Result<(), DbErr> {
        let Member {
            group,
            mut open,
            chain_before,
        } = self;
        *group.chain() = chain_before;
        let rolled_back = match txn {
            Some(txn) => txn.rollback().await,
            None => Ok(()),
        };
        match rolled_back {
            Ok(()) => {
                group.hand_on(open).await;
                Ok(())
            }
            Err(err) => {
                group.abort(&mut open, err.clone());
                Err(err)
            }
        }
    }
}

#[async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn().get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn().query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn().query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn().support_returning()
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.txn()
    }
}
