//! The people registry: enrolment with identity checks, privacy, scope, versions, qualifications.

mod common;

use common::{id_number, person_body, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn enrolment_derives_birth_date_and_gender_from_the_id_number() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let mut body = person_body("李伟", "19900307", 123, street);
    body["phone"] = json!("+86 138-0000-1234");
    body["specialties"] = json!(["square_dance", "taichi"]);
    body["email"] = json!("Li.Wei@Example.cn");
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/people", body.clone())
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let person = &reply.json;
    assert_eq!(person["gender"], "male");
    assert_eq!(person["birth_date"], "1990-03-07");
    assert_eq!(person["phone"], "13800001234");
    assert_eq!(person["email"], "Li.Wei@example.cn");
    assert_eq!(person["status"], "active");
    assert_eq!(
        person["id_number"], body["id_number"],
        "the bureau sees the full number"
    );
    assert_eq!(person["id_number_masked"], false);
    assert_eq!(person["specialties"], json!(["square_dance", "taichi"]));
    assert_eq!(person["version"], 1);

    let lower_x = id_number("110105", "19491231", 2).replace('X', "x");
    let reply = app.send_json(&app.admin_token, Method::POST, "/people", json!({"name": "王芳", "id_number": lower_x,
        "phone": "13900000000", "street_id": street, "gender": "female", "birth_date": "1949-12-31"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(reply.json["id_number"].as_str().unwrap().ends_with('X'));
}

#[tokio::test]
async fn identity_rules_are_422_problems_naming_the_field() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let good = person_body("张三", "19850101", 11, street);
    let mut wrong_check = good.clone();
    let number = good["id_number"].as_str().unwrap().to_owned();
    let last = if number.ends_with('0') { "1" } else { "0" };
    wrong_check["id_number"] = json!(format!("{}{last}", &number[..17]));
    let mut fifteen = good.clone();
    fifteen["id_number"] = json!("450203850101011");
    let mut wrong_birth = good.clone();
    wrong_birth["birth_date"] = json!("1985-01-02");
    let mut wrong_gender = good.clone();
    wrong_gender["gender"] = json!("female");
    let mut bad_phone = good.clone();
    bad_phone["phone"] = json!("0772-1234567");
    let mut unknown_item = good.clone();
    unknown_item["specialties"] = json!(["quidditch"]);
    let mut risky = good.clone();
    risky["specialties"] = json!(["swimming"]);
    let mut future = good.clone();
    future["id_number"] = json!(id_number("450203", "20991231", 11));
    for (body, field, needle) in [
        (wrong_check, "id_number", "check"),
        (fifteen, "id_number", "15-digit"),
        (wrong_birth, "birth_date", "birth date"),
        (wrong_gender, "gender", "male"),
        (bad_phone, "phone", "mobile"),
        (unknown_item, "specialties", "quidditch"),
        (risky, "specialties", "licence"),
        (future, "id_number", "past"),
    ] {
        let reply = app
            .send_json(&app.admin_token, Method::POST, "/people", body)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{}", reply.text);
        assert!(reply.text.contains(needle), "{needle}: {}", reply.text);
    }
    let mut licensed = good.clone();
    licensed["specialties"] = json!(["swimming"]);
    licensed["specialty_licences"] =
        json!([{"sport_item": "swimming", "licence_no": "GX-SW-0001"}]);
    let reply = app
        .send_json(&app.admin_token, Method::POST, "/people", licensed)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.json["specialty_licences"][0]["licence_no"],
        "GX-SW-0001"
    );
    assert_eq!(app.get_ok("/people").await["total"], 1);
}

#[tokio::test]
async fn an_id_number_is_registered_once_even_when_two_requests_race() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let body = person_body("赵六", "19700505", 33, street);
    let replies = futures_util::future::join_all(
        (0..6).map(|_| app.send_json(&app.admin_token, Method::POST, "/people", body.clone())),
    )
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
    let again = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), ["id_number"]);
}

