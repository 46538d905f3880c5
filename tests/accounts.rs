//! Accounts: creation rules, scoped lists and reads, updates and their guards.

mod common;

use common::{USER_PASSWORD, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_bureau_creates_accounts_of_every_role_with_their_scope() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let create = |body| app.send_json(&app.admin_token, Method::POST, "/accounts", body);

    let officer = create(
        json!({"username": "Tianma.Officer", "role": "street_officer", "street_id": street,
        "email": "Officer@Tianma.GOV.cn", "password": "officer-password"}),
    )
    .await;
    assert_eq!(officer.status, 201, "{}", officer.text);
    assert_eq!(officer.json["username"], "tianma.officer");
    assert_eq!(officer.json["street_id"], street);
    assert_eq!(officer.json["email"], "Officer@tianma.gov.cn");
    assert_eq!(officer.json["activated"], true);
    assert_eq!(officer.json["version"], 1);
    assert!(officer.json.get("password").is_none() && officer.json.get("password_hash").is_none());

    let auditor =
        create(json!({"username": "inspector", "role": "auditor", "password": "inspector-pass"}))
            .await;
    assert_eq!(auditor.status, 201);
    assert!(auditor.json["street_id"].is_null());
    let bureau =
        create(json!({"username": "bureau-2", "role": "bureau_admin", "email": "b2@example.cn"}))
            .await;
    assert_eq!(bureau.status, 201);
    assert_eq!(
        bureau.json["activated"], false,
        "no password: waits for activation"
    );
}

#[tokio::test]
async fn account_rules_are_422_problems_naming_the_field() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let cases = [
        (json!({"username": "ab", "role": "auditor"}), "username"),
        (
            json!({"username": "has space", "role": "auditor"}),
            "username",
        ),
        (
            json!({"username": "officer-x", "role": "street_officer"}),
            "street_id",
        ),
        (
            json!({"username": "officer-x", "role": "street_officer", "street_id": 999999}),
            "street_id",
        ),
        (
            json!({"username": "auditor-x", "role": "auditor", "street_id": street}),
            "street_id",
        ),
        (
            json!({"username": "member-x", "role": "member"}),
            "person_id",
        ),
        (
            json!({"username": "member-x", "role": "member", "person_id": 12345}),
            "person_id",
        ),
        (
            json!({"username": "auditor-x", "role": "auditor", "person_id": 1}),
            "person_id",
        ),
        (
            json!({"username": "auditor-x", "role": "auditor", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "auditor-xyz1", "role": "auditor", "password": "Auditor-XYZ1"}),
            "password",
        ),
        (
            json!({"username": "auditor-x", "role": "auditor", "email": "not-an-address"}),
            "email",
        ),
    ];
    for (mut body, field) in cases {
        // Accounts without a password need an address for their invitation.
        if body.get("password").is_none() && body.get("email").is_none() {
            body["email"] = json!("rules@example.cn");
        }
        let reply = app
            .send_json(&app.admin_token, Method::POST, "/accounts", body.clone())
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    }
    let bad_role = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "x-y-z", "role": "king"}),
        )
        .await;
    bad_role.assert_problem(400);
    assert_eq!(bad_role.error_fields(), ["role"]);
    let unknown_field = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "x-y-z", "role": "auditor", "admin": true}),
        )
        .await;
    unknown_field.assert_problem(400);
    assert_eq!(unknown_field.error_fields(), ["admin"]);
    assert_eq!(
        app.get_ok("/accounts").await["total"],
        1,
        "nothing was created"
    );
}

