//! Health, request ids, the OpenAPI document, Swagger UI, and problem+json for whatever the
//! framework rejects before a handler runs.

mod common;

use common::spawn_app;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_reports_ok_with_the_backend_and_version() {
    let app = spawn_app().await;
    let health = app.get_ok("/health").await;
    assert_eq!(health["status"], "ok");
    let backend = if app.test_db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(health["database"], backend);
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_client_id_is_echoed() {
    let app = spawn_app().await;
    let generated = app.get("/health").await;
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32);
    let echoed = app
        .send(
            app.request(Method::GET, "/health")
                .header("x-request-id", "trace-42"),
        )
        .await;
    assert_eq!(echoed.headers["x-request-id"], "trace-42");
    let replaced = app
        .send(
            app.request(Method::GET, "/health")
                .header("x-request-id", "bad id\twith tab"),
        )
        .await;
    assert_ne!(replaced.headers["x-request-id"], "bad id\twith tab");
    let problem = app
        .send(
            app.request(Method::GET, "/streets/0")
                .header("x-request-id", "trace-43"),
        )
        .await;
    problem.assert_problem(404);
    assert_eq!(problem.json["request_id"], "trace-43");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problem_documents() {
    let app = spawn_app().await;
    app.get("/nope").await.assert_problem(404);
    app.get("/api/v2/streets").await.assert_problem(404);
    app.send(app.request(Method::DELETE, "/streets"))
        .await
        .assert_problem(405);
    app.send(app.request(Method::PUT, "/communities/1"))
        .await
        .assert_problem(405);
}

#[tokio::test]
async fn malformed_bodies_are_400_problems_and_never_change_anything() {
    let app = spawn_app().await;
    let audit_before = app.get_ok("/audit-log").await["total"].clone();
    let cases = [
        (Method::POST, "/auth/login"),
        (Method::POST, "/auth/password"),
        (Method::POST, "/accounts"),
        (Method::PATCH, "/accounts/1"),
        (Method::POST, "/communities"),
        (Method::PATCH, "/communities/1"),
        (Method::PUT, "/policy"),
        (Method::POST, "/auth/activate"),
        (Method::POST, "/auth/password-reset"),
        (Method::POST, "/auth/password-reset/confirm"),
    ];
    for (method, path) in cases {
        for body in ["{bad", "", "[]", "{\"username\": 5}", "null"] {
            let reply = app
                .send(
                    app.request(method.clone(), path)
                        .header("content-type", "application/json")
                        .body(body),
                )
                .await;
            reply.assert_problem(400);
        }
        let wrong_type = app
            .send(
                app.request(method.clone(), path)
                    .header("content-type", "text/plain")
                    .body("x"),
            )
            .await;
        assert!(
            wrong_type.status.is_client_error(),
            "{method} {path}: {}",
            wrong_type.status
        );
        wrong_type.assert_problem(wrong_type.status.as_u16());
    }
    assert_eq!(
        app.get_ok("/audit-log").await["total"],
        audit_before,
        "nothing was recorded"
    );
}

#[tokio::test]
async fn a_wrong_field_type_names_the_field() {
    let app = spawn_app().await;
    let reply = app
        .send(
            app.request(Method::POST, "/communities")
                .json(&serde_json::json!({"street_id": "one", "code": "x", "name": "y"})),
        )
        .await;
    reply.assert_problem(400);
    assert_eq!(reply.error_fields(), ["street_id"], "{}", reply.text);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused_with_413() {
    let app = spawn_app().await;
    let big = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(1024 * 1024)
    );
    let reply = app
        .send(
            app.anon(Method::POST, "/auth/login")
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
    reply.assert_problem(413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let reply = app
        .send(
            app.anon(Method::POST, "/auth/login")
                .header("content-type", "application/json")
                .body(streamed),
        )
        .await;
    reply.assert_problem(413);
}

#[tokio::test]
async fn responses_carry_security_headers_and_no_cors_unless_configured() {
    let app = spawn_app().await;
    let reply = app
        .send(
            app.request(Method::GET, "/streets")
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert_eq!(reply.headers["x-frame-options"], "DENY");
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert!(
        reply.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}

/// The app with CORS on for `https://bureau.example`.
async fn spawn_app_with_cors() -> common::TestApp {
    let (test_db, db) = common::fresh_db().await;
    let mut config = common::test_config(&test_db.url);
    config.cors_origins = vec!["https://bureau.example".into()];
    common::serve_with(test_db, db, config).await
}

#[tokio::test]
async fn configured_origins_get_cors_headers() {
    let app = spawn_app_with_cors().await;
    let preflight = app
        .send(
            app.anon(Method::OPTIONS, "/streets")
                .header("origin", "https://bureau.example")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization"),
        )
        .await;
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://bureau.example"
    );
    let other = app
        .send(
            app.request(Method::GET, "/streets")
                .header("origin", "https://evil.example"),
        )
        .await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_with_an_operation_id_and_description() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/health", "get", "get_health"),
        ("/auth/login", "post", "login"),
        ("/auth/logout", "post", "logout"),
        ("/auth/me", "get", "get_me"),
        ("/auth/password", "post", "change_password"),
        ("/accounts", "post", "create_account"),
        ("/accounts", "get", "list_accounts"),
        ("/accounts/{id}", "get", "get_account"),
        ("/accounts/{id}", "patch", "update_account"),
        ("/accounts/{id}/invitation", "post", "resend_invitation"),
        ("/streets", "get", "list_streets"),
        ("/streets/{id}", "get", "get_street"),
        ("/communities", "get", "list_communities"),
        ("/communities", "post", "create_community"),
        ("/communities/{id}", "get", "get_community"),
        ("/communities/{id}", "patch", "update_community"),
        ("/sport-items", "get", "list_sport_items"),
        ("/policy", "get", "get_policy"),
        ("/policy", "put", "update_policy"),
        ("/audit-log", "get", "list_audit_log"),
        ("/audit-log/verify", "get", "verify_audit_log"),
        ("/auth/activate", "post", "activate_account"),
        ("/auth/password-reset", "post", "request_password_reset"),
        (
            "/auth/password-reset/confirm",
            "post",
            "confirm_password_reset",
        ),
        ("/outbox", "get", "list_outbox"),
        ("/people", "post", "create_person"),
        ("/people", "get", "list_people"),
        ("/people/{id}", "get", "get_person"),
        ("/people/{id}", "patch", "update_person"),
        ("/people/{id}/data-export", "get", "export_person_data"),
        (
            "/people/{id}/qualifications",
            "post",
            "create_qualification",
        ),
        (
            "/people/{id}/qualifications/{qid}",
            "patch",
            "update_qualification",
        ),
        ("/assignments", "post", "create_assignment"),
        ("/assignments", "get", "list_assignments"),
        ("/assignments/{id}", "get", "get_assignment"),
        ("/assignments/{id}/end", "post", "end_assignment"),
        ("/people/import", "post", "import_people"),
        ("/people/import/template", "get", "download_import_template"),
        ("/imports/{import_id}", "delete", "undo_import"),
        ("/people/export", "get", "export_people"),
        ("/coverage", "get", "get_coverage"),
        ("/coverage/gaps", "get", "get_coverage_gaps"),
        ("/coverage/at-risk", "get", "get_coverage_at_risk"),
        ("/coverage/export", "get", "export_coverage"),
        ("/coverage/alerts", "post", "send_coverage_alerts"),
        ("/service-sessions", "post", "create_service_session"),
        ("/service-sessions", "get", "list_service_sessions"),
        ("/service-sessions/queue", "get", "list_review_queue"),
        ("/service-sessions/{id}", "get", "get_service_session"),
        (
            "/service-sessions/{id}/review",
            "post",
            "review_service_session",
        ),
        (
            "/service-sessions/review",
            "post",
            "review_service_sessions",
        ),
        (
            "/service-sessions/{id}/withdraw",
            "post",
            "withdraw_service_session",
        ),
        (
            "/service-sessions/{id}/revoke",
            "post",
            "revoke_service_session",
        ),
        ("/people/{id}/service-summary", "get", "get_service_summary"),
        ("/service-sessions/check-in", "post", "check_in"),
        ("/service-sessions/{id}/check-out", "post", "check_out"),
        (
            "/service-sessions/{id}/corrections",
            "post",
            "request_correction",
        ),
        ("/corrections/{id}/review", "post", "review_correction"),
        (
            "/service-sessions/{id}/history",
            "get",
            "get_service_session_history",
        ),
        ("/people/{id}/certificate", "get", "issue_certificate"),
        ("/certificates/{code}", "get", "verify_certificate"),
        ("/service-sessions/{id}", "patch", "update_service_session"),
        ("/courses", "post", "create_course"),
        ("/courses", "get", "list_courses"),
        ("/courses/{id}", "get", "get_course"),
        ("/courses/{id}", "patch", "update_course"),
        ("/courses/{id}/enrollments", "post", "enroll_in_course"),
        ("/courses/{id}/enrollments", "get", "list_enrollments"),
        (
            "/courses/{id}/enrollments/{person_id}",
            "delete",
            "withdraw_enrollment",
        ),
        (
            "/courses/{id}/enrollments/{person_id}/result",
            "post",
            "record_training_result",
        ),
        ("/courses/{id}/results", "post", "record_class_results"),
        ("/people/{id}/training", "get", "get_person_training"),
        ("/people/{id}/eligibility", "get", "get_eligibility"),
        ("/people/{id}/registrations", "post", "create_registration"),
        ("/people/{id}/registrations", "get", "list_registrations"),
    ];
    for (path, method, operation_id) in expected {
        let operation = &paths[path][method];
        assert_eq!(operation["operationId"], operation_id, "{method} {path}");
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{path} has a summary"
        );
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{path} has a tag"
        );
    }
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations,
        expected.len(),
        "every operation is checked above"
    );
    // Problem responses are part of the contract.
    let responses = &paths["/communities"]["get"]["responses"];
    assert!(
        responses["400"]["content"]["application/problem+json"].is_object(),
        "{responses}"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["BearerAuth"]["scheme"],
        "bearer"
    );
    for (path, method, _) in expected {
        let secured = paths[path][method]["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
        let open = matches!(
            path,
            "/health"
                | "/auth/login"
                | "/auth/activate"
                | "/auth/password-reset"
                | "/auth/password-reset/confirm"
                | "/certificates/{code}"
        );
        assert_eq!(secured, !open, "{method} {path} security");
    }
}

#[tokio::test]
async fn the_openapi_document_matches_the_reviewed_snapshot() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/v1/openapi.json").await;
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = spawn_app().await;
    let reply = app.get("/docs").await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type().starts_with("text/html"));
    assert!(reply.text.contains("swagger"), "Swagger UI page");
}