#[tokio::test]
async fn officers_work_on_their_own_street_and_see_masked_numbers() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let auditor = app.user("auditor", None).await;
    let elsewhere = app.person("外街", "19800101", 21, jiahe).await;

    let mut body = person_body("本街", "19810101", 23, tianma);
    body.as_object_mut().unwrap().remove("street_id");
    let own = app
        .send_json(&officer.token, Method::POST, "/people", body)
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.json["street_id"], tianma);
    assert_eq!(own.json["id_number_masked"], true);
    assert_eq!(
        own.json["id_number"].as_str().unwrap().matches('*').count(),
        8
    );
    let other = app
        .send_json(
            &officer.token,
            Method::POST,
            "/people",
            person_body("越界", "19820101", 25, jiahe),
        )
        .await;
    other.assert_problem(403);

    let listed = app.get_as(&officer.token, "/people").await;
    assert_eq!(listed.json["total"], 1);
    app.get_as(&officer.token, &format!("/people/{}", elsewhere["id"]))
        .await
        .assert_problem(404);
    app.send_json(
        &officer.token,
        Method::PATCH,
        &format!("/people/{}", elsewhere["id"]),
        json!({"name": "x"}),
    )
    .await
    .assert_problem(404);

    let as_auditor = app
        .get_as(&auditor.token, &format!("/people/{}", elsewhere["id"]))
        .await;
    assert_eq!(as_auditor.status, 200);
    assert_eq!(as_auditor.json["id_number_masked"], true);
    app.send_json(
        &auditor.token,
        Method::PATCH,
        &format!("/people/{}", elsewhere["id"]),
        json!({"name": "x"}),
    )
    .await
    .assert_problem(403);

    let before = app.get_ok("/audit-log?action=read_id_number").await["total"]
        .as_u64()
        .unwrap();
    let as_bureau = app.get_ok(&format!("/people/{}", elsewhere["id"])).await;
    assert_eq!(as_bureau["id_number_masked"], false);
    let reads = app.get_ok("/audit-log?action=read_id_number").await;
    assert_eq!(reads["total"].as_u64().unwrap(), before + 1);
    assert_eq!(reads["items"][0]["entity_id"], elsewhere["id"].to_string());
    let masked_in_log = app.get("/audit-log?entity=person&per_page=200").await.text;
    assert!(
        !masked_in_log.contains(elsewhere["id_number"].as_str().unwrap()),
        "the audit log holds masked numbers only"
    );
}

#[tokio::test]
async fn a_member_sees_its_own_full_number_and_nobody_elses() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let me = app.person("自己", "19880808", 41, tianma).await;
    let other = app.person("别人", "19880809", 43, tianma).await;
    let member = app
        .member(me["id"].as_i64().unwrap() as i32, Some(tianma))
        .await;
    let mine = app
        .get_as(&member.token, &format!("/people/{}", me["id"]))
        .await;
    assert_eq!(mine.json["id_number"], me["id_number"]);
    app.get_as(&member.token, &format!("/people/{}", other["id"]))
        .await
        .assert_problem(404);
    let export = app
        .get_as(&member.token, &format!("/people/{}/data-export", me["id"]))
        .await;
    assert_eq!(export.status, 200);
    assert_eq!(export.json["person"]["id_number"], me["id_number"]);
    assert!(
        export.json["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == member.id)
    );
}

#[tokio::test]
async fn updates_check_the_version_and_moving_streets_is_for_the_bureau() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let person = app.person("更新", "19900101", 51, tianma).await;
    let path = format!("/people/{}", person["id"]);
    let renamed = app
        .send_json(
            &officer.token,
            Method::PATCH,
            &path,
            json!({"name": "更新后", "version": 1}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json["version"], 2);
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path,
        json!({"phone": "13911112222", "version": 1}),
    )
    .await
    .assert_problem(409);
    app.send_json(
        &officer.token,
        Method::PATCH,
        &path,
        json!({"street_id": jiahe}),
    )
    .await
    .assert_problem(403);
    let moved = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &path,
            json!({"street_id": jiahe}),
        )
        .await;
    assert_eq!(moved.json["street_id"], jiahe);
    app.get_as(&officer.token, &path).await.assert_problem(404);
}