#[tokio::test]
async fn usernames_and_email_addresses_are_unique() {
    let app = spawn_app().await;
    let body = json!({"username": "inspector", "role": "auditor", "email": "a@example.cn"});
    assert_eq!(
        app.send_json(&app.admin_token, Method::POST, "/accounts", body)
            .await
            .status,
        201
    );
    let same_name = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "INSPECTOR", "role": "auditor", "password": "inspector-password"}),
        )
        .await;
    same_name.assert_problem(409);
    assert_eq!(same_name.error_fields(), ["username"]);
    let same_mail = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "other", "role": "auditor", "email": "A@EXAMPLE.cn", "password": "other-password"}),
        )
        .await;
    same_mail.assert_problem(409);
    assert_eq!(same_mail.error_fields(), ["email"]);
}

#[tokio::test]
async fn concurrent_creations_of_one_username_make_one_account() {
    let app = spawn_app().await;
    let attempts = (0..8).map(|_| {
        app.send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "racer", "role": "auditor", "password": "racer-password"}),
        )
    });
    let replies = futures_util::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status == 201 || r.status == 409));
}

#[tokio::test]
async fn only_the_bureau_creates_officers_auditors_and_bureau_accounts() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(street)).await;
    let auditor = app.user("auditor", None).await;
    for role in ["street_officer", "auditor", "bureau_admin"] {
        let body = json!({"username": format!("new-{role}"), "role": role, "street_id": street});
        app.send_json(&officer.token, Method::POST, "/accounts", body.clone())
            .await
            .assert_problem(403);
        app.send_json(&auditor.token, Method::POST, "/accounts", body)
            .await
            .assert_problem(403);
    }
    // An officer may create members, for people of its street once they exist.
    let member = app
        .send_json(
            &officer.token,
            Method::POST,
            "/accounts",
            json!({"username": "new-member", "role": "member", "person_id": 1, "password": "member-password"}),
        )
        .await;
    member.assert_problem(422);
    assert_eq!(member.error_fields(), ["person_id"]);
}

#[tokio::test]
async fn lists_and_reads_follow_the_callers_scope() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer_a = app.user("street_officer", Some(tianma)).await;
    let officer_a2 = app.user("street_officer", Some(tianma)).await;
    let officer_b = app.user("street_officer", Some(jiahe)).await;
    let auditor = app.user("auditor", None).await;
    let member = app.member(1, Some(tianma)).await;

    assert_eq!(app.get_ok("/accounts").await["total"], 6);
    assert_eq!(
        app.get_as(&auditor.token, "/accounts").await.json["total"],
        6
    );
    let for_a = app.get_as(&officer_a.token, "/accounts?per_page=200").await;
    let ids: Vec<i64> = for_a.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [officer_a.id, officer_a2.id, member.id]);
    let for_member = app.get_as(&member.token, "/accounts").await;
    assert_eq!(for_member.json["total"], 1);
    assert_eq!(for_member.json["items"][0]["id"], member.id);

    assert_eq!(
        app.get_ok("/accounts?role=street_officer").await["total"],
        3
    );
    assert_eq!(
        app.get_ok(&format!("/accounts?street_id={jiahe}")).await["total"],
        1
    );
    assert_eq!(
        app.get_ok(&format!(
            "/accounts?q={}",
            officer_b.username.to_uppercase()
        ))
        .await["total"],
        1
    );

    assert_eq!(
        app.get_as(&officer_a.token, &format!("/accounts/{}", officer_a2.id))
            .await
            .status,
        200
    );
    app.get_as(&officer_a.token, &format!("/accounts/{}", officer_b.id))
        .await
        .assert_problem(404);
    app.get_as(&officer_b.token, &format!("/accounts/{}", member.id))
        .await
        .assert_problem(404);
    app.get_as(&member.token, &format!("/accounts/{}", officer_a.id))
        .await
        .assert_problem(404);
    assert_eq!(
        app.get_as(&auditor.token, &format!("/accounts/{}", member.id))
            .await
            .status,
        200
    );
    app.get("/accounts/99999").await.assert_problem(404);
}

