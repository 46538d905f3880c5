//! The coverage audit on a hand-built history, gaps, risks, scope, export and alerts.

mod common;

use common::{TestApp, smtp::SmtpServer, spawn_app, spawn_app_with_smtp};
use reqwest::Method;
use serde_json::{Value, json};

fn community(report: &Value, id: i64) -> &Value {
    report["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("community in the report")
}

struct History {
    c1: i64,
    c2: i64,
    c3: i64,
}

async fn history(app: &TestApp) -> History {
    let c1 = app.community_id("450203001001").await;
    let c2 = app.community_id("450203001002").await;
    let c3 = app.community_id("450203001003").await;
    app.serving(
        1,
        "community_sports_administrator",
        Some("full_time"),
        c1,
        "2025-01-10",
        Some("2025-03-01"),
    )
    .await;
    app.serving(
        3,
        "community_sports_administrator",
        Some("part_time"),
        c1,
        "2025-02-15",
        None,
    )
    .await;
    app.serving(
        5,
        "community_sports_administrator",
        Some("full_time"),
        c2,
        "2025-02-01",
        Some("2025-02-20"),
    )
    .await;
    app.serving(7, "social_sports_instructor", None, c1, "2025-01-01", None)
        .await;
    app.serving(9, "fitness_volunteer", None, c1, "2025-01-01", None)
        .await;
    History { c1, c2, c3 }
}

#[tokio::test]
async fn coverage_on_each_day_of_a_known_history_is_exact() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let app = &app;
    let on = |day: &str| {
        let path = format!("/coverage?as_of={day}");
        async move { app.get_ok(&path).await }
    };

    let before = on("2025-01-09").await;
    assert_eq!(community(&before, h.c1)["covered"], false);
    assert_eq!(community(&before, h.c1)["instructors"], 1);
    assert_eq!(before["district"]["covered"], 0);
    assert_eq!(before["district"]["communities"], 101);

    let first_day = on("2025-01-10").await;
    assert_eq!(
        community(&first_day, h.c1)["covered"],
        true,
        "the start day counts"
    );
    assert_eq!(
        community(&first_day, h.c1)["administrators"],
        json!({"full_time": 1, "part_time": 0})
    );

    let busy = on("2025-02-15").await;
    assert_eq!(
        community(&busy, h.c1)["administrators"],
        json!({"full_time": 1, "part_time": 1})
    );
    assert_eq!(community(&busy, h.c2)["covered"], true);
    assert_eq!(busy["district"]["covered"], 2);
    let tianma = busy["streets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "450203001")
        .unwrap();
    assert_eq!(tianma["covered"], 2);
    assert!(
        (tianma["ratio"].as_f64().unwrap() - 2.0 / tianma["communities"].as_f64().unwrap()).abs()
            < 1e-9
    );

    let end_day = on("2025-02-20").await;
    assert_eq!(
        community(&end_day, h.c2)["covered"],
        false,
        "the end day does not count"
    );
    let handover = on("2025-03-01").await;
    assert_eq!(
        community(&handover, h.c1)["administrators"],
        json!({"full_time": 0, "part_time": 1})
    );
    assert_eq!(community(&handover, h.c1)["volunteers"], 1);
    assert_eq!(handover["instructors_per_1000_target"], 2.16);
    // Unknown values are there as null, as the OpenAPI document says, not left out.
    let unknown = community(&handover, h.c1).as_object().unwrap();
    assert_eq!(unknown.get("population"), Some(&Value::Null));
    assert_eq!(unknown.get("instructors_per_1000"), Some(&Value::Null));

    // A population gives a density.
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/communities/{}", h.c1),
        json!({"population": 2000}),
    )
    .await;
    assert_eq!(
        community(&on("2025-03-01").await, h.c1)["instructors_per_1000"],
        0.5
    );
}

#[tokio::test]
async fn a_deactivated_community_drops_out_from_that_day_on() {
    let app = spawn_app().await;
    let h = history(&app).await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/communities/{}", h.c3),
        json!({"active": false}),
    )
    .await;
    let today = app.get_ok("/coverage").await;
    assert_eq!(today["district"]["communities"], 100);
    assert!(
        today["communities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != h.c3)
    );
    let yesterday = (fitreg::domain::time::today() - chrono::TimeDelta::days(1)).to_string();
    let past = app.get_ok(&format!("/coverage?as_of={yesterday}")).await;
    assert_eq!(
        past["district"]["communities"], 101,
        "the past is not recomputed from today's state"
    );
}

