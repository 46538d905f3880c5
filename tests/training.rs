//! Training: courses and their life cycle, enrolment (capacity under concurrency included),
//! results, training records, sign-in sheets, mails, and scope per role.

mod common;

use std::time::Duration;

use common::{TestApp, User, smtp::SmtpServer, spawn_app, spawn_app_with_smtp};
use reqwest::Method;
use serde_json::{Value, json};

fn course_body(title: &str, starts_on: &str, ends_on: &str, hours: f64, capacity: i64) -> Value {
    json!({
        "title": title,
        "kind": "certification",
        "target_role": "social_sports_instructor",
        "target_grade": "third",
        "organizer": "区文体新局",
        "location": "鱼峰区全民健身中心",
        "starts_on": starts_on,
        "ends_on": ends_on,
        "hours": hours,
        "capacity": capacity,
        "status": "open",
    })
}

async fn create_course(app: &TestApp, body: Value) -> Value {
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/courses", body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

/// A course that started in the past, open for enrolment.
async fn past_course(app: &TestApp, hours: f64) -> i64 {
    create_course(
        app,
        course_body(
            "三级社会体育指导员培训班",
            "2025-03-01",
            "2025-03-05",
            hours,
            30,
        ),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn enroll(app: &TestApp, token: &str, course: i64, person: i64) -> common::Reply {
    app.send_json(
        token,
        Method::POST,
        &format!("/courses/{course}/enrollments"),
        json!({"person_id": person}),
    )
    .await
}

async fn result(
    app: &TestApp,
    token: &str,
    course: i64,
    person: i64,
    body: Value,
) -> common::Reply {
    app.send_json(
        token,
        Method::POST,
        &format!("/courses/{course}/enrollments/{person}/result"),
        body,
    )
    .await
}

struct World {
    tianma: i64,
    jiahe: i64,
    officer: User,
    other_officer: User,
    person: i64,
    far_person: i64,
}

async fn world(app: &TestApp) -> World {
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    World {
        tianma,
        jiahe,
        officer: app.user("street_officer", Some(tianma)).await,
        other_officer: app.user("street_officer", Some(jiahe)).await,
        person: app.person("学员甲", "19850101", 11, tianma).await["id"]
            .as_i64()
            .unwrap(),
        far_person: app.person("学员乙", "19850102", 13, jiahe).await["id"]
            .as_i64()
            .unwrap(),
    }
}

#[tokio::test]
async fn the_bureau_creates_courses_and_every_role_browses_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let created = create_course(
        &app,
        course_body("三级培训班", "2026-12-10", "2026-12-12", 30.0, 40),
    )
    .await;
    assert_eq!(created["status"], "open");
    assert_eq!(created["hours"], 30.0);
    assert_eq!(created["enrolled"], 0);
    assert_eq!(created["seats_left"], 40);
    assert_eq!(created["version"], 1);

    let officer = app
        .send_json(
            &w.officer.token,
            Method::POST,
            "/courses",
            course_body("街道自办班", "2026-12-10", "2026-12-12", 8.0, 10),
        )
        .await;
    officer.assert_problem(403);

    let member = app.member(w.person as i32, Some(w.tianma)).await;
    let auditor = app.user("auditor", None).await;
    for token in [&member.token, &auditor.token, &w.other_officer.token] {
        let list = app.get_as(token, "/courses?status=open").await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert_eq!(list.json["total"], 1);
        let one = app
            .get_as(token, &format!("/courses/{}", created["id"]))
            .await;
        assert_eq!(one.json["title"], "三级培训班");
    }
    let none = app.get_ok("/courses?kind=continuing").await;
    assert_eq!(none["total"], 0);
    let found = app.get_ok("/courses?q=三级&from=2026-12-12").await;
    assert_eq!(found["total"], 1);
    assert_eq!(app.get_ok("/courses?q=%25").await["total"], 0);
    let before = app.get_ok("/courses?to=2026-12-09").await;
    assert_eq!(before["total"], 0);
    app.get("/courses/999999").await.assert_problem(404);
}

#[tokio::test]
async fn course_rules_name_each_field_at_fault() {
    let app = spawn_app().await;
    let mut body = course_body("", "2026-12-10", "2026-12-09", 1.1, 0);
    body["status"] = json!("closed");
    body["target_role"] = json!("social_sports_instructor");
    body["target_grade"] = Value::Null;
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/courses", body)
        .await;
    reply.assert_problem(422);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "capacity",
            "ends_on",
            "hours",
            "status",
            "target_grade",
            "title"
        ]
    );

    let mut volunteers = course_body("志愿者培训", "2026-12-10", "2026-12-10", 4.0, 10);
    volunteers["target_role"] = json!("fitness_volunteer");
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/courses", volunteers)
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["target_grade"]);

    let mut bad_kind = course_body("x", "2026-12-10", "2026-12-10", 4.0, 10);
    bad_kind["kind"] = json!("seminar");
    app.send_json(&app.admin_token, Method::POST, "/courses", bad_kind)
        .await
        .assert_problem(400);
    assert_eq!(app.get_ok("/courses").await["total"], 0);
}