#[tokio::test]
async fn cors_answers_vary_by_origin() {
    let app = spawn_app_with_cors().await;
    for origin in ["https://bureau.example", "https://evil.example"] {
        let reply = app
            .send(
                app.request(Method::GET, "/streets")
                    .header("origin", origin),
            )
            .await;
        let vary: Vec<&str> = reply
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            vary.iter().any(|v| v.to_lowercase().contains("origin")),
            "{origin}: {vary:?}"
        );
    }
}

#[tokio::test]
async fn swagger_ui_has_a_policy_that_allows_exactly_its_inline_blocks() {
    use base64::Engine;
    use sha2::Digest;
    let app = spawn_app().await;
    let reply = app.get("/docs").await;
    assert_eq!(reply.status, 200);
    let policy = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let mut rest = reply.text.as_str();
    let mut scripts = 0;
    while let Some(start) = rest.find("<script") {
        let body = &rest[start..];
        let open_end = body.find('>').unwrap() + 1;
        let close = body.find("</script>").unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(&body[open_end..close]));
        assert!(
            policy.contains(&format!("'sha256-{hash}'")),
            "script {scripts}"
        );
        scripts += 1;
        rest = &body[close..];
    }
    assert!(scripts >= 2, "the bundle and the start script");
    assert!(
        reply.text.contains("\"nullable\":true"),
        "Swagger UI shows the completed document"
    );
}

