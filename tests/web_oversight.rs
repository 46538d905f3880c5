//! The bureau's oversight pages (系统管理) through HTTP as a browser speaks it: a street officer's
//! account opened by invitation, refused with its errors by its fields, disabled (its token dies)
//! and given another address; the policy changed with its version and a stale form refused; the
//! audit log narrowed by its filters and its chain found intact, then broken at the entry that
//! was tampered with; the outbox and the coverage alert; the auditors reading every page without
//! a form that writes, and street officers and members kept out.

mod common;

use std::time::Duration;

use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD,
    smtp::SmtpServer,
    spawn_app, spawn_app_with_smtp,
    web::{Page, Session, field, sign_in},
};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const STREET: &str = "450203001";
const WAIT: Duration = Duration::from_secs(20);

async fn bureau(app: &TestApp) -> Session<'_> {
    sign_in(app, "admin", ADMIN_PASSWORD).await
}

/// The account of this username, as the API shows it.
async fn account(app: &TestApp, username: &str) -> Option<Value> {
    let all = app.get_ok("/accounts?per_page=200").await;
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username)
        .cloned()
}

fn assert_error(page: &Page, status: StatusCode, testid: &str, message: &str) {
    assert_eq!(page.status, status, "{}", page.text);
    let marker = format!("data-testid=\"{testid}\">{message}<");
    assert!(page.text.contains(&marker), "{marker} in {}", page.text);
}

/// The number of the audit log's entries, through the API.
async fn audit_total(app: &TestApp, query: &str) -> u64 {
    app.get_ok(&format!("/audit-log?per_page=1&{query}")).await["total"]
        .as_u64()
        .unwrap()
}

