//! The bureau keeps the district's communities through the web UI: adds one (each missing field
//! named, a code taken already is 409), edits its name and population against the version it
//! read, deactivates it (only when confirmed; its open assignments end that day) and makes it
//! active again. Street officers are refused every one of these pages and forms.

mod common;

use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Session, sign_in},
};
use fitreg::domain::time::today;
use reqwest::StatusCode;
use serde_json::Value;

async fn bureau(app: &TestApp) -> Session<'_> {
    sign_in(app, "admin", ADMIN_PASSWORD).await
}

async fn community(app: &TestApp, id: i64) -> Value {
    app.get_ok(&format!("/communities/{id}")).await
}

async fn communities_total(app: &TestApp) -> i64 {
    app.get_ok("/communities?per_page=1").await["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_bureau_adds_a_community_and_a_taken_code_is_refused() {
    let app = spawn_app().await;
    let office = bureau(&app).await;
    let list = office.get("/communities").await;
    assert!(
        list.text.contains("href=\"/communities/new\""),
        "the add button"
    );
    let form = office.get("/communities/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let street = app.street_id("450203001").await.to_string();
    let before = communities_total(&app).await;

    let empty = office
        .post(
            "/communities/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("street_id", ""),
                ("code", ""),
                ("name", "  "),
                ("population", "很多"),
            ],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    assert!(empty.text.contains("请选择街道（乡镇）"));
    assert!(empty.text.contains("此项必填"));
    assert!(empty.text.contains("请填写整数"), "population");
    assert!(empty.text.contains("value=\"很多\""), "the typing stays");
    assert_eq!(communities_total(&app).await, before);

    let taken = office
        .post(
            "/communities/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("street_id", street.as_str()),
                ("code", "450203001001"),
                ("name", "又一个社区"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
    assert_eq!(communities_total(&app).await, before);

    let added = office
        .post(
            "/communities/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("street_id", street.as_str()),
                ("code", "450203001099"),
                ("name", "新城社区"),
                ("population", "5200"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let to = added.location();
    let id: i64 = to
        .trim_start_matches("/communities/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let made = community(&app, id).await;
    assert_eq!(made["code"], "450203001099");
    assert_eq!(made["name"], "新城社区");
    assert_eq!(made["population"], 5200);
    assert_eq!(made["kind"], "community");
    assert_eq!(made["active"], true);
    let page = office.get(to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text
            .contains("data-testid=\"community-name\">新城社区")
    );
    assert!(
        page.text.contains("未覆盖"),
        "a new community has no administrator yet"
    );
    assert_eq!(communities_total(&app).await, before + 1);
}

#[tokio::test]
async fn the_population_is_edited_against_the_version_read() {
    let app = spawn_app().await;
    let id = app.community_id("450203001002").await;
    let office = bureau(&app).await;
    let page = office.get(&format!("/communities/{id}")).await;
    assert!(page.text.contains("data-testid=\"community-edit\""));
    let csrf = page.csrf();
    let version = community(&app, id).await["version"].to_string();
    let name = community(&app, id).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/communities/{id}/edit");

    let bad = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("version", &version),
                ("name", &name),
                ("population", "-3"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let saved = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("version", &version),
                ("name", &name),
                ("population", "12800"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(community(&app, id).await["population"], 12800);
    let shown = office.get(&format!("/communities/{id}")).await;
    assert!(
        shown
            .text
            .contains("data-testid=\"community-population\">12800 人")
    );

    let stale = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("version", &version),
                ("name", &name),
                ("population", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("这条记录刚被修改过"));
    assert_eq!(community(&app, id).await["population"], 12800);

    // An empty population clears it.
    let version = community(&app, id).await["version"].to_string();
    let cleared = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("version", &version),
                ("name", &name),
                ("population", ""),
            ],
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(community(&app, id).await["population"], Value::Null);
}

#[tokio::test]
async fn deactivation_is_confirmed_ends_the_open_assignments_and_can_be_undone() {
    let app = spawn_app().await;
    let id = app.community_id("450203001003").await;
    let assignment = app
        .serving(
            41,
            "community_sports_administrator",
            Some("part_time"),
            id,
            "2025-01-01",
            None,
        )
        .await;
    let office = bureau(&app).await;
    let page = office.get(&format!("/communities/{id}")).await;
    assert!(
        page.text.contains("现有的 1 项安排"),
        "the page says what ends"
    );
    let csrf = page.csrf();
    let version = community(&app, id).await["version"].to_string();

    let unconfirmed = office
        .post(
            &format!("/communities/{id}/deactivate"),
            &[("csrf_token", csrf.as_str()), ("version", &version)],
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(community(&app, id).await["active"], true);

    let done = office
        .post(
            &format!("/communities/{id}/deactivate"),
            &[
                ("csrf_token", csrf.as_str()),
                ("version", &version),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(community(&app, id).await["active"], false);
    let ended = app.get_ok(&format!("/assignments/{assignment}")).await;
    assert_eq!(ended["ends_on"], today().to_string(), "{ended}");
    let shown = office.get(done.location()).await;
    assert!(shown.text.contains("已于今天结束"));
    assert!(shown.text.contains("data-testid=\"community-reactivate\""));

    let version = community(&app, id).await["version"].to_string();
    let again = office
        .post(
            &format!("/communities/{id}/reactivate"),
            &[("csrf_token", csrf.as_str()), ("version", &version)],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text);
    assert_eq!(community(&app, id).await["active"], true);
    let ended = app.get_ok(&format!("/assignments/{assignment}")).await;
    assert_eq!(
        ended["ends_on"],
        today().to_string(),
        "reactivating does not bring an ended assignment back"
    );
}

#[tokio::test]
async fn street_officers_may_not_change_the_districts_communities() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let user = app.user("street_officer", Some(street)).await;
    let office = sign_in(&app, &user.username, USER_PASSWORD).await;
    let id = app.community_id("450203001001").await;
    let page = office.get(&format!("/communities/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "its own street's community");
    assert!(!page.text.contains("data-testid=\"community-edit\""));
    assert!(!page.text.contains("data-testid=\"community-deactivate\""));
    assert_eq!(
        office.get("/communities/new").await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = page.csrf();
    let before = community(&app, id).await;
    let street = street.to_string();
    let version = before["version"].to_string();
    for path in [
        "/communities/new".to_owned(),
        format!("/communities/{id}/edit"),
        format!("/communities/{id}/deactivate"),
        format!("/communities/{id}/reactivate"),
    ] {
        let refused = office
            .post(
                &path,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("street_id", street.as_str()),
                    ("code", "450203001098"),
                    ("name", "改名"),
                    ("population", "1"),
                    ("version", &version),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(community(&app, id).await, before);
}
