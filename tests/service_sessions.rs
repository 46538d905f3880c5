//! Service sessions: logging rules, overlaps and idempotency under concurrency, review, withdraw,
//! revoke, mails, and the hours they add up to.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{TestApp, User, smtp::SmtpServer, spawn_app, spawn_app_with_smtp};
use reqwest::Method;
use serde_json::{Value, json};

struct World {
    officer: User,
    member: User,
    person_id: i64,
    community: i64,
    far_community: i64,
}

async fn world(app: &TestApp) -> World {
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let mut body = common::person_body("志愿者", "19900101", 11, tianma);
    body["email"] = json!("volunteer@example.cn");
    let person = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await
        .json;
    let person_id = person["id"].as_i64().unwrap();
    app.qualify(
        person_id,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let member = app.member(person_id as i32, Some(tianma)).await;
    let community = app.community_id("450203001001").await;
    let far_community = app
        .get_ok(&format!("/communities?street_id={jiahe}&per_page=1"))
        .await["items"][0]["id"]
        .as_i64()
        .unwrap();
    World {
        officer,
        member,
        person_id,
        community,
        far_community,
    }
}

fn ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

fn session(community: i64, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    json!({"community_id": community, "started_at": start.to_rfc3339(), "ended_at": end.to_rfc3339(),
           "activity": "square_dance", "participants": 25, "description": "广场舞教学"})
}

#[tokio::test]
async fn a_member_logs_a_session_and_hours_round_down_to_the_quarter() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = ago(5);
    let end = start + TimeDelta::minutes(104);
    let reply = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, end),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["status"], "pending");
    assert_eq!(reply.json["hours"], 1.5);
    assert_eq!(reply.json["source"], "self");
    assert_eq!(reply.json["person_id"], w.person_id);
    let by_officer = app
        .send_json(&w.officer.token, Method::POST, "/service-sessions", {
            let mut b = session(w.community, ago(30), ago(29));
            b["person_id"] = json!(w.person_id);
            b
        })
        .await;
    assert_eq!(by_officer.json["source"], "staff", "{}", by_officer.text);
}

#[tokio::test]
async fn every_logging_rule_is_a_422_naming_its_field() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases = [
        (session(w.community, ago(2), ago(3)), "ended_at"),
        (session(w.community, ago(14), ago(1)), "ended_at"),
        (
            session(w.community, ago(1), Utc::now() + TimeDelta::minutes(10)),
            "ended_at",
        ),
        (
            session(w.community, ago(24 * 31), ago(24 * 31 - 1)),
            "started_at",
        ),
        (
            {
                let mut b = session(w.community, ago(2), ago(1));
                b["activity"] = json!("quidditch");
                b
            },
            "activity",
        ),
        (
            {
                let mut b = session(w.community, ago(2), ago(1));
                b["participants"] = json!(-1);
                b
            },
            "participants",
        ),
        (session(99999, ago(2), ago(1)), "community_id"),
    ];
    for (body, field) in cases {
        let reply = app
            .send_json(
                &w.member.token,
                Method::POST,
                "/service-sessions",
                body.clone(),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    }
    // Five minutes of clock skew are allowed.
    let skewed = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(1), Utc::now() + TimeDelta::minutes(3)),
        )
        .await;
    assert_eq!(skewed.status, 201, "{}", skewed.text);
    // No qualification on that day: certified 2024-01-01.
    let mut old = session(
        w.community,
        "2023-06-01T01:00:00Z".parse().unwrap(),
        "2023-06-01T02:00:00Z".parse().unwrap(),
    );
    old["person_id"] = json!(w.person_id);
    let unqualified = app
        .send_json(&w.officer.token, Method::POST, "/service-sessions", old)
        .await;
    unqualified.assert_problem(422);
    assert_eq!(unqualified.error_fields(), ["person_id"]);
    // An inactive community.
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/communities/{}", w.community),
        json!({"active": false}),
    )
    .await;
    let inactive = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(4), ago(3)),
        )
        .await;
    inactive.assert_problem(422);
    assert_eq!(inactive.error_fields(), ["community_id"]);
}

