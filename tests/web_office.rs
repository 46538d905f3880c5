//! The street office's pages, through HTTP as a browser speaks it: enrolling with the ID number
//! checked as typed, the people list and its files, a person's qualifications and standing, the
//! communities and their coverage, and the rule that an officer sees and changes its own street
//! only, through every URL and whatever a form's hidden fields say.

mod common;

use common::{
    TestApp, USER_PASSWORD, id_number, spawn_app,
    web::{Session, sign_in},
};
use reqwest::{Method, StatusCode};
use serde_json::json;

const STREET: &str = "450203001";
const OTHER_STREET: &str = "450203002";
const COMMUNITY: &str = "450203001001";
const OTHER_COMMUNITY: &str = "450203002001";

/// An officer of `street`, signed in.
async fn officer<'a>(app: &'a TestApp, street: &str) -> Session<'a> {
    let street_id = app.street_id(street).await;
    let user = app.user("street_officer", Some(street_id)).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

/// The id in a `Location` such as `/people/12?done=created`.
fn id_in(location: &str, prefix: &str) -> i64 {
    let rest = location.strip_prefix(prefix).expect(location);
    rest[..rest.find(['?', '/']).unwrap_or(rest.len())]
        .parse()
        .expect(location)
}

/// A valid number with its last character replaced by a wrong one.
fn mistyped(number: &str) -> String {
    let last = number.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &number[..17])
}

