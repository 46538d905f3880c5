//! The audit log: an entry for every change, in the same transaction, hash-chained.

mod common;

use common::{ADMIN_PASSWORD, spawn_app};
use fitreg::entities::audit_log;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde_json::{Value, json};

async fn entries(app: &common::TestApp, query: &str) -> Vec<Value> {
    app.get_ok(&format!("/audit-log?per_page=200&{query}"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn every_change_is_recorded_with_actor_request_and_before_after() {
    let app = spawn_app().await;
    let admin_id = app.get_ok("/auth/me").await["id"].as_i64().unwrap();
    let street = app.street_id("450203001").await;
    let send = |method: Method, path: &str, body: Value, request_id: &str| {
        app.send(
            app.request(method, path)
                .header("x-request-id", request_id)
                .json(&body),
        )
    };

    let account = send(
        Method::POST,
        "/accounts",
        json!({"username": "inspector", "role": "auditor", "password": "inspector-pw"}),
        "req-create-account",
    )
    .await;
    let account_id = account.json["id"].as_i64().unwrap();
    send(
        Method::PATCH,
        &format!("/accounts/{account_id}"),
        json!({"email": "i@example.cn"}),
        "req-update-account",
    )
    .await;
    let community = send(
        Method::POST,
        "/communities",
        json!({"street_id": street, "code": "450203001050", "name": "新社区"}),
        "req-create-community",
    )
    .await;
    assert_eq!(community.status, 201, "{}", community.text);
    let community_id = community.json["id"].as_i64().unwrap();
    send(
        Method::PATCH,
        &format!("/communities/{community_id}"),
        json!({"active": false}),
        "req-deactivate",
    )
    .await;
    let mut policy = app.get_ok("/policy").await;
    policy["min_age"] = json!(19);
    send(Method::PUT, "/policy", policy, "req-policy").await;

    let expectations = [
        (
            "req-create-account",
            "create",
            "account",
            account_id.to_string(),
            false,
            true,
        ),
        (
            "req-update-account",
            "update",
            "account",
            account_id.to_string(),
            true,
            true,
        ),
        (
            "req-create-community",
            "create",
            "community",
            community_id.to_string(),
            false,
            true,
        ),
        (
            "req-deactivate",
            "deactivate",
            "community",
            community_id.to_string(),
            true,
            true,
        ),
        (
            "req-policy",
            "update",
            "policy",
            "policy".to_owned(),
            true,
            true,
        ),
    ];
    let all = entries(&app, "").await;
    for (request_id, action, entity, entity_id, has_before, has_after) in expectations {
        let entry = all
            .iter()
            .find(|e| e["request_id"] == request_id)
            .unwrap_or_else(|| panic!("{request_id}: {all:#?}"));
        assert_eq!(entry["action"], action, "{entry}");
        assert_eq!(entry["entity"], entity);
        assert_eq!(entry["entity_id"], entity_id.as_str());
        assert_eq!(entry["actor_id"], admin_id);
        assert_eq!(entry["before"].is_object(), has_before, "{entry}");
        assert_eq!(entry["after"].is_object(), has_after, "{entry}");
    }
    let update = all
        .iter()
        .find(|e| e["request_id"] == "req-update-account")
        .unwrap();
    assert!(update["before"]["email"].is_null());
    assert_eq!(update["after"]["email"], "i@example.cn");
    let policy_change = all
        .iter()
        .find(|e| e["request_id"] == "req-policy")
        .unwrap();
    assert_eq!(policy_change["before"]["min_age"], 18);
    assert_eq!(policy_change["after"]["min_age"], 19);
    let deactivation = all
        .iter()
        .find(|e| e["request_id"] == "req-deactivate")
        .unwrap();
    assert_eq!(deactivation["before"]["active"], true);
    assert_eq!(deactivation["after"]["active"], false);

    // Sessions are changes too.
    let token = app.token("inspector", "inspector-pw").await;
    app.send(app.as_user(&token, Method::POST, "/auth/logout"))
        .await;
    let by_inspector = entries(&app, &format!("actor_id={account_id}")).await;
    let actions: Vec<&str> = by_inspector
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["logout", "login"], "newest first");
}

#[tokio::test]
async fn no_entry_holds_a_password_hash() {
    let app = spawn_app().await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "inspector", "role": "auditor", "password": "inspector-pw"}),
    )
    .await;
    let text = app.get("/audit-log?per_page=200").await.text;
    assert!(!text.contains("$argon2"), "{text}");
    assert!(!text.contains("password_hash"), "{text}");
}

#[tokio::test]
async fn a_failed_change_leaves_no_entry() {
    let app = spawn_app().await;
    let before = app.get_ok("/audit-log").await["total"].clone();
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "a", "role": "auditor"}),
    )
    .await
    .assert_problem(422);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        "/communities/1",
        json!({"version": 99, "name": "x"}),
    )
    .await
    .assert_problem(409);
    assert_eq!(app.get_ok("/audit-log").await["total"], before);
}

