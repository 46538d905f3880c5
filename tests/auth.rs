//! Login, logout, sessions, lockout and password changes.

mod common;

use std::time::Duration;

use common::{ADMIN_PASSWORD, TestDb, USER_PASSWORD, serve_with, spawn_app, test_config};
use fitreg::{db, entities::login_failure, services::seed};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

#[tokio::test]
async fn login_returns_a_token_its_expiry_and_the_account() {
    let app = spawn_app().await;
    let before = chrono::Utc::now();
    let reply = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 random bits in hex");
    let expires: chrono::DateTime<chrono::Utc> =
        reply.json["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - before;
    assert!(
        ttl > chrono::TimeDelta::hours(11)
            && ttl <= chrono::TimeDelta::hours(12) + chrono::TimeDelta::seconds(5)
    );
    let account = &reply.json["account"];
    assert_eq!(account["username"], "admin");
    assert_eq!(account["role"], "bureau_admin");
    assert_eq!(account["activated"], true);
    assert!(account.get("password_hash").is_none());
    assert_eq!(reply.headers["cache-control"], "no-store");

    let me = app.get_as(token, "/auth/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["username"], "admin");
    assert!(me.json["last_login_at"].is_string());
}

#[tokio::test]
async fn usernames_are_matched_without_regard_to_case() {
    let app = spawn_app().await;
    assert_eq!(app.login("  ADMIN ", ADMIN_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn every_failed_login_gets_the_same_401() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", officer.id),
        json!({"disabled": true}),
    )
    .await;
    let invited = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "invited", "role": "auditor", "email": "invited@example.cn"}),
        )
        .await;
    assert_eq!(invited.status, 201);
    assert_eq!(invited.json["activated"], false);

    let wrong_password = app.login("admin", "not-the-password").await;
    let unknown_user = app.login("nobody", "not-the-password").await;
    let disabled = app.login(&officer.username, USER_PASSWORD).await;
    let not_activated = app.login("invited", "any-password-at-all").await;
    let impossible_name = app.login("x", "y").await;
    for reply in [
        &wrong_password,
        &unknown_user,
        &disabled,
        &not_activated,
        &impossible_name,
    ] {
        reply.assert_problem(401);
        assert_eq!(reply.json["detail"], wrong_password.json["detail"]);
        assert_eq!(reply.json["type"], wrong_password.json["type"]);
    }
    let missing = app
        .send(
            app.anon(Method::POST, "/auth/login")
                .json(&json!({"username": "admin"})),
        )
        .await;
    missing.assert_problem(400);
    assert_eq!(missing.error_fields(), ["password"]);
}

#[tokio::test]
async fn an_unknown_username_costs_the_same_full_verification_as_a_wrong_password() {
    let app = spawn_app().await;
    let before = app.state.hasher.verifications();
    app.login("admin", "not-the-password")
        .await
        .assert_problem(401);
    let after_known = app.state.hasher.verifications();
    assert_eq!(after_known, before + 1);
    app.login("nobody-by-this-name", "not-the-password")
        .await
        .assert_problem(401);
    assert_eq!(
        app.state.hasher.verifications(),
        after_known + 1,
        "the dummy hash is verified in full"
    );
}

#[tokio::test]
async fn the_lock_runs_fifteen_minutes_from_the_failure_that_triggered_it() {
    let app = spawn_app().await;
    for _ in 0..4 {
        app.login("admin", "wrong-password")
            .await
            .assert_problem(401);
    }
    // Those four were ten minutes ago; the fifth comes now.
    login_failure::Entity::update_many()
        .col_expr(
            login_failure::Column::At,
            Expr::value(chrono::Utc::now() - chrono::TimeDelta::minutes(10)),
        )
        .filter(login_failure::Column::Username.eq("admin"))
        .exec(&app.db)
        .await
        .unwrap();
    app.login("admin", "wrong-password")
        .await
        .assert_problem(401);
    let locked = app.login("admin", ADMIN_PASSWORD).await;
    locked.assert_problem(429);
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (895..=900).contains(&retry_after),
        "15 minutes from the fifth failure, not 5 from the first: {retry_after}"
    );
}

#[tokio::test]
async fn five_failures_lock_a_username_for_fifteen_minutes() {
    let app = spawn_app().await;
    let other = app.user("auditor", None).await;
    for _ in 0..5 {
        app.login("admin", "wrong-password")
            .await
            .assert_problem(401);
    }
    let locked = app.login("admin", ADMIN_PASSWORD).await;
    locked.assert_problem(429);
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((895..=900).contains(&retry_after), "{retry_after}");
    app.login("admin", "wrong-password")
        .await
        .assert_problem(429);
    assert_eq!(
        app.login(&other.username, USER_PASSWORD).await.status,
        200,
        "other usernames are not locked"
    );
    let existing_session = app.get("/auth/me").await;
    assert_eq!(
        existing_session.status, 200,
        "the lock stops logins, not sessions"
    );

    // Fifteen minutes pass.
    login_failure::Entity::update_many()
        .col_expr(
            login_failure::Column::At,
            Expr::value(chrono::Utc::now() - chrono::TimeDelta::minutes(16)),
        )
        .filter(login_failure::Column::Username.eq("admin"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status, 200);
    let left = login_failure::Entity::find()
        .filter(login_failure::Column::Username.eq("admin"))
        .all(&app.db)
        .await;
    assert!(
        left.unwrap().is_empty(),
        "a successful login clears the failures"
    );
}

#[tokio::test]
async fn unknown_usernames_are_locked_too() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login("ghost", "wrong-password")
            .await
            .assert_problem(401);
    }
    app.login("ghost", "wrong-password")
        .await
        .assert_problem(429);
}