#[tokio::test]
async fn a_course_moves_through_its_life_cycle_with_its_version() {
    let app = spawn_app().await;
    let mut body = course_body("继续教育", "2026-12-20", "2026-12-21", 8.0, 20);
    body["status"] = json!("planned");
    body["kind"] = json!("continuing");
    let course = create_course(&app, body).await;
    let path = format!("/courses/{}", course["id"]);
    let patch = |body: Value| app.send_json(&app.admin_token, Method::PATCH, &path, body);

    patch(json!({"status": "closed"})).await.assert_problem(409);
    let opened = patch(json!({"status": "open", "version": 1})).await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    assert_eq!(opened.json["version"], 2);
    patch(json!({"location": "新址", "version": 1}))
        .await
        .assert_problem(409);
    let stale = app
        .send(
            app.request(Method::PATCH, &path)
                .header("If-Match", "\"1\"")
                .json(&json!({"capacity": 30})),
        )
        .await;
    stale.assert_problem(409);
    patch(json!({"cancel_reason": "场地维修"}))
        .await
        .assert_problem(422);
    let closed = patch(json!({"status": "closed"})).await;
    assert_eq!(closed.json["status"], "closed");
    let cancelled = patch(json!({"status": "cancelled", "cancel_reason": "场地维修"})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json["cancel_reason"], "场地维修");
    patch(json!({"status": "open"})).await.assert_problem(409);

    let officer = app.user("street_officer", Some(1)).await;
    app.send_json(&officer.token, Method::PATCH, &path, json!({"title": "x"}))
        .await
        .assert_problem(403);
    let audit = app.get_ok("/audit-log?entity=course&action=cancel").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "cancel"),
        "{audit}"
    );
}

#[tokio::test]
async fn people_enrol_once_only_while_the_course_is_open_and_withdrawal_frees_the_seat() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut body = course_body("三级培训班", "2026-12-10", "2026-12-12", 30.0, 1);
    body["status"] = json!("planned");
    let course = create_course(&app, body).await["id"].as_i64().unwrap();

    enroll(&app, &app.admin_token, course, w.person)
        .await
        .assert_problem(409);
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/courses/{course}"),
        json!({"status": "open"}),
    )
    .await;

    let first = enroll(&app, &w.officer.token, course, w.person).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json["status"], "enrolled");
    assert_eq!(first.json["person_name"], "学员甲");
    let again = enroll(&app, &app.admin_token, course, w.person).await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), ["person_id"]);
    let full = enroll(&app, &app.admin_token, course, w.far_person).await;
    full.assert_problem(409);
    assert!(full.json["detail"].as_str().unwrap().contains("full"));

    let withdrawn = app
        .send(app.request(
            Method::DELETE,
            &format!("/courses/{course}/enrollments/{}", w.person),
        ))
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(withdrawn.json["status"], "withdrawn");
    let seats = app.get_ok(&format!("/courses/{course}")).await;
    assert_eq!(seats["enrolled"], 0);
    assert_eq!(seats["seats_left"], 1);
    app.send(app.request(
        Method::DELETE,
        &format!("/courses/{course}/enrollments/{}", w.person),
    ))
    .await
    .assert_problem(409);

    let taken = enroll(&app, &app.admin_token, course, w.far_person).await;
    assert_eq!(taken.status, 201, "{}", taken.text);
    enroll(&app, &app.admin_token, course, w.person)
        .await
        .assert_problem(409);

    let unknown = enroll(&app, &app.admin_token, course, 999_999).await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["person_id"]);
    enroll(&app, &app.admin_token, 999_999, w.person)
        .await
        .assert_problem(404);

    let retired = app.person("学员丙", "19850103", 15, w.tianma).await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/people/{}", retired["id"]),
        json!({"status": "retired"}),
    )
    .await;
    let open = create_course(
        &app,
        course_body("二期", "2026-12-20", "2026-12-21", 8.0, 5),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let inactive = enroll(
        &app,
        &app.admin_token,
        open,
        retired["id"].as_i64().unwrap(),
    )
    .await;
    inactive.assert_problem(422);
    assert_eq!(inactive.error_fields(), ["person_id"]);
}

