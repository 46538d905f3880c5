//! Writes queued behind each other on a SQLite file commit together, each staying atomic: a
//! write that fails takes back only its own changes, the ones around it are kept, nothing is
//! acknowledged before its group commits, and the audit chain (whose head the writer keeps for the
//! group) verifies. The same tests run on PostgreSQL, where each write is a transaction of its own.

mod common;

use std::time::Duration;

use fitreg::{
    auth::Caller,
    db::{self, WriteTxn},
    services::audit::{self, Entry},
};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

async fn database() -> (common::TestDb, DatabaseConnection) {
    let test_db = common::TestDb::new().await;
    let db = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    (test_db, db)
}

fn caller(n: usize) -> Caller {
    Caller {
        request_id: Some(format!("write-{n}")),
        ..Caller::system()
    }
}

/// Begins a write and records one audit entry for `n` in it.
async fn write(db: &DatabaseConnection, n: usize) -> WriteTxn {
    let txn = db::begin_write(db).await.expect("the writer");
    Entry::new("test", "write", n)
        .record(&txn, &caller(n))
        .await
        .expect("record");
    txn
}

/// The request ids of the committed entries, as read on the read pool.
async fn committed(db: &DatabaseConnection) -> Vec<String> {
    let mut ids: Vec<String> = fitreg::entities::audit_log::Entity::find()
        .all(db)
        .await
        .expect("audit log")
        .into_iter()
        .filter_map(|e| e.request_id)
        .collect();
    ids.sort();
    ids
}

async fn chain_intact(db: &DatabaseConnection) -> bool {
    audit::verify(db, &Caller::system())
        .await
        .expect("verify")
        .intact
}

/// One write holds the writer while two queue behind it; it finishes first and waits for the
/// group, the second fails, the third commits the group: the first and third are kept, the second
/// left nothing, and the first was not acknowledged before the group committed.
#[tokio::test]
async fn a_failed_write_in_a_group_takes_back_only_its_own_changes() {
    let (test_db, db) = database().await;
    let first = write(&db, 1).await;

    let second = tokio::spawn({
        let db = db.clone();
        async move {
            let txn = write(&db, 2).await;
            // Fails after writing: its changes go with it.
            drop(txn);
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = tokio::spawn({
        let db = db.clone();
        async move { write(&db, 3).await.commit().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let acknowledged = tokio::time::timeout(Duration::from_secs(10), first.commit())
        .await
        .expect("the group commits without a hang");
    acknowledged.expect("the first write commits");
    if !test_db.is_postgres() {
        assert_eq!(
            committed(&db).await,
            ["write-1", "write-3"],
            "once the first is acknowledged its whole group is durable, and the failed one is gone"
        );
    }
    second.await.expect("second");
    third
        .await
        .expect("third")
        .expect("the third write commits");
    assert_eq!(committed(&db).await, ["write-1", "write-3"]);
    assert!(chain_intact(&db).await, "the chain verifies");

    // The next write starts a new group and links to the kept head.
    write(&db, 4).await.commit().await.expect("a later write");
    assert_eq!(committed(&db).await, ["write-1", "write-3", "write-4"]);
    assert!(chain_intact(&db).await);
}

/// Many writers at once, every third failing after it wrote: exactly the others are kept, and
/// the chain verifies. A dry run's explicit rollback behaves like a failure.
#[tokio::test]
async fn concurrent_writes_each_commit_or_leave_nothing() {
    let (_test_db, db) = database().await;
    let tasks: Vec<_> = (0..60)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = write(&db, n).await;
                match n % 6 {
                    0 => drop(txn),
                    3 => txn.rollback().await.expect("rollback"),
                    _ => txn.commit().await.expect("commit"),
                }
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("no write hangs")
            .expect("task");
    }
    // A dropped write's rollback finishes in the background; the next write waits for it.
    write(&db, 1000)
        .await
        .commit()
        .await
        .expect("a later write");
    let kept = committed(&db).await;
    let mut expected: Vec<String> = (0..60)
        .filter(|n| n % 3 != 0)
        .chain([1000])
        .map(|n| format!("write-{n}"))
        .collect();
    expected.sort();
    assert_eq!(kept, expected);
    assert_eq!(
        fitreg::entities::audit_log::Entity::find()
            .count(&db)
            .await
            .unwrap(),
        41
    );
    assert!(chain_intact(&db).await, "the chain verifies");
}