#[tokio::test]
async fn a_token_stops_working_when_its_lifetime_ends() {
    let test_db = TestDb::new().await;
    let conn = db::connect(&test_db.url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    seed::run(&conn, None).await.unwrap();
    let mut config = test_config(&test_db.url);
    config.token_ttl = Duration::from_secs(2);
    let app = serve_with(test_db, conn, config).await;
    let token = app.token("admin", ADMIN_PASSWORD).await;
    assert_eq!(app.get_as(&token, "/auth/me").await.status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.get_as(&token, "/auth/me").await.assert_problem(401);
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_only_that_one() {
    let app = spawn_app().await;
    let first = app.token("admin", ADMIN_PASSWORD).await;
    let second = app.token("admin", ADMIN_PASSWORD).await;
    let reply = app
        .send(app.as_user(&first, Method::POST, "/auth/logout"))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    app.get_as(&first, "/auth/me").await.assert_problem(401);
    app.send(app.as_user(&first, Method::POST, "/auth/logout"))
        .await
        .assert_problem(401);
    assert_eq!(app.get_as(&second, "/auth/me").await.status, 200);
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let app = spawn_app().await;
    app.send(app.anon(Method::GET, "/auth/me"))
        .await
        .assert_problem(401);
    app.get_as("0".repeat(64).as_str(), "/auth/me")
        .await
        .assert_problem(401);
    app.get_as("not a token", "/streets")
        .await
        .assert_problem(401);
    let basic = app
        .send(
            app.anon(Method::GET, "/streets")
                .basic_auth("admin", Some(ADMIN_PASSWORD)),
        )
        .await;
    basic.assert_problem(401);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203002").await))
        .await;
    let other_session = app.token(&officer.username, USER_PASSWORD).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let wrong = app
        .send_json(
            &officer.token,
            Method::POST,
            "/auth/password",
            change("nope-nope-nope", "brand-new-pass"),
        )
        .await;
    wrong.assert_problem(422);
    assert_eq!(wrong.error_fields(), ["current_password"]);
    let short = app
        .send_json(
            &officer.token,
            Method::POST,
            "/auth/password",
            change(USER_PASSWORD, "short"),
        )
        .await;
    short.assert_problem(422);
    assert_eq!(short.error_fields(), ["new_password"]);
    let same_as_name = app
        .send_json(
            &officer.token,
            Method::POST,
            "/auth/password",
            change(USER_PASSWORD, &officer.username),
        )
        .await;
    same_as_name.assert_problem(422);
    assert_eq!(
        app.get_as(&other_session, "/auth/me").await.status,
        200,
        "failed changes end nothing"
    );

    let done = app
        .send_json(
            &officer.token,
            Method::POST,
            "/auth/password",
            change(USER_PASSWORD, "brand-new-pass"),
        )
        .await;
    assert_eq!(done.status, 204, "{}", done.text);
    app.get_as(&other_session, "/auth/me")
        .await
        .assert_problem(401);
    assert_eq!(app.get_as(&officer.token, "/auth/me").await.status, 200);
    app.login(&officer.username, USER_PASSWORD)
        .await
        .assert_problem(401);
    assert_eq!(
        app.login(&officer.username, "brand-new-pass").await.status,
        200
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions() {
    let app = spawn_app().await;
    let auditor = app.user("auditor", None).await;
    assert_eq!(app.get_as(&auditor.token, "/auth/me").await.status, 200);
    let reply = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/accounts/{}", auditor.id),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.get_as(&auditor.token, "/auth/me")
        .await
        .assert_problem(401);
    app.login(&auditor.username, USER_PASSWORD)
        .await
        .assert_problem(401);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", auditor.id),
        json!({"disabled": false}),
    )
    .await;
    assert_eq!(
        app.login(&auditor.username, USER_PASSWORD).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_answer_while_twenty_logins_are_hashing() {
    let app = std::sync::Arc::new(spawn_app().await);
    let logins: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let password = if i % 2 == 0 {
                    ADMIN_PASSWORD
                } else {
                    "wrong-password"
                };
                let reply = app
                    .login(if i % 2 == 0 { "admin" } else { "nobody" }, password)
                    .await;
                (reply.status.as_u16(), std::time::Instant::now())
            })
        })
        .collect();
    // Give the logins a moment to reach the hasher, then check health while they run.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut health_done = Vec::new();
    for _ in 0..5 {
        let reply = app.get("/health").await;
        assert_eq!(reply.status, 200);
        health_done.push(std::time::Instant::now());
    }
    let mut last_login = None;
    for login in logins {
        let (status, at) = login.await.unwrap();
        assert!(status == 200 || status == 401 || status == 429, "{status}");
        last_login = last_login.max(Some(at));
    }
    let last_login = last_login.unwrap();
    assert!(
        health_done.iter().all(|done| *done < last_login),
        "health checks finished while logins were still hashing"
    );
}
