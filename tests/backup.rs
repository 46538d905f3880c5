//! `backup`: a consistent online copy of the SQLite database, taken while writes go on.

mod common;

use std::time::Duration;

use common::spawn_app;
use fitreg::{db, entities::community, services::backup::backup};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    Statement,
};

#[tokio::test]
async fn a_backup_taken_during_writes_opens_and_passes_the_integrity_check() {
    let app = spawn_app().await;
    if app.test_db.is_postgres() {
        let err = backup(&app.db, &app.test_db.dir.path().join("copy.db"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        return;
    }
    let writer_db = app.db.clone();
    let writer = tokio::spawn(async move {
        for round in 0..200 {
            let txn = db::begin_write(&writer_db).await.unwrap();
            let id = round % 101 + 1;
            let row = community::Entity::find_by_id(id)
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            let mut edit: community::ActiveModel = row.into();
            edit.population = Set(Some(1000 + round));
            edit.update(&txn).await.unwrap();
            txn.commit().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    // Readers keep reading through the HTTP API while the copy is written.
    let target = app.test_db.dir.path().join("copy.db");
    let (copied, read) = tokio::join!(
        backup(&app.db, &target),
        app.get("/communities?per_page=200")
    );
    copied.unwrap();
    assert_eq!(read.status, 200);
    writer.await.unwrap();

    let copy = db::connect(&format!("sqlite://{}", target.display()))
        .await
        .unwrap();
    let check = copy
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    assert_eq!(community::Entity::find().count(&copy).await.unwrap(), 101);
}

#[tokio::test]
async fn a_backup_never_overwrites_an_existing_file() {
    let app = spawn_app().await;
    if app.test_db.is_postgres() {
        return;
    }
    let target = app.test_db.dir.path().join("existing.db");
    std::fs::write(&target, b"keep me").unwrap();
    let err = backup(&app.db, &target).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
}