#[tokio::test]
async fn the_gaps_are_the_uncovered_communities_of_the_audit_on_every_day() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let tianma = app.get_ok("/coverage").await["streets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "450203001")
        .unwrap()["id"]
        .clone();
    for day in [
        "2025-01-09",
        "2025-01-10",
        "2025-02-14",
        "2025-02-15",
        "2025-02-19",
        "2025-02-20",
        "2025-03-01",
        "2025-03-02",
    ] {
        for scope in [String::new(), format!("&street_id={tianma}")] {
            let audit = app.get_ok(&format!("/coverage?as_of={day}{scope}")).await;
            let uncovered: Vec<&Value> = audit["communities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["covered"] == false)
                .map(|c| &c["id"])
                .collect();
            let gaps = app
                .get_ok(&format!("/coverage/gaps?as_of={day}{scope}"))
                .await;
            let listed: Vec<&Value> = gaps["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| &g["id"])
                .collect();
            assert_eq!(listed, uncovered, "{day}{scope}");
            assert_eq!(gaps["total"], uncovered.len());
        }
    }
    let gaps = app.get_ok("/coverage/gaps?as_of=2025-03-02").await;
    let c2 = gaps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == h.c2)
        .unwrap();
    assert_eq!(c2["uncovered_since"], "2025-02-20");
    assert_eq!(c2["days"], 10);
    assert!(
        !gaps["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == h.c1),
        "c1 has its part-time administrator"
    );
}

#[tokio::test]
async fn gaps_tell_since_when_and_at_risk_looks_ahead() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let gaps = app.get_ok("/coverage/gaps?as_of=2025-02-25").await;
    assert_eq!(gaps["total"], 100, "all but c1");
    let c2 = gaps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == h.c2)
        .unwrap();
    assert_eq!(c2["uncovered_since"], "2025-02-20");
    assert_eq!(c2["days"], 5);
    let c3 = gaps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == h.c3)
        .unwrap();
    assert!(
        c3["uncovered_since"].is_null() && c3["days"].is_null(),
        "never had one"
    );

    // c1's only administrator leaves in 10 days.
    let today = fitreg::domain::time::today();
    let open = app
        .get_ok(&format!(
            "/assignments?community_id={}&role=community_sports_administrator&as_of={today}",
            h.c1
        ))
        .await;
    let id = open["items"][0]["id"].as_i64().unwrap();
    let leaves = (today + chrono::TimeDelta::days(10)).to_string();
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/assignments/{id}/end"),
        json!({"ends_on": leaves, "reason": "退休"}),
    )
    .await;
    let risks = app.get_ok("/coverage/at-risk?within_days=30").await;
    assert_eq!(risks["total"], 1, "{risks}");
    assert_eq!(risks["items"][0]["id"], h.c1);
    assert_eq!(risks["items"][0]["uncovered_from"], leaves.as_str());
    assert_eq!(risks["items"][0]["days_left"], 10);
    assert_eq!(
        app.get_ok("/coverage/at-risk?within_days=5").await["total"],
        0
    );
    // A successor starting that day removes the risk.
    app.serving(
        11,
        "community_sports_administrator",
        Some("part_time"),
        h.c1,
        &leaves,
        None,
    )
    .await;
    assert_eq!(
        app.get_ok("/coverage/at-risk?within_days=30").await["total"],
        0
    );
    app.get("/coverage/at-risk?within_days=0")
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn officers_audit_their_street_and_members_not_at_all() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let jiahe = app.street_id("450203002").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let auditor = app.user("auditor", None).await;
    let own = app.get_as(&officer.token, "/coverage").await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json["streets"].as_array().unwrap().len(), 1);
    assert!(
        own.json["communities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["street_id"] == tianma)
    );
    app.get_as(&officer.token, &format!("/coverage?street_id={jiahe}"))
        .await
        .assert_problem(404);
    app.get_as(&officer.token, &format!("/coverage/gaps?street_id={jiahe}"))
        .await
        .assert_problem(404);
    assert_eq!(
        app.get_as(&auditor.token, "/coverage").await.json["streets"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let person = app.person("会员", "19900101", 21, tianma).await;
    let member = app
        .member(person["id"].as_i64().unwrap() as i32, Some(tianma))
        .await;
    app.get_as(&member.token, "/coverage")
        .await
        .assert_problem(403);
    app.send(app.as_user(&auditor.token, Method::POST, "/coverage/alerts"))
        .await
        .assert_problem(403);
    app.send(app.as_user(&officer.token, Method::POST, "/coverage/alerts"))
        .await
        .assert_problem(403);
    let tomorrow = (fitreg::domain::time::today() + chrono::TimeDelta::days(1)).to_string();
    let future = app.get(&format!("/coverage?as_of={tomorrow}")).await;
    future.assert_problem(422);
    assert_eq!(future.error_fields(), ["as_of"]);
}

#[tokio::test]
async fn the_csv_export_matches_the_json() {
    let app = spawn_app().await;
    history(&app).await;
    let json = app.get_ok("/coverage?as_of=2025-02-15").await;
    let csv = app
        .send(app.request(Method::GET, "/coverage/export?format=csv&as_of=2025-02-15"))
        .await;
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv.text.trim_start_matches('\u{feff}');
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let district = rows.iter().find(|r| &r[0] == "district").unwrap();
    assert_eq!(district[5], json["district"]["communities"].to_string());
    assert_eq!(district[6], json["district"]["covered"].to_string());
    let communities: Vec<&csv::StringRecord> =
        rows.iter().filter(|r| &r[0] == "community").collect();
    assert_eq!(
        communities.len(),
        json["communities"].as_array().unwrap().len()
    );
    for (row, item) in communities
        .iter()
        .zip(json["communities"].as_array().unwrap())
    {
        assert_eq!(row[1], item["id"].to_string());
        assert_eq!(&row[8] == "是", item["covered"].as_bool().unwrap());
        assert_eq!(row[9], item["administrators"]["full_time"].to_string());
        assert_eq!(row[10], item["administrators"]["part_time"].to_string());
        assert_eq!(row[11], item["instructors"].to_string());
    }
    assert_eq!(rows.iter().filter(|r| &r[0] == "street").count(), 12);

    // The workbook, written row by row as it streams, holds the same rows: a sheet per level,
    // the level column dropped, under a header row.
    let xlsx = app
        .request(Method::GET, "/coverage/export?format=xlsx&as_of=2025-02-15")
        .send()
        .await
        .unwrap();
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = xlsx.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    assert_eq!(
        workbook.sheet_names(),
        ["全区", "街道（乡镇）", "社区（村）"]
    );
    for (sheet, level) in [
        ("全区", "district"),
        ("街道（乡镇）", "street"),
        ("社区（村）", "community"),
    ] {
        let range = workbook.worksheet_range(sheet).unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(cells[0][0], "编号", "{sheet}: the header row");
        let expected: Vec<Vec<String>> = rows
            .iter()
            .filter(|r| &r[0] == level)
            .map(|r| r.iter().skip(1).map(str::to_owned).collect())
            .collect();
        // calamine reads a trailing empty cell as absent: compare up to the row's length.
        let got: Vec<Vec<String>> = cells[1..]
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.resize(14, String::new());
                r
            })
            .collect();
        assert_eq!(got, expected, "{sheet}");
    }
}