#[tokio::test]
async fn members_log_for_themselves_only_and_officers_for_their_people() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let jiahe = app.street_id("450203002").await;
    let far_officer = app.user("street_officer", Some(jiahe)).await;
    let auditor = app.user("auditor", None).await;
    let mut for_other = session(w.community, ago(3), ago(2));
    for_other["person_id"] = json!(w.person_id + 1000);
    app.send_json(
        &w.member.token,
        Method::POST,
        "/service-sessions",
        for_other,
    )
    .await
    .assert_problem(403);
    let mut body = session(w.community, ago(3), ago(2));
    body["person_id"] = json!(w.person_id);
    app.send_json(
        &far_officer.token,
        Method::POST,
        "/service-sessions",
        body.clone(),
    )
    .await
    .assert_problem(404);
    app.send_json(&auditor.token, Method::POST, "/service-sessions", body)
        .await
        .assert_problem(403);
}

#[tokio::test]
async fn overlapping_sessions_are_409_even_when_requests_race() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = session(w.community, ago(6), ago(4));
    let replies = futures_util::future::join_all((0..6).map(|i| {
        let mut b = body.clone();
        b["description"] = json!(format!("attempt {i}"));
        app.send_json(&w.member.token, Method::POST, "/service-sessions", b)
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let touching = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(4), ago(3)),
        )
        .await;
    assert_eq!(
        touching.status, 201,
        "a session may start when the other ends: {}",
        touching.text
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = session(w.community, ago(8), ago(7));
    let send = |b: Value| {
        app.send(
            app.as_user(&w.member.token, Method::POST, "/service-sessions")
                .header("Idempotency-Key", "retry-1")
                .json(&b),
        )
    };
    let replies = futures_util::future::join_all((0..5).map(|_| send(body.clone()))).await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<i64> = replies
        .iter()
        .map(|r| r.json["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one session for one key");
    assert_eq!(
        app.get_ok(&format!("/service-sessions?person_id={}", w.person_id))
            .await["total"],
        1
    );
    let mut other = body.clone();
    other["participants"] = json!(3);
    let conflict = send(other).await;
    conflict.assert_problem(409);
    assert_eq!(conflict.error_fields(), ["Idempotency-Key"]);
}

#[tokio::test]
async fn review_rules_hold_and_the_person_is_told_by_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let w = world(&app).await;
    let far_officer = app
        .user("street_officer", Some(app.street_id("450203002").await))
        .await;
    let first = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(10), ago(8)),
        )
        .await
        .json;
    let second = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(7), ago(6)),
        )
        .await
        .json;
    let app = &app;
    let review = |token: &str, id: &Value, body: Value| {
        let (token, path) = (token.to_owned(), format!("/service-sessions/{id}/review"));
        async move { app.send_json(&token, Method::POST, &path, body).await }
    };

    review(
        &w.member.token,
        &first["id"],
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(403);
    review(
        &far_officer.token,
        &first["id"],
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(404);
    let no_note = review(
        &w.officer.token,
        &first["id"],
        json!({"decision": "reject"}),
    )
    .await;
    no_note.assert_problem(422);
    assert_eq!(no_note.error_fields(), ["note"]);
    let approved = review(
        &w.officer.token,
        &first["id"],
        json!({"decision": "approve", "note": "记录属实"}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.json["status"], "approved");
    review(
        &w.officer.token,
        &first["id"],
        json!({"decision": "reject", "note": "x"}),
    )
    .await
    .assert_problem(409);
    let rejected = review(
        &w.officer.token,
        &second["id"],
        json!({"decision": "reject", "note": "时间与活动不符"}),
    )
    .await;
    assert_eq!(rejected.json["status"], "rejected");

    let mails = smtp.wait_for(2, std::time::Duration::from_secs(20)).await;
    assert!(mails.iter().all(|m| m.to == ["volunteer@example.cn"]));
    assert!(mails.iter().any(|m| m.subject().contains("审核通过")));
    let rejection = mails
        .iter()
        .find(|m| m.subject().contains("未通过"))
        .expect("a rejection mail");
    assert!(rejection.text().contains("时间与活动不符"));

    let queue = app
        .get_as(&w.officer.token, "/service-sessions/queue")
        .await;
    assert_eq!(queue.json["total"], 0);
}

#[tokio::test]
async fn bulk_review_withdraw_and_revoke_follow_their_rules() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ids = Vec::new();
    for h in [20, 17, 14] {
        ids.push(
            app.send_json(
                &w.member.token,
                Method::POST,
                "/service-sessions",
                session(w.community, ago(h), ago(h - 2)),
            )
            .await
            .json["id"]
                .clone(),
        );
    }
    let withdrawn = app
        .send(app.as_user(
            &w.member.token,
            Method::POST,
            &format!("/service-sessions/{}/withdraw", ids[2]),
        ))
        .await;
    assert_eq!(withdrawn.json["status"], "withdrawn", "{}", withdrawn.text);
    let queue = app
        .get_as(&w.officer.token, "/service-sessions/queue")
        .await;
    assert_eq!(queue.json["total"], 2);
    assert_eq!(queue.json["items"][0]["id"], ids[0], "oldest first");

    let bulk = app
        .send_json(
            &w.officer.token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": [ids[0], ids[1], ids[2], 99999], "decision": "approve"}),
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    let statuses: Vec<u64> = bulk
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 409, 404]);

    app.send(app.as_user(
        &w.member.token,
        Method::POST,
        &format!("/service-sessions/{}/withdraw", ids[0]),
    ))
    .await
    .assert_problem(409);
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{}/revoke", ids[0]),
        json!({"note": "x"}),
    )
    .await
    .assert_problem(403);
    let revoked = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/service-sessions/{}/revoke", ids[0]),
            json!({"note": "虚报"}),
        )
        .await;
    assert_eq!(revoked.json["status"], "revoked", "{}", revoked.text);
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/service-sessions/{}/revoke", ids[2]),
        json!({"note": "x"}),
    )
    .await
    .assert_problem(409);
    assert_eq!(
        app.get_ok(&format!(
            "/service-sessions?status=approved&person_id={}",
            w.person_id
        ))
        .await["total"],
        1
    );
}

