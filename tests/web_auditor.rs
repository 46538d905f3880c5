//! The district's pages by role through the web UI. An inspection office (role `auditor`): every
//! staff page opens for it and none carries a form that writes (the nav's logout aside); every
//! write route answers 403 to it even with its own valid form secret, and the registry is
//! unchanged afterwards. The bureau: every page renders. A street officer: the district's pages
//! are refused, and the dashboard sends it to its own street's.

mod common;

use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Page, Session, sign_in},
};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// The forms of a page that post anywhere but the logout.
pub fn writing_forms(page: &Page) -> Vec<String> {
    page.text
        .match_indices("<form")
        .map(|(at, _)| {
            let tag = &page.text[at..];
            tag[..tag.find('>').unwrap_or(tag.len())].to_owned()
        })
        .filter(|tag| tag.contains("method=\"post\"") && !tag.contains("action=\"/logout\""))
        .collect()
}

async fn changes(app: &TestApp) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action <> 'read_id_number'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

struct Registry {
    person: i64,
    qualification: i64,
    assignment: i64,
    community: i64,
    session: i64,
    course: i64,
}

async fn registry(app: &TestApp) -> Registry {
    let street = app.street_id("450203001").await;
    let community = app.community_id("450203001001").await;
    let (person, sessions) = app
        .volunteer_with_pending_sessions(street, community, 1)
        .await;
    let person_json = app.get_ok(&format!("/people/{person}")).await;
    let qualification = person_json["qualifications"][0]["id"].as_i64().unwrap();
    let assignment = app
        .serving(
            40,
            "community_sports_administrator",
            Some("part_time"),
            community,
            "2025-01-01",
            None,
        )
        .await;
    let starts = fitreg::domain::time::today() + chrono::TimeDelta::days(10);
    let course = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({"title": "广场舞骨干培训", "kind": "continuing", "target_role": "fitness_volunteer",
                "organizer": "区文体新局", "location": "鱼峰区全民健身中心",
                "starts_on": starts.to_string(), "ends_on": starts.to_string(),
                "hours": 8, "capacity": 30, "status": "open"}),
        )
        .await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    Registry {
        person,
        qualification,
        assignment,
        community,
        session: sessions[0],
        course: course.json["id"].as_i64().unwrap(),
    }
}

async fn auditor(app: &TestApp) -> Session<'_> {
    let user = app.user("auditor", None).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

