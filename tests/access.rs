//! The role-by-endpoint matrix: every endpoint, for every role, in and out of scope.

mod common;

use common::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};

/// Who calls: nobody, the bureau, an officer of the target's street, an officer of another
/// street, a member, an auditor.
const CALLERS: [&str; 6] = [
    "anonymous",
    "bureau",
    "officer",
    "other_officer",
    "member",
    "auditor",
];

#[tokio::test]
async fn every_endpoint_answers_each_role_as_the_spec_says() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let colleague = app.user("street_officer", Some(tianma)).await;
    let other_officer = app.user("street_officer", Some(jiahe)).await;
    let member = app.member(1, Some(tianma)).await;
    let auditor = app.user("auditor", None).await;
    let tokens = [
        None,
        Some(app.admin_token.clone()),
        Some(officer.token.clone()),
        Some(other_officer.token.clone()),
        Some(member.token.clone()),
        Some(auditor.token.clone()),
    ];
    let policy = {
        let mut p = app.get_ok("/policy").await;
        p.as_object_mut().unwrap().remove("version");
        p
    };

    // (method, path, body, expected status per caller in CALLERS order)
    let colleague_path = format!("/accounts/{}", colleague.id);
    let member_path = format!("/accounts/{}", member.id);
    let street_path = format!("/streets/{tianma}");
    let matrix: Vec<(Method, String, Option<Value>, [u16; 6])> = vec![
        (
            Method::GET,
            "/health".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/openapi.json".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/docs".into(),
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/auth/me".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/auth/password".into(),
            Some(json!({"current_password": "x", "new_password": "y"})),
            [401, 422, 422, 422, 422, 422],
        ),
        (
            Method::GET,
            "/accounts".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/accounts".into(),
            Some(json!({"username": "made-by-matrix", "role": "auditor", "email": "m@example.cn"})),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            colleague_path.clone(),
            None,
            [401, 200, 200, 404, 404, 200],
        ),
        (
            Method::PATCH,
            colleague_path.clone(),
            Some(json!({"email": "c@tianma.cn"})),
            [401, 200, 403, 404, 404, 403],
        ),
        (
            Method::GET,
            member_path.clone(),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::PATCH,
            member_path.clone(),
            Some(json!({"disabled": false})),
            [401, 200, 200, 404, 403, 403],
        ),
        (
            Method::GET,
            "/streets".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            street_path.clone(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/communities".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/communities/1".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/communities".into(),
            Some(json!({"street_id": tianma, "code": "450203001077", "name": "矩阵社区"})),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            Method::PATCH,
            "/communities/1".into(),
            Some(json!({"population": 1000})),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/sport-items".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/policy".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::PUT,
            "/policy".into(),
            Some(policy),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/audit-log".into(),
            None,
            [401, 200, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/outbox".into(),
            None,
            [401, 200, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/audit-log/verify".into(),
            None,
            [401, 200, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/auth/logout".into(),
            None,
            [401, 204, 204, 204, 204, 204],
        ),
    ];

    let mut failures = Vec::new();
    for (method, path, body, expected) in &matrix {
        for (i, caller) in CALLERS.iter().enumerate() {
            let mut request = match &tokens[i] {
                Some(token) => app.as_user(token, method.clone(), path),
                None => app.anon(method.clone(), path),
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = app.send(request).await;
            if reply.status.as_u16() != expected[i] {
                failures.push(format!(
                    "{method} {path} as {caller}: {} (wanted {}) {}",
                    reply.status, expected[i], reply.text
                ));
            }
            if !reply.status.is_success() && !path.starts_with("/docs") {
                reply.assert_problem(reply.status.as_u16());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