#[tokio::test]
async fn qualification_rules_hold() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    // Dates relative to today, so the test holds on any day: the young person turns 18
    // tomorrow (on 29 February, the 1st of March), the adult did long ago.
    let today = fitreg::domain::time::today();
    let tomorrow = today.succ_opt().unwrap();
    let turns_18 = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&tomorrow) - 18,
        chrono::Datelike::month(&tomorrow),
        chrono::Datelike::day(&tomorrow),
    )
    .unwrap_or_else(|| {
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&tomorrow) - 18, 3, 1).unwrap()
    });
    let young = app
        .person("少年", &turns_18.format("%Y%m%d").to_string(), 61, tianma)
        .await;
    let adult = app.person("成年", "19900601", 63, tianma).await;
    let quals = |id: &serde_json::Value| format!("/people/{id}/qualifications");

    let too_young = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &quals(&young["id"]),
            json!({"kind": "fitness_volunteer", "certified_on": today}),
        )
        .await;
    too_young.assert_problem(422);
    assert_eq!(too_young.error_fields(), ["certified_on"]);
    assert!(too_young.text.contains("min_age"));
    let in_future = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &quals(&young["id"]),
            json!({"kind": "fitness_volunteer", "certified_on": tomorrow}),
        )
        .await;
    in_future.assert_problem(422);
    assert_eq!(in_future.json["errors"][0]["code"], "date.in_future");

    for (body, field) in [
        (
            json!({"kind": "social_sports_instructor", "certified_on": "2024-01-01"}),
            "grade",
        ),
        (
            json!({"kind": "fitness_volunteer", "grade": "third", "certified_on": "2024-01-01"}),
            "grade",
        ),
        (
            json!({"kind": "community_sports_administrator", "certified_on": "2024-01-01"}),
            "employment",
        ),
    ] {
        let reply = app
            .send_json(&app.admin_token, Method::POST, &quals(&adult["id"]), body)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field]);
    }
    app.send_json(&officer.token, Method::POST, &quals(&adult["id"]),
        json!({"kind": "social_sports_instructor", "grade": "second", "certified_on": "2024-01-01", "issued_by": "柳州市体育局"}))
        .await
        .assert_problem(403);
    // The district grants `third` only to the eligible (tests/careers.rs has the boundaries).
    let ineligible = app
        .send_json(&officer.token, Method::POST, &quals(&adult["id"]), json!({"kind": "social_sports_instructor", "grade": "third", "certified_on": "2024-01-01", "certificate_no": "YF-2024-001"}))
        .await;
    ineligible.assert_problem(422);
    assert_eq!(
        ineligible.error_fields(),
        ["certification_course", "training_hours", "service_sessions"]
    );
    let unrecorded = app
        .send_json(&app.admin_token, Method::POST, &quals(&adult["id"]), json!({"kind": "social_sports_instructor", "grade": "second", "certified_on": "2024-01-01"}))
        .await;
    unrecorded.assert_problem(422);
    assert_eq!(unrecorded.error_fields(), ["issued_by", "certificate_no"]);
    let second = app
        .send_json(&app.admin_token, Method::POST, &quals(&adult["id"]), json!({"kind": "social_sports_instructor", "grade": "second", "certified_on": "2024-01-01", "issued_by": "柳州市体育局", "certificate_no": "LZ-2"}))
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.json["grade_granted_on"], "2024-01-01");
    assert_eq!(second.json["eligibility_at_grant"]["eligible"], false);
    app.send_json(
        &app.admin_token,
        Method::POST,
        &quals(&adult["id"]),
        json!({"kind": "social_sports_instructor", "grade": "second", "certified_on": "2024-02-01", "issued_by": "柳州市体育局", "certificate_no": "LZ-3"}),
    )
    .await
    .assert_problem(409);
    let qid = second.json["id"].clone();
    let lower = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("{}/{qid}", quals(&adult["id"])),
            json!({"grade": "third"}),
        )
        .await;
    lower.assert_problem(422);
    assert_eq!(lower.error_fields(), ["grade"]);
    let no_reason = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("{}/{qid}", quals(&adult["id"])),
            json!({"status": "revoked"}),
        )
        .await;
    no_reason.assert_problem(422);
    assert_eq!(no_reason.error_fields(), ["reason"]);
    let person = app.get_ok(&format!("/people/{}", adult["id"])).await;
    assert_eq!(person["qualifications"][0]["grade"], "second");
    assert_eq!(
        app.get_ok("/people?role=social_sports_instructor&grade=second")
            .await["total"],
        1
    );
}