#[tokio::test]
async fn capacity_is_never_exceeded_under_concurrent_enrolments() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let mut people = Vec::new();
    for i in 0..12u16 {
        let person = app
            .person(&format!("抢位{i}"), "19900101", 101 + i, tianma)
            .await;
        people.push(person["id"].as_i64().unwrap());
    }
    let course = create_course(
        &app,
        course_body("热门班", "2026-12-10", "2026-12-12", 30.0, 5),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/courses/{course}/enrollments");
    let replies = futures_util::future::join_all(people.iter().map(|id| {
        let request = app
            .request(Method::POST, &path)
            .json(&json!({"person_id": id}));
        app.send(request)
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status != 201).collect();
    assert_eq!(created, 5, "{replies:?}");
    for reply in &refused {
        reply.assert_problem(409);
    }
    assert_eq!(refused.len(), 7);
    let seats = app.get_ok(&format!("/courses/{course}")).await;
    assert_eq!(seats["enrolled"], 5);
    assert_eq!(seats["seats_left"], 0);
    let listed = app.get_ok(&format!("{path}?status=enrolled")).await;
    assert_eq!(listed["total"], 5);
}

#[tokio::test]
async fn officers_enrol_only_their_own_people_and_members_and_auditors_enrol_nobody() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let course = past_course(&app, 30.0).await;
    let member = app.member(w.person as i32, Some(w.tianma)).await;
    let auditor = app.user("auditor", None).await;

    enroll(&app, &w.other_officer.token, course, w.person)
        .await
        .assert_problem(404);
    enroll(&app, &member.token, course, w.person)
        .await
        .assert_problem(403);
    enroll(&app, &auditor.token, course, w.person)
        .await
        .assert_problem(403);
    assert_eq!(
        app.get_ok(&format!("/courses/{course}")).await["enrolled"],
        0
    );
    let own = enroll(&app, &w.officer.token, course, w.person).await;
    assert_eq!(own.status, 201, "{}", own.text);
    let far = enroll(&app, &w.other_officer.token, course, w.far_person).await;
    assert_eq!(far.status, 201, "{}", far.text);

    // Each officer withdraws only their own people.
    app.send(app.as_user(
        &w.other_officer.token,
        Method::DELETE,
        &format!("/courses/{course}/enrollments/{}", w.person),
    ))
    .await
    .assert_problem(404);
    app.send(app.as_user(
        &member.token,
        Method::DELETE,
        &format!("/courses/{course}/enrollments/{}", w.person),
    ))
    .await
    .assert_problem(403);

    // The list shows each caller their own part.
    let path = format!("/courses/{course}/enrollments");
    let everyone = app.get_ok(&path).await;
    assert_eq!(everyone["total"], 2);
    for (token, person) in [
        (&w.officer.token, w.person),
        (&w.other_officer.token, w.far_person),
        (&member.token, w.person),
    ] {
        let mine = app.get_as(token, &path).await;
        assert_eq!(mine.status, 200, "{}", mine.text);
        assert_eq!(mine.json["total"], 1);
        assert_eq!(mine.json["items"][0]["person_id"], person);
    }
    assert_eq!(app.get_as(&auditor.token, &path).await.json["total"], 2);
    assert_eq!(
        app.get_as(
            &w.officer.token,
            &format!("/courses/{course}/enrollments/{}", w.jiahe)
        )
        .await
        .status,
        405
    );
}

#[tokio::test]
async fn results_come_after_the_start_and_never_credit_more_than_the_course_hours() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let future = create_course(
        &app,
        course_body("未来班", "2099-01-01", "2099-01-03", 30.0, 10),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    enroll(&app, &app.admin_token, future, w.person).await;
    let early = result(
        &app,
        &app.admin_token,
        future,
        w.person,
        json!({"status": "completed"}),
    )
    .await;
    early.assert_problem(422);
    assert_eq!(early.error_fields(), ["status"]);

    let course = past_course(&app, 30.0).await;
    enroll(&app, &app.admin_token, course, w.person).await;
    enroll(&app, &app.admin_token, course, w.far_person).await;
    for (body, field) in [
        (
            json!({"status": "completed", "credited_hours": 30.25}),
            "credited_hours",
        ),
        (
            json!({"status": "completed", "credited_hours": 10.1}),
            "credited_hours",
        ),
        (
            json!({"status": "completed", "credited_hours": -1}),
            "credited_hours",
        ),
        (
            json!({"status": "absent", "credited_hours": 2}),
            "credited_hours",
        ),
        (json!({"status": "completed", "score": 101}), "score"),
    ] {
        let reply = result(&app, &app.admin_token, course, w.person, body).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field]);
    }
    result(
        &app,
        &w.officer.token,
        course,
        w.person,
        json!({"status": "completed"}),
    )
    .await
    .assert_problem(403);
    result(
        &app,
        &app.admin_token,
        course,
        999_999,
        json!({"status": "completed"}),
    )
    .await
    .assert_problem(404);

    let done = result(
        &app,
        &app.admin_token,
        course,
        w.person,
        json!({"status": "completed", "score": 92.5}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["result"], "completed");
    assert_eq!(done.json["credited_hours"], 30.0);
    assert_eq!(done.json["score"], 92.5);
    let exact = result(
        &app,
        &app.admin_token,
        course,
        w.far_person,
        json!({"status": "failed", "credited_hours": 29.75}),
    )
    .await;
    assert_eq!(exact.json["credited_hours"], 29.75);

    // What the results hold the course to.
    let path = format!("/courses/{course}");
    let patch = |body: Value| app.send_json(&app.admin_token, Method::PATCH, &path, body);
    let fewer = patch(json!({"hours": 20})).await;
    fewer.assert_problem(409);
    assert_eq!(fewer.error_fields(), ["hours"]);
    patch(json!({"target_grade": "second"}))
        .await
        .assert_problem(409);
    patch(json!({"status": "cancelled"}))
        .await
        .assert_problem(409);
    let later = patch(json!({"starts_on": "2099-01-01", "ends_on": "2099-01-02"})).await;
    later.assert_problem(409);
    assert_eq!(later.error_fields(), ["starts_on"]);
    let more = patch(json!({"hours": 32})).await;
    assert_eq!(more.status, 200, "{}", more.text);
    let seats = patch(json!({"capacity": 1})).await;
    seats.assert_problem(409);
    assert_eq!(seats.error_fields(), ["capacity"]);

    // A result ends withdrawal; a withdrawn person gets no result.
    app.send(app.request(
        Method::DELETE,
        &format!("/courses/{course}/enrollments/{}", w.person),
    ))
    .await
    .assert_problem(409);
    let third = app.person("学员丁", "19850104", 17, w.tianma).await["id"]
        .as_i64()
        .unwrap();
    enroll(&app, &app.admin_token, course, third).await;
    app.send(app.request(
        Method::DELETE,
        &format!("/courses/{course}/enrollments/{third}"),
    ))
    .await;
    result(
        &app,
        &app.admin_token,
        course,
        third,
        json!({"status": "completed"}),
    )
    .await
    .assert_problem(409);
}