#[tokio::test]
async fn bulk_reviews_racing_on_the_same_sessions_review_each_exactly_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ids = Vec::new();
    for h in (0..12).map(|i| 60 - 3 * i) {
        let logged = app
            .send_json(
                &w.member.token,
                Method::POST,
                "/service-sessions",
                session(w.community, ago(h), ago(h - 2)),
            )
            .await;
        assert_eq!(logged.status, 201, "{}", logged.text);
        ids.push(logged.json["id"].as_i64().unwrap());
    }

    // A rejection without a note is refused for every id, and nothing changes.
    let no_note = app
        .send_json(
            &w.officer.token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": &ids[..3], "decision": "reject"}),
        )
        .await;
    assert_eq!(no_note.status, 200, "{}", no_note.text);
    for result in no_note.json.as_array().unwrap() {
        assert_eq!(result["status"], 422, "{result}");
    }
    assert_eq!(
        app.get_as(&w.officer.token, "/service-sessions/queue")
            .await
            .json["total"],
        12
    );

    // The same id twice in one request: reviewed once, the second told it is no longer pending.
    let twice = app
        .send_json(
            &w.officer.token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": [ids[0], ids[0]], "decision": "approve"}),
        )
        .await;
    let statuses: Vec<u64> = twice
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 409], "{}", twice.text);

    // The street's officer approves and the bureau rejects the rest, at the same time, in
    // opposite orders: every session ends with exactly one decision, the one its 200 reported.
    let rest = &ids[1..];
    let reversed: Vec<i64> = rest.iter().rev().copied().collect();
    let (approvals, rejections) = tokio::join!(
        app.send_json(
            &w.officer.token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": rest, "decision": "approve"}),
        ),
        app.send_json(
            &app.admin_token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": reversed, "decision": "reject", "note": "重复记录"}),
        ),
    );
    let outcome = |response: &common::Reply, id: i64| {
        response
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no result for {id}: {}", response.text))["status"]
            .as_u64()
            .unwrap()
    };
    for &id in rest {
        let (approved, rejected) = (outcome(&approvals, id), outcome(&rejections, id));
        assert!(
            (approved, rejected) == (200, 409) || (approved, rejected) == (409, 200),
            "session {id}: approve {approved}, reject {rejected}"
        );
        let now = app.get_ok(&format!("/service-sessions/{id}")).await;
        let expected = if approved == 200 {
            "approved"
        } else {
            "rejected"
        };
        assert_eq!(now["status"], expected, "{now}");
        assert_eq!(now["version"], 2, "{now}");
        let history = app.get_ok(&format!("/service-sessions/{id}/history")).await;
        let decisions = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "approve" || h["action"] == "reject")
            .count();
        assert_eq!(decisions, 1, "{history}");
    }
}

