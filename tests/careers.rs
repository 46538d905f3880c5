//! Instructor careers: eligibility on its boundaries, the annual work registration, promotions,
//! revocation, lapsed instructors, and the December/January reminders.

mod common;

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Utc};
use common::{TestApp, smtp::SmtpServer, spawn_app, spawn_app_with_smtp};
use reqwest::Method;
use serde_json::{Value, json};

/// Today in the district (UTC+08:00).
fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

fn compact(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// 09:00 district time on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

/// Logs a session of `quarters` quarter hours for the person on `day` as the bureau; returns
/// its id.
async fn log_session(app: &TestApp, person: i64, day: NaiveDate, quarters: i64) -> i64 {
    let community = app.community_id("450203001001").await;
    let start = morning(day);
    let end = start + TimeDelta::minutes(15 * quarters);
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/service-sessions",
            json!({"person_id": person, "community_id": community,
                   "started_at": start.to_rfc3339(), "ended_at": end.to_rfc3339(),
                   "activity": "square_dance", "participants": 20, "description": "健身指导"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json["id"].as_i64().unwrap()
}

async fn approve(app: &TestApp, ids: &[i64]) {
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/service-sessions/review",
            json!({"ids": ids, "decision": "approve"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// A person who can log sessions (a volunteer since 2020) but holds no instructor grade.
async fn candidate(app: &TestApp, name: &str, birth: NaiveDate, seq: u16) -> i64 {
    let street = app.street_id("450203001").await;
    let person = app.person(name, &compact(birth), seq, street).await["id"]
        .as_i64()
        .unwrap();
    app.qualify(
        person,
        json!({"kind": "fitness_volunteer", "certified_on": "2020-01-01"}),
    )
    .await;
    person
}

/// A third-grade certification course that started in the past, with the person's result.
async fn train(app: &TestApp, person: i64, grade: &str, credited: f64) -> i64 {
    let course = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({"title": format!("{grade}培训班"), "kind": "certification",
                   "target_role": "social_sports_instructor", "target_grade": grade,
                   "organizer": "区文体新局", "location": "全民健身中心",
                   "starts_on": "2025-03-01", "ends_on": "2025-03-10", "hours": 80,
                   "capacity": 50, "status": "open"}),
        )
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    let path = format!("/courses/{course}/enrollments");
    let enrolled = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"person_id": person}),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.text);
    let recorded = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("{path}/{person}/result"),
            json!({"status": "completed", "credited_hours": credited}),
        )
        .await;
    assert_eq!(recorded.status, 200, "{}", recorded.text);
    course
}

fn requirement<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn unmet(report: &Value) -> Vec<String> {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["met"] == false)
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn grant_third(app: &TestApp, person: i64) -> common::Reply {
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/people/{person}/qualifications"),
        json!({"kind": "social_sports_instructor", "grade": "third",
               "certified_on": today(), "certificate_no": "YF-3"}),
    )
    .await
}