#[tokio::test]
async fn a_training_record_totals_credited_hours_by_year_for_the_person_and_their_office() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let spring = past_course(&app, 30.0).await;
    let mut body = course_body("继续教育", "2025-12-30", "2026-01-02", 8.0, 10);
    body["kind"] = json!("continuing");
    let winter = create_course(&app, body).await["id"].as_i64().unwrap();
    let withdrawn = past_course(&app, 12.0).await;
    for course in [spring, winter, withdrawn] {
        enroll(&app, &w.officer.token, course, w.person).await;
    }
    app.send(app.request(
        Method::DELETE,
        &format!("/courses/{withdrawn}/enrollments/{}", w.person),
    ))
    .await;
    result(
        &app,
        &app.admin_token,
        spring,
        w.person,
        json!({"status": "completed", "credited_hours": 29.75}),
    )
    .await;
    result(
        &app,
        &app.admin_token,
        winter,
        w.person,
        json!({"status": "completed"}),
    )
    .await;

    let path = format!("/people/{}/training", w.person);
    let record = app.get_ok(&path).await;
    assert_eq!(record["total_hours"], 37.75);
    assert_eq!(record["by_year"], json!({"2025": 29.75, "2026": 8.0}));
    let items = record["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["course_id"], winter);
    assert_eq!(items[1]["credited_hours"], 29.75);
    assert_eq!(items[1]["course_hours"], 30.0);

    let member = app.member(w.person as i32, Some(w.tianma)).await;
    assert_eq!(app.get_as(&member.token, &path).await.json, record);
    let export = app
        .get_as(&member.token, &format!("/people/{}/data-export", w.person))
        .await;
    assert_eq!(export.json["training"].as_array().unwrap().len(), 3);
    assert_eq!(app.get_as(&w.officer.token, &path).await.status, 200);
    let auditor = app.user("auditor", None).await;
    assert_eq!(app.get_as(&auditor.token, &path).await.status, 200);
    app.get_as(&w.other_officer.token, &path)
        .await
        .assert_problem(404);
    app.get_as(&member.token, &format!("/people/{}/training", w.far_person))
        .await
        .assert_problem(404);

    let empty = app
        .get_ok(&format!("/people/{}/training", w.far_person))
        .await;
    assert_eq!(empty["total_hours"], 0.0);
    assert_eq!(empty["by_year"], json!({}));
}

