//! What a hostile client or a race tries: values that overflow, text that hides, cells that run
//! as formulas, identity numbers of nowhere, floods of bad values, concurrent identical writes,
//! and an officer trying to become one of its people.

mod common;

use common::{TestApp, id_number, person_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn qualified_administrator(app: &TestApp, street: i64, seq: u16) -> i64 {
    let person = app.person("管理员", "19800301", seq, street).await;
    let pid = person["id"].as_i64().unwrap();
    app.qualify(
        pid,
        json!({"kind": "community_sports_administrator", "employment": "part_time",
               "certified_on": "2024-12-01"}),
    )
    .await;
    pid
}

#[tokio::test]
async fn page_numbers_that_would_overflow_the_offset_are_a_400_naming_the_parameter() {
    let app = spawn_app().await;
    for path in [
        "/people?page=144115188075855873&per_page=197",
        "/communities?page=18446744073709551615",
        "/service-sessions?page=100001",
        "/audit-log?page=0",
        "/courses?per_page=201",
    ] {
        let reply = app.get(path).await;
        reply.assert_problem(400);
        let field = reply.error_fields();
        assert!(
            field == ["page"] || field == ["per_page"],
            "{path}: {}",
            reply.text
        );
    }
    assert_eq!(app.get_ok("/people?page=100000").await["items"], json!([]));
}

#[tokio::test]
async fn dates_outside_the_plausible_range_are_refused_everywhere() {
    let app = spawn_app().await;
    for path in [
        "/coverage?as_of=0001-01-01",
        "/coverage/gaps?as_of=1899-12-31",
        "/assignments?as_of=9999-12-31",
        "/courses?from=0000-01-01",
        "/service-sessions?from=9999-12-31T00:00:00Z",
        "/audit-log?from=0001-01-01",
        "/people/1/service-summary?year=9999",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text);
        reply.assert_problem(400);
    }
    let course = |starts: &str, ends: &str| {
        json!({"title": "培训班", "kind": "continuing", "target_role": "fitness_volunteer",
               "organizer": "区文体新局", "location": "体育馆", "starts_on": starts,
               "ends_on": ends, "hours": 8, "capacity": 10})
    };
    for (starts, ends) in [("0000-01-01", "2026-01-02"), ("2026-01-01", "9999-12-31")] {
        let reply = app
            .send_json(
                &app.admin_token,
                Method::POST,
                "/courses",
                course(starts, ends),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.json["errors"][0]["code"], "date.out_of_range");
    }
    let tianma = app.street_id("450203001").await;
    let pid = qualified_administrator(&app, tianma, 31).await;
    let community = app.community_id("450203001001").await;
    let far_future = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/assignments",
            json!({"person_id": pid, "community_id": community,
                   "role": "community_sports_administrator", "starts_on": "9999-12-31"}),
        )
        .await;
    far_future.assert_problem(422);
    assert_eq!(far_future.error_fields(), ["starts_on"]);
    let qualification = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/people/{pid}/qualifications"),
            json!({"kind": "fitness_volunteer", "certified_on": "0000-01-01"}),
        )
        .await;
    qualification.assert_problem(422);
    assert_eq!(qualification.error_fields(), ["certified_on"]);
}

#[tokio::test]
async fn names_with_control_or_only_invisible_characters_are_refused() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    for (name, code) in [
        ("张\u{0}三", "text.control_character"),
        ("\u{202e}\u{200b}", "text.bidi_control"),
        ("\u{200b}\u{feff}", "text.blank"),
        ("张\n三", "text.control_character"),
    ] {
        let mut body = person_body("x", "19800101", 11, tianma);
        body["name"] = json!(name);
        let reply = app
            .send_json(&app.admin_token, Method::POST, "/people", body)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), ["name"], "{name:?}: {}", reply.text);
        assert_eq!(reply.json["errors"][0]["code"], code, "{name:?}");
    }
    let community = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/communities/{}", app.community_id("450203001001").await),
            json!({"name": "社区\u{7}"}),
        )
        .await;
    community.assert_problem(422);
    assert_eq!(community.error_fields(), ["name"]);
    assert_eq!(app.get_ok("/people").await["total"], 0);
}

