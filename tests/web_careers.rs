//! The careers pages through HTTP as a browser speaks it: the instructors whose registration
//! for a year lapsed, a registration decided from the person's page by the rule (and against it
//! only with a note), a grade granted by the city recorded with its issuer and certificate, the
//! next grade's conditions as a table; the auditor reads it all and writes nothing, an officer
//! decides for its own street's people only.

mod common;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Utc};
use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Session, sign_in},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const STREET: &str = "450203001";
const OTHER_STREET: &str = "450203002";

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

async fn officer<'a>(app: &'a TestApp, street: &str) -> Session<'a> {
    let street_id = app.street_id(street).await;
    let user = app.user("street_officer", Some(street_id)).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

/// A third-grade instructor of `street` certified on 1 June of `certified`, through the import.
async fn instructor(app: &TestApp, name: &str, seq: u16, street: &str, certified: i32) -> i64 {
    let number = common::id_number("450203", "19800101", seq);
    let gender = if seq % 2 == 1 { "男" } else { "女" };
    let csv = format!(
        "name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,employment,certificate_no,certified_on,specialties\n\
         {name},{gender},1980-01-01,{number},1380000{seq:04},,{street},,社会体育指导员,三级,,YF-{seq},{certified}-06-01,"
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

/// Approved service of `quarters` quarter hours from `day` in the first community of the
/// street, at most ten hours a day on consecutive days.
async fn served(app: &TestApp, person: i64, day: NaiveDate, quarters: i64) {
    let community = app.community_id("450203001001").await;
    let mut ids = Vec::new();
    let (mut left, mut day) = (quarters, day);
    while left > 0 {
        let part = left.min(40);
        let start = DateTime::parse_from_rfc3339(&format!("{day}T08:00:00+08:00"))
            .unwrap()
            .with_timezone(&Utc);
        let end = start + TimeDelta::minutes(15 * part);
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
        ids.push(reply.json["id"].as_i64().unwrap());
        left -= part;
        day += TimeDelta::days(1);
    }
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

async fn registrations(app: &TestApp, person: i64) -> Vec<Value> {
    app.get_ok(&format!("/people/{person}/registrations")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The row of the table `testid` that holds `needle`.
fn row_with<'p>(text: &'p str, testid: &str, needle: &str) -> &'p str {
    let table = &text[text
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no table {testid}"))..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr")
        .find(|row| row.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle} in {table}"))
}

#[tokio::test]
async fn lapsed_instructors_are_listed_per_year_and_street() {
    let app = spawn_app().await;
    let year = today().year();
    let last_year = year - 1;
    let done = instructor(&app, "已注册", 21, STREET, last_year - 1).await;
    let missing = instructor(&app, "未注册", 23, STREET, last_year - 1).await;
    let short = instructor(&app, "未通过", 25, STREET, last_year - 1).await;
    let elsewhere = instructor(&app, "别街道", 27, OTHER_STREET, last_year - 1).await;
    served(
        &app,
        done,
        NaiveDate::from_ymd_opt(last_year, 6, 1).unwrap(),
        80,
    )
    .await;
    served(
        &app,
        short,
        NaiveDate::from_ymd_opt(last_year, 6, 1).unwrap(),
        40,
    )
    .await;
    for person in [done, short] {
        let reply = app
            .send_json(
                &app.admin_token,
                Method::POST,
                &format!("/people/{person}/registrations"),
                json!({"year": year}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    assert_eq!(registrations(&app, short).await[0]["status"], "rejected");

    let office = officer(&app, STREET).await;
    let page = office.get("/careers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("{year}年度工作注册")));
    assert!(page.text.contains("共 2 人"), "{}", page.text);
    let row = row_with(&page.text, "lapsed", ">未注册</a>");
    assert!(row.contains(&format!("href=\"/people/{missing}")));
    assert!(row.contains("三级") && row.contains("未办理") && row.contains("从未注册"));
    assert!(row.contains("0 小时"), "{row}");
    let row = row_with(&page.text, "lapsed", "未通过</a>");
    assert!(row.contains("少于要求的 20 小时"), "{row}");
    assert!(row.contains("10 小时"), "{row}");
    assert!(
        !page.text.contains(">已注册</a>"),
        "registered this year: not listed"
    );
    assert!(!page.text.contains("别街道"), "another street's");
    // Last year nobody registered: all three are listed, never the other street's.
    let page = office.get(&format!("/careers?year={last_year}")).await;
    assert!(page.text.contains("共 3 人"), "{}", page.text);
    let row = row_with(&page.text, "lapsed", ">已注册</a>");
    assert!(row.contains("未办理"));
    // An officer's street filter is its own street whatever the link says.
    let other = app.street_id(OTHER_STREET).await;
    let page = office.get(&format!("/careers?street_id={other}")).await;
    assert!(page.text.contains("共 2 人") && !page.text.contains("别街道"));

    // The bureau sees the district, one street when asked; the auditor too, with no form.
    let admin = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let page = admin.get("/careers").await;
    assert!(page.text.contains("共 3 人") && page.text.contains("别街道"));
    let page = admin.get(&format!("/careers?street_id={other}")).await;
    assert!(page.text.contains("共 1 人") && page.text.contains("别街道"));
    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    let page = auditor.get("/careers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("共 3 人"));
    assert_eq!(page.text.matches("method=\"post\"").count(), 1);
    // A member is refused.
    let member = app.member(missing as i32, None).await;
    let member = sign_in(&app, &member.username, USER_PASSWORD).await;
    assert_eq!(member.get("/careers").await.status, StatusCode::FORBIDDEN);
    let _ = elsewhere;
}

#[tokio::test]
async fn a_registration_is_decided_by_the_rule_and_against_it_only_with_a_note() {
    let app = spawn_app().await;
    let year = today().year();
    let last_year = year - 1;
    let enough = instructor(&app, "服务足", 31, STREET, last_year - 1).await;
    let short = instructor(&app, "服务差", 33, STREET, last_year - 1).await;
    served(
        &app,
        enough,
        NaiveDate::from_ymd_opt(last_year, 5, 1).unwrap(),
        80,
    )
    .await;
    served(
        &app,
        short,
        NaiveDate::from_ymd_opt(last_year, 5, 1).unwrap(),
        79,
    )
    .await;
    let office = officer(&app, STREET).await;
    let year_text = year.to_string();

    let page = office.get(&format!("/people/{enough}")).await;
    assert!(
        page.text
            .contains(&format!("action=\"/people/{enough}/registrations\""))
    );
    assert!(page.text.contains("还没有办理过年度注册"));
    let decided = office
        .post(
            &format!("/people/{enough}/registrations"),
            &[("csrf_token", &page.csrf()), ("year", &year_text)],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text);
    assert!(decided.location().contains("done=registration-approved"));
    let reg = &registrations(&app, enough).await[0];
    assert_eq!(reg["status"], "approved");
    assert_eq!(reg["override"], false);
    let page = office
        .get(&format!("/people/{enough}?done=registration-approved"))
        .await;
    assert!(page.text.contains("年度注册已通过"));
    let row = row_with(&page.text, "registrations", &format!("{year}年"));
    assert!(row.contains("通过") && row.contains("20 小时") && row.contains("符合注册规则"));
    assert!(row.contains("street-officer-"), "who decided: {row}");
    // Approved already: a second decision is a conflict next to the year.
    let again = office
        .post(
            &format!("/people/{enough}/registrations"),
            &[("csrf_token", &page.csrf()), ("year", &year_text)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("此人这一年度的注册已经通过"));

    // 19.75 hours: rejected by the rule, the reason in Chinese.
    let page = office.get(&format!("/people/{short}")).await;
    let csrf = page.csrf();
    let path = format!("/people/{short}/registrations");
    let decided = office
        .post(&path, &[("csrf_token", &csrf), ("year", &year_text)])
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    assert!(decided.location().contains("done=registration-rejected"));
    let page = office.get(&format!("/people/{short}")).await;
    let row = row_with(&page.text, "registrations", &format!("{year}年"));
    assert!(
        row.contains("未通过") && row.contains("19.75 小时，少于要求的 20 小时"),
        "{row}"
    );
    assert_eq!(registrations(&app, short).await[0]["status"], "rejected");

    // Approving against the rule without a note: 422 by the note, what was typed kept.
    let refused = office
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("year", &year_text),
                ("override", "yes"),
                ("note", "   "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("data-testid=\"registration-note-error\">破格批准须填写说明")
    );
    assert!(
        refused
            .text
            .contains("name=\"override\" value=\"yes\" checked")
    );
    assert_eq!(registrations(&app, short).await[0]["status"], "rejected");
    // Deciding it by the rule again is refused: still unmet.
    let refused = office
        .post(&path, &[("csrf_token", &csrf), ("year", &year_text)])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("请勾选破格批准并填写说明"));
    // With a note it is approved against the rule, and the page says so.
    let approved = office
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("year", &year_text),
                ("override", "yes"),
                ("note", "生病住院一个月，街道核实"),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let reg = &registrations(&app, short).await[0];
    assert_eq!(reg["status"], "approved");
    assert_eq!(reg["override"], true);
    assert_eq!(reg["note"], "生病住院一个月，街道核实");
    let page = office.get(&format!("/people/{short}")).await;
    let row = row_with(&page.text, "registrations", &format!("{year}年"));
    assert!(row.contains("破格批准") && row.contains("生病住院一个月，街道核实"));
    assert!(row.contains("经办人依说明批准"));

    // A year not open yet (unless it is December) and a year that is no number.
    if today().month() != 12 {
        let refused = office
            .post(
                &path,
                &[("csrf_token", &csrf), ("year", &(year + 1).to_string())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text
                .contains("data-testid=\"registration-year-error\">这一年度的注册还没有开始")
        );
    }
    let refused = office
        .post(&path, &[("csrf_token", &csrf), ("year", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("data-testid=\"registration-year-error\">此项必填")
    );
    assert_eq!(registrations(&app, short).await.len(), 1);
}

#[tokio::test]
async fn officers_decide_their_own_street_and_auditors_nothing() {
    let app = spawn_app().await;
    let year = today().year().to_string();
    let person = instructor(&app, "本街道", 41, STREET, today().year() - 2).await;
    let other = officer(&app, OTHER_STREET).await;
    let csrf = other.get("/careers").await.csrf();
    let path = format!("/people/{person}/registrations");
    let refused = other
        .post(&path, &[("csrf_token", &csrf), ("year", &year)])
        .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&refused.status),
        "{}",
        refused.status
    );
    assert_eq!(
        other.get(&format!("/people/{person}")).await.status,
        StatusCode::NOT_FOUND
    );

    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    let page = auditor.get(&format!("/people/{person}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text.matches("method=\"post\"").count(),
        1,
        "only logout"
    );
    assert!(page.text.contains("data-testid=\"eligibility\""));
    let csrf = page.csrf();
    let refused = auditor
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("year", &year),
                ("override", "yes"),
                ("note", "x"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let qualification = app.get_ok(&format!("/people/{person}")).await["qualifications"][0].clone();
    let refused = auditor
        .post(
            &format!(
                "/people/{person}/qualifications/{}/promote",
                qualification["id"]
            ),
            &[
                ("csrf_token", &csrf),
                ("grade", "second"),
                ("issued_by", "柳州市体育局"),
                ("certificate_no", "LZ-2-1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(registrations(&app, person).await.is_empty());
    assert_eq!(
        app.get_ok(&format!("/people/{person}")).await["qualifications"][0]["grade"],
        "third"
    );
}

#[tokio::test]
async fn a_grade_granted_by_the_city_is_recorded_with_its_issuer_and_certificate() {
    let app = spawn_app().await;
    let year = today().year();
    let person = instructor(&app, "晋二级", 51, STREET, year - 3).await;
    served(
        &app,
        person,
        NaiveDate::from_ymd_opt(year - 1, 3, 1).unwrap(),
        80,
    )
    .await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/people/{person}/registrations"),
            json!({"year": year}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let held = app.get_ok(&format!("/people/{person}")).await["qualifications"][0].clone();
    let qid = held["id"].as_i64().unwrap();
    let version = held["version"].to_string();
    let promote = format!("/people/{person}/qualifications/{qid}/promote");

    // The next grade's conditions as a table: required, actual, met.
    let admin = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let page = admin.get(&format!("/people/{person}")).await;
    assert!(
        page.text
            .contains("申报二级社会体育指导员：<strong class=\"attention\">尚未满足")
    );
    let row = row_with(&page.text, "eligibility", "注册年限（年）");
    assert!(
        row.contains("<td>2</td><td>1</td>") && row.contains("未满足"),
        "{row}"
    );
    let row = row_with(&page.text, "eligibility", "年龄（岁）");
    assert!(
        row.contains("<td>18</td>") && row.contains(">满足<"),
        "{row}"
    );
    let row = row_with(&page.text, "eligibility", "培训学时（小时）");
    assert!(row.contains("<td>40</td><td>0</td>"), "{row}");
    assert!(
        page.text
            .contains(&format!("data-testid=\"promote-{qid}\""))
    );

    // Without the certificate number: 422 next to it, the issuer typed kept, nothing written.
    let refused = admin
        .post(
            &promote,
            &[
                ("csrf_token", &page.csrf()),
                ("version", &version),
                ("grade", "second"),
                ("granted_on", &today().to_string()),
                ("issued_by", "柳州市体育局"),
                ("certificate_no", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("市级及以上授予的等级需要填写批准机关和证书编号")
    );
    assert!(refused.text.contains("value=\"柳州市体育局\""));
    assert_eq!(
        app.get_ok(&format!("/people/{person}")).await["qualifications"][0]["grade"],
        "third"
    );
    // With both: recorded, that day's conditions kept beside it even though unmet.
    let recorded = admin
        .post(
            &promote,
            &[
                ("csrf_token", &page.csrf()),
                ("version", &version),
                ("grade", "second"),
                ("granted_on", &today().to_string()),
                ("issued_by", "柳州市体育局"),
                ("certificate_no", "LZ-2-0051"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.text);
    let after = app.get_ok(&format!("/people/{person}")).await["qualifications"][0].clone();
    assert_eq!(after["grade"], "second");
    assert_eq!(after["issued_by"], "柳州市体育局");
    assert_eq!(after["certificate_no"], "LZ-2-0051");
    let page = admin.get(&format!("/people/{person}?done=promoted")).await;
    let row = row_with(&page.text, "qualifications", "LZ-2-0051");
    assert!(row.contains("二级") && row.contains("柳州市体育局"));
    assert!(
        row.contains("批准当日未满足：") && row.contains("注册年限（年）"),
        "{row}"
    );
    // The next grade is now the first, needing three registered years as second.
    assert!(page.text.contains("申报一级社会体育指导员"));
    let row = row_with(&page.text, "eligibility", "注册年限（年）");
    assert!(row.contains("<td>3</td><td>0</td>"), "{row}");

    // An officer sees no form for grades above third, and is refused one posted anyway.
    let office = officer(&app, STREET).await;
    let page = office.get(&format!("/people/{person}")).await;
    assert!(!page.text.contains("/promote\""));
    assert!(page.text.contains("二级及以上等级由市级及以上体育部门授予"));
    let version = after["version"].to_string();
    let refused = office
        .post(
            &promote,
            &[
                ("csrf_token", &page.csrf()),
                ("version", &version),
                ("grade", "first"),
                ("issued_by", "广西壮族自治区体育局"),
                ("certificate_no", "GX-1-1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_ok(&format!("/people/{person}")).await["qualifications"][0]["grade"],
        "second"
    );
}