#[tokio::test]
async fn alert_mails_reach_each_officer_with_their_streets_communities() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let h = history(&app).await;
    let tianma = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", officer.id),
        json!({"email": "tianma@example.cn"}),
    )
    .await;
    let other = app
        .user("street_officer", Some(app.street_id("450203002").await))
        .await;
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/accounts/{}", other.id),
        json!({"email": "jiahe@example.cn"}),
    )
    .await;

    let sent = app
        .send(app.request(Method::POST, "/coverage/alerts"))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.json["mails"], 2);
    let mails = smtp.wait_for(2, std::time::Duration::from_secs(20)).await;
    let to_tianma = mails
        .iter()
        .find(|m| m.to == ["tianma@example.cn"])
        .expect("a mail to the Tianma officer");
    let text = to_tianma.text();
    let c1_name = app.get_ok(&format!("/communities/{}", h.c1)).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let c2_name = app.get_ok(&format!("/communities/{}", h.c2)).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&c2_name), "c2 is uncovered: {text}");
    assert!(
        !text.contains(&format!("- {c1_name}")),
        "c1 is covered: {text}"
    );
    assert!(
        to_tianma.subject().contains("天马街道"),
        "{}",
        to_tianma.subject()
    );
    let to_jiahe = mails.iter().find(|m| m.to == ["jiahe@example.cn"]).unwrap();
    assert!(
        !to_jiahe.text().contains(&c2_name),
        "each officer hears about its own street"
    );
}

#[tokio::test]
async fn the_daily_alert_runs_at_most_once_a_day() {
    let app = spawn_app().await;
    let at = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap();
    let morning = chrono::DateTime::parse_from_rfc3339("2026-12-01T07:59:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let later = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:01:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let next_day = chrono::DateTime::parse_from_rfc3339("2026-12-02T09:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    use fitreg::services::coverage_alerts::run_daily_if_due;
    assert!(
        run_daily_if_due(&app.db, at, morning)
            .await
            .unwrap()
            .is_none(),
        "not yet due"
    );
    assert!(
        run_daily_if_due(&app.db, at, later)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        run_daily_if_due(&app.db, at, later)
            .await
            .unwrap()
            .is_none(),
        "once a day"
    );
    assert!(
        run_daily_if_due(&app.db, at, next_day)
            .await
            .unwrap()
            .is_some()
    );
}
