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
    let person = app.person("矩阵甲", "19800101", 11, tianma).await;
    let far_person = app.person("矩阵乙", "19800102", 13, jiahe).await;
    let pid = person["id"].as_i64().unwrap();
    let member = app.member(pid as i32, Some(tianma)).await;
    app.qualify(
        pid,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    app.qualify(pid, json!({"kind": "community_sports_administrator", "employment": "full_time", "certified_on": "2024-01-01"})).await;
    let community = app.community_id("450203001001").await;
    let assignment = app
        .send_json(&app.admin_token, Method::POST, "/assignments",
            json!({"person_id": pid, "community_id": community, "role": "fitness_volunteer", "starts_on": "2024-02-01"}))
        .await
        .json;
    let person_path = format!("/people/{pid}");
    let far_person_path = format!("/people/{}", far_person["id"]);
    let assignment_path = format!("/assignments/{}", assignment["id"]);
    let new_person = common::person_body("矩阵丙", "19800103", 15, tianma);
    let auditor = app.user("auditor", None).await;
    let course = json!({"title": "矩阵培训班", "kind": "certification",
        "target_role": "social_sports_instructor", "target_grade": "third",
        "organizer": "区文体新局", "location": "矩阵馆", "starts_on": "2025-03-01",
        "ends_on": "2025-03-02", "hours": 30, "capacity": 10, "status": "open"});
    let course_path = format!(
        "/courses/{}",
        app.send_json(&app.admin_token, Method::POST, "/courses", course.clone())
            .await
            .json["id"]
    );
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
            Method::GET,
            "/people".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/people".into(),
            Some(new_person),
            [401, 201, 409, 403, 403, 403],
        ),
        (
            Method::GET,
            person_path.clone(),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::GET,
            far_person_path.clone(),
            None,
            [401, 200, 404, 200, 404, 200],
        ),
        (
            Method::PATCH,
            person_path.clone(),
            Some(json!({"phone": "13800000001"})),
            [401, 200, 200, 404, 403, 403],
        ),
        (
            Method::GET,
            format!("{person_path}/data-export"),
            None,
            [401, 200, 403, 404, 200, 403],
        ),
        (
            Method::POST,
            format!("{person_path}/qualifications"),
            Some(json!({"kind": "scientific_fitness_instructor", "certified_on": "2024-01-01"})),
            [401, 201, 409, 404, 403, 403],
        ),
        (
            Method::GET,
            "/assignments".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/coverage".into(),
            None,
            [401, 200, 200, 200, 403, 200],
        ),
        (
            Method::GET,
            "/coverage/gaps".into(),
            None,
            [401, 200, 200, 200, 403, 200],
        ),
        (
            Method::GET,
            "/coverage/at-risk".into(),
            None,
            [401, 200, 200, 200, 403, 200],
        ),
        (
            Method::GET,
            "/coverage/export".into(),
            None,
            [401, 200, 200, 200, 403, 200],
        ),
        (
            Method::POST,
            "/coverage/alerts".into(),
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/people/export".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::DELETE,
            "/imports/unknown".into(),
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        (
            Method::POST,
            "/assignments".into(),
            Some(
                json!({"person_id": pid, "community_id": community, "role": "community_sports_administrator"}),
            ),
            [401, 201, 409, 404, 403, 403],
        ),
        (
            Method::GET,
            assignment_path.clone(),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::POST,
            format!("{assignment_path}/end"),
            Some(json!({"reason": "matrix"})),
            [401, 200, 409, 404, 403, 403],
        ),
        (
            Method::POST,
            "/courses".into(),
            Some(course.clone()),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/courses".into(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            course_path.clone(),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::PATCH,
            course_path.clone(),
            Some(json!({"location": "矩阵馆"})),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("{course_path}/enrollments"),
            Some(json!({"person_id": pid})),
            [401, 201, 409, 404, 403, 403],
        ),
        (
            Method::GET,
            format!("{course_path}/enrollments"),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("{course_path}/enrollments?format=csv"),
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            format!("{course_path}/enrollments/{pid}/result"),
            Some(json!({"status": "completed"})),
            [401, 200, 403, 404, 403, 403],
        ),
        (
            Method::GET,
            format!("/people/{pid}/training"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::GET,
            format!("/people/{pid}/eligibility"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::POST,
            format!("/people/{pid}/registrations"),
            Some(json!({"year": 2025})),
            [401, 201, 409, 404, 403, 403],
        ),
        (
            Method::GET,
            format!("/people/{pid}/registrations"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        (
            Method::DELETE,
            format!("{course_path}/enrollments/{pid}"),
            None,
            [401, 409, 409, 404, 403, 403],
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