#[tokio::test]
async fn assignments_need_a_qualification_never_overlap_and_end_with_their_community_or_person() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let person = app.person("管理员", "19800301", 71, tianma).await;
    let pid = person["id"].as_i64().unwrap();
    let community = app.community_id("450203001001").await;
    let far_community = app
        .get_ok(&format!("/communities?street_id={jiahe}&per_page=1"))
        .await["items"][0]["id"]
        .clone();
    let assign =
        |body: serde_json::Value| app.send_json(&officer.token, Method::POST, "/assignments", body);
    let body = json!({"person_id": pid, "community_id": community, "role": "community_sports_administrator", "starts_on": "2025-01-01"});

    let unqualified = assign(body.clone()).await;
    unqualified.assert_problem(422);
    assert_eq!(unqualified.error_fields(), ["role"]);
    app.qualify(pid, json!({"kind": "community_sports_administrator", "employment": "part_time", "certified_on": "2024-12-01"})).await;
    let made = assign(body.clone()).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let overlap = assign(json!({"person_id": pid, "community_id": community, "role": "community_sports_administrator", "starts_on": "2025-06-01"})).await;
    overlap.assert_problem(409);
    let mut far = body.clone();
    far["community_id"] = far_community;
    assign(far).await.assert_problem(403);

    let aid = made.json["id"].as_i64().unwrap();
    assert_eq!(
        app.get_ok("/assignments?as_of=2024-12-31").await["total"],
        0
    );
    assert_eq!(
        app.get_ok("/assignments?as_of=2025-01-01").await["total"],
        1
    );
    assert_eq!(
        app.get_ok(&format!("/people?community_id={community}"))
            .await["total"],
        1
    );
    let ended = app
        .send_json(
            &officer.token,
            Method::POST,
            &format!("/assignments/{aid}/end"),
            json!({"ends_on": "2025-03-01", "reason": "调动"}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(
        app.get_ok("/assignments?as_of=2025-02-28").await["total"],
        1
    );
    assert_eq!(
        app.get_ok("/assignments?as_of=2025-03-01").await["total"],
        0,
        "ends_on is exclusive"
    );
    app.send_json(
        &officer.token,
        Method::POST,
        &format!("/assignments/{aid}/end"),
        json!({"reason": "again"}),
    )
    .await
    .assert_problem(409);
    let after_gap = assign(json!({"person_id": pid, "community_id": community, "role": "community_sports_administrator", "starts_on": "2025-03-01"})).await;
    assert_eq!(
        after_gap.status, 201,
        "a new term may start the day the old one ended: {}",
        after_gap.text
    );

    // Deactivating the community ends its open assignments.
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/communities/{community}"),
        json!({"active": false}),
    )
    .await;
    let open = app
        .get_ok(&format!("/assignments?community_id={community}"))
        .await;
    assert!(
        open["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["ends_on"].is_string()),
        "{open}"
    );
    assign(json!({"person_id": pid, "community_id": community, "role": "community_sports_administrator"})).await.assert_problem(422);
}

#[tokio::test]
async fn suspending_a_person_or_revoking_the_qualification_ends_their_assignments() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let community = app.community_id("450203001002").await;
    let a = app.person("甲", "19800401", 81, tianma).await["id"]
        .as_i64()
        .unwrap();
    let b = app.person("乙", "19800402", 83, tianma).await["id"]
        .as_i64()
        .unwrap();
    let mut qids = Vec::new();
    for pid in [a, b] {
        let q = app
            .qualify(
                pid,
                json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
            )
            .await;
        qids.push(q["id"].clone());
        let made = app.send_json(&app.admin_token, Method::POST, "/assignments",
            json!({"person_id": pid, "community_id": community, "role": "fitness_volunteer", "starts_on": "2024-02-01"})).await;
        assert_eq!(made.status, 201);
    }
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/people/{a}"),
        json!({"status": "suspended"}),
    )
    .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/people/{b}/qualifications/{}", qids[1]),
        json!({"status": "revoked", "reason": "违规收费"}),
    )
    .await;
    let today = fitreg::domain::time::today().to_string();
    for pid in [a, b] {
        let listed = app.get_ok(&format!("/assignments?person_id={pid}")).await;
        assert_eq!(listed["items"][0]["ends_on"], today.as_str(), "{listed}");
    }
    let revoked = app.get_ok(&format!("/people/{b}")).await;
    assert_eq!(revoked["qualifications"][0]["status"], "revoked");
    assert_eq!(revoked["qualifications"][0]["revoke_reason"], "违规收费");
}

/// An assignment and the revocation of the qualification it rests on, sent at once: whichever
/// commits first, no open assignment is left on a revoked qualification (the assignment is
/// refused, or made and then ended by the revocation).
#[tokio::test]
async fn an_assignment_racing_the_revocation_of_its_qualification_never_stays_open() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let community = app.community_id("450203001002").await;
    for n in 0..12 {
        let pid = app
            .person(&format!("竞{n}"), "19800501", 90 + n, tianma)
            .await["id"]
            .as_i64()
            .unwrap();
        let q = app
            .qualify(
                pid,
                json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
            )
            .await;
        let revoke = format!("/people/{pid}/qualifications/{}", q["id"]);
        let (made, revoked) = tokio::join!(
            app.send_json(&app.admin_token, Method::POST, "/assignments",
                json!({"person_id": pid, "community_id": community, "role": "fitness_volunteer", "starts_on": "2025-01-01"})),
            app.send_json(
                &app.admin_token,
                Method::PATCH,
                &revoke,
                json!({"status": "revoked", "reason": "违规"}),
            )
        );
        assert_eq!(revoked.status, 200, "{}", revoked.text);
        let listed = app.get_ok(&format!("/assignments?person_id={pid}")).await;
        match made.status.as_u16() {
            201 => assert!(
                listed["items"][0]["ends_on"].is_string(),
                "made before the revocation, so ended by it: {listed}"
            ),
            _ => {
                made.assert_problem(422);
                assert_eq!(made.error_fields(), ["role"]);
                assert_eq!(listed["total"], 0, "{listed}");
            }
        }
    }
}