#[tokio::test]
async fn the_sign_in_sheet_lists_the_seats_in_scope_with_masked_id_numbers() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let course = past_course(&app, 30.0).await;
    enroll(&app, &app.admin_token, course, w.person).await;
    enroll(&app, &app.admin_token, course, w.far_person).await;
    result(
        &app,
        &app.admin_token,
        course,
        w.person,
        json!({"status": "completed", "score": 88}),
    )
    .await;

    let path = format!("/courses/{course}/enrollments?format=csv");
    let sheet = app.get(&path).await;
    assert_eq!(sheet.status, 200, "{}", sheet.text);
    assert!(sheet.content_type().starts_with("text/csv"));
    assert!(
        sheet.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("course-{course}-sign-in.csv"))
    );
    let text = sheet.text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("序号,姓名,性别,身份证号码"));
    assert!(lines[0].ends_with("签名"));
    assert!(text.contains("学员甲") && text.contains("学员乙"));
    assert!(text.contains("结业,30,88"), "{text}");
    assert!(text.contains("450203********"), "{text}");
    assert!(!text.contains(&common::id_number("450203", "19850101", 11)));

    let own = app.get_as(&w.officer.token, &path).await;
    assert!(own.text.contains("学员甲") && !own.text.contains("学员乙"));
    let xlsx = app
        .get(&format!("/courses/{course}/enrollments?format=xlsx"))
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.content_type().contains("spreadsheetml"));
    app.get("/courses/999999/enrollments?format=csv")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn enrolment_and_cancellation_mails_reach_the_people() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let tianma = app.street_id("450203001").await;
    let mut body = common::person_body("邮件学员", "19880808", 21, tianma);
    body["email"] = json!("trainee@example.cn");
    let person = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    let quiet = app.person("无邮箱", "19880809", 23, tianma).await["id"]
        .as_i64()
        .unwrap();
    let course = create_course(
        &app,
        course_body("冬季培训班", "2026-12-15", "2026-12-17", 30.0, 10),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        enroll(&app, &app.admin_token, course, person).await.status,
        201
    );
    assert_eq!(
        enroll(&app, &app.admin_token, course, quiet).await.status,
        201
    );
    let cancelled = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/courses/{course}"),
            json!({"status": "cancelled", "cancel_reason": "寒潮预警"}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);

    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.to == ["trainee@example.cn"]));
    let confirmation = mails
        .iter()
        .find(|m| m.subject().contains("报名确认"))
        .expect("confirmation");
    let text = confirmation.text();
    assert!(
        text.contains("冬季培训班") && text.contains("2026-12-15") && text.contains("30 学时"),
        "{text}"
    );
    let cancellation = mails
        .iter()
        .find(|m| m.subject().contains("取消"))
        .expect("cancellation");
    assert!(cancellation.text().contains("寒潮预警"));
    let outbox = app.get_ok("/outbox?kind=course_cancelled").await;
    assert_eq!(outbox["total"], 1);
}