#[tokio::test]
async fn the_log_filters_by_entity_actor_action_and_time() {
    let app = spawn_app().await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        "/communities/1",
        json!({"population": 5000}),
    )
    .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        "/communities/2",
        json!({"population": 6000}),
    )
    .await;
    assert_eq!(entries(&app, "entity=community").await.len(), 2);
    assert_eq!(entries(&app, "entity=community&entity_id=2").await.len(), 1);
    assert_eq!(entries(&app, "action=login").await.len(), 1);
    assert_eq!(
        entries(&app, "entity=community&from=2000-01-01")
            .await
            .len(),
        2
    );
    assert_eq!(
        entries(&app, "entity=community&to=2000-01-01").await.len(),
        0
    );
    let today = fitreg::domain::time::today();
    assert_eq!(
        entries(&app, &format!("entity=community&from={today}&to={today}"))
            .await
            .len(),
        2
    );
    let now = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let encoded: String =
        url::form_urlencoded::byte_serialize(now.to_rfc3339().as_bytes()).collect();
    assert_eq!(
        entries(&app, &format!("entity=community&from={encoded}"))
            .await
            .len(),
        0
    );
    let bad = app.get("/audit-log?from=yesterday").await;
    bad.assert_problem(400);
    assert_eq!(bad.error_fields(), ["from"]);
}

#[tokio::test]
async fn verify_reports_an_intact_chain_and_finds_an_edited_entry() {
    let app = spawn_app().await;
    for population in [100, 200, 300] {
        app.send_json(
            &app.admin_token,
            Method::PATCH,
            "/communities/3",
            json!({"population": population}),
        )
        .await;
    }
    let total = app.get_ok("/audit-log").await["total"].as_u64().unwrap();
    let verified = app.get_ok("/audit-log/verify").await;
    assert_eq!(
        verified,
        json!({"intact": true, "checked": total, "first_broken_id": null})
    );

    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let target = rows[2].clone();
    let mut edit: audit_log::ActiveModel = target.clone().into();
    edit.after = Set(Some(r#"{"population": 999999}"#.to_owned()));
    edit.update(&app.db).await.unwrap();
    let broken = app.get_ok("/audit-log/verify").await;
    assert_eq!(broken["intact"], false);
    assert_eq!(broken["first_broken_id"], target.id);
}

#[tokio::test]
async fn verify_notices_removed_entries() {
    let app = spawn_app().await;
    for population in [100, 200] {
        app.send_json(
            &app.admin_token,
            Method::PATCH,
            "/communities/3",
            json!({"population": population}),
        )
        .await;
    }
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    audit_log::Entity::delete_by_id(rows.last().unwrap().id)
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get_ok("/audit-log/verify").await["intact"],
        false,
        "the newest entry is gone"
    );
    audit_log::Entity::delete_by_id(rows[1].id)
        .exec(&app.db)
        .await
        .unwrap();
    let verified = app.get_ok("/audit-log/verify").await;
    assert_eq!(verified["intact"], false);
    assert_eq!(
        verified["first_broken_id"], rows[2].id,
        "the entry after the gap no longer links"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_keep_one_unbroken_chain() {
    let app = std::sync::Arc::new(spawn_app().await);
    let tasks: Vec<_> = (1..=24)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let token = if i % 3 == 0 {
                    app.token("admin", ADMIN_PASSWORD).await
                } else {
                    app.admin_token.clone()
                };
                app.send_json(
                    &token,
                    Method::PATCH,
                    &format!("/communities/{}", i % 6 + 1),
                    json!({"population": i}),
                )
                .await
                .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let verified = app.get_ok("/audit-log/verify").await;
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["checked"], app.get_ok("/audit-log").await["total"]);
}

/// Entries of different accounts may sit in different chains (on PostgreSQL each actor's chain,
/// so busy writers do not share one head row; on SQLite all in chain 0): logins of several
/// accounts at once keep every chain intact, and removing the newest entry of any one chain is
/// noticed through that chain's head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chain_verifies_and_a_removed_newest_entry_of_any_chain_is_noticed() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut users = Vec::new();
    for _ in 0..6 {
        users.push(app.user("auditor", None).await);
    }
    let logins: Vec<_> = users
        .iter()
        .flat_map(|u| std::iter::repeat_n(u.username.clone(), 4))
        .map(|username| {
            let app = app.clone();
            tokio::spawn(async move { app.login(&username, common::USER_PASSWORD).await.status })
        })
        .collect();
    for login in logins {
        assert_eq!(login.await.unwrap(), 200);
    }
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let chains: std::collections::BTreeSet<i16> = rows.iter().map(|r| r.chain).collect();
    if app.test_db.is_postgres() {
        assert!(chains.len() > 1, "actors spread over chains: {chains:?}");
    } else {
        assert_eq!(chains, [0].into(), "SQLite keeps one chain");
    }
    for entry in entries(&app, "?per_page=200").await {
        assert!(
            entry["chain"]
                .as_i64()
                .is_some_and(|c| (0..16).contains(&c))
        );
    }
    let verified = app.get_ok("/audit-log/verify").await;
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["checked"], rows.len());

    // The newest entry of the last chain used, which is not the newest entry overall.
    let chain = *chains.last().unwrap();
    let newest_of_chain = rows.iter().rfind(|r| r.chain == chain).unwrap();
    audit_log::Entity::delete_by_id(newest_of_chain.id)
        .exec(&app.db)
        .await
        .unwrap();
    let verified = app.get_ok("/audit-log/verify").await;
    assert_eq!(
        verified["intact"], false,
        "chain {chain} lost its newest entry"
    );
}