#[tokio::test]
async fn the_summary_counts_the_year_in_district_time_and_stars_at_the_threshold() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut policy = app.get_ok("/policy").await;
    policy.as_object_mut().unwrap().remove("version");
    policy["star_thresholds"] = json!([2, 300, 600, 1000, 1500]);
    app.send_json(&app.admin_token, Method::PUT, "/policy", policy)
        .await;

    // 2025-12-31 23:30 to 2026-01-01 00:15 in UTC+08:00 starts in 2025.
    let log = |start: &str, end: &str| {
        let mut b = session(w.community, start.parse().unwrap(), end.parse().unwrap());
        b["person_id"] = json!(w.person_id);
        app.send_json(&app.admin_token, Method::POST, "/service-sessions", b)
    };
    let late = log("2025-12-31T23:30:00+08:00", "2026-01-01T00:15:00+08:00")
        .await
        .json;
    let early = log("2026-01-01T00:15:00+08:00", "2026-01-01T01:30:00+08:00")
        .await
        .json;
    for id in [&late["id"], &early["id"]] {
        app.send_json(
            &w.officer.token,
            Method::POST,
            &format!("/service-sessions/{id}/review"),
            json!({"decision": "approve"}),
        )
        .await;
    }
    let y2025 = app
        .get_ok(&format!(
            "/people/{}/service-summary?year=2025",
            w.person_id
        ))
        .await;
    assert_eq!(y2025["approved_hours"], 0.75);
    assert_eq!(y2025["sessions"], 1);
    let y2026 = app
        .get_ok(&format!(
            "/people/{}/service-summary?year=2026",
            w.person_id
        ))
        .await;
    assert_eq!(y2026["approved_hours"], 1.25);
    assert_eq!(y2026["lifetime_hours"], 2.0);
    assert_eq!(y2026["star_level"], 1, "2 hours reach the 2-hour star");
    assert_eq!(y2026["annual_requirement_hours"], 20.0);
    assert_eq!(y2026["meets_annual_requirement"], false);
    let pending = log("2026-01-02T08:00:00+08:00", "2026-01-02T09:45:00+08:00").await;
    assert_eq!(pending.status, 201);
    let with_pending = app
        .get_ok(&format!(
            "/people/{}/service-summary?year=2026",
            w.person_id
        ))
        .await;
    assert_eq!(with_pending["pending_hours"], 1.75);
    assert_eq!(with_pending["star_level"], 1, "pending hours earn no stars");
    let as_member = app
        .get_as(
            &w.member.token,
            &format!("/people/{}/service-summary", w.person_id),
        )
        .await;
    assert_eq!(as_member.status, 200);
}

#[tokio::test]
async fn a_member_reads_its_own_sessions_and_officers_their_streets() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let far_officer = app
        .user("street_officer", Some(app.street_id("450203002").await))
        .await;
    let logged = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(3), ago(2)),
        )
        .await
        .json;
    assert_eq!(
        app.get_as(
            &w.member.token,
            &format!("/service-sessions/{}", logged["id"])
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.get_as(&w.officer.token, "/service-sessions").await.json["total"],
        1
    );
    assert_eq!(
        app.get_as(&far_officer.token, "/service-sessions")
            .await
            .json["total"],
        0
    );
    app.get_as(
        &far_officer.token,
        &format!("/service-sessions/{}", logged["id"]),
    )
    .await
    .assert_problem(404);
    let _ = w.far_community;
    assert_eq!(
        app.get_ok("/service-sessions?source=self").await["total"],
        1
    );
    assert_eq!(
        app.get_ok("/service-sessions?source=staff").await["total"],
        0
    );
}