#[tokio::test]
async fn the_third_grade_needs_age_training_and_thirty_sessions_each_at_its_boundary() {
    let app = spawn_app().await;
    let day = today();
    let person = candidate(
        &app,
        "候选人",
        NaiveDate::from_ymd_opt(1990, 5, 5).unwrap(),
        11,
    )
    .await;
    let path = format!("/people/{person}/eligibility");

    // 29 approved sessions; a pending and a rejected one do not count.
    let mut ids = Vec::new();
    for n in 1..=29 {
        ids.push(log_session(&app, person, day - TimeDelta::days(n), 4).await);
    }
    approve(&app, &ids).await;
    let pending = log_session(&app, person, day - TimeDelta::days(30), 4).await;
    let rejected = log_session(&app, person, day - TimeDelta::days(31), 4).await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/service-sessions/{rejected}/review"),
        json!({"decision": "reject", "note": "记录不实"}),
    )
    .await;
    // Older than 12 months: outside the window.
    let old = log_session(&app, person, day - TimeDelta::days(400), 4).await;
    approve(&app, &[old]).await;
    let course = train(&app, person, "third", 29.75).await;

    let report = app.get_ok(&path).await;
    assert_eq!(report["current_grade"], Value::Null);
    assert_eq!(report["grade"], "third");
    assert_eq!(report["eligible"], false);
    assert_eq!(requirement(&report, "service_sessions")["actual"], 29.0);
    assert_eq!(requirement(&report, "service_sessions")["required"], 30.0);
    assert_eq!(requirement(&report, "training_hours")["actual"], 29.75);
    assert_eq!(requirement(&report, "training_hours")["required"], 30.0);
    assert_eq!(requirement(&report, "certification_course")["met"], true);
    assert_eq!(requirement(&report, "age")["met"], true);
    assert_eq!(unmet(&report), ["training_hours", "service_sessions"]);
    let refused = grant_third(&app, person).await;
    refused.assert_problem(422);
    assert_eq!(
        refused.error_fields(),
        ["training_hours", "service_sessions"],
        "{}",
        refused.text
    );

    // The 30th approved session and 30 credited hours.
    approve(&app, &[pending]).await;
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/courses/{course}/enrollments/{person}/result"),
        json!({"status": "completed", "credited_hours": 30}),
    )
    .await;
    let ready = app.get_ok(&path).await;
    assert_eq!(ready["eligible"], true, "{ready}");
    assert_eq!(requirement(&ready, "service_sessions")["actual"], 30.0);

    // Everything met: the district grants `third`, keeping the day's judgement beside it.
    let granted = grant_third(&app, person).await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(granted.json["eligibility_at_grant"]["eligible"], true);
    assert_eq!(granted.json["grade_granted_on"], json!(day));
    let next = app.get_ok(&path).await;
    assert_eq!(next["current_grade"], "third");
    assert_eq!(next["grade"], "second");
    assert_eq!(requirement(&next, "registered_years")["required"], 2.0);
}

#[tokio::test]
async fn age_is_met_on_the_eighteenth_birthday_and_not_the_day_before() {
    let day = today();
    // On 29 February nobody born 18 years earlier has a birthday today; the rule is the same.
    let Some(eighteen_today) = day.with_year(day.year() - 18) else {
        return;
    };
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    for (birth, seq, age, met) in [
        (eighteen_today + TimeDelta::days(1), 13, 17.0, false),
        (eighteen_today, 15, 18.0, true),
    ] {
        let young = app.person("青年", &compact(birth), seq, street).await["id"].clone();
        let report = app.get_ok(&format!("/people/{young}/eligibility")).await;
        assert_eq!(requirement(&report, "age")["actual"], age);
        assert_eq!(requirement(&report, "age")["required"], 18.0);
        assert_eq!(requirement(&report, "age")["met"], met);
        let grant = grant_third(&app, young.as_i64().unwrap()).await;
        grant.assert_problem(422);
        assert_eq!(
            grant.error_fields().contains(&"certified_on".to_owned()),
            !met
        );
    }
}

