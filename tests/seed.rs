//! Seeding: the Yufeng defaults, idempotent reseeding, the province set, and atomic failure.

mod common;

use std::path::Path;

use common::{TestDb, serve, spawn_app};
use fitreg::{
    db,
    entities::{community, policy, street},
    services::seed::{self, Counts, RegionSet},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};

async fn fresh_db() -> (TestDb, sea_orm::DatabaseConnection) {
    let test_db = TestDb::new().await;
    let conn = db::connect(&test_db.url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    (test_db, conn)
}

#[tokio::test]
async fn a_fresh_database_gets_12_streets_101_communities_44_sport_items_and_the_policy() {
    let (_test_db, conn) = fresh_db().await;
    assert!(seed::is_fresh(&conn).await.unwrap());
    let report = seed::run(&conn, None).await.unwrap();
    assert_eq!(
        report.streets,
        Counts {
            inserted: 12,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        report.communities,
        Counts {
            inserted: 101,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(report.sport_items.inserted, 44);
    assert_eq!(report.policy_keys_added, 6);
    assert!(!seed::is_fresh(&conn).await.unwrap());
    assert_eq!(street::Entity::find().count(&conn).await.unwrap(), 12);
    assert_eq!(community::Entity::find().count(&conn).await.unwrap(), 101);
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let (_test_db, conn) = fresh_db().await;
    seed::run(&conn, None).await.unwrap();
    let before = community::Entity::find().all(&conn).await.unwrap();
    let report = seed::run(&conn, None).await.unwrap();
    assert_eq!(
        report.streets,
        Counts {
            inserted: 0,
            updated: 0,
            unchanged: 12
        }
    );
    assert_eq!(
        report.communities,
        Counts {
            inserted: 0,
            updated: 0,
            unchanged: 101
        }
    );
    assert_eq!(
        report.sport_items,
        Counts {
            inserted: 0,
            updated: 0,
            unchanged: 44
        }
    );
    assert_eq!(report.policy_keys_added, 0);
    assert_eq!(community::Entity::find().all(&conn).await.unwrap(), before);
}

#[tokio::test]
async fn reseeding_keeps_what_the_bureau_edited() {
    let (_test_db, conn) = fresh_db().await;
    seed::run(&conn, None).await.unwrap();
    let first = community::Entity::find_by_id(1)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let mut edit: community::ActiveModel = first.clone().into();
    edit.population = Set(Some(8200));
    edit.active = Set(false);
    edit.update(&conn).await.unwrap();
    let mut min_age: policy::ActiveModel = policy::Entity::find_by_id("min_age")
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .into();
    min_age.value = Set("20".into());
    min_age.update(&conn).await.unwrap();

    seed::run(&conn, None).await.unwrap();

    let after = community::Entity::find_by_id(1)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.population, Some(8200));
    assert!(!after.active);
    let min_age = policy::Entity::find_by_id("min_age")
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(min_age.value, "20");
}

#[tokio::test]
async fn reseeding_refreshes_names_changed_in_the_source() {
    let (_test_db, conn) = fresh_db().await;
    seed::run(&conn, None).await.unwrap();
    let streets = "code,name,kind,county_code\n450203001,天马街道(新),street,450203\n";
    let communities = "code,name,official_name,street_code,kind\n450203001001,鱼峰新社区,鱼峰新社区居委会,450203001,community\n";
    let set = RegionSet::parse(streets, communities).unwrap();
    let report = seed::run(&conn, Some(&set)).await.unwrap();
    assert_eq!(
        report.streets,
        Counts {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(
        report.communities,
        Counts {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    let renamed = community::Entity::find_by_id(1)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name, "鱼峰新社区");
    assert_eq!(renamed.version, 2);
}

#[tokio::test]
async fn the_guangxi_province_set_loads_beside_yufeng() {
    let (test_db, conn) = fresh_db().await;
    seed::run(&conn, None).await.unwrap();
    let province = RegionSet::from_dir(Path::new("tests/data/guangxi")).unwrap();
    let report = seed::run(&conn, Some(&province)).await.unwrap();
    assert_eq!(
        report.streets.inserted + report.streets.unchanged + report.streets.updated,
        1284
    );
    assert_eq!(
        report.streets.unchanged, 12,
        "the Yufeng streets are part of the province"
    );
    assert_eq!(report.communities.unchanged, 101);
    assert_eq!(street::Entity::find().count(&conn).await.unwrap(), 1284);
    assert_eq!(community::Entity::find().count(&conn).await.unwrap(), 16681);

    let again = seed::run(&conn, Some(&province)).await.unwrap();
    assert_eq!(
        again.communities,
        Counts {
            inserted: 0,
            updated: 0,
            unchanged: 16681
        }
    );

    let app = serve(test_db, conn).await;
    let body = app.get_ok("/communities?per_page=1").await;
    assert_eq!(body["total"], 16681);
    let streets = app.get_ok("/streets?per_page=200&page=7").await;
    assert_eq!(streets["total"], 1284);
    assert_eq!(streets["items"].as_array().unwrap().len(), 84);
}

#[tokio::test]
async fn a_bad_region_file_changes_nothing() {
    let (_test_db, conn) = fresh_db().await;
    seed::run(&conn, None).await.unwrap();
    let streets = "code,name,kind,county_code\n450299001,新街道,street,450299\n";
    // The community names a street that exists neither in the file nor in the database.
    let communities =
        "code,name,official_name,street_code,kind\n450298001001,X,X居委会,450298001,community\n";
    let set = RegionSet::parse(streets, communities).unwrap();
    let err = seed::run(&conn, Some(&set)).await.unwrap_err();
    assert!(err.to_string().contains("450298001"), "{err}");
    assert_eq!(
        street::Entity::find().count(&conn).await.unwrap(),
        12,
        "the new street was rolled back"
    );
}

#[tokio::test]
async fn a_missing_region_folder_is_a_clear_error() {
    let err = RegionSet::from_dir(Path::new("tests/data/no-such-folder"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("streets.csv"), "{err}");
}

#[tokio::test]
async fn the_served_app_reads_what_was_seeded() {
    let app = spawn_app().await;
    assert_eq!(app.get_ok("/communities").await["total"], 101);
}