#[tokio::test]
async fn check_in_and_check_out_at_the_servers_clock() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let opened = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions/check-in",
            json!({"community_id": w.community, "activity": "taichi"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    assert!(opened.json["ended_at"].is_null());
    assert_eq!(opened.json["source"], "checkin");
    let again = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions/check-in",
            json!({"community_id": w.community, "activity": "taichi"}),
        )
        .await;
    again.assert_problem(409);
    let id = opened.json["id"].clone();
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{id}/review"),
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(409);
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{id}/check-out"),
        json!({}),
    )
    .await
    .assert_problem(403);
    let closed = app
        .send_json(
            &w.member.token,
            Method::POST,
            &format!("/service-sessions/{id}/check-out"),
            json!({"participants": 12}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert!(closed.json["ended_at"].is_string());
    assert_eq!(closed.json["participants"], 12);
    assert_eq!(closed.json["needs_attention"], false);
    app.send_json(
        &w.member.token,
        Method::POST,
        &format!("/service-sessions/{id}/check-out"),
        json!({}),
    )
    .await
    .assert_problem(409);
    app.send_json(
        &w.officer.token,
        Method::POST,
        "/service-sessions/check-in",
        json!({"community_id": w.community, "activity": "taichi"}),
    )
    .await
    .assert_problem(403);
}

#[tokio::test]
async fn simultaneous_check_ins_open_one_session_and_simultaneous_check_outs_close_it_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let app = &app;
    let check_ins = futures_util::future::join_all((0..8).map(|_| {
        app.send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions/check-in",
            json!({"community_id": w.community, "activity": "taichi"}),
        )
    }))
    .await;
    let opened: Vec<&common::Reply> = check_ins.iter().filter(|r| r.status == 201).collect();
    assert_eq!(opened.len(), 1, "{check_ins:?}");
    assert!(
        check_ins.iter().all(|r| r.status == 201 || r.status == 409),
        "{check_ins:?}"
    );
    let id = opened[0].json["id"].clone();
    let path = format!("/service-sessions/{id}/check-out");
    let check_outs = futures_util::future::join_all((0..8).map(|i| {
        app.send_json(
            &w.member.token,
            Method::POST,
            &path,
            json!({"participants": 10 + i}),
        )
    }))
    .await;
    let closed: Vec<&common::Reply> = check_outs.iter().filter(|r| r.status == 200).collect();
    assert_eq!(closed.len(), 1, "{check_outs:?}");
    assert!(
        check_outs
            .iter()
            .all(|r| r.status == 200 || r.status == 409),
        "{check_outs:?}"
    );
    let now = app.get_ok(&format!("/service-sessions/{id}")).await;
    assert_eq!(now["version"], 2, "{now}");
    assert_eq!(now["participants"], closed[0].json["participants"]);
    let history = app.get_ok(&format!("/service-sessions/{id}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["check_out"], "{history}");
}

#[tokio::test]
async fn a_check_in_left_open_is_closed_at_twelve_hours_and_flagged() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let opened = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions/check-in",
            json!({"community_id": w.community, "activity": "taichi"}),
        )
        .await;
    let id = opened.json["id"].as_i64().unwrap();
    let later = Utc::now() + TimeDelta::hours(13);
    assert_eq!(
        fitreg::services::service_sessions::close_stale(&app.db, later)
            .await
            .unwrap(),
        1
    );
    let closed = app.get_ok(&format!("/service-sessions/{id}")).await;
    assert_eq!(closed["needs_attention"], true);
    assert_eq!(closed["hours"], 12.0);
    let history = app.get_ok(&format!("/service-sessions/{id}/history")).await;
    assert_eq!(history[0]["action"], "auto_close");
    assert_eq!(
        fitreg::services::service_sessions::close_stale(&app.db, later)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_accepted_correction_changes_the_session_keeps_history_and_mails_the_person() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let w = world(&app).await;
    let start = ago(30);
    let logged = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(2)),
        )
        .await
        .json;
    let id = logged["id"].clone();
    let path = format!("/service-sessions/{id}/corrections");
    let correct = |body: Value| app.send_json(&w.member.token, Method::POST, &path, body);
    correct(json!({"participants": 40, "reason": "少记了人数"}))
        .await
        .assert_problem(409);
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{id}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    smtp.wait_for(1, std::time::Duration::from_secs(20)).await;

    correct(json!({"reason": "nothing"}))
        .await
        .assert_problem(422);
    correct(json!({"participants": 40}))
        .await
        .assert_problem(400);
    let too_long =
        correct(json!({"ended_at": (start + TimeDelta::hours(13)).to_rfc3339(), "reason": "x"}))
            .await;
    too_long.assert_problem(422);
    let filed = correct(json!({"ended_at": (start + TimeDelta::hours(3)).to_rfc3339(), "participants": 40, "reason": "活动延长了一小时"})).await;
    assert_eq!(filed.status, 201, "{}", filed.text);
    correct(json!({"participants": 41, "reason": "again"}))
        .await
        .assert_problem(409);
    let cid = filed.json["id"].clone();
    app.send_json(
        &w.member.token,
        Method::POST,
        &format!("/corrections/{cid}/review"),
        json!({"decision": "accept"}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/corrections/{cid}/review"),
        json!({"decision": "reject"}),
    )
    .await
    .assert_problem(422);
    let accepted = app
        .send_json(
            &w.officer.token,
            Method::POST,
            &format!("/corrections/{cid}/review"),
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.json["status"], "accepted");

    let session = app.get_ok(&format!("/service-sessions/{id}")).await;
    assert_eq!(session["hours"], 3.0);
    assert_eq!(session["participants"], 40);
    assert_eq!(session["status"], "approved");
    let history = app.get_ok(&format!("/service-sessions/{id}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["approve", "correct"]);
    assert_eq!(
        history[1]["before"]["participants"], 25,
        "the old values are kept"
    );
    assert_eq!(history[1]["after"]["participants"], 40);
    assert_eq!(history[1]["reason"], "活动延长了一小时");
    let mails = smtp.wait_for(2, std::time::Duration::from_secs(20)).await;
    assert!(
        mails.iter().any(|m| m.subject().contains("更正")),
        "the person hears of the correction"
    );
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/corrections/{cid}/review"),
        json!({"decision": "accept"}),
    )
    .await
    .assert_problem(409);
}

#[tokio::test]
async fn a_certificate_lists_approved_sessions_and_its_code_verifies_publicly() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let auditor = app.user("auditor", None).await;
    let far_officer = app
        .user("street_officer", Some(app.street_id("450203002").await))
        .await;
    let start = ago(50);
    for (offset, approve) in [(0, true), (3, true), (6, false)] {
        let s = start + TimeDelta::hours(offset);
        let logged = app
            .send_json(
                &w.member.token,
                Method::POST,
                "/service-sessions",
                session(w.community, s, s + TimeDelta::minutes(135)),
            )
            .await
            .json;
        if approve {
            app.send_json(
                &w.officer.token,
                Method::POST,
                &format!("/service-sessions/{}/review", logged["id"]),
                json!({"decision": "approve"}),
            )
            .await;
        }
    }
    let page = app
        .get_as(
            &w.member.token,
            &format!("/people/{}/certificate", w.person_id),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.content_type().starts_with("text/html"));
    let html = &page.text;
    assert!(html.contains("志愿服务记录证明"));
    assert!(html.contains("志愿者"), "the person's name");
    assert!(html.contains("********"), "the ID number is masked");
    assert!(html.contains("4.50"), "2 x 2.25 approved hours: {html}");
    assert!(html.contains("广场舞"));
    let code_start = html.find("<code>").unwrap() + 6;
    let code = &html[code_start..code_start + 32];
    assert!(html.contains(&format!("/verify/{code}")));
    assert!(html.contains("FR-"));

    let check = app
        .send(app.anon(Method::GET, &format!("/certificates/{code}")))
        .await;
    assert_eq!(check.status, 200, "{}", check.text);
    assert_eq!(check.json["name"], "志**");
    assert_eq!(check.json["hours"], 4.5);
    assert_eq!(check.json["sessions"], 2);
    assert!(
        !check.text.contains("450203"),
        "no ID number in the public check"
    );
    app.send(app.anon(
        Method::GET,
        "/certificates/0123456789abcdef0123456789abcdef",
    ))
    .await
    .assert_problem(404);

    assert_eq!(
        app.get_as(
            &w.officer.token,
            &format!("/people/{}/certificate", w.person_id)
        )
        .await
        .status,
        200
    );
    app.get_as(
        &far_officer.token,
        &format!("/people/{}/certificate", w.person_id),
    )
    .await
    .assert_problem(404);
    app.get_as(
        &auditor.token,
        &format!("/people/{}/certificate", w.person_id),
    )
    .await
    .assert_problem(403);
    app.get(&format!(
        "/people/{}/certificate?from=2026-02-01&to=2026-01-01",
        w.person_id
    ))
    .await
    .assert_problem(422);
}

