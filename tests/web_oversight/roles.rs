//! Who may open the oversight pages: the auditors read every one without a form that writes,
//! and each form post answers them 403 with nothing changed; street officers and members are
//! refused every page.

use reqwest::StatusCode;

use super::{STREET, account, audit_total, bureau};
use crate::common::{TestApp, USER_PASSWORD, spawn_app, web::sign_in};

/// An officer account waiting for activation, opened by the bureau's form; its id.
async fn invited_officer(app: &TestApp) -> i64 {
    let office = bureau(app).await;
    let csrf = office.get("/admin/accounts").await.csrf();
    let street = app.street_id(STREET).await.to_string();
    let created = office
        .post(
            "/admin/accounts",
            &[
                ("csrf_token", &csrf),
                ("username", "qin.officer"),
                ("email", "qin.officer@example.cn"),
                ("role", "street_officer"),
                ("street_id", &street),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    account(app, "qin.officer").await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

fn pages(account: i64, entry: i64) -> Vec<String> {
    vec![
        "/admin".to_owned(),
        "/admin/accounts".to_owned(),
        "/admin/accounts?role=street_officer&status=active".to_owned(),
        format!("/admin/accounts/{account}"),
        "/admin/policy".to_owned(),
        "/admin/audit-log".to_owned(),
        "/admin/audit-log?entity=account".to_owned(),
        "/admin/audit-log/verify".to_owned(),
        format!("/admin/audit-log/{entry}"),
        "/admin/outbox".to_owned(),
        "/admin/outbox?status=pending".to_owned(),
    ]
}

#[tokio::test]
async fn auditors_read_every_oversight_page_without_a_form_that_writes_and_every_post_is_refused() {
    let app = spawn_app().await;
    let id = invited_officer(&app).await;
    let entry = app.get_ok("/audit-log").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;

    for path in pages(id, entry) {
        let page = auditor.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert_eq!(
            page.text.matches("method=\"post\"").count(),
            1,
            "{path}: only the logout form"
        );
        assert!(page.text.contains("action=\"/logout\""), "{path}");
        assert!(
            page.text
                .contains("<a href=\"/admin\" aria-current=\"page\">系统管理</a>"),
            "{path}"
        );
    }
    let policy = auditor.get("/admin/policy").await;
    assert!(policy.text.contains("data-testid=\"policy-values\""));
    assert!(!policy.text.contains("name=\"min_age\""));

    let csrf = auditor.get("/admin").await.csrf();
    let policy_before = app.get_ok("/policy").await;
    let audit_before = audit_total(&app, "").await;
    let outbox_before = app.get_ok("/outbox").await["total"].clone();
    let accounts_before = app.get_ok("/accounts").await["total"].clone();
    let account_path = format!("/admin/accounts/{id}");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/accounts".into(),
            vec![
                ("username", "forged.one"),
                ("email", "forged@example.cn"),
                ("role", "bureau_admin"),
            ],
        ),
        (
            format!("{account_path}/status"),
            vec![("disabled", "true"), ("version", "1")],
        ),
        (
            format!("{account_path}/email"),
            vec![("email", "forged@example.cn"), ("version", "1")],
        ),
        (
            format!("{account_path}/role"),
            vec![("role", "bureau_admin"), ("version", "1")],
        ),
        (format!("{account_path}/invitation"), vec![]),
        (
            "/admin/policy".into(),
            vec![("min_age", "30"), ("version", "1")],
        ),
        ("/admin/coverage-alerts".into(), vec![]),
    ];
    for (path, fields) in &posts {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields.iter().copied());
        let refused = auditor.post(path, &form).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.text.contains("没有权限"), "{path}");
    }
    assert_eq!(app.get_ok("/policy").await, policy_before);
    assert_eq!(audit_total(&app, "").await, audit_before);
    assert_eq!(app.get_ok("/outbox").await["total"], outbox_before);
    assert_eq!(app.get_ok("/accounts").await["total"], accounts_before);
    let officer = account(&app, "qin.officer").await.unwrap();
    assert_eq!(officer["disabled"], false);
    assert_eq!(officer["email"], "qin.officer@example.cn");
    assert_eq!(officer["role"], "street_officer");
}

#[tokio::test]
async fn street_officers_and_members_are_refused_every_oversight_page() {
    let app = spawn_app().await;
    let id = invited_officer(&app).await;
    let entry = app.get_ok("/audit-log").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let street = app.street_id(STREET).await;
    let officer = app.user("street_officer", Some(street)).await;
    let officer = sign_in(&app, &officer.username, USER_PASSWORD).await;
    let person = app.person("韦会员", "19700101", 41, street).await["id"]
        .as_i64()
        .unwrap();
    let member = app.member(person as i32, Some(street)).await;
    let member = sign_in(&app, &member.username, USER_PASSWORD).await;
    for session in [&officer, &member] {
        for path in pages(id, entry) {
            let page = session.get(&path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            assert!(page.text.contains("没有权限"), "{path}");
        }
    }
    let csrf = officer.get("/desk").await.csrf();
    let before = app.get_ok("/policy").await;
    let outbox_before = app.get_ok("/outbox").await["total"].clone();
    for path in ["/admin/policy", "/admin/coverage-alerts"] {
        let refused = officer
            .post(path, &[("csrf_token", &csrf), ("min_age", "30")])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let refused = officer
        .post(
            &format!("/admin/accounts/{id}/status"),
            &[("csrf_token", &csrf), ("disabled", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_ok("/policy").await, before);
    assert_eq!(
        account(&app, "qin.officer").await.unwrap()["disabled"],
        false
    );
    assert_eq!(app.get_ok("/outbox").await["total"], outbox_before);
}