/// A third-grade instructor from the people import (grades held before fitreg are recorded as
/// they are), certified in `certified` (a year).
async fn imported_instructor(app: &TestApp, name: &str, seq: u16, certified: i32) -> i64 {
    let number = common::id_number("450203", "19800101", seq);
    let gender = if seq % 2 == 1 { "男" } else { "女" };
    let csv = format!(
        "name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,employment,certificate_no,certified_on,specialties\n\
         {name},{gender},1980-01-01,{number},1380000{seq:04},t{seq}@example.cn,450203001,,社会体育指导员,三级,,YF-{seq},{certified}-06-01,"
    );
    let reply = app
        .send(
            app.request(Method::POST, "/people/import")
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await;
    assert_eq!(reply.json["created"], 1, "{}", reply.text);
    app.get_ok(&format!("/people?q={number}")).await["items"][0]["id"]
        .as_i64()
        .unwrap()
}

async fn register(app: &TestApp, token: &str, person: i64, body: Value) -> common::Reply {
    app.send_json(
        token,
        Method::POST,
        &format!("/people/{person}/registrations"),
        body,
    )
    .await
}

#[tokio::test]
async fn registration_follows_the_rule_and_approving_against_it_needs_a_note() {
    let app = spawn_app().await;
    let this_year = today().year();
    let last_year = this_year - 1;
    let served = imported_instructor(&app, "服务足", 21, last_year - 1).await;
    let short = imported_instructor(&app, "服务差", 23, last_year - 1).await;
    let day = NaiveDate::from_ymd_opt(last_year, 6, 1).unwrap();
    let a = log_session(&app, served, day, 40).await;
    let b = log_session(&app, served, day + TimeDelta::days(1), 40).await;
    let c = log_session(&app, short, day, 40).await;
    let d = log_session(&app, short, day + TimeDelta::days(1), 39).await;
    approve(&app, &[a, b, c, d]).await;

    let approved = register(&app, &app.admin_token, served, json!({"year": this_year})).await;
    assert_eq!(approved.status, 201, "{}", approved.text);
    assert_eq!(approved.json["status"], "approved");
    assert_eq!(approved.json["override"], false);
    assert_eq!(approved.json["service_hours_previous_year"], 20.0);
    assert!(approved.json["reason"].as_str().unwrap().contains("20"));
    register(&app, &app.admin_token, served, json!({"year": this_year}))
        .await
        .assert_problem(409);

    let rejected = register(&app, &app.admin_token, short, json!({"year": this_year})).await;
    assert_eq!(rejected.status, 201, "{}", rejected.text);
    assert_eq!(rejected.json["status"], "rejected");
    assert!(
        rejected.json["reason"].as_str().unwrap().contains("19.75"),
        "{}",
        rejected.text
    );
    // A rejected year stays rejected while the rule is unmet; an approved one is final.
    register(&app, &app.admin_token, short, json!({"year": this_year}))
        .await
        .assert_problem(409);
    let later = log_session(&app, short, day + TimeDelta::days(2), 1).await;
    approve(&app, &[later]).await;
    let met = register(&app, &app.admin_token, short, json!({"year": this_year})).await;
    assert_eq!(met.status, 201, "{}", met.text);
    assert_eq!(met.json["status"], "approved");
    assert_eq!(
        met.json["id"], rejected.json["id"],
        "the same registration, decided again"
    );
    assert_eq!(met.json["service_hours_previous_year"], 20.0);
    register(&app, &app.admin_token, short, json!({"year": this_year}))
        .await
        .assert_problem(409);

    // Approving against the rule: without a note refused, with one kept and marked.
    let no_note = register(
        &app,
        &app.admin_token,
        short,
        json!({"year": last_year, "override": true}),
    )
    .await;
    no_note.assert_problem(422);
    assert_eq!(no_note.error_fields(), ["note"]);
    let blank = register(
        &app,
        &app.admin_token,
        short,
        json!({"year": last_year, "override": true, "note": "  "}),
    )
    .await;
    blank.assert_problem(422);
    let overridden = register(
        &app,
        &app.admin_token,
        short,
        json!({"year": last_year, "override": true, "note": "疫情期间服务记录缺失，经街道核实"}),
    )
    .await;
    assert_eq!(overridden.status, 201, "{}", overridden.text);
    assert_eq!(overridden.json["status"], "approved");
    assert_eq!(overridden.json["override"], true);
    assert_eq!(overridden.json["note"], "疫情期间服务记录缺失，经街道核实");
    assert!(
        overridden.json["reason"]
            .as_str()
            .unwrap()
            .starts_with("approved against the rule")
    );

    // Registration for next year opens on 1 December.
    let next = register(
        &app,
        &app.admin_token,
        served,
        json!({"year": this_year + 1}),
    )
    .await;
    if today() < NaiveDate::from_ymd_opt(this_year, 12, 1).unwrap() {
        next.assert_problem(422);
        assert_eq!(next.error_fields(), ["year"]);
    } else {
        assert_eq!(next.status, 201, "{}", next.text);
    }
    register(
        &app,
        &app.admin_token,
        served,
        json!({"year": this_year + 2}),
    )
    .await
    .assert_problem(422);
    register(&app, &app.admin_token, served, json!({"year": 1999}))
        .await
        .assert_problem(422);

    // A volunteer without an instructor qualification is rejected with the reason.
    let volunteer = candidate(
        &app,
        "志愿者",
        NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
        25,
    )
    .await;
    let none = register(
        &app,
        &app.admin_token,
        volunteer,
        json!({"year": this_year}),
    )
    .await;
    assert_eq!(none.json["status"], "rejected");
    assert!(
        none.json["reason"]
            .as_str()
            .unwrap()
            .contains("no active social sports instructor qualification")
    );

    let list = app.get_ok(&format!("/people/{short}/registrations")).await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["year"], this_year);
    let audit = app
        .get_ok("/audit-log?entity=registration&action=override")
        .await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn officers_register_their_own_people_and_members_read_their_own() {
    let app = spawn_app().await;
    let this_year = today().year();
    let person = imported_instructor(&app, "范围", 31, this_year - 2).await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let other = app.user("street_officer", Some(jiahe)).await;
    let member = app.member(person as i32, Some(tianma)).await;
    let auditor = app.user("auditor", None).await;
    let body = json!({"year": this_year});
    register(&app, &other.token, person, body.clone())
        .await
        .assert_problem(404);
    register(&app, &member.token, person, body.clone())
        .await
        .assert_problem(403);
    register(&app, &auditor.token, person, body.clone())
        .await
        .assert_problem(403);
    let mine = register(&app, &officer.token, person, body).await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    let path = format!("/people/{person}/registrations");
    for token in [&member.token, &auditor.token, &officer.token] {
        assert_eq!(app.get_as(token, &path).await.json["total"], 1);
        let eligibility = app
            .get_as(token, &format!("/people/{person}/eligibility"))
            .await;
        assert_eq!(eligibility.status, 200, "{}", eligibility.text);
    }
    app.get_as(&other.token, &path).await.assert_problem(404);
    app.get_as(&other.token, &format!("/people/{person}/eligibility"))
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn higher_grades_count_approved_registrations_at_the_grade_below_only() {
    let app = spawn_app().await;
    let this_year = today().year();
    let person = imported_instructor(&app, "晋升", 41, this_year - 3).await;
    train(&app, person, "second", 40.0).await;
    let path = format!("/people/{person}/eligibility");
    let override_year = |year: i32| json!({"year": year, "override": true, "note": "历史注册补录"});
    // A year before the grade was granted does not count; a rejected year does not count.
    register(&app, &app.admin_token, person, override_year(this_year - 4)).await;
    register(&app, &app.admin_token, person, override_year(this_year - 3)).await;
    let rejected = register(
        &app,
        &app.admin_token,
        person,
        json!({"year": this_year - 2}),
    )
    .await;
    assert_eq!(rejected.json["status"], "rejected");
    let one = app.get_ok(&path).await;
    assert_eq!(one["grade"], "second");
    assert_eq!(requirement(&one, "registered_years")["actual"], 1.0);
    assert_eq!(unmet(&one), ["registered_years"]);

    register(&app, &app.admin_token, person, override_year(this_year - 1)).await;
    let two = app.get_ok(&path).await;
    assert_eq!(requirement(&two, "registered_years")["actual"], 2.0);
    assert_eq!(two["eligible"], true, "{two}");
    let first = app.get_ok(&format!("{path}?grade=first")).await;
    assert_eq!(first["grade"], "first");
    assert_eq!(requirement(&first, "registered_years")["actual"], 0.0);
    assert_eq!(requirement(&first, "registered_years")["required"], 3.0);

    // Promoted to second this year: the years registered as third do not count toward first.
    let qualification = app.get_ok(&format!("/people/{person}")).await["qualifications"][0].clone();
    let promoted = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/people/{person}/qualifications/{}", qualification["id"]),
            json!({"grade": "second", "issued_by": "柳州市体育局", "certificate_no": "LZ-41",
                   "granted_on": today()}),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.json["eligibility_at_grant"]["eligible"], true);
    let after = app.get_ok(&path).await;
    assert_eq!(after["current_grade"], "second");
    assert_eq!(after["grade"], "first");
    assert_eq!(requirement(&after, "registered_years")["actual"], 0.0);
}

#[tokio::test]
async fn grades_from_elsewhere_are_recorded_with_that_days_eligibility_and_revocation_ends_assignments()
 {
    let app = spawn_app().await;
    let this_year = today().year();
    let person = imported_instructor(&app, "市级", 51, this_year - 1).await;
    let qualification = app.get_ok(&format!("/people/{person}")).await["qualifications"][0].clone();
    assert_eq!(qualification["grade"], "third");
    let path = format!("/people/{person}/qualifications/{}", qualification["id"]);
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;

    let bare = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path,
            json!({"grade": "second"}),
        )
        .await;
    bare.assert_problem(422);
    assert_eq!(bare.error_fields(), ["issued_by", "certificate_no"]);
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path,
        json!({"grade": "second", "issued_by": "柳州市体育局", "certificate_no": "LZ-9"}),
    )
    .await
    .assert_problem(403);
    let backdated = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path,
            json!({"grade": "second", "issued_by": "柳州市体育局", "certificate_no": "LZ-9",
                   "granted_on": format!("{}-01-01", this_year - 1)}),
        )
        .await;
    backdated.assert_problem(422);
    assert_eq!(
        backdated.error_fields(),
        ["granted_on"],
        "before the third grade was granted"
    );
    let promoted = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path,
            json!({"grade": "second", "issued_by": "柳州市体育局", "certificate_no": "LZ-9"}),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.json["grade"], "second");
    assert_eq!(promoted.json["issued_by"], "柳州市体育局");
    assert_eq!(promoted.json["grade_granted_on"], json!(today()));
    let snapshot = &promoted.json["eligibility_at_grant"];
    assert_eq!(snapshot["grade"], "second");
    assert_eq!(
        snapshot["eligible"], false,
        "a mismatch is kept, not refused"
    );
    assert!(unmet(snapshot).contains(&"registered_years".to_owned()));
    let audit = app
        .get_ok("/audit-log?entity=qualification&action=promote")
        .await;
    assert_eq!(audit["total"], 1);

    // Revocation needs a reason and ends the person's open assignments in that role.
    let community = app.community_id("450203001001").await;
    let assigned = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/assignments",
            json!({"person_id": person, "community_id": community,
                   "role": "social_sports_instructor", "starts_on": "2025-07-01"}),
        )
        .await;
    assert_eq!(assigned.status, 201, "{}", assigned.text);
    let version = promoted.json["version"].clone();
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &path,
        json!({"status": "revoked", "version": version}),
    )
    .await
    .assert_problem(422);
    let revoked = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path,
            json!({"status": "revoked", "reason": "利用称号从事营利活动", "version": version}),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.json["status"], "revoked");
    assert_eq!(revoked.json["revoke_reason"], "利用称号从事营利活动");
    let ended = app
        .get_ok(&format!("/assignments/{}", assigned.json["id"]))
        .await;
    assert_eq!(ended["ends_on"], json!(today()));
    assert_eq!(ended["end_reason"], "qualification revoked");
    let audit = app
        .get_ok("/audit-log?entity=qualification&action=revoke")
        .await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn instructors_are_current_or_lapsed_with_this_years_registration() {
    let app = spawn_app().await;
    let this_year = today().year();
    let current = imported_instructor(&app, "已注册", 61, this_year - 2).await;
    let lapsed = imported_instructor(&app, "未注册", 63, this_year - 2).await;
    let retired = imported_instructor(&app, "已退出", 67, this_year - 2).await;
    let left = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/people/{retired}"),
            json!({"status": "retired"}),
        )
        .await;
    assert_eq!(left.status, 200, "{}", left.text);
    let volunteer = candidate(
        &app,
        "志愿者",
        NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
        65,
    )
    .await;
    register(
        &app,
        &app.admin_token,
        current,
        json!({"year": this_year, "override": true, "note": "核实"}),
    )
    .await;
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&app.get_ok("/people?registration=current").await),
        [current]
    );
    let lapsed_now = ids(&app.get_ok("/people?registration=lapsed").await);
    if today().month() > 3 {
        assert_eq!(lapsed_now, [lapsed]);
    } else {
        assert!(lapsed_now.is_empty(), "nobody lapses before 1 April");
    }
    assert!(!lapsed_now.contains(&volunteer));
    assert!(!lapsed_now.contains(&retired), "only active people lapse");
    app.get("/people?registration=overdue")
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn reminders_reach_instructors_in_december_and_officers_in_january_once_a_day() {
    use fitreg::services::registration_reminders::run_daily_if_due;
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    // Reminders of December 2025 are about 2026; one of the two has registered already.
    let registered = imported_instructor(&app, "已注册", 71, 2024).await;
    let _waiting = imported_instructor(&app, "待注册", 73, 2024).await;
    let decided = imported_instructor(&app, "已驳回", 75, 2024).await;
    let rejected = register(&app, &app.admin_token, decided, json!({"year": 2026})).await;
    assert_eq!(rejected.json["status"], "rejected", "{}", rejected.text);
    let done = register(
        &app,
        &app.admin_token,
        registered,
        json!({"year": 2026, "override": true, "note": "核实"}),
    )
    .await;
    assert_eq!(done.status, 201, "{}", done.text);
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", officer.id),
        json!({"email": "tianma@example.cn"}),
    )
    .await;

    let at = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let instant = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    };
    let early = instant("2025-12-05T08:00:00+08:00");
    let december = instant("2025-12-05T10:00:00+08:00");
    let january = instant("2026-01-06T10:00:00+08:00");
    let march = instant("2026-03-06T10:00:00+08:00");
    assert!(
        run_daily_if_due(&app.db, at, early)
            .await
            .unwrap()
            .is_none()
    );
    let run = run_daily_if_due(&app.db, at, december)
        .await
        .unwrap()
        .unwrap();
    // The rejected registration may still be decided again: that instructor is reminded too.
    assert_eq!((run.year, run.reminders, run.lists), (2026, 2, 0));
    assert!(
        run_daily_if_due(&app.db, at, december)
            .await
            .unwrap()
            .is_none(),
        "once a day"
    );
    let run = run_daily_if_due(&app.db, at, january)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((run.year, run.reminders, run.lists), (2026, 0, 1));
    assert!(
        run_daily_if_due(&app.db, at, march)
            .await
            .unwrap()
            .is_none()
    );

    let mails = smtp.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 3);
    let reminder = mails
        .iter()
        .find(|m| m.to == ["t73@example.cn"])
        .expect("a reminder to the unregistered instructor");
    assert!(reminder.subject().contains("2026"));
    assert!(reminder.text().contains("待注册"));
    let list = mails
        .iter()
        .find(|m| m.to == ["tianma@example.cn"])
        .expect("a list to the officer");
    let text = list.text();
    assert!(
        text.contains("待注册") && text.contains("已驳回") && !text.contains("已注册"),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 3, "nothing twice");
}
