//! The bureau runs its courses through the web UI: describes one (every field at fault named, a
//! planned or open start), changes it against the version it read (a stale form is 409 and keeps
//! what was typed), opens, closes, reopens and cancels it with a reason; records the whole class's
//! results in one table, all or nothing, and the hours reach each person's training; sees every
//! street's people and sign-in sheet. Street officers are refused these pages and forms.

mod common;

use chrono::TimeDelta;
use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Session, sign_in},
};
use fitreg::domain::time::today;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const STREET: &str = "450203001";
const OTHER_STREET: &str = "450203002";

async fn bureau(app: &TestApp) -> Session<'_> {
    sign_in(app, "admin", ADMIN_PASSWORD).await
}

async fn officer<'a>(app: &'a TestApp, street: &str) -> Session<'a> {
    let street_id = app.street_id(street).await;
    let user = app.user("street_officer", Some(street_id)).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

async fn person(app: &TestApp, name: &str, sequence: u16, street: &str) -> i64 {
    let street = app.street_id(street).await;
    app.person(name, "19800101", sequence, street).await["id"]
        .as_i64()
        .unwrap()
}

/// An open course of 8 hours starting `from_today` days from today, lasting two days.
async fn course(app: &TestApp, title: &str, from_today: i64) -> i64 {
    let starts = today() + TimeDelta::days(from_today);
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({"title": title, "kind": "continuing", "target_role": "fitness_volunteer",
                "organizer": "区文体新局", "location": "鱼峰区全民健身中心",
                "starts_on": starts.to_string(), "ends_on": (starts + TimeDelta::days(1)).to_string(),
                "hours": 8, "capacity": 30, "status": "open"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["id"].as_i64().unwrap()
}

async fn enrol(app: &TestApp, course: i64, person: i64) {
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/courses/{course}/enrollments"),
            json!({"person_id": person}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

async fn api_course(app: &TestApp, id: i64) -> Value {
    app.get_ok(&format!("/courses/{id}")).await
}

async fn seat_of(app: &TestApp, course: i64, person: i64) -> Value {
    let seats = app
        .get_ok(&format!("/courses/{course}/enrollments?per_page=200"))
        .await;
    seats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["person_id"].as_i64() == Some(person))
        .cloned()
        .unwrap_or_else(|| panic!("no seat of {person}: {seats}"))
}

async fn courses_total(app: &TestApp) -> i64 {
    app.get_ok("/courses?per_page=1").await["total"]
        .as_i64()
        .unwrap()
}

fn valid_course<'a>(csrf: &'a str, starts: &'a str, ends: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("title", "2027 年三级社会体育指导员培训班"),
        ("kind", "certification"),
        ("target_role", "social_sports_instructor"),
        ("target_grade", "third"),
        ("starts_on", starts),
        ("ends_on", ends),
        ("hours", "24"),
        ("capacity", "40"),
        ("location", "鱼峰区文体中心三楼"),
        ("organizer", "区文体新局"),
        ("description", "带身份证原件"),
        ("status", "planned"),
    ]
}

#[tokio::test]
async fn the_bureau_creates_edits_opens_closes_and_cancels_a_course() {
    let app = spawn_app().await;
    let office = bureau(&app).await;
    let list = office.get("/courses").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("href=\"/courses/new\""));

    let form = office.get("/courses/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let before = courses_total(&app).await;

    // Every field at fault is named, and nothing is written.
    let bad = office
        .post(
            "/courses/new",
            &[
                ("csrf_token", &csrf),
                ("title", "  "),
                ("kind", "certification"),
                ("target_role", "social_sports_instructor"),
                ("starts_on", "2027-03-10"),
                ("ends_on", "2027-03-01"),
                ("hours", "2.1"),
                ("capacity", "四十"),
                ("location", "文体中心"),
                ("organizer", "区文体新局"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("id=\"title-error\""), "title");
    assert!(bad.text.contains("id=\"capacity-error\""), "capacity");
    assert!(bad.text.contains("id=\"hours-error\""), "hours");
    assert!(bad.text.contains("文体中心"), "what was typed stays");
    let rules = office
        .post(
            "/courses/new",
            &valid_course(&csrf, "2027-03-10", "2027-03-01")
                .into_iter()
                .filter(|(k, _)| *k != "target_grade")
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(rules.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        rules.text.contains("结束日期不能早于开始日期"),
        "{}",
        rules.text
    );
    assert!(rules.text.contains("社会体育指导员的等级培训需要选择等级"));
    assert_eq!(courses_total(&app).await, before, "nothing was created");

    let created = office
        .post(
            "/courses/new",
            &valid_course(&csrf, "2027-03-01", "2027-03-03"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let to = created.location();
    let id: i64 = to
        .trim_start_matches("/courses/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let course = api_course(&app, id).await;
    assert_eq!(course["status"], "planned");
    assert_eq!(course["hours"], 24.0);
    assert_eq!(course["target_grade"], "third");
    let page = office.get(to).await;
    assert!(page.text.contains("培训已建立"));
    assert!(page.text.contains("data-testid=\"course-status\">筹备中"));
    assert!(page.text.contains("data-testid=\"course-open\""));
    assert!(
        !page.text.contains("data-testid=\"course-results\""),
        "not started"
    );

    // Open the enrolment.
    let version = course["version"].as_i64().unwrap().to_string();
    let opened = office
        .post(
            &format!("/courses/{id}/status"),
            &[
                ("csrf_token", &csrf),
                ("status", "open"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.text);
    assert_eq!(api_course(&app, id).await["status"], "open");
    let open_list = office.get("/courses").await;
    assert!(
        open_list
            .text
            .contains(&format!("data-testid=\"seats-left-{id}\">40<"))
    );

    // An edit against the version read; the same stale form again is 409 and keeps the typing.
    let edit = office.get(&format!("/courses/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.text.contains("value=\"鱼峰区文体中心三楼\""));
    let read_version = api_course(&app, id).await["version"]
        .as_i64()
        .unwrap()
        .to_string();
    let mut fields = valid_course(&csrf, "2027-03-01", "2027-03-04");
    fields.retain(|(k, _)| *k != "status");
    fields.push(("version", &read_version));
    fields.retain(|(k, _)| *k != "location");
    fields.push(("location", "柳州市体育中心"));
    let saved = office.post(&format!("/courses/{id}/edit"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let course = api_course(&app, id).await;
    assert_eq!(course["location"], "柳州市体育中心");
    assert_eq!(course["ends_on"], "2027-03-04");
    assert_eq!(course["status"], "open", "an edit keeps the status");
    fields.retain(|(k, _)| *k != "location");
    fields.push(("location", "别处"));
    let stale = office.post(&format!("/courses/{id}/edit"), &fields).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("data-testid=\"form-error\""));
    assert!(stale.text.contains("value=\"别处\""));
    assert_eq!(api_course(&app, id).await["location"], "柳州市体育中心");

    // Close, reopen, and cancel with a reason; a cancellation without one is refused.
    let step = |status: &'static str, reason: &'static str| {
        let office = &office;
        let csrf = csrf.clone();
        async move {
            let version = api_course(office.app, id).await["version"]
                .as_i64()
                .unwrap()
                .to_string();
            office
                .post(
                    &format!("/courses/{id}/status"),
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("status", status),
                        ("version", &version),
                        ("reason", reason),
                    ],
                )
                .await
        }
    };
    assert_eq!(step("closed", "").await.status, StatusCode::SEE_OTHER);
    assert_eq!(api_course(&app, id).await["status"], "closed");
    let closed = office.get(&format!("/courses/{id}")).await;
    assert!(closed.text.contains("重新开放报名"));
    assert_eq!(step("open", "").await.status, StatusCode::SEE_OTHER);
    let no_reason = step("cancelled", "  ").await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("取消培训时请填写原因"));
    assert_eq!(api_course(&app, id).await["status"], "open");
    assert_eq!(
        step("cancelled", "场馆检修，改期另行通知").await.status,
        StatusCode::SEE_OTHER
    );
    let cancelled = office.get(&format!("/courses/{id}")).await;
    assert!(cancelled.text.contains("场馆检修，改期另行通知"));
    assert!(
        cancelled
            .text
            .contains("data-testid=\"course-status\">已取消")
    );
    assert!(!cancelled.text.contains("data-testid=\"course-edit\""));
    assert!(!cancelled.text.contains("data-testid=\"course-cancel\""));
    let again = step("open", "").await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "a cancelled course stays so"
    );
    assert!(again.text.contains("这期培训现在的状态不能这样变更"));
    // A stale status form is refused too.
    let stale_status = office
        .post(
            &format!("/courses/{id}/status"),
            &[
                ("csrf_token", csrf.as_str()),
                ("status", "open"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(stale_status.status, StatusCode::CONFLICT);
    let missing = office.get("/courses/999999/edit").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_bureau_records_a_whole_class_in_one_table_all_or_nothing() {
    let app = spawn_app().await;
    let id = course(&app, "全民健身志愿者继续教育", -1).await;
    let (a, b, c) = (
        person(&app, "覃一", 21, STREET).await,
        person(&app, "覃二", 23, STREET).await,
        person(&app, "蓝三", 25, OTHER_STREET).await,
    );
    let quitter = person(&app, "蓝四", 27, OTHER_STREET).await;
    for p in [a, b, c, quitter] {
        enrol(&app, id, p).await;
    }
    let reply = app
        .send_json(
            &app.admin_token,
            Method::DELETE,
            &format!("/courses/{id}/enrollments/{quitter}"),
            json!({}),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);

    let office = bureau(&app).await;
    let detail = office.get(&format!("/courses/{id}")).await;
    assert!(detail.text.contains("data-testid=\"course-results\""));
    assert!(detail.text.contains("蓝三"), "the bureau sees every street");
    let page = office.get(&format!("/courses/{id}/results")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for p in [a, b, c] {
        assert!(
            page.text.contains(&format!("data-testid=\"status-{p}\"")),
            "{p}"
        );
    }
    assert!(
        !page
            .text
            .contains(&format!("data-testid=\"status-{quitter}\"")),
        "a withdrawn seat gets no result"
    );
    let csrf = page.csrf();
    let (a_s, b_s, c_s) = (a.to_string(), b.to_string(), c.to_string());
    let (a_status, b_status, c_status) = (
        format!("status_{a}"),
        format!("status_{b}"),
        format!("status_{c}"),
    );
    let (a_hours, b_hours, c_hours) = (
        format!("hours_{a}"),
        format!("hours_{b}"),
        format!("hours_{c}"),
    );
    let (b_score, c_score) = (format!("score_{b}"), format!("score_{c}"));
    let path = format!("/courses/{id}/results");

    // One row at fault (absent with hours) and one over the course's hours: nothing is written.
    let refused = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("person_id", &a_s),
                (&a_status, "completed"),
                (&a_hours, ""),
                ("person_id", &b_s),
                (&b_status, "absent"),
                (&b_hours, "2"),
                ("person_id", &c_s),
                (&c_status, "failed"),
                (&c_hours, "9"),
                (&c_score, "41.5"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("有 2 人的结果填写有误"),
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains(&format!("data-testid=\"hours-error-{b}\""))
    );
    assert!(refused.text.contains("缺席不计学时"));
    assert!(refused.text.contains("认定学时不能超过培训学时"));
    assert!(refused.text.contains("value=\"41.5\""), "the typing stays");
    for p in [a, b, c] {
        assert_eq!(seat_of(&app, id, p).await["result"], Value::Null, "{p}");
    }

    // A score without a result, and a form with nothing chosen, are refused too.
    let no_status = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("person_id", &b_s),
                (&b_status, ""),
                (&b_score, "80"),
            ],
        )
        .await;
    assert_eq!(no_status.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_status.text.contains("请选择结果"));
    let nothing = office
        .post(&path, &[("csrf_token", csrf.as_str()), ("person_id", &a_s)])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.text.contains("请至少为一人选择培训结果"));

    // The corrected table: A passes with the course's hours, B is absent, C is marked by "the
    // rest passed".
    let saved = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("person_id", &a_s),
                (&a_status, "completed"),
                (&a_hours, ""),
                ("person_id", &b_s),
                (&b_status, "absent"),
                (&b_hours, ""),
                (&b_score, ""),
                ("person_id", &c_s),
                (&c_status, ""),
                (&c_hours, "6.5"),
                (&c_score, "88"),
                ("rest", "completed"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let done = office.get(saved.location()).await;
    assert!(done.text.contains("已保存 3 人的培训结果"), "{}", done.text);
    let seat_a = seat_of(&app, id, a).await;
    assert_eq!(seat_a["result"], "completed");
    assert_eq!(seat_a["credited_hours"], 8.0);
    let seat_b = seat_of(&app, id, b).await;
    assert_eq!(seat_b["result"], "absent");
    assert_eq!(seat_b["credited_hours"], 0.0);
    let seat_c = seat_of(&app, id, c).await;
    assert_eq!(seat_c["result"], "completed");
    assert_eq!(seat_c["credited_hours"], 6.5);
    assert_eq!(seat_c["score"], 88.0);
    let training = app.get_ok(&format!("/people/{a}/training")).await;
    assert_eq!(training["total_hours"], 8.0, "{training}");
    let training = app.get_ok(&format!("/people/{c}/training")).await;
    assert_eq!(training["total_hours"], 6.5, "{training}");

    // The page shows what is recorded; saving it unchanged writes no new version.
    let page = office.get(&path).await;
    assert!(page.text.contains("value=\"6.5\""));
    assert!(page.text.contains("已记录"));
    let version = seat_of(&app, id, a).await["version"].clone();
    let again = office
        .post(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("person_id", &a_s),
                (&a_status, "completed"),
                (&a_hours, "8"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(seat_of(&app, id, a).await["version"], version);

    // The whole class's sign-in sheet, every street.
    let sheet = office
        .client
        .get(format!(
            "{}/courses/{id}/sign-in-sheet?format=csv",
            app.base
        ))
        .header("cookie", &office.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(sheet.status(), StatusCode::OK);
    let text = sheet.text().await.unwrap();
    assert!(text.contains("覃一") && text.contains("蓝三"), "{text}");
}

#[tokio::test]
async fn results_wait_for_the_course_to_start() {
    let app = spawn_app().await;
    let id = course(&app, "下月志愿者培训", 20).await;
    let a = person(&app, "韦五", 31, STREET).await;
    enrol(&app, id, a).await;
    let office = bureau(&app).await;
    let page = office.get(&format!("/courses/{id}/results")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("data-testid=\"results-closed\""));
    assert!(!page.text.contains("data-testid=\"results-form\""));
    let a_s = a.to_string();
    let status = format!("status_{a}");
    let refused = office
        .post(
            &format!("/courses/{id}/results"),
            &[
                ("csrf_token", page.csrf().as_str()),
                ("person_id", &a_s),
                (&status, "completed"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("培训开始后才能记录结果"));
    assert_eq!(seat_of(&app, id, a).await["result"], Value::Null);
}

#[tokio::test]
async fn street_officers_are_refused_the_bureaus_course_pages_and_forms() {
    let app = spawn_app().await;
    let id = course(&app, "志愿者培训", -1).await;
    let a = person(&app, "黄六", 33, STREET).await;
    enrol(&app, id, a).await;
    let office = officer(&app, STREET).await;
    let list = office.get("/courses").await;
    assert!(!list.text.contains("href=\"/courses/new\""));
    let detail = office.get(&format!("/courses/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.text.contains("data-testid=\"course-admin\""));
    for path in [
        "/courses/new".to_owned(),
        format!("/courses/{id}/edit"),
        format!("/courses/{id}/results"),
    ] {
        assert_eq!(
            office.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let csrf = detail.csrf();
    let a_s = a.to_string();
    let status = format!("status_{a}");
    let version = api_course(&app, id).await["version"].to_string();
    let before = api_course(&app, id).await;
    for path in [
        "/courses/new".to_owned(),
        format!("/courses/{id}/edit"),
        format!("/courses/{id}/status"),
        format!("/courses/{id}/results"),
    ] {
        let page = office
            .post(
                &path,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("status", "cancelled"),
                    ("reason", "试试"),
                    ("version", &version),
                    ("title", "改名"),
                    ("person_id", &a_s),
                    (&status, "completed"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.text);
    }
    assert_eq!(api_course(&app, id).await, before);
    assert_eq!(seat_of(&app, id, a).await["result"], Value::Null);
}

#[tokio::test]
async fn integrators_record_a_class_through_the_api_all_or_nothing() {
    let app = spawn_app().await;
    let id = course(&app, "志愿者继续教育（接口）", -1).await;
    let (a, b) = (
        person(&app, "莫一", 41, STREET).await,
        person(&app, "莫二", 43, OTHER_STREET).await,
    );
    let stranger = person(&app, "莫三", 45, STREET).await;
    for p in [a, b] {
        enrol(&app, id, p).await;
    }
    let path = format!("/courses/{id}/results");
    let refused = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"results": [
                {"person_id": a, "status": "completed"},
                {"person_id": b, "status": "absent", "credited_hours": 3},
                {"person_id": stranger, "status": "completed"},
            ]}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let fields: Vec<&str> = refused.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&format!("results[{b}].credited_hours").as_str()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&format!("results[{stranger}].person_id").as_str()),
        "{fields:?}"
    );
    assert_eq!(
        seat_of(&app, id, a).await["result"],
        Value::Null,
        "nothing written"
    );

    let empty = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"results": []}),
        )
        .await;
    assert!(empty.status.is_client_error(), "{}", empty.text);

    let saved = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"results": [
                {"person_id": a, "status": "completed"},
                {"person_id": b, "status": "failed", "credited_hours": 2.5, "score": 40},
            ]}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.json["items"].as_array().unwrap().len(), 2);
    assert_eq!(seat_of(&app, id, a).await["credited_hours"], 8.0);
    assert_eq!(seat_of(&app, id, b).await["score"], 40.0);
    let twice = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"results": [
                {"person_id": a, "status": "completed"},
                {"person_id": a, "status": "failed"},
            ]}),
        )
        .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.text
    );
    assert_eq!(seat_of(&app, id, a).await["result"], "completed");
}