#[tokio::test]
async fn identity_numbers_of_no_place_or_no_plausible_birth_are_refused() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    for (number, code) in [
        (
            id_number("000000", "19800101", 11),
            "id_number.unknown_region",
        ),
        (
            id_number("990101", "19800101", 11),
            "id_number.unknown_region",
        ),
        (
            id_number("450299", "19800101", 11),
            "id_number.unknown_region",
        ),
        (id_number("450203", "18000101", 11), "id_number.birth_date"),
    ] {
        let mut body = person_body("无名", "19800101", 11, tianma);
        body["id_number"] = json!(number);
        let reply = app
            .send_json(&app.admin_token, Method::POST, "/people", body)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.json["errors"][0]["code"], code, "{number}");
    }
    for region in ["440524", "810000", "830000"] {
        let mut body = person_body("有名", "19800101", 11, tianma);
        body["id_number"] = json!(id_number(region, "19800101", 11));
        body["phone"] = json!(format!("1390000{}", &region[..4]));
        let reply = app
            .send_json(&app.admin_token, Method::POST, "/people", body)
            .await;
        assert_eq!(reply.status, 201, "{region}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_flood_of_bad_values_gets_a_short_answer_that_counts_them() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let mut body = person_body("泛滥", "19800101", 11, tianma);
    body["specialties"] = Value::Array((0..150_000).map(|_| json!("x")).collect());
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    reply.assert_problem(422);
    assert!(reply.text.len() < 20_000, "{} bytes", reply.text.len());
    assert_eq!(reply.error_fields(), ["specialties"]);
    assert_eq!(reply.json["errors"][0]["code"], "specialty.too_many");
}

#[tokio::test]
async fn eight_identical_assignment_posts_at_once_create_exactly_one() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let pid = qualified_administrator(&app, tianma, 41).await;
    let community = app.community_id("450203001001").await;
    let body = json!({"person_id": pid, "community_id": community,
                      "role": "community_sports_administrator", "starts_on": "2025-01-01"});
    let replies = futures_util::future::join_all(
        (0..8).map(|_| app.send_json(&app.admin_token, Method::POST, "/assignments", body.clone())),
    )
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, 7),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let listed = app.get_ok(&format!("/assignments?person_id={pid}")).await;
    assert_eq!(listed["total"], 1);
}

#[tokio::test]
async fn an_assignment_cannot_start_before_the_qualification() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let pid = qualified_administrator(&app, tianma, 43).await;
    let community = app.community_id("450203001001").await;
    let assign = |starts_on: &str| {
        app.send_json(
            &app.admin_token,
            Method::POST,
            "/assignments",
            json!({"person_id": pid, "community_id": community,
                   "role": "community_sports_administrator", "starts_on": starts_on}),
        )
    };
    let early = assign("2024-11-30").await;
    early.assert_problem(422);
    assert_eq!(early.error_fields(), ["starts_on"]);
    assert_eq!(
        early.json["errors"][0]["code"],
        "assignment.before_qualification"
    );
    assert_eq!(
        app.get_ok("/coverage?as_of=2024-11-30").await["district"]["covered"],
        0,
        "nobody covers a community before being qualified"
    );
    let on_the_day = assign("2024-12-01").await;
    assert_eq!(on_the_day.status, 201, "{}", on_the_day.text);
}