#[tokio::test]
async fn a_pending_session_is_edited_by_its_owner_under_the_logging_rules() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = ago(10);
    let logged = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(1)),
        )
        .await
        .json;
    let other = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, ago(5), ago(4)),
        )
        .await
        .json;
    let path = format!("/service-sessions/{}", logged["id"]);
    let edited = app.send_json(&w.member.token, Method::PATCH, &path, json!({"ended_at": (start + TimeDelta::hours(2)).to_rfc3339(), "participants": 30, "version": 1})).await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.json["hours"], 2.0);
    assert_eq!(edited.json["version"], 2);
    app.send_json(
        &w.member.token,
        Method::PATCH,
        &path,
        json!({"participants": 31, "version": 1}),
    )
    .await
    .assert_problem(409);
    let overlapping = app
        .send_json(
            &w.member.token,
            Method::PATCH,
            &path,
            json!({"ended_at": other["ended_at"]}),
        )
        .await;
    overlapping.assert_problem(409);
    app.send_json(
        &w.member.token,
        Method::PATCH,
        &path,
        json!({"ended_at": (start + TimeDelta::hours(13)).to_rfc3339()}),
    )
    .await
    .assert_problem(422);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &path,
        json!({"participants": 1}),
    )
    .await
    .assert_problem(403);
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("{path}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    app.send_json(
        &w.member.token,
        Method::PATCH,
        &path,
        json!({"participants": 32}),
    )
    .await
    .assert_problem(409);
    let history = app.get_ok(&format!("{path}/history")).await;
    assert_eq!(history[0]["action"], "edit");
}