#[tokio::test]
async fn the_auditor_opens_every_staff_page_and_finds_no_form_that_writes() {
    let app = spawn_app().await;
    let r = registry(&app).await;
    let session = auditor(&app).await;
    let street = app.street_id("450203002").await;
    let pages = [
        "/coverage".to_owned(),
        format!("/coverage/streets/{street}"),
        "/coverage/print".to_owned(),
        "/desk".to_owned(),
        "/people".to_owned(),
        format!("/people/{}", r.person),
        "/communities".to_owned(),
        format!("/communities/{}", r.community),
        "/review".to_owned(),
        format!("/review/sessions/{}", r.session),
        "/courses".to_owned(),
        format!("/courses/{}", r.course),
        "/careers".to_owned(),
        "/account/password".to_owned(),
    ];
    for path in &pages {
        let page = session.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        if path != "/account/password" {
            assert_eq!(writing_forms(&page), Vec::<String>::new(), "{path}");
        }
    }
    // The pages that are nothing but a form that writes are refused outright.
    for path in [
        "/courses/new".to_owned(),
        format!("/courses/{}/edit", r.course),
        format!("/courses/{}/results", r.course),
        "/communities/new".to_owned(),
    ] {
        assert_eq!(
            session.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn every_write_route_refuses_the_auditor_and_changes_nothing() {
    let app = spawn_app().await;
    let r = registry(&app).await;
    let session = auditor(&app).await;
    let csrf = session.get("/coverage").await.csrf();
    let before = changes(&app).await;
    let person = r.person.to_string();
    let routes = [
        "/people/new".to_owned(),
        format!("/people/{}/edit", r.person),
        format!("/people/{}/qualifications", r.person),
        format!(
            "/people/{}/qualifications/{}/promote",
            r.person, r.qualification
        ),
        format!(
            "/people/{}/qualifications/{}/revoke",
            r.person, r.qualification
        ),
        format!("/people/{}/status", r.person),
        format!("/people/{}/assignments", r.person),
        format!("/assignments/{}/end", r.assignment),
        "/review".to_owned(),
        format!("/review/sessions/{}", r.session),
        format!("/people/{}/account", r.person),
        format!("/people/{}/account/invitation", r.person),
        format!("/courses/{}/enrollments", r.course),
        format!("/courses/{}/enrollments/{}/withdraw", r.course, r.person),
        format!("/communities/{}/assignments", r.community),
        "/people/import".to_owned(),
        "/people/import/1".to_owned(),
        "/imports/1/undo".to_owned(),
        "/review/corrections/1".to_owned(),
        "/me/check-in".to_owned(),
        "/admin/coverage-alerts".to_owned(),
        format!("/people/{}/registrations", r.person),
        "/communities/new".to_owned(),
        format!("/communities/{}/edit", r.community),
        format!("/communities/{}/deactivate", r.community),
        format!("/communities/{}/reactivate", r.community),
        "/courses/new".to_owned(),
        format!("/courses/{}/edit", r.course),
        format!("/courses/{}/status", r.course),
        format!("/courses/{}/results", r.course),
    ];
    for path in &routes {
        let page = session
            .post(
                path,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("person_id", person.as_str()),
                    ("ids", &r.session.to_string()),
                    ("decision", "approve"),
                    ("status", "suspended"),
                    ("reason", "检查"),
                    ("note", "检查"),
                    ("name", "改名"),
                    ("role", "fitness_volunteer"),
                    ("starts_on", "2026-01-01"),
                    ("ends_on", "2026-01-02"),
                    ("version", "1"),
                    ("title", "改名"),
                    ("hours", "8"),
                    ("capacity", "30"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.text);
    }
    assert_eq!(changes(&app).await, before, "nothing was written");
    let person = app.get_ok(&format!("/people/{}", r.person)).await;
    assert_eq!(person["status"], "active");
}

/// Every page of the bureau, for a registry with one of each record.
fn bureau_pages(r: &Registry, street: i64) -> Vec<String> {
    vec![
        "/coverage".to_owned(),
        format!("/coverage/streets/{street}"),
        "/coverage/print".to_owned(),
        "/coverage/export?format=csv".to_owned(),
        "/coverage/trend/export?format=xlsx".to_owned(),
        "/desk".to_owned(),
        "/people".to_owned(),
        format!("/people/{}", r.person),
        "/communities".to_owned(),
        "/communities/new".to_owned(),
        format!("/communities/{}", r.community),
        "/review".to_owned(),
        format!("/review/sessions/{}", r.session),
        "/courses".to_owned(),
        "/courses/new".to_owned(),
        format!("/courses/{}", r.course),
        format!("/courses/{}/edit", r.course),
        format!("/courses/{}/results", r.course),
        format!("/courses/{}/sign-in-sheet?format=csv", r.course),
        "/careers".to_owned(),
        "/admin".to_owned(),
        "/admin/accounts".to_owned(),
        "/admin/policy".to_owned(),
        "/admin/audit-log".to_owned(),
        "/admin/audit-log/verify".to_owned(),
        "/admin/outbox".to_owned(),
        "/account/password".to_owned(),
    ]
}

#[tokio::test]
async fn every_bureau_page_renders_and_an_officer_is_refused_the_districts() {
    let app = spawn_app().await;
    let r = registry(&app).await;
    let other = app.street_id("450203002").await;
    let bureau = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    for path in bureau_pages(&r, other) {
        let page = bureau.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
    }

    let own = app.street_id("450203001").await;
    let user = app.user("street_officer", Some(own)).await;
    let officer = sign_in(&app, &user.username, USER_PASSWORD).await;
    let home = officer.get("/coverage").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), format!("/coverage/streets/{own}"));
    assert_eq!(
        officer
            .get(&format!("/coverage/streets/{own}"))
            .await
            .status,
        StatusCode::OK
    );
    let refused = [
        format!("/coverage/streets/{other}"),
        format!("/coverage/print?street_id={other}"),
        "/communities/new".to_owned(),
        "/courses/new".to_owned(),
        format!("/courses/{}/edit", r.course),
        format!("/courses/{}/results", r.course),
        "/admin".to_owned(),
        "/admin/accounts".to_owned(),
        "/admin/policy".to_owned(),
        "/admin/audit-log".to_owned(),
        "/admin/outbox".to_owned(),
    ];
    for path in &refused {
        let page = officer.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.text);
    }
    // What the officer shares with the bureau opens, scoped to its street.
    for path in ["/people", "/communities", "/review", "/courses", "/careers"] {
        assert_eq!(officer.get(path).await.status, StatusCode::OK, "{path}");
    }
}