#[tokio::test]
async fn updates_check_the_version_and_the_callers_rights() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let other_officer = app.user("street_officer", Some(tianma)).await;
    let member = app.member(1, Some(tianma)).await;
    let auditor = app.user("auditor", None).await;
    let path = |id: i64| format!("/accounts/{id}");

    let changed = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path(officer.id),
            json!({"email": "o@tianma.cn", "version": 1}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["version"], 2);
    let stale = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path(officer.id),
            json!({"email": "x@tianma.cn", "version": 1}),
        )
        .await;
    stale.assert_problem(409);
    let stale_header = app
        .send(
            app.request(Method::PATCH, &path(officer.id))
                .header("if-match", "\"1\"")
                .json(&json!({"disabled": true})),
        )
        .await;
    stale_header.assert_problem(409);
    assert_eq!(
        app.get_ok(&path(officer.id)).await["disabled"],
        false,
        "a stale update changes nothing"
    );
    let fresh_header = app
        .send(
            app.request(Method::PATCH, &path(officer.id))
                .header("if-match", "W/\"2\"")
                .json(&json!({"email": null})),
        )
        .await;
    assert_eq!(fresh_header.status, 200);
    assert!(fresh_header.json["email"].is_null());
    app.send(
        app.request(Method::PATCH, &path(officer.id))
            .header("if-match", "banana")
            .json(&json!({})),
    )
    .await
    .assert_problem(400);

    // Officers may disable members of their street, nothing else: a member's address is
    // changed by the bureau or the person itself, so an officer cannot route its mail.
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path(member.id),
        json!({"email": "m@tianma.cn"}),
    )
    .await
    .assert_problem(403);
    let member_mail = app
        .send_json(
            &member.token,
            Method::PATCH,
            &path(member.id),
            json!({"email": "m@tianma.cn"}),
        )
        .await;
    assert_eq!(member_mail.status, 200, "{}", member_mail.text);
    let disabled_by_officer = app
        .send_json(
            &officer.token,
            Method::PATCH,
            &path(member.id),
            json!({"disabled": false}),
        )
        .await;
    assert_eq!(
        disabled_by_officer.status, 200,
        "{}",
        disabled_by_officer.text
    );
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path(member.id),
        json!({"role": "auditor"}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path(other_officer.id),
        json!({"disabled": true}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &auditor.token,
        Method::PATCH,
        &path(member.id),
        json!({"disabled": true}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &member.token,
        Method::PATCH,
        &path(member.id),
        json!({"disabled": true}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        "/accounts/99999",
        json!({}),
    )
    .await
    .assert_problem(404);

    // Role changes keep each role's scope consistent.
    let to_officer = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path(auditor.id),
            json!({"role": "street_officer"}),
        )
        .await;
    to_officer.assert_problem(422);
    assert_eq!(to_officer.error_fields(), ["street_id"]);
    let to_auditor = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path(other_officer.id),
            json!({"role": "auditor"}),
        )
        .await;
    assert_eq!(to_auditor.status, 200);
    assert!(to_auditor.json["street_id"].is_null());
    assert_eq!(
        app.get_as(&other_officer.token, "/audit-log").await.status,
        200,
        "the new role applies at once"
    );
}

#[tokio::test]
async fn the_last_active_bureau_admin_cannot_be_disabled_or_demoted() {
    let app = spawn_app().await;
    let admin_id = app.get_ok("/auth/me").await["id"].as_i64().unwrap();
    let path = format!("/accounts/{admin_id}");
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &path,
        json!({"disabled": true}),
    )
    .await
    .assert_problem(409);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &path,
        json!({"role": "auditor"}),
    )
    .await
    .assert_problem(409);
    let second = app.user("bureau_admin", None).await;
    let demoted = app
        .send_json(
            &second.token,
            Method::PATCH,
            &path,
            json!({"role": "auditor"}),
        )
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.text);
    app.send_json(
        &second.token,
        Method::PATCH,
        &format!("/accounts/{}", second.id),
        json!({"disabled": true}),
    )
    .await
    .assert_problem(409);
    assert_eq!(app.login(&second.username, USER_PASSWORD).await.status, 200);
}