#[tokio::test]
async fn twelve_hours_are_accepted_and_twelve_hours_and_a_minute_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = ago(40);
    let log = |end: DateTime<Utc>| {
        app.send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, end),
        )
    };
    let over = log(start + TimeDelta::hours(12) + TimeDelta::minutes(1)).await;
    over.assert_problem(422);
    assert_eq!(over.json["errors"][0]["code"], "session.too_long");
    let exact = log(start + TimeDelta::hours(12)).await;
    assert_eq!(exact.status, 201, "{}", exact.text);
    assert_eq!(exact.json["hours"], 12.0);
}

#[tokio::test]
async fn a_member_logs_thirty_days_back_and_not_a_minute_more() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let log = |start: DateTime<Utc>| {
        app.send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(1)),
        )
    };
    // The server's clock runs a little behind ours by the time it reads the request: the
    // boundary itself is held exactly by the unit test of the rule.
    let thirty_days = Utc::now() - TimeDelta::days(30);
    let beyond = log(thirty_days - TimeDelta::minutes(1)).await;
    beyond.assert_problem(422);
    assert_eq!(beyond.error_fields(), ["started_at"]);
    assert_eq!(beyond.json["errors"][0]["code"], "session.too_far_back");
    let within = log(thirty_days + TimeDelta::seconds(30)).await;
    assert_eq!(within.status, 201, "{}", within.text);
}

#[tokio::test]
async fn create_edit_and_correction_hold_the_same_rules_with_the_same_codes() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = ago(30);
    let logged = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(2)),
        )
        .await
        .json;
    let id = logged["id"].as_i64().unwrap();
    let bad_values = [
        (
            json!({"participants": -1}),
            "participants",
            "number.out_of_range",
        ),
        (
            json!({"description": "x".repeat(2001)}),
            "description",
            "text.length",
        ),
        (
            json!({"ended_at": (start + TimeDelta::hours(13)).to_rfc3339()}),
            "ended_at",
            "session.too_long",
        ),
        (
            json!({"activity": "quidditch"}),
            "activity",
            "sport_item.unknown",
        ),
    ];
    let path = format!("/service-sessions/{id}");
    for (change, field, code) in &bad_values {
        let edited = app
            .send_json(&w.member.token, Method::PATCH, &path, change.clone())
            .await;
        edited.assert_problem(422);
        assert_eq!(edited.error_fields(), [*field], "edit {change}");
        assert_eq!(edited.json["errors"][0]["code"], *code, "edit {change}");
    }
    let description = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            json!({"community_id": w.community, "started_at": ago(5).to_rfc3339(),
                   "ended_at": ago(4).to_rfc3339(), "activity": "square_dance",
                   "participants": 1, "description": "x".repeat(2001)}),
        )
        .await;
    description.assert_problem(422);
    assert_eq!(description.json["errors"][0]["code"], "text.length");

    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("{path}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    for (change, field, code) in bad_values {
        let mut body = change.clone();
        body["reason"] = json!("更正");
        let filed = app
            .send_json(
                &w.member.token,
                Method::POST,
                &format!("{path}/corrections"),
                body,
            )
            .await;
        filed.assert_problem(422);
        assert_eq!(filed.error_fields(), [field], "correction {change}");
        assert_eq!(filed.json["errors"][0]["code"], code, "correction {change}");
    }
    let session = app.get_ok(&path).await;
    assert_eq!(session["participants"], 25, "nothing changed");
}