#[tokio::test]
async fn an_officer_cannot_make_itself_a_member_account_of_its_people() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let mut body = person_body("居民", "19900101", 51, tianma);
    body["email"] = json!("resident@example.cn");
    let person = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await
        .json;
    let pid = person["id"].clone();
    let app = &app;
    let create = |token: &str, body: Value| {
        let token = token.to_owned();
        async move { app.send_json(&token, Method::POST, "/accounts", body).await }
    };
    let with_password = create(
        &officer.token,
        json!({"username": "fake-resident", "role": "member", "person_id": pid,
               "password": "officer-chosen-1"}),
    )
    .await;
    with_password.assert_problem(403);
    let elsewhere = create(
        &officer.token,
        json!({"username": "fake-resident", "role": "member", "person_id": pid,
               "email": "officer@tianma.cn"}),
    )
    .await;
    elsewhere.assert_problem(422);
    assert_eq!(elsewhere.error_fields(), ["email"]);
    let invited = create(
        &officer.token,
        json!({"username": "resident", "role": "member", "person_id": pid}),
    )
    .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    assert_eq!(invited.json["email"], "resident@example.cn");
    let second = create(
        &app.admin_token,
        json!({"username": "resident-two", "role": "member", "person_id": pid,
               "password": "bureau-chosen-1"}),
    )
    .await;
    second.assert_problem(409);
    assert_eq!(second.error_fields(), ["person_id"]);
    let readdress = app
        .send_json(
            &officer.token,
            Method::PATCH,
            &format!("/accounts/{}", invited.json["id"]),
            json!({"email": "officer@tianma.cn"}),
        )
        .await;
    readdress.assert_problem(403);
    let account = app
        .get_ok(&format!("/accounts/{}", invited.json["id"]))
        .await;
    assert_eq!(account["email"], "resident@example.cn", "nothing changed");
    assert_eq!(app.get_ok("/accounts?q=resident").await["total"], 1);
}

#[tokio::test]
async fn control_characters_anywhere_in_a_body_are_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({"title": "培训班", "kind": "continuing", "target_role": "fitness_volunteer",
                   "organizer": "区文体新局\u{0}", "location": "体育馆", "starts_on": "2026-01-01",
                   "ends_on": "2026-01-02", "hours": 8, "capacity": 10}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["organizer"]);
    assert_eq!(reply.json["errors"][0]["code"], "text.control_character");
    assert_eq!(app.get_ok("/courses").await["total"], 0);
}

/// A write that waits for the SQLite writer longer than the bound is refused as overload: 503
/// with `Retry-After` and a problem document, soon after the bound rather than after SQLite's
/// busy timeout; once the writer is free the same write goes through. (PostgreSQL has no single
/// writer to wait for.)
#[tokio::test]
async fn a_writer_waiting_past_the_bound_gets_503_with_retry_after() {
    use std::time::{Duration, Instant};
    let test_db = common::TestDb::new().await;
    if test_db.is_postgres() {
        return;
    }
    let wait = Duration::from_millis(300);
    let db = fitreg::db::connect_with(&test_db.url, wait)
        .await
        .expect("connect");
    fitreg::db::migrate(&db).await.expect("migrate");
    fitreg::services::seed::run(&db, None).await.expect("seed");
    let app = common::serve(test_db, db).await;
    let street = app.street_id("450203001").await;

    // A long write holds the writer.
    let held = fitreg::db::begin_write(&app.db).await.expect("the writer");
    let started = Instant::now();
    let refused = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/people",
            person_body("排队者", "19800101", 71, street),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(refused.status, 503, "{}", refused.text);
    let retry = refused
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s >= 1), "{:?}", refused.headers);
    assert_eq!(refused.content_type(), "application/problem+json");
    assert!(waited >= wait, "it waited its turn first: {waited:?}");
    assert!(
        waited < Duration::from_secs(10),
        "no busy-timeout hang: {waited:?}"
    );
    assert_eq!(
        app.get_ok("/people?q=排队者").await["total"],
        0,
        "nothing was written"
    );

    drop(held);
    let done = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/people",
            person_body("排队者", "19800101", 71, street),
        )
        .await;
    assert_eq!(done.status, 201, "{}", done.text);
}
