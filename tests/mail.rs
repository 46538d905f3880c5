//! Mail through the outbox to a real SMTP listener: invitations, password resets, outages,
//! rollbacks and several workers on one database.

mod common;

use std::time::Duration;

use common::{USER_PASSWORD, smtp::SmtpServer, spawn_app, spawn_app_with_smtp};
use fitreg::{
    db,
    entities::{account_token, outbox},
    mail::{self, Mail, MailStatus, worker},
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, sea_query::Expr};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn an_invitation_arrives_and_its_link_activates_the_account_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let created = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "Li.Wei", "role": "auditor", "email": "li.wei@example.cn"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["activated"], false);

    let mails = smtp.wait_for(1, WAIT).await;
    let invitation = &mails[0];
    assert_eq!(invitation.to, ["li.wei@example.cn"]);
    assert_eq!(invitation.from, "noreply@fitreg.example");
    assert!(
        invitation.subject().contains("激活"),
        "{}",
        invitation.subject()
    );
    let text = invitation.text();
    assert!(text.contains("li.wei"), "{text}");
    assert!(
        text.contains("https://fitreg.example/activate?token="),
        "{text}"
    );
    let parsed = invitation.parsed();
    assert_eq!(
        parsed.from().unwrap().first().unwrap().name().unwrap(),
        "鱼峰区文体新局"
    );

    let token = invitation.token();
    let activate = |password: &str| {
        app.send(
            app.anon(Method::POST, "/auth/activate")
                .json(&json!({"token": token, "password": password})),
        )
    };
    activate("short").await.assert_problem(422);
    let done = activate("li-wei-password").await;
    assert_eq!(done.status, 204, "{}", done.text);
    assert_eq!(app.login("li.wei", "li-wei-password").await.status, 200);
    let again = activate("another-password").await;
    again.assert_problem(422);
    assert_eq!(again.error_fields(), ["token"]);
    assert_eq!(
        app.login("li.wei", "li-wei-password").await.status,
        200,
        "the used link changed nothing"
    );
    assert_eq!(
        app.get_ok(&format!("/accounts/{}", created.json["id"]))
            .await["activated"],
        true
    );
    let sent = app.get_ok("/outbox?status=sent").await;
    assert_eq!(sent["total"], 1);
    assert_eq!(sent["items"][0]["kind"], "invitation");
    assert!(
        sent["items"][0].get("body").is_none(),
        "bodies carry one-time links and are not shown"
    );
}