#[tokio::test]
async fn a_correction_is_decided_by_the_sessions_reviewer_or_the_bureau() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let tianma = app.street_id("450203001").await;
    let colleague = app.user("street_officer", Some(tianma)).await;
    let start = ago(30);
    let id = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(2)),
        )
        .await
        .json["id"]
        .clone();
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{id}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    let corrections = format!("/service-sessions/{id}/corrections");
    let file = || {
        app.send_json(
            &w.member.token,
            Method::POST,
            &corrections,
            json!({"participants": 30, "reason": "少记了五人"}),
        )
    };
    let first = file().await.json["id"].clone();
    let by_colleague = app
        .send_json(
            &colleague.token,
            Method::POST,
            &format!("/corrections/{first}/review"),
            json!({"decision": "accept"}),
        )
        .await;
    by_colleague.assert_problem(403);
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{id}")).await["participants"],
        25
    );
    let by_reviewer = app
        .send_json(
            &w.officer.token,
            Method::POST,
            &format!("/corrections/{first}/review"),
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(by_reviewer.status, 200, "{}", by_reviewer.text);
    let second = file().await;
    assert_eq!(second.status, 201, "{}", second.text);
    let by_bureau = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/corrections/{}/review", second.json["id"]),
            json!({"decision": "reject", "note": "人数已更正"}),
        )
        .await;
    assert_eq!(by_bureau.status, 200, "{}", by_bureau.text);
}

#[tokio::test]
async fn a_certificate_whose_session_was_revoked_no_longer_matches_the_record() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = ago(50);
    let logged = app
        .send_json(
            &w.member.token,
            Method::POST,
            "/service-sessions",
            session(w.community, start, start + TimeDelta::hours(2)),
        )
        .await
        .json;
    let id = logged["id"].clone();
    app.send_json(
        &w.officer.token,
        Method::POST,
        &format!("/service-sessions/{id}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    let page = app
        .get_as(
            &w.member.token,
            &format!("/people/{}/certificate", w.person_id),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    // The page prints styled: its policy names the hash of its one inline style.
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    let style_start = page.text.find("<style>").unwrap() + "<style>".len();
    let style_end = page.text.find("</style>").unwrap();
    let style = &page.text[style_start..style_end];
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    assert!(
        policy.contains(&format!("style-src 'sha256-{hash}'")),
        "{policy}"
    );
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let code_start = page.text.find("<code>").unwrap() + 6;
    let code = page.text[code_start..code_start + 32].to_owned();
    let check = || app.send(app.anon(Method::GET, &format!("/certificates/{code}")));
    let before = check().await;
    assert_eq!(before.json["matches_record"], true, "{}", before.text);
    assert_eq!(before.json["record_hours"], 2.0);

    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/service-sessions/{id}/revoke"),
        json!({"note": "重复登记"}),
    )
    .await;
    let after = check().await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json["hours"], 2.0, "what the certificate states");
    assert_eq!(after.json["matches_record"], false);
    assert_eq!(after.json["record_hours"], 0.0, "what the record holds now");
    assert_eq!(after.json["record_sessions"], 0);
}

#[tokio::test]
async fn one_key_raced_for_two_people_creates_one_session_and_a_409_never_a_500() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let tianma = app.street_id("450203001").await;
    let second = app.person("第二人", "19910101", 21, tianma).await["id"]
        .as_i64()
        .unwrap();
    app.qualify(
        second,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let for_person = |person: i64| {
        let mut body = session(w.community, ago(8), ago(7));
        body["person_id"] = json!(person);
        app.send(
            app.as_user(&w.officer.token, Method::POST, "/service-sessions")
                .header("Idempotency-Key", "shared-key")
                .json(&body),
        )
    };
    for _ in 0..3 {
        let (a, b) = tokio::join!(for_person(w.person_id), for_person(second));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert!(
            statuses == [201, 409] || statuses == [409, 409],
            "{statuses:?}: {} / {}",
            a.text,
            b.text
        );
        for reply in [&a, &b] {
            if reply.status == 409 {
                assert_eq!(reply.error_fields(), ["Idempotency-Key"]);
            }
        }
    }
    let total = app.get_ok("/service-sessions").await["total"].clone();
    assert_eq!(total, 1, "one session for the key");
}