#[tokio::test]
async fn an_officer_enrols_a_person_whose_id_number_is_checked_as_typed() {
    let app = spawn_app().await;
    let office = officer(&app, STREET).await;
    let form = office.get("/people/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains("hx-get=\"/people/check-id\""),
        "{}",
        form.text
    );
    let number = id_number("450203", "19700315", 21);

    // As typed: too short so far, a wrong check character, then the date and gender it holds.
    let typing = office
        .get(&format!("/people/check-id?id_number={}", &number[..10]))
        .await;
    assert!(typing.text.contains("已输入 10 位"), "{}", typing.text);
    let wrong = office
        .get(&format!("/people/check-id?id_number={}", mistyped(&number)))
        .await;
    assert!(wrong.text.contains("校验位不对"), "{}", wrong.text);
    let right = office
        .get(&format!("/people/check-id?id_number={number}"))
        .await;
    assert!(
        right.text.contains("1970年3月15日出生，男"),
        "{}",
        right.text
    );

    // Sent with the wrong character: the message by the field, nothing written.
    let csrf = form.csrf();
    let bad = mistyped(&number);
    let refused = office
        .post(
            "/people/new",
            &[
                ("csrf_token", &csrf),
                ("name", "黄志强"),
                ("id_number", &bad),
                ("phone", "+86 138-0013-8000"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("校验位不对"), "{}", refused.text);
    assert!(
        refused.text.contains("value=\"黄志强\""),
        "what was typed stays"
    );
    let people = app.get_ok("/people").await;
    assert_eq!(people["total"], 0);

    // Fixed: enrolled in the officer's street whatever a street field says, phone normalised.
    let other_street = app.street_id(OTHER_STREET).await.to_string();
    let saved = office
        .post(
            "/people/new",
            &[
                ("csrf_token", &csrf),
                ("name", "黄志强"),
                ("id_number", &number),
                ("phone", "+86 138-0013-8000"),
                ("street_id", &other_street),
                ("specialty", "taichi"),
                ("specialty", "square_dance"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let id = id_in(saved.location(), "/people/");
    let person = app.get_ok(&format!("/people/{id}")).await;
    assert_eq!(person["phone"], "13800138000");
    assert_eq!(person["street_id"], app.street_id(STREET).await);
    assert_eq!(person["specialties"].as_array().unwrap().len(), 2);
    let page = office.get(&format!("/people/{id}?done=created")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("人员已登记"));
    assert!(
        page.text.contains("450203********"),
        "the number is masked for an officer"
    );
    assert!(!page.text.contains(&number));

    // The same number again links to the person who holds it, before and after sending.
    let check = office
        .get(&format!("/people/check-id?id_number={number}"))
        .await;
    assert!(
        check.text.contains(&format!("href=\"/people/{id}\"")),
        "{}",
        check.text
    );
    let again = office
        .post(
            "/people/new",
            &[
                ("csrf_token", &csrf),
                ("name", "黄志强"),
                ("id_number", &number),
                ("phone", "13800138001"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.text.contains(&format!("href=\"/people/{id}\"")),
        "{}",
        again.text
    );
    // Someone of another street holding the number is named by the fact only.
    let elsewhere = app
        .person("韦芳", "19810101", 22, app.street_id(OTHER_STREET).await)
        .await;
    let their_number = id_number("450203", "19810101", 22);
    let check = office
        .get(&format!("/people/check-id?id_number={their_number}"))
        .await;
    assert!(check.text.contains("已在其他街道"), "{}", check.text);
    assert!(!check.text.contains(&format!("/people/{}", elsewhere["id"])));
}

#[tokio::test]
async fn the_people_list_searches_filters_pages_and_exports_what_is_on_screen() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let office = officer(&app, STREET).await;
    for n in 0..55u16 {
        app.person(&format!("测试{n:02}"), "19800101", 100 + n, street)
            .await;
    }
    let volunteer = app.person("蓝天", "19850505", 30, street).await;
    app.qualify(
        volunteer["id"].as_i64().unwrap(),
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    app.person("别街道", "19850505", 31, app.street_id(OTHER_STREET).await)
        .await;

    let first = office.get("/people").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.text.contains("共 56 人"), "only the street's people");
    assert!(first.text.contains("第 1 / 2 页"));
    assert!(!first.text.contains("别街道"));
    let second = office.get("/people?page=2").await;
    assert!(second.text.contains("rel=\"prev\""));

    let found = office.get("/people?q=%E8%93%9D%E5%A4%A9").await;
    assert!(found.text.contains("共 1 人"), "{}", found.text);
    let by_role = office.get("/people?role=fitness_volunteer").await;
    assert!(by_role.text.contains("共 1 人"));
    assert!(by_role.text.contains("全民健身志愿者"));
    assert!(
        by_role
            .text
            .contains("/people/export?format=xlsx&amp;role=fitness_volunteer")
    );
    let junk = office
        .get("/people?role=%3Cscript%3E&page=-3&community_id=x")
        .await;
    assert_eq!(junk.status, StatusCode::OK, "unknown filters are ignored");

    let csv = office
        .client
        .get(format!(
            "{}/people/export?format=csv&role=fitness_volunteer",
            app.base
        ))
        .header("cookie", &office.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let body = csv.text().await.unwrap();
    assert!(body.contains("蓝天"));
    assert_eq!(
        body.lines().count(),
        2,
        "the header and the one filtered person"
    );
    let xlsx = office
        .client
        .get(format!("{}/people/export?format=xlsx", app.base))
        .header("cookie", &office.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
}

#[tokio::test]
async fn an_administrator_assigned_from_the_community_page_covers_it_until_the_assignment_ends() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let community = app.community_id(COMMUNITY).await;
    let office = officer(&app, STREET).await;
    let person = app.person("覃海", "19750101", 41, street).await;
    let person_id = person["id"].as_i64().unwrap();

    // The qualification from the person's page: the rule by its field first.
    let page = office.get(&format!("/people/{person_id}")).await;
    let csrf = page.csrf();
    let path = format!("/people/{person_id}/qualifications");
    let refused = office
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("kind", "community_sports_administrator"),
                ("certified_on", "2024-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("文体管理员需要选择专职或兼职"),
        "{}",
        refused.text
    );
    let added = office
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("kind", "community_sports_administrator"),
                ("employment", "part_time"),
                ("certified_on", "2024-01-01"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);

    let list = office.get("/communities").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains(&format!(
        "data-testid=\"covered-{community}\"><strong class=\"attention\">未覆盖"
    )));
    let page = office.get(&format!("/communities/{community}")).await;
    assert!(page.text.contains("未覆盖"));
    assert!(
        page.text.contains("覃海（文体管理员（兼职））"),
        "{}",
        page.text
    );
    let assigned = office
        .post(
            &format!("/communities/{community}/assignments"),
            &[
                ("csrf_token", &csrf),
                ("person_id", &person_id.to_string()),
                ("role", "community_sports_administrator"),
                ("starts_on", "2024-02-01"),
            ],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.text);
    let page = office.get(assigned.location()).await;
    assert!(
        page.text
            .contains("<strong class=\"status-approved\">已覆盖</strong>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("开始担任文体管理员"));
    let list = office.get("/communities").await;
    assert!(list.text.contains(&format!(
        "data-testid=\"covered-{community}\"><span class=\"status-approved\">已覆盖"
    )));

    // Assigned twice: the rule by its field.
    let twice = office
        .post(
            &format!("/communities/{community}/assignments"),
            &[
                ("csrf_token", &csrf),
                ("person_id", &person_id.to_string()),
                ("role", "community_sports_administrator"),
                ("starts_on", "2024-03-01"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(twice.text.contains("此人已在这个社区（村）担任这一岗位"));

    let assignments = app
        .get_ok(&format!("/assignments?community_id={community}"))
        .await;
    let assignment = assignments["items"][0]["id"].as_i64().unwrap();
    let no_reason = office
        .post(
            &format!("/assignments/{assignment}/end"),
            &[
                ("csrf_token", &csrf),
                ("back", &format!("/communities/{community}")),
                ("ends_on", "2026-01-01"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason.text.contains("data-testid=\"community-name\""),
        "shown on the community's page"
    );
    let ended = office
        .post(
            &format!("/assignments/{assignment}/end"),
            &[
                ("csrf_token", &csrf),
                ("back", &format!("/communities/{community}")),
                ("ends_on", "2026-01-01"),
                ("reason", "调离"),
            ],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.text);
    assert!(
        ended
            .location()
            .starts_with(&format!("/communities/{community}"))
    );
    let page = office.get(&format!("/communities/{community}")).await;
    assert!(page.text.contains("未覆盖"));
    assert!(
        page.text.contains("不再担任文体管理员（调离）"),
        "{}",
        page.text
    );
    let list = office.get("/communities").await;
    let first_row = list.text.find("data-community=").unwrap();
    assert!(
        list.text[first_row..].starts_with(&format!("data-community=\"{community}\"")),
        "the uncovered first"
    );
    assert!(list.text.contains("自2026年1月1日起空缺"), "{}", list.text);

    // The person's page: the past assignment, then retired.
    let page = office.get(&format!("/people/{person_id}")).await;
    assert!(page.text.contains("以往安排"));
    let version = app.get_ok(&format!("/people/{person_id}")).await["version"].to_string();
    let retired = office
        .post(
            &format!("/people/{person_id}/status"),
            &[
                ("csrf_token", &csrf),
                ("status", "retired"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER, "{}", retired.text);
    assert_eq!(
        app.get_ok(&format!("/people/{person_id}")).await["status"],
        "retired"
    );
}

#[tokio::test]
async fn another_streets_people_and_communities_are_not_found_through_any_office_url() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let other = app.street_id(OTHER_STREET).await;
    let theirs = app.person("外街", "19700101", 51, other).await["id"]
        .as_i64()
        .unwrap();
    app.qualify(
        theirs,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let mine = app.person("本街", "19700101", 53, street).await["id"]
        .as_i64()
        .unwrap();
    app.qualify(
        mine,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let their_community = app.community_id(OTHER_COMMUNITY).await;
    let my_community = app.community_id(COMMUNITY).await;
    let reply = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/assignments",
            json!({"person_id": theirs, "community_id": their_community, "role": "fitness_volunteer", "starts_on": "2024-02-01"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let their_assignment = reply.json["id"].as_i64().unwrap();

    let office = officer(&app, STREET).await;
    for path in [
        format!("/people/{theirs}"),
        format!("/people/{theirs}/edit"),
        format!("/communities/{their_community}"),
        format!("/communities/{their_community}/poster"),
    ] {
        let page = office.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.text.contains("页面不存在"), "{path}");
    }
    let csrf = office.get("/people").await.csrf();
    let before = app.get_ok("/audit-log?per_page=1").await["total"].clone();
    for (path, form) in [
        (
            format!("/people/{theirs}/edit"),
            vec![("name", "改名"), ("phone", "13800138000")],
        ),
        (
            format!("/people/{theirs}/qualifications"),
            vec![
                ("kind", "fitness_volunteer"),
                ("certified_on", "2024-01-01"),
            ],
        ),
        (
            format!("/people/{theirs}/status"),
            vec![("status", "retired")],
        ),
        (
            format!("/people/{theirs}/assignments"),
            vec![("community_id", "1"), ("role", "fitness_volunteer")],
        ),
        (
            format!("/assignments/{their_assignment}/end"),
            vec![("ends_on", "2026-01-01"), ("reason", "x")],
        ),
        (
            format!("/communities/{their_community}/assignments"),
            vec![("person_id", "1"), ("role", "fitness_volunteer")],
        ),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let page = office.post(&path, &fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.text);
    }
    // Hidden fields edited to name the other street: refused, nothing written.
    let theirs_text = theirs.to_string();
    let their_community_text = their_community.to_string();
    let edited = office
        .post(
            &format!("/communities/{my_community}/assignments"),
            &[
                ("csrf_token", &csrf),
                ("person_id", &theirs_text),
                ("role", "fitness_volunteer"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::NOT_FOUND, "{}", edited.text);
    let edited = office
        .post(
            &format!("/people/{mine}/assignments"),
            &[
                ("csrf_token", &csrf),
                ("community_id", &their_community_text),
                ("role", "fitness_volunteer"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::FORBIDDEN, "{}", edited.text);
    let edited = office
        .post(
            &format!("/assignments/{their_assignment}/end"),
            &[
                ("csrf_token", &csrf),
                ("back", "/people/1"),
                ("ends_on", "2026-01-01"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_ok("/audit-log?per_page=1").await["total"],
        before,
        "nothing was written"
    );
    let held = app
        .get_ok(&format!("/assignments?person_id={theirs}"))
        .await;
    assert_eq!(held["total"], 1);
    assert!(held["items"][0]["ends_on"].is_null());
}

#[tokio::test]
async fn members_are_refused_the_office_and_auditors_read_it_without_a_form_that_writes() {
    let app = spawn_app().await;
    let street = app.street_id(STREET).await;
    let person = app.person("李明", "19700101", 61, street).await["id"]
        .as_i64()
        .unwrap();
    app.qualify(person, json!({"kind": "community_sports_administrator", "employment": "full_time", "certified_on": "2024-01-01"})).await;
    let community = app.community_id(COMMUNITY).await;
    let (_, sessions) = pending_sessions(&app, community, 1).await;
    let session = sessions[0];
    let paths = [
        "/people".to_owned(),
        "/people/new".to_owned(),
        format!("/people/{person}"),
        "/communities".to_owned(),
        format!("/communities/{community}"),
        "/review".to_owned(),
        format!("/review/sessions/{session}"),
    ];

    let member = app.member(person as i32, Some(street)).await;
    let member = sign_in(&app, &member.username, USER_PASSWORD).await;
    for path in &paths {
        assert_eq!(
            member.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    for path in paths.iter().filter(|p| !p.ends_with("/new")) {
        let page = auditor.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let posts = page.text.matches("method=\"post\"").count();
        assert_eq!(posts, 1, "{path}: only the logout form");
        assert!(!page.text.contains("data-testid=\"enrol\""));
    }
    let csrf = auditor.get("/people").await.csrf();
    let forged = auditor
        .post(
            &format!("/communities/{community}/assignments"),
            &[
                ("csrf_token", &csrf),
                ("person_id", &person.to_string()),
                ("role", "community_sports_administrator"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = auditor
        .post(
            "/people/new",
            &[
                ("csrf_token", &csrf),
                ("name", "x"),
                ("id_number", &id_number("450203", "19700101", 63)),
                ("phone", "13800138000"),
                ("street_id", &street.to_string()),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let session_text = session.to_string();
    let forged = auditor
        .post(
            "/review",
            &[
                ("csrf_token", &csrf),
                ("id", &session_text),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_ok("/people").await["total"], 2);
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{session}")).await["status"],
        "pending"
    );
}

/// A qualified volunteer of the first street with `count` pending sessions in `community`.
async fn pending_sessions(app: &TestApp, community: i64, count: u32) -> (i64, Vec<i64>) {
    app.volunteer_with_pending_sessions(app.street_id(STREET).await, community, count)
        .await
}

#[tokio::test]
async fn an_officer_approves_several_sessions_at_once_and_rejects_one_with_a_note() {
    let app = spawn_app().await;
    let community = app.community_id(COMMUNITY).await;
    let (_, ids) = pending_sessions(&app, community, 4).await;
    let office = officer(&app, STREET).await;
    let queue = office.get("/review").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.text.contains("待审核 4 条"), "{}", queue.text);
    let first = queue.text.find(&format!("pick-{}", ids[0])).unwrap();
    let last = queue.text.find(&format!("pick-{}", ids[3])).unwrap();
    assert!(first < last, "oldest first");
    // Only the flagged ones, counted and paged as such (a check-in closed at its 12th hour).
    {
        use fitreg::entities::service_session;
        use sea_orm::{ActiveValue::Set, EntityTrait};
        service_session::Entity::update(service_session::ActiveModel {
            id: Set(ids[3] as i32),
            needs_attention: Set(true),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
    }
    let flagged = office.get("/review?attention=1").await;
    assert!(flagged.text.contains("待审核 1 条"), "{}", flagged.text);
    assert!(flagged.text.contains(&format!("pick-{}", ids[3])));
    assert!(!flagged.text.contains(&format!("pick-{}", ids[0])));
    let csrf = queue.csrf();
    let (a, b, c, d) = (
        ids[0].to_string(),
        ids[1].to_string(),
        ids[2].to_string(),
        ids[3].to_string(),
    );

    let approved = office
        .post(
            "/review",
            &[
                ("csrf_token", &csrf),
                ("id", &a),
                ("id", &b),
                ("id", &c),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let after = office.get(approved.location()).await;
    assert!(after.text.contains("已批准 3 条服务记录"), "{}", after.text);
    assert!(after.text.contains("待审核 1 条"));
    for id in &ids[..3] {
        assert_eq!(
            app.get_ok(&format!("/service-sessions/{id}")).await["status"],
            "approved"
        );
    }

    // Rejecting needs a note; a second approval of an approved one is named, not hidden.
    let no_note = office
        .post(
            "/review",
            &[
                ("csrf_token", &csrf),
                ("id", &d),
                ("decision", "reject"),
                ("note", " "),
            ],
        )
        .await;
    let page = office.get(no_note.location()).await;
    assert!(page.text.contains("退回时请填写原因"), "{}", page.text);
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{d}")).await["status"],
        "pending"
    );
    let rejected = office
        .post(
            "/review",
            &[
                ("csrf_token", &csrf),
                ("id", &d),
                ("id", &a),
                ("decision", "reject"),
                ("note", "照片与时间不符"),
            ],
        )
        .await;
    let page = office.get(rejected.location()).await;
    assert!(page.text.contains("已退回 1 条"), "{}", page.text);
    assert!(
        page.text.contains(&format!("第 {a} 号记录未能办理")),
        "{}",
        page.text
    );
    let session = app.get_ok(&format!("/service-sessions/{d}")).await;
    assert_eq!(session["status"], "rejected");
    assert_eq!(session["review_note"], "照片与时间不符");

    // The session's page: its history, and no review form once decided.
    let detail = office.get(&format!("/review/sessions/{d}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.text.contains("审核未通过"), "{}", detail.text);
    assert!(!detail.text.contains("data-testid=\"approve\""));
}

#[tokio::test]
async fn a_session_is_reviewed_from_its_page_and_a_correction_decided_there() {
    let app = spawn_app().await;
    let community = app.community_id(COMMUNITY).await;
    let (_, ids) = pending_sessions(&app, community, 2).await;
    let office = officer(&app, STREET).await;
    let page = office.get(&format!("/review/sessions/{}", ids[0])).await;
    assert!(page.text.contains("data-testid=\"approve\""));
    let csrf = page.csrf();
    let refused = office
        .post(
            &format!("/review/sessions/{}", ids[0]),
            &[("csrf_token", &csrf), ("decision", "reject")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("退回时请填写原因"));
    let approved = office
        .post(
            &format!("/review/sessions/{}", ids[0]),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);

    // A correction asked by the bureau on the person's behalf waits on the queue.
    let asked = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/service-sessions/{}/corrections", ids[0]),
            json!({"participants": 25, "reason": "人数记错了"}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text);
    let correction = asked.json["id"].as_i64().unwrap();
    let queue = office.get("/review").await;
    assert!(queue.text.contains("人数记错了"), "{}", queue.text);
    let page = office.get(&format!("/review/sessions/{}", ids[0])).await;
    assert!(page.text.contains("参与人数改为：25"), "{}", page.text);
    let no_note = office
        .post(
            &format!("/review/corrections/{correction}"),
            &[("csrf_token", &csrf), ("decision", "reject")],
        )
        .await;
    assert_eq!(
        no_note.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_note.text
    );
    let accepted = office
        .post(
            &format!("/review/corrections/{correction}"),
            &[("csrf_token", &csrf), ("decision", "accept")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{}", ids[0])).await["participants"],
        25
    );
    assert!(
        office
            .get("/review")
            .await
            .text
            .contains("没有等待处理的更正申请")
    );

    // Another street's officer finds neither the session nor a way to review it.
    let other = officer(&app, OTHER_STREET).await;
    let csrf = other.get("/review").await.csrf();
    assert_eq!(
        other
            .get(&format!("/review/sessions/{}", ids[1]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let forged = other
        .post(
            &format!("/review/sessions/{}", ids[1]),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let bulk = other
        .post(
            "/review",
            &[
                ("csrf_token", &csrf),
                ("id", &ids[1].to_string()),
                ("decision", "approve"),
            ],
        )
        .await;
    let page = other.get(bulk.location()).await;
    assert!(page.text.contains("未能办理"), "{}", page.text);
    assert!(!other.get("/review").await.text.contains("覃小燕"));
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{}", ids[1])).await["status"],
        "pending"
    );
}
