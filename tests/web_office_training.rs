//! The street office's training pages and a person's member account, through HTTP as a browser
//! speaks it: the courses with their seats left, several people enrolled at once until the course
//! is full, a withdrawal, the street's sign-in sheet; another street's officer and the auditors
//! kept out of what they may not change; a member account invited from the person's page,
//! activated from the mail, and invited again only while it waits.

mod common;

use std::time::Duration;

use common::{
    TestApp, USER_PASSWORD, person_body,
    smtp::SmtpServer,
    spawn_app, spawn_app_with_smtp,
    web::{Session, browser, read, sign_in},
};
use reqwest::{Method, StatusCode};
use serde_json::json;

const STREET: &str = "450203001";
const OTHER_STREET: &str = "450203002";
const WAIT: Duration = Duration::from_secs(20);

async fn officer<'a>(app: &'a TestApp, street: &str) -> Session<'a> {
    let street_id = app.street_id(street).await;
    let user = app.user("street_officer", Some(street_id)).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

/// A course created by the bureau, starting in ten days; returns its id.
async fn course(app: &TestApp, title: &str, capacity: i64, status: &str) -> i64 {
    let starts = fitreg::domain::time::today() + chrono::TimeDelta::days(10);
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({"title": title, "kind": "continuing", "target_role": "fitness_volunteer",
                "organizer": "区文体新局", "location": "鱼峰区全民健身中心",
                "starts_on": starts.to_string(), "ends_on": (starts + chrono::TimeDelta::days(1)).to_string(),
                "hours": 8, "capacity": capacity, "status": status}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["id"].as_i64().unwrap()
}

async fn person(app: &TestApp, name: &str, sequence: u16, street: &str) -> i64 {
    let street = app.street_id(street).await;
    app.person(name, "19700101", sequence, street).await["id"]
        .as_i64()
        .unwrap()
}

async fn seats(app: &TestApp, course: i64) -> serde_json::Value {
    app.get_ok(&format!("/courses/{course}/enrollments?status=enrolled"))
        .await
}

async fn audit_total(app: &TestApp) -> serde_json::Value {
    app.get_ok("/audit-log?per_page=1").await["total"].clone()
}

async fn file(office: &Session<'_>, path: &str) -> (StatusCode, Vec<u8>) {
    let reply = office
        .client
        .get(format!("{}{path}", office.app.base))
        .header("cookie", &office.cookie)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_officer_enrols_several_people_at_once_until_the_course_is_full_and_withdraws_one() {
    let app = spawn_app().await;
    let id = course(&app, "全民健身志愿者继续教育", 2, "open").await;
    let planned = course(&app, "下半年志愿者培训", 30, "planned").await;
    let (a, b, c) = (
        person(&app, "黄一", 11, STREET).await,
        person(&app, "黄二", 13, STREET).await,
        person(&app, "黄三", 15, STREET).await,
    );
    let theirs = person(&app, "韦外", 17, OTHER_STREET).await;
    let office = officer(&app, STREET).await;

    let list = office.get("/courses").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text
            .contains("<a href=\"/courses\" aria-current=\"page\">培训</a>")
    );
    assert!(
        list.text
            .contains(&format!("data-testid=\"seats-left-{id}\">2<"))
    );
    let coming = &list.text[list.text.find("data-testid=\"coming-courses\"").unwrap()..];
    assert!(coming.contains(&format!("href=\"/courses/{planned}\"")));
    assert!(coming.contains("筹备中"));

    let page = office.get(&format!("/courses/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for p in [a, b, c] {
        assert!(
            page.text.contains(&format!("data-testid=\"pick-{p}\"")),
            "{p}"
        );
    }
    assert!(
        !page.text.contains(&format!("pick-{theirs}")),
        "only the street's people"
    );
    let csrf = page.csrf();
    let path = format!("/courses/{id}/enrollments");
    let none = office.post(&path, &[("csrf_token", &csrf)]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text.contains("请先勾选要报名的人员"));

    let (a_text, b_text, c_text) = (a.to_string(), b.to_string(), c.to_string());
    let two = office
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("person_id", &a_text),
                ("person_id", &b_text),
            ],
        )
        .await;
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
    let page = office.get(two.location()).await;
    assert!(page.text.contains("已为 2 人报名"), "{}", page.text);
    assert!(
        page.text
            .contains("data-testid=\"seats-left\"><span class=\"attention\">已满")
    );
    assert!(page.text.contains("data-testid=\"enrol-full\""));
    assert_eq!(seats(&app, id).await["total"], 2);

    // A third, from a page opened before the course filled: refused and named.
    let full = office
        .post(&path, &[("csrf_token", &csrf), ("person_id", &c_text)])
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(
        full.text.contains("黄三：这期培训名额已满"),
        "{}",
        full.text
    );
    assert_eq!(seats(&app, id).await["total"], 2);
    let list = office.get("/courses").await;
    assert!(list.text.contains(&format!(
        "data-testid=\"seats-left-{id}\"><span class=\"attention\">已满"
    )));

    let withdraw = format!("/courses/{id}/enrollments/{a}/withdraw");
    let page = office.get(&format!("/courses/{id}")).await;
    assert!(page.text.contains(&format!("action=\"{withdraw}\"")));
    assert!(page.text.contains("确定让黄一退出这期培训吗"));
    let out = office.post(&withdraw, &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    let page = office.get(out.location()).await;
    assert!(page.text.contains("已退出这期培训"));
    assert!(page.text.contains("data-testid=\"seats-left\">1<"));
    let again = office.post(&withdraw, &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.text.contains("黄一：此人已退出这期培训"),
        "{}",
        again.text
    );

    // The bureau seats someone of another street; the sheet lists the street's people only.
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &path,
            json!({"person_id": theirs}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let (status, xlsx) = file(&office, &format!("/courses/{id}/sign-in-sheet?format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
    let (status, csv) = file(&office, &format!("/courses/{id}/sign-in-sheet?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("黄二"), "{csv}");
    assert!(!csv.contains("黄一"), "withdrawn: no seat");
    assert!(!csv.contains("韦外"), "another street's person");
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

#[tokio::test]
async fn another_streets_officer_neither_sees_nor_changes_the_first_streets_seats() {
    let app = spawn_app().await;
    let id = course(&app, "志愿者继续教育", 10, "open").await;
    let seated = person(&app, "蓝座", 21, STREET).await;
    let unseated = person(&app, "蓝空", 23, STREET).await;
    let office = officer(&app, STREET).await;
    let csrf = office.get("/courses").await.csrf();
    let enrolled = office
        .post(
            &format!("/courses/{id}/enrollments"),
            &[("csrf_token", &csrf), ("person_id", &seated.to_string())],
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::SEE_OTHER, "{}", enrolled.text);

    let other = officer(&app, OTHER_STREET).await;
    let page = other.get(&format!("/courses/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("蓝座") && !page.text.contains("蓝空"),
        "{}",
        page.text
    );
    assert!(page.text.contains("还没有人报名"));
    let (_, csv) = file(&other, &format!("/courses/{id}/sign-in-sheet?format=csv")).await;
    assert!(!String::from_utf8(csv).unwrap().contains("蓝座"));

    let csrf = page.csrf();
    let before = audit_total(&app).await;
    let withdraw = other
        .post(
            &format!("/courses/{id}/enrollments/{seated}/withdraw"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(withdraw.status, StatusCode::NOT_FOUND, "{}", withdraw.text);
    assert!(withdraw.text.contains("页面不存在"));
    // A person id of the first street typed into the form: refused without a name.
    let forged = other
        .post(
            &format!("/courses/{id}/enrollments"),
            &[("csrf_token", &csrf), ("person_id", &unseated.to_string())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "{}", forged.text);
    assert!(
        forged
            .text
            .contains(&format!("第 {unseated} 号人员：没有找到这个人员"))
    );
    assert!(!forged.text.contains("蓝空"));
    assert_eq!(audit_total(&app).await, before, "nothing was written");
    assert_eq!(seats(&app, id).await["total"], 1);
    let missing = other.get("/courses/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn auditors_read_the_course_pages_without_a_form_that_writes_and_members_are_refused() {
    let app = spawn_app().await;
    let id = course(&app, "志愿者继续教育", 10, "open").await;
    let p = person(&app, "覃读", 31, STREET).await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/courses/{id}/enrollments"),
            json!({"person_id": p}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);

    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    for path in [
        "/courses".to_owned(),
        format!("/courses/{id}"),
        format!("/people/{p}"),
    ] {
        let page = auditor.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(
            page.text.matches("method=\"post\"").count(),
            1,
            "{path}: only logout"
        );
    }
    let page = auditor.get(&format!("/courses/{id}")).await;
    assert!(page.text.contains("覃读"), "auditors read the district");
    let csrf = page.csrf();
    let before = audit_total(&app).await;
    let p_text = p.to_string();
    for (path, form) in [
        (
            format!("/courses/{id}/enrollments"),
            vec![("person_id", p_text.as_str())],
        ),
        (format!("/courses/{id}/enrollments/{p}/withdraw"), vec![]),
        (format!("/people/{p}/account"), vec![("username", "m31")]),
        (format!("/people/{p}/account/invitation"), vec![]),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let forged = auditor.post(&path, &fields).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(audit_total(&app).await, before);
    assert_eq!(seats(&app, id).await["total"], 1);

    let member = app
        .member(p as i32, Some(app.street_id(STREET).await))
        .await;
    let member = sign_in(&app, &member.username, USER_PASSWORD).await;
    for path in ["/courses".to_owned(), format!("/courses/{id}")] {
        assert_eq!(
            member.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

/// Sets the first password from a mailed link, as the activation page posts it.
async fn activate(app: &TestApp, token: &str) -> StatusCode {
    let password = "first-password-1";
    let form = [
        ("token", token),
        ("password", password),
        ("password_again", password),
    ];
    let reply = browser()
        .post(format!("{}/activate", app.base))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    read(reply).await.status
}

#[tokio::test]
async fn a_member_account_invited_from_the_persons_page_activates_from_the_mail_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let street = app.street_id(STREET).await;
    let mut body = person_body("黄志强", "19700315", 21, street);
    body["email"] = json!("huang.zq@example.cn");
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.json["id"].as_i64().unwrap();
    let no_email = person(&app, "黄无邮", 23, STREET).await;
    let office = officer(&app, STREET).await;

    let page = office.get(&format!("/people/{no_email}")).await;
    assert!(page.text.contains("data-testid=\"account-needs-email\""));
    assert!(
        page.text
            .contains(&format!("href=\"/people/{no_email}/edit\""))
    );
    let page = office.get(&format!("/people/{id}")).await;
    assert!(page.text.contains("还没有开通账户"));
    assert!(
        page.text.contains(&format!("value=\"m{id:02}\"")),
        "a suggested username"
    );
    let csrf = page.csrf();
    let path = format!("/people/{id}/account");
    let bad = office
        .post(&path, &[("csrf_token", &csrf), ("username", "黄 志强")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("用户名为 3 到 64 位"), "{}", bad.text);
    let other = officer(&app, OTHER_STREET).await;
    let their_csrf = other.get("/courses").await.csrf();
    let refused = other
        .post(
            &path,
            &[("csrf_token", &their_csrf), ("username", "huang.zq")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let invited = office
        .post(&path, &[("csrf_token", &csrf), ("username", "huang.zq")])
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.text);
    let page = office.get(invited.location()).await;
    assert!(page.text.contains("账户已开通，邀请邮件已发出"));
    assert!(
        page.text
            .contains("data-testid=\"account-username\">huang.zq<")
    );
    assert!(page.text.contains("等待激活"));
    let first = smtp.wait_for(1, WAIT).await[0].clone();
    assert_eq!(first.to, ["huang.zq@example.cn"]);
    assert!(
        first
            .text()
            .contains("https://fitreg.example/activate?token=")
    );

    let resend = format!("/people/{id}/account/invitation");
    let again = office.post(&resend, &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text);
    assert!(
        office
            .get(again.location())
            .await
            .text
            .contains("新的邀请邮件已发出")
    );
    let second = smtp.wait_for(2, WAIT).await[1].clone();
    assert_ne!(first.token(), second.token());
    assert_eq!(
        activate(&app, &first.token()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(activate(&app, &second.token()).await, StatusCode::SEE_OTHER);

    let page = office.get(&format!("/people/{id}")).await;
    assert!(
        page.text
            .contains("<span class=\"status-approved\">已激活</span>"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("data-testid=\"resend-invitation\""));
    let late = office.post(&resend, &[("csrf_token", &csrf)]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(
        late.text.contains("账户已激活，不需要再发邀请"),
        "{}",
        late.text
    );
    let account = app.get_ok("/accounts?q=huang.zq").await["items"][0]["id"].clone();
    let api = app
        .send(app.request(Method::POST, &format!("/accounts/{account}/invitation")))
        .await;
    let problem = api.assert_problem(409);
    assert_eq!(problem["errors"][0]["code"], "account.already_active");
}