/// An assignment and the deactivation of its community, sent at once: the assignment is
/// refused, or made and then ended by the deactivation; it never stays open in an inactive
/// community.
#[tokio::test]
async fn an_assignment_racing_the_deactivation_of_its_community_never_stays_open() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let community = app.community_id("450203001003").await;
    let path = format!("/communities/{community}");
    for n in 0..8 {
        let reopened = app
            .send_json(
                &app.admin_token,
                Method::PATCH,
                &path,
                json!({"active": true}),
            )
            .await;
        assert_eq!(reopened.status, 200, "{}", reopened.text);
        let pid = app
            .person(&format!("撤{n}"), "19800601", 110 + n, tianma)
            .await["id"]
            .as_i64()
            .unwrap();
        app.qualify(
            pid,
            json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
        )
        .await;
        let (made, closed) = tokio::join!(
            app.send_json(&app.admin_token, Method::POST, "/assignments",
                json!({"person_id": pid, "community_id": community, "role": "fitness_volunteer", "starts_on": "2025-01-01"})),
            app.send_json(&app.admin_token, Method::PATCH, &path, json!({"active": false}))
        );
        assert_eq!(closed.status, 200, "{}", closed.text);
        let listed = app.get_ok(&format!("/assignments?person_id={pid}")).await;
        match made.status.as_u16() {
            201 => assert!(
                listed["items"][0]["ends_on"].is_string(),
                "made before the deactivation, so ended by it: {listed}"
            ),
            _ => {
                made.assert_problem(422);
                assert_eq!(made.error_fields(), ["community_id"]);
                assert_eq!(listed["total"], 0, "{listed}");
            }
        }
    }
}

#[tokio::test]
async fn the_list_searches_by_name_phone_and_full_id_number_and_filters() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let one = app.person("陈小明", "19750101", 91, tianma).await;
    let mut body = person_body("刘大海", "19760101", 93, tianma);
    body["phone"] = json!("13712345678");
    body["specialties"] = json!(["taichi"]);
    app.send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    let app = &app;
    let q = |q: &str| {
        let path = format!(
            "/people?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        async move { app.get_ok(&path).await }
    };
    assert_eq!(q("小明").await["total"], 1);
    assert_eq!(q("12345678").await["total"], 1);
    assert_eq!(q(one["id_number"].as_str().unwrap()).await["total"], 1);
    assert_eq!(
        q(&one["id_number"].as_str().unwrap()[..10]).await["total"],
        0,
        "no partial ID number search"
    );
    assert_eq!(app.get_ok("/people?specialty=taichi").await["total"], 1);
    assert_eq!(app.get_ok("/people?status=active").await["total"], 2);
    assert_eq!(app.get_ok("/people?status=retired").await["total"], 0);
    let listed = app.get_ok("/people").await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id_number_masked"] == true),
        "lists are masked"
    );
}

#[tokio::test]
async fn officers_create_member_accounts_for_their_people() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let mut body = person_body("会员", "19920202", 95, tianma);
    body["email"] = json!("member@example.cn");
    let person = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await
        .json;
    let far = app.person("远方", "19920203", 97, jiahe).await;

    let account = app
        .send_json(
            &officer.token,
            Method::POST,
            "/accounts",
            json!({"username": "member-one", "role": "member", "person_id": person["id"]}),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.text);
    assert_eq!(
        account.json["email"], "member@example.cn",
        "the invitation goes to the address on record"
    );
    assert_eq!(account.json["street_id"], tianma);
    assert_eq!(
        app.get_ok("/outbox?status=pending").await["items"][0]["recipient"],
        "member@example.cn"
    );
    app.send_json(&officer.token, Method::POST, "/accounts", json!({"username": "member-two", "role": "member", "person_id": far["id"], "password": "member-password"}))
        .await
        .assert_problem(404);
    assert_eq!(
        app.get_as(&officer.token, &format!("/accounts/{}", account.json["id"]))
            .await
            .status,
        200
    );
}