/// The total a list page states in its `data-testid` element, e.g. `共 3 条记录`.
fn stated_total(page: &Page, testid: &str) -> u64 {
    let marker = format!("data-testid=\"{testid}\">共 ");
    let at = page
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("{testid}"))
        + marker.len();
    let rest = &page.text[at..];
    rest[..rest.find(' ').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn the_bureau_opens_an_officer_account_by_invitation_then_disables_it_and_changes_its_address()
 {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let street = app.street_id(STREET).await.to_string();
    let office = bureau(&app).await;

    let hub = office.get("/admin").await;
    assert_eq!(hub.status, StatusCode::OK);
    assert!(
        hub.text
            .contains("<a href=\"/admin\" aria-current=\"page\">系统管理</a>")
    );
    for link in [
        "/admin/accounts",
        "/admin/policy",
        "/admin/audit-log",
        "/admin/outbox",
    ] {
        assert!(hub.text.contains(&format!("href=\"{link}\"")), "{link}");
    }
    assert!(hub.text.contains("共 1 个账户"), "{}", hub.text);

    let list = office.get("/admin/accounts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("data-testid=\"create-form\""));
    let csrf = list.csrf();
    let form = |username: &'static str, email: &'static str, street: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("username", username.to_owned()),
            ("email", email.to_owned()),
            ("role", "street_officer".to_owned()),
            ("street_id", street.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let office = &office;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            office.post("/admin/accounts", &pairs).await
        }
    };

    let created = post(form("lu.officer", "lu.officer@example.cn", &street)).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let found = account(&app, "lu.officer")
        .await
        .expect("the account exists");
    assert_eq!(found["role"], "street_officer");
    assert_eq!(found["street_id"].to_string(), street);
    assert_eq!(found["activated"], false);
    let id = found["id"].as_i64().unwrap();
    assert_eq!(
        created.location(),
        format!("/admin/accounts/{id}?done=created")
    );
    let page = office.get(created.location()).await;
    assert!(page.text.contains("开通邀请邮件已放入发送队列"));
    assert!(
        page.text
            .contains("data-testid=\"account-standing\">等待激活<")
    );

    let duplicate = post(form("lu.officer", "other@example.cn", &street)).await;
    assert_error(
        &duplicate,
        StatusCode::CONFLICT,
        "error-username",
        "这个用户名已被使用，请换一个",
    );
    assert!(
        duplicate.text.contains("value=\"other@example.cn\""),
        "what was typed is kept"
    );
    let bad_email = post(form("lu.second", "not-an-address", &street)).await;
    assert_error(
        &bad_email,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-email",
        "请填写有效的电子邮箱地址",
    );
    let no_street = post(form("lu.second", "lu.second@example.cn", "")).await;
    assert_error(
        &no_street,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-street",
        "此项必填",
    );
    assert!(
        account(&app, "lu.second").await.is_none(),
        "nothing written"
    );

    // The invitation went out through the outbox; the officer activates and signs in.
    let mail = smtp.wait_for(1, WAIT).await[0].clone();
    assert_eq!(mail.to, ["lu.officer@example.cn"]);
    let reply = app
        .send(
            app.anon(Method::POST, "/auth/activate")
                .json(&json!({"token": mail.token(), "password": USER_PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let token = app.token("lu.officer", USER_PASSWORD).await;
    let mut sent = office.get("/admin/outbox?status=sent").await;
    for _ in 0..50 {
        if sent.text.contains("lu.officer@example.cn") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        sent = office.get("/admin/outbox?status=sent").await;
    }
    assert!(sent.text.contains("lu.officer@example.cn"), "{}", sent.text);
    assert!(sent.text.contains("开通邀请"));
    assert!(
        sent.text
            .contains("href=\"/admin/outbox?status=sent\" aria-current=\"page\"")
    );

    let page = office.get(&format!("/admin/accounts/{id}")).await;
    let version = field(&page, "version");
    let csrf = page.csrf();
    let disabled = office
        .post(
            &format!("/admin/accounts/{id}/status"),
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("disabled", "true"),
            ],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.text);
    assert_eq!(
        app.get_as(&token, "/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the disabled account's token died"
    );
    assert_eq!(account(&app, "lu.officer").await.unwrap()["disabled"], true);
    let page = office.get(disabled.location()).await;
    assert!(
        page.text
            .contains("data-testid=\"account-standing\">已停用<")
    );
    assert!(page.text.contains("data-testid=\"enable\""));

    // A form read before the change is stale now: refused, nothing written.
    let email_path = format!("/admin/accounts/{id}/email");
    let stale = office
        .post(
            &email_path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("email", "lu.new@example.cn"),
            ],
        )
        .await;
    assert_error(
        &stale,
        StatusCode::CONFLICT,
        "email-form-error",
        "这条记录刚被修改过，请刷新页面后重试",
    );
    let version = field(&page, "version");
    let bad = office
        .post(
            &email_path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("email", "x@"),
            ],
        )
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-email",
        "请填写有效的电子邮箱地址",
    );
    let changed = office
        .post(
            &email_path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("email", "lu.new@example.cn"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    assert_eq!(
        account(&app, "lu.officer").await.unwrap()["email"],
        "lu.new@example.cn"
    );
    let page = office.get(changed.location()).await;
    assert!(page.text.contains("电子邮箱已修改"));
    assert!(
        page.text
            .contains("data-testid=\"account-email\">lu.new@example.cn<")
    );

    // The filters narrow the list.
    let officers = office.get("/admin/accounts?role=street_officer").await;
    assert!(officers.text.contains("lu.officer"));
    assert!(!officers.text.contains(">admin<"));
    assert!(officers.text.contains("街道（乡镇）工作人员"));
    let active = office.get("/admin/accounts?status=active").await;
    assert!(!active.text.contains("lu.officer"));
    assert!(active.text.contains(">admin<"));
    let disabled = office.get("/admin/accounts?status=disabled").await;
    assert_eq!(stated_total(&disabled, "accounts-total"), 1);
}

/// The fields of the policy form as the page holds them, `changes` applied.
fn policy_form(page: &Page, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut names = vec![
        "version",
        "min_age",
        "instructor_annual_hours",
        "volunteer_annual_hours",
        "training_hours.third",
        "training_hours.second",
        "training_hours.first",
        "training_hours.national",
        "instructors_per_1000_target",
    ];
    let stars: Vec<String> = (1..=5).map(|n| format!("star_thresholds.{n}")).collect();
    names.extend(stars.iter().map(String::as_str));
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), page.csrf())];
    for name in names {
        let value = changes
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| field(page, name), |(_, v)| (*v).to_owned());
        form.push((name.to_owned(), value));
    }
    form
}