#[tokio::test]
async fn an_account_without_password_or_email_cannot_be_invited() {
    let app = spawn_app().await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "nomail", "role": "auditor"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["email"]);
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", officer.id),
        json!({"email": "Officer@Example.cn"}),
    )
    .await;

    let asked = app
        .send(
            app.anon(Method::POST, "/auth/password-reset")
                .json(&json!({"email": "officer@example.CN"})),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, ["Officer@example.cn"]);
    assert!(mails[0].subject().contains("重置密码"));
    let text = mails[0].text();
    assert!(
        text.contains("https://fitreg.example/reset-password?token="),
        "{text}"
    );
    assert!(!text.contains(USER_PASSWORD));
    let token = mails[0].token();

    let confirm = |password: &str| {
        app.send(
            app.anon(Method::POST, "/auth/password-reset/confirm")
                .json(&json!({"token": token, "new_password": password})),
        )
    };
    assert_eq!(confirm("officer-new-password").await.status, 204);
    app.get_as(&officer.token, "/auth/me")
        .await
        .assert_problem(401);
    app.login(&officer.username, USER_PASSWORD)
        .await
        .assert_problem(401);
    assert_eq!(
        app.login(&officer.username, "officer-new-password")
            .await
            .status,
        200
    );
    confirm("officer-third-password").await.assert_problem(422);
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let auditor = app.user("auditor", None).await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", auditor.id),
        json!({"email": "a@example.cn"}),
    )
    .await;
    app.send(
        app.anon(Method::POST, "/auth/password-reset")
            .json(&json!({"email": "a@example.cn"})),
    )
    .await;
    let token = smtp.wait_for(1, WAIT).await[0].token();
    // An hour and a minute pass.
    account_token::Entity::update_many()
        .col_expr(
            account_token::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::TimeDelta::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let reply = app
        .send(
            app.anon(Method::POST, "/auth/password-reset/confirm")
                .json(&json!({"token": token, "new_password": "a-new-password"})),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["token"]);
    assert_eq!(
        app.login(&auditor.username, USER_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_answers_alike_and_sends_nothing() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    for email in ["nobody@example.cn", "not an address"] {
        let reply = app
            .send(
                app.anon(Method::POST, "/auth/password-reset")
                    .json(&json!({"email": email})),
            )
            .await;
        assert_eq!(reply.status, 202);
        assert!(reply.text.is_empty());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.received().is_empty());
    assert_eq!(outbox::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_is_delivered_once_when_it_returns() {
    let address = SmtpServer::unused_address().await;
    let app = spawn_app_with_smtp(&format!("smtp://{address}")).await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "waiting", "role": "auditor", "email": "w@example.cn"}),
    )
    .await;
    // A few failed attempts.
    let deadline = tokio::time::Instant::now() + WAIT;
    let pending = loop {
        let pending = app.get_ok("/outbox?status=pending").await;
        if pending["items"][0]["attempts"].as_i64().unwrap_or(0) >= 2 {
            break pending;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt recorded: {pending}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(pending["total"], 1);
    assert!(
        pending["items"][0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{pending}"
    );

    let smtp = SmtpServer::start_at(address, Default::default()).await;
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, ["w@example.cn"]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.received().len(), 1, "delivered exactly once");
    let sent = app.get_ok("/outbox?status=sent").await;
    assert_eq!(sent["total"], 1);
    assert!(sent["items"][0]["last_error"].is_null());
    assert_eq!(app.get_ok("/outbox?status=pending").await["total"], 0);
}

#[tokio::test]
async fn a_permanently_refused_mail_is_given_up_with_its_error() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "refused", "role": "auditor", "email": "reject@example.cn"}),
    )
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let failed = app.get_ok("/outbox?status=failed").await;
        if failed["total"] == 1 {
            assert_eq!(
                failed["items"][0]["attempts"], 1,
                "a permanent refusal is not retried"
            );
            assert!(
                failed["items"][0]["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("550"),
                "{failed}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{failed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_request_that_rolls_back_leaves_no_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    // Make the audit entry of an account creation fail, after the invitation was queued.
    let sql = match app.db.get_database_backend() {
        DbBackend::Postgres => vec![
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN \
             IF NEW.action = 'create' AND NEW.entity = 'account' THEN RAISE EXCEPTION 'refused'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             WHEN NEW.action = 'create' AND NEW.entity = 'account' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ],
    };
    for statement in sql {
        app.db.execute_unprepared(statement).await.unwrap();
    }
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "ghost", "role": "auditor", "email": "g@example.cn"}),
        )
        .await;
    reply.assert_problem(500);
    assert!(
        !reply.text.contains("refused"),
        "the database error is not leaked"
    );
    assert_eq!(outbox::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(app.get_ok("/accounts?q=ghost").await["total"], 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_on_one_database_send_each_mail_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let txn = db::begin_write(&app.db).await.unwrap();
    for n in 0..30 {
        let mail = Mail::PasswordReset {
            username: &format!("user{n}"),
            link: mail::link(
                "https://fitreg.example",
                "/reset-password",
                &format!("t{n}"),
            ),
            expires_at: chrono::Utc::now(),
        };
        mail::enqueue(&txn, &format!("user{n}@example.cn"), &mail)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    // Two more workers beside the app's own, as if three servers shared the database.
    let settings = worker::DeliverySettings::from_config(&app.state.config).unwrap();
    let (stop, watch) = tokio::sync::watch::channel(false);
    let extra: Vec<_> = (0..2)
        .map(|_| {
            let transport = worker::transport(&smtp.url()).unwrap();
            tokio::spawn(worker::run(
                app.db.clone(),
                transport,
                settings.clone(),
                watch.clone(),
            ))
        })
        .collect();
    smtp.wait_for(30, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(true);
    for task in extra {
        task.await.unwrap();
    }
    let mut recipients: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    assert_eq!(recipients.len(), 30, "each mail once");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30);
    let sent = outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(
        sent.iter()
            .all(|m| m.status == MailStatus::Sent && m.attempts == 1)
    );
}

#[tokio::test]
async fn without_smtp_mail_waits_in_the_outbox() {
    let app = spawn_app().await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "later", "role": "auditor", "email": "l@example.cn"}),
    )
    .await;
    let pending = app.get_ok("/outbox?status=pending").await;
    assert_eq!(pending["total"], 1);
    assert_eq!(pending["items"][0]["attempts"], 0);
    assert_eq!(pending["items"][0]["recipient"], "l@example.cn");
}