#[tokio::test]
async fn the_openapi_document_says_what_may_be_null_and_every_status_an_operation_gives() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/v1/openapi.json").await;
    let account = &doc["components"]["schemas"]["Account"];
    for field in ["email", "street_id", "person_id", "last_login_at"] {
        assert_eq!(
            account["properties"][field]["nullable"], true,
            "Account.{field}"
        );
    }
    assert!(account["properties"]["id"].get("nullable").is_none());
    let field = &doc["components"]["schemas"]["ProblemField"];
    assert!(
        field["required"]
            .as_array()
            .unwrap()
            .contains(&json!("code"))
    );
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("503"), "{method} {path} 503");
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("415"), "{method} {path} 415");
            }
        }
    }
    // And the 415 is what a body without a content type gets.
    let bare = app
        .send(app.request(Method::POST, "/courses").body("{}"))
        .await;
    bare.assert_problem(415);
}

#[tokio::test]
async fn violations_carry_a_stable_code_beside_the_message() {
    let app = spawn_app().await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/people",
            json!({"name": "甲", "id_number": "110105194912310021", "phone": "13800000000",
                   "street_id": 1}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.json["errors"][0]["field"], "id_number");
    assert_eq!(reply.json["errors"][0]["code"], "id_number.checksum");
    assert!(reply.json["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn a_database_that_stays_locked_is_a_503_with_retry_after_not_a_500() {
    use fitreg::error::{AppError, is_overload};
    use sea_orm::{ConnAcquireErr, ConnectionTrait, Database, DbErr};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("busy.db").display());
    let holder = Database::connect(&url).await.unwrap();
    holder
        .execute_unprepared(
            "CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);",
        )
        .await
        .unwrap();
    let waiter = Database::connect(&url).await.unwrap();
    waiter
        .execute_unprepared("PRAGMA busy_timeout = 0")
        .await
        .unwrap();
    let busy = waiter
        .execute_unprepared("INSERT INTO t VALUES (2)")
        .await
        .unwrap_err();
    assert!(is_overload(&busy), "{busy}");
    let error = AppError::from(busy);
    assert_eq!(error.status().as_u16(), 503);
    let response = fitreg::error::problem_response(&error.into(), Some("r1"));
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let pool_timeout = AppError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
    assert_eq!(pool_timeout.status().as_u16(), 503);
    assert_eq!(
        AppError::from(DbErr::Custom("other".into()))
            .status()
            .as_u16(),
        500
    );
}