async fn post_owned(session: &Session<'_>, path: &str, form: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    session.post(path, &pairs).await
}

#[tokio::test]
async fn a_policy_edit_bumps_the_version_and_a_stale_form_is_refused_with_the_values_in_force() {
    let app = spawn_app().await;
    let office = bureau(&app).await;
    let before = app.get_ok("/policy").await;
    let page = office.get("/admin/policy").await;
    assert_eq!(page.status, StatusCode::OK);
    for meaning in [
        "取得社会体育指导员等级须年满的年龄",
        "上一年度须有这么多已审核的服务时长",
        "晋升国家级社会体育指导员须完成的培训学时",
        "每千名常住人口拥有社会体育指导员的目标人数",
        "志愿者评为一星至五星所需的累计已审核服务时长",
    ] {
        assert!(page.text.contains(meaning), "{meaning}");
    }
    let min_age = before["min_age"].to_string();
    assert!(
        page.text
            .contains(&format!("data-testid=\"current-min_age\">{min_age} 岁<"))
    );
    let version: i64 = field(&page, "version").parse().unwrap();
    assert!(
        page.text
            .contains(&format!("data-testid=\"policy-version\">第 {version} 版"))
    );

    let invalid = post_owned(
        &office,
        "/admin/policy",
        &policy_form(&page, &[("min_age", "十八"), ("star_thresholds.3", "1")]),
    )
    .await;
    assert_error(
        &invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-min_age",
        "请填写整数",
    );
    let unordered = post_owned(
        &office,
        "/admin/policy",
        &policy_form(&page, &[("star_thresholds.3", "1")]),
    )
    .await;
    assert_error(
        &unordered,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-star_thresholds",
        "星级时长须为正数，并且逐级递增",
    );
    assert!(
        unordered
            .text
            .contains("name=\"star_thresholds.3\" required inputmode=\"decimal\" value=\"1\"")
    );
    assert_eq!(app.get_ok("/policy").await, before, "nothing written");

    let saved = post_owned(
        &office,
        "/admin/policy",
        &policy_form(
            &page,
            &[("min_age", "20"), ("volunteer_annual_hours", "24.5")],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let after = app.get_ok("/policy").await;
    assert_eq!(after["min_age"], 20);
    assert_eq!(after["volunteer_annual_hours"], 24.5);
    let page_after = office.get(saved.location()).await;
    assert!(page_after.text.contains("政策数值已保存"));
    let new_version: i64 = field(&page_after, "version").parse().unwrap();
    assert!(new_version > version, "{new_version} > {version}");

    // The form read before the change: refused, the values in force shown, nothing written.
    let stale = post_owned(
        &office,
        "/admin/policy",
        &policy_form(&page, &[("instructor_annual_hours", "99")]),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("data-testid=\"policy-stale\""));
    assert!(stale.text.contains("已被别人修改"));
    assert!(
        stale
            .text
            .contains("data-testid=\"stale-current-min_age\">20<")
    );
    assert_eq!(field(&stale, "version"), new_version.to_string());
    assert_eq!(app.get_ok("/policy").await, after, "nothing written");
}

#[tokio::test]
async fn the_audit_log_narrows_by_its_filters_and_its_check_names_the_first_tampered_entry() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let person = app.person("覃审计", "19700101", 31, street).await["id"]
        .as_i64()
        .unwrap();
    app.user("auditor", None).await;
    let office = bureau(&app).await;
    let admin_id = app.get_ok("/auth/me").await["id"].as_i64().unwrap();

    let all = office.get("/admin/audit-log").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(
        stated_total(&all, "audit-total"),
        audit_total(&app, "").await
    );
    assert!(all.text.contains("<details>"));
    assert!(all.text.contains("<pre class=\"json\">"));

    let people = office.get("/admin/audit-log?entity=person").await;
    assert_eq!(
        stated_total(&people, "audit-total"),
        audit_total(&app, "entity=person").await
    );
    assert_eq!(stated_total(&people, "audit-total"), 1);
    assert!(people.text.contains(&format!("href=\"/people/{person}\"")));
    assert!(people.text.contains("新建"));
    assert!(
        people.text.contains("覃审计"),
        "the record after, in its details"
    );

    let by_name = office
        .get("/admin/audit-log?actor=admin&entity=account")
        .await;
    let by_id = office
        .get(&format!("/admin/audit-log?actor={admin_id}&entity=account"))
        .await;
    let expected = audit_total(&app, &format!("actor_id={admin_id}&entity=account")).await;
    assert!(expected >= 1);
    assert_eq!(stated_total(&by_name, "audit-total"), expected);
    assert_eq!(stated_total(&by_id, "audit-total"), expected);
    assert!(stated_total(&by_name, "audit-total") < stated_total(&all, "audit-total"));

    let today = fitreg::domain::time::today().to_string();
    let days = office
        .get(&format!("/admin/audit-log?from={today}&to={today}"))
        .await;
    assert_eq!(
        stated_total(&days, "audit-total"),
        stated_total(&all, "audit-total")
    );
    let long_ago = office
        .get("/admin/audit-log?from=2001-01-01&to=2001-01-31")
        .await;
    assert!(long_ago.text.contains("data-testid=\"audit-empty\""));
    let unknown = office.get("/admin/audit-log?actor=nobody-here").await;
    assert_error(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-actor",
        "没有这个用户名的账户",
    );
    let bad_day = office.get("/admin/audit-log?from=2024-13-01").await;
    assert_error(
        &bad_day,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-from",
        "请填写有效的日期",
    );

    let intact = office.get("/admin/audit-log/verify").await;
    assert_eq!(intact.status, StatusCode::OK);
    assert!(
        intact.text.contains("data-testid=\"chain-intact\""),
        "{}",
        intact.text
    );

    let entry = app.get_ok("/audit-log?entity=person").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE audit_log SET after = '{{\"name\":\"篡改\"}}' WHERE id = {entry}"
        ))
        .await
        .unwrap();
    let broken = office.get("/admin/audit-log/verify").await;
    assert_eq!(broken.status, StatusCode::OK);
    assert!(broken.text.contains("data-testid=\"chain-broken\""));
    assert!(broken.text.contains(&format!(
        "<a href=\"/admin/audit-log/{entry}\" data-testid=\"broken-entry\">编号 {entry}</a>"
    )));
    assert!(broken.text.contains("data-testid=\"broken-at\">"));
    let shown = office.get(&format!("/admin/audit-log/{entry}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("篡改"));
    assert_eq!(
        office.get("/admin/audit-log/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_alert_button_queues_a_mail_for_the_officer_of_an_uncovered_street() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "wei.officer", "role": "street_officer", "street_id": street,
                "email": "wei.officer@example.cn", "password": USER_PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let office = bureau(&app).await;
    let outbox = office.get("/admin/outbox").await;
    assert!(outbox.text.contains("data-testid=\"outbox-empty\""));
    assert!(outbox.text.contains("data-testid=\"alert-form\""));
    let sent = office
        .post("/admin/coverage-alerts", &[("csrf_token", &outbox.csrf())])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    assert!(sent.location().starts_with("/admin/outbox?"));
    assert!(sent.location().contains("mails=1"), "{}", sent.location());
    let page = office.get(sent.location()).await;
    assert!(page.text.contains("共 1 封邮件"), "{}", page.text);
    assert!(page.text.contains("wei.officer@example.cn"));
    assert!(page.text.contains("覆盖提醒"));
    assert!(page.text.contains("待发送"));
    let pending = app.get_ok("/outbox?status=pending").await;
    assert_eq!(pending["total"], 1);
    assert_eq!(pending["items"][0]["recipient"], "wei.officer@example.cn");
}

#[path = "web_oversight/roles.rs"]
mod roles;