#[tokio::test]
async fn only_the_bureau_and_auditors_read_the_outbox() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    let auditor = app.user("auditor", None).await;
    assert_eq!(app.get_as(&auditor.token, "/outbox").await.status, 200);
    app.get_as(&officer.token, "/outbox")
        .await
        .assert_problem(403);
    app.get("/outbox?status=lost").await.assert_problem(400);
}

#[tokio::test]
async fn a_delivered_mail_keeps_no_live_link_in_the_outbox() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "zhao", "role": "auditor", "email": "zhao@example.cn"}),
    )
    .await;
    let token = smtp.wait_for(1, WAIT).await[0].token();
    let mut stored = String::new();
    for _ in 0..100 {
        let row = outbox::Entity::find().one(&app.db).await.unwrap().unwrap();
        if row.status == MailStatus::Sent {
            stored = row.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stored.contains("/activate?token=(removed)"), "{stored}");
    assert!(!stored.contains(&token));
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_and_per_client() {
    let app = spawn_app().await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        "/accounts",
        json!({"username": "qian", "role": "auditor", "email": "qian@example.cn",
               "password": USER_PASSWORD}),
    )
    .await;
    let ask = |email: &str| {
        app.send(
            app.anon(Method::POST, "/auth/password-reset")
                .json(&json!({"email": email})),
        )
    };
    for _ in 0..10 {
        assert_eq!(ask("qian@example.cn").await.status, 202);
    }
    let resets = outbox::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(resets.len(), 3, "three mails an hour to one address");
    let flooded = ask("someone-else@example.cn").await;
    flooded.assert_problem(429);
    let retry: u64 = flooded.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(outbox::Entity::find().count(&app.db).await.unwrap(), 3);
}

#[tokio::test]
async fn housekeeping_purges_what_no_rule_needs_and_keeps_the_rest() {
    use chrono::{TimeDelta, Utc};
    use fitreg::{entities::login_failure, services::housekeeping};
    use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
    let app = spawn_app().await;
    let now = Utc::now();
    for (name, at) in [
        ("stale", now - TimeDelta::hours(1)),
        ("fresh", now - TimeDelta::minutes(1)),
    ] {
        login_failure::Entity::insert(login_failure::ActiveModel {
            username: Set(name.to_owned()),
            at: Set(at),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
    }
    // An invitation whose token is used, and one still waiting.
    for (name, email) in [
        ("used", "used@example.cn"),
        ("waiting", "waiting@example.cn"),
    ] {
        app.send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": name, "role": "auditor", "email": email}),
        )
        .await;
    }
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::AccountId.eq(2))
        .exec(&app.db)
        .await
        .unwrap();
    let purged = housekeeping::purge(&app.db, now).await.unwrap();
    assert_eq!(purged.login_failures, 1);
    assert_eq!(purged.account_tokens, 1);
    let left: Vec<String> = login_failure::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.username)
        .collect();
    assert_eq!(left, ["fresh"]);
    assert_eq!(
        account_token::Entity::find().count(&app.db).await.unwrap(),
        1
    );
    // A day later, the waiting invitation (7 days) stays; the admin's session (12 hours) ends.
    let later = housekeeping::purge(&app.db, now + TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(later.account_tokens, 0);
    assert!(later.sessions >= 1);
    assert_eq!(later.login_failures, 1);
}
