//! Health, request ids, the OpenAPI document, Swagger UI, and problem+json for whatever the
//! framework rejects before a handler runs.

mod common;

use common::spawn_app;
use reqwest::Method;

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
async fn malformed_bodies_never_cause_a_server_error() {
    let app = spawn_app().await;
    for path in [
        "/streets",
        "/communities",
        "/communities/1",
        "/policy",
        "/sport-items",
        "/health",
    ] {
        let reply = app
            .send(
                app.request(Method::POST, path)
                    .header("content-type", "application/json")
                    .body("{bad"),
            )
            .await;
        assert!(
            reply.status.is_client_error(),
            "POST {path}: {}",
            reply.status
        );
        reply.assert_problem(reply.status.as_u16());
    }
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
        ("/streets", "get", "list_streets"),
        ("/streets/{id}", "get", "get_street"),
        ("/communities", "get", "list_communities"),
        ("/communities/{id}", "get", "get_community"),
        ("/sport-items", "get", "list_sport_items"),
        ("/policy", "get", "get_policy"),
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
