//! Sport items and policy.

mod common;

use common::spawn_app;

#[tokio::test]
async fn sport_items_list_the_code_table_with_high_risk_flags() {
    let app = spawn_app().await;
    let body = app.get_ok("/sport-items?per_page=200").await;
    assert_eq!(body["total"], 44);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "square_dance");
    assert_eq!(items[0]["name"], "广场舞");
    assert_eq!(items[0]["category"], "dance_exercise");
    assert_eq!(items[0]["high_risk"], false);
    assert!(
        items.iter().any(|i| i["high_risk"] == true),
        "some items need a vocational licence"
    );
    let page = app.get_ok("/sport-items?per_page=10&page=5").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn policy_holds_every_domain_default_from_the_seed() {
    let app = spawn_app().await;
    let policy = app.get_ok("/policy").await;
    assert_eq!(policy["min_age"], 18);
    assert_eq!(policy["instructor_annual_hours"], 20.0);
    assert_eq!(policy["volunteer_annual_hours"], 20.0);
    assert_eq!(policy["training_hours"]["third"], 30.0);
    assert_eq!(policy["training_hours"]["second"], 40.0);
    assert_eq!(policy["training_hours"]["first"], 60.0);
    assert_eq!(policy["training_hours"]["national"], 80.0);
    assert_eq!(
        policy["star_thresholds"],
        serde_json::json!([100.0, 300.0, 600.0, 1000.0, 1500.0])
    );
    assert_eq!(policy["instructors_per_1000_target"], 2.16);
    assert!(policy["version"].as_i64().unwrap() >= 1);
    assert!(policy["updated_at"].is_string());
}

#[tokio::test]
async fn the_bureau_replaces_the_policy_with_its_version() {
    let app = spawn_app().await;
    let current = app.get_ok("/policy").await;
    let mut next = current.clone();
    next.as_object_mut().unwrap().remove("updated_at");
    next["min_age"] = serde_json::json!(20);
    next["star_thresholds"] = serde_json::json!([50, 150, 300, 600, 1000]);
    let replaced = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PUT,
            "/policy",
            next.clone(),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.json["min_age"], 20);
    assert_eq!(replaced.json["star_thresholds"][0], 50.0);
    assert!(replaced.json["version"].as_i64().unwrap() > current["version"].as_i64().unwrap());
    assert_eq!(app.get_ok("/policy").await["min_age"], 20);

    let stale = app
        .send_json(&app.admin_token, reqwest::Method::PUT, "/policy", next)
        .await;
    stale.assert_problem(409);
    assert_eq!(stale.error_fields(), ["version"]);
}

#[tokio::test]
async fn an_invalid_policy_is_a_422_naming_each_field_and_changes_nothing() {
    let app = spawn_app().await;
    let mut next = app.get_ok("/policy").await;
    next["training_hours"]["second"] = serde_json::json!(-5);
    next["star_thresholds"] = serde_json::json!([100, 50, 600, 1000, 1500]);
    let reply = app
        .send_json(&app.admin_token, reqwest::Method::PUT, "/policy", next)
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        ["training_hours.second", "star_thresholds"]
    );
    let mut incomplete = app.get_ok("/policy").await;
    incomplete.as_object_mut().unwrap().remove("min_age");
    let reply = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PUT,
            "/policy",
            incomplete,
        )
        .await;
    reply.assert_problem(400);
    assert_eq!(reply.error_fields(), ["min_age"]);
    assert_eq!(
        app.get_ok("/policy").await["training_hours"]["second"],
        40.0
    );
}
