//! People CSV import (all or nothing, dry run, partial, undo) and CSV/XLSX export.

mod common;

use common::{id_number, spawn_app};
use reqwest::Method;

const HEADER: &str = "name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,employment,certificate_no,certified_on,specialties";
const CHINESE_HEADER: &str = "姓名,性别,出生日期,身份证号码,手机号码,电子邮箱,街道代码,社区代码,类别,等级,用工形式,证书编号,发证日期,专长";

fn row(name: &str, birth: &str, seq: u16, extra: &str) -> String {
    let number = id_number("450203", birth, seq);
    let gender = if seq % 2 == 1 { "男" } else { "女" };
    let birth_date = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
    format!("{name},{gender},{birth_date},{number},1380000{seq:04},,450203001,{extra}")
}

async fn import(app: &common::TestApp, token: &str, csv: String, query: &str) -> common::Reply {
    app.send(
        app.as_user(token, Method::POST, &format!("/people/import?{query}"))
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await
}

#[tokio::test]
async fn a_file_with_a_bad_row_changes_nothing_and_names_line_and_column() {
    let app = spawn_app().await;
    let csv = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,文体管理员,,兼职,,2024-01-01,square_dance",
        ),
        row("乙", "19800102", 3, ",,,,,,"),
        "丙,男,1980-01-03,450203198001030001,13800000005,,450203001,,,,,,,".to_owned(),
        row("丁", "19800104", 7, ",teacher,,,,,"),
        row("戊", "19800105", 9, ",,,,,,quidditch"),
        row("甲二", "19800101", 1, ",,,,,,"),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, csv, "").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["import_id"].is_null());
    assert_eq!(reply.json["created"], 0);
    let errors: Vec<(u64, String)> = reply.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (4, "id_number".to_owned()),
            (5, "role".to_owned()),
            (6, "specialties".to_owned()),
            (7, "id_number".to_owned())
        ],
        "{}",
        reply.text
    );
    assert!(reply.text.contains("duplicate of line 2"));
    assert_eq!(
        reply.json["errors"][0]["column"], "id_number",
        "an English header is the column's name"
    );
    assert_eq!(app.get_ok("/people").await["total"], 0, "all or nothing");
}

#[tokio::test]
async fn a_csv_with_chinese_headers_imports_and_its_errors_name_the_chinese_column() {
    let app = spawn_app().await;
    let good = row(
        "甲",
        "19800101",
        1,
        "450203001001,文体管理员,,兼职,,2024-01-01,太极拳",
    );
    let number = id_number("450203", "19800102", 3);
    let wrong_check = format!(
        "{}{}",
        &number[..17],
        if number.ends_with('0') { '1' } else { '0' }
    );
    let bad = row("乙", "19800102", 3, ",,,,,,").replace(&number, &wrong_check);
    let csv = [format!("\u{feff}{CHINESE_HEADER}"), good, bad].join("\r\n");

    let reply = import(&app, &app.admin_token, csv.clone(), "").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let error = &reply.json["errors"][0];
    assert_eq!(
        (
            &error["line"],
            &error["field"],
            &error["column"],
            &error["code"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!("id_number"),
            &serde_json::json!("身份证号码"),
            &serde_json::json!("id_number.checksum")
        ),
        "{}",
        reply.text
    );
    assert_eq!(app.get_ok("/people").await["total"], 0, "all or nothing");

    let partial = import(&app, &app.admin_token, csv, "partial=true").await;
    assert_eq!(partial.json["created"], 1, "{}", partial.text);
    let admin = &app
        .get_ok("/people?role=community_sports_administrator")
        .await["items"][0];
    assert_eq!(admin["name"], "甲");
    assert_eq!(admin["specialties"], serde_json::json!(["taichi"]));

    // A header may mix both forms, column by column.
    let mixed = [
        "name,性别,birth_date,身份证号码,phone,email,街道代码,community_code,role,grade,employment,certificate_no,certified_on,specialties".to_owned(),
        row("丙", "19800103", 5, ",全民健身志愿者,,,,,"),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, mixed, "").await;
    assert_eq!(reply.json["created"], 1, "{}", reply.text);
}

#[tokio::test]
async fn dates_may_be_written_with_slashes_or_chinese_units() {
    let app = spawn_app().await;
    let csv = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,全民健身志愿者,,,,2024/1/5,",
        )
        .replace("1980-01-01", "1980年1月1日"),
        row("乙", "19800102", 3, ",,,,,2024年13月1日,"),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, csv, "partial=true").await;
    assert_eq!(reply.json["created"], 1, "{}", reply.text);
    assert_eq!(reply.json["errors"][0]["field"], "certified_on");
    assert_eq!(reply.json["errors"][0]["code"], "date.format");
    let community = app.community_id("450203001001").await;
    let on_the_day = app
        .get_ok(&format!(
            "/assignments?community_id={community}&as_of=2024-01-05"
        ))
        .await;
    assert_eq!(on_the_day["total"], 1, "the assignment starts on 2024/1/5");
}

#[tokio::test]
async fn an_unknown_or_missing_column_is_named_in_both_forms() {
    let app = spawn_app().await;
    let unknown = import(
        &app,
        &app.admin_token,
        "姓名,身份证,手机号码,街道代码\n".into(),
        "",
    )
    .await;
    unknown.assert_problem(400);
    assert_eq!(unknown.json["errors"][0]["code"], "import.unknown_column");
    let message = unknown.json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("\"身份证\"") && message.contains("id_number (身份证号码)"),
        "{message}"
    );
    let missing = import(
        &app,
        &app.admin_token,
        "姓名,身份证号码,街道代码\n甲,x,y\n".into(),
        "",
    )
    .await;
    missing.assert_problem(400);
    assert_eq!(missing.json["errors"][0]["code"], "import.missing_column");
    assert!(
        missing.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("phone (手机号码)"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn a_dry_run_counts_and_writes_nothing_and_partial_writes_the_good_rows() {
    let app = spawn_app().await;
    let csv = [
        format!("\u{feff}{HEADER}"),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,文体管理员,,兼职,,2024-01-01,square_dance、taichi",
        ),
        row("乙", "19800102", 3, ",全民健身志愿者,,,,,"),
        row(
            "丙",
            "19800103",
            5,
            ",社会体育指导员,三级,,YF-001,2023-06-01,",
        ),
        row("丁", "19800104", 7, "999999999999,全民健身志愿者,,,,,"),
    ]
    .join("\r\n");
    let dry = import(
        &app,
        &app.admin_token,
        csv.clone(),
        "dry_run=true&partial=true",
    )
    .await;
    assert_eq!(dry.json["dry_run"], true);
    assert_eq!(dry.json["created"], 3, "{}", dry.text);
    assert!(dry.json["import_id"].is_null());
    assert_eq!(app.get_ok("/people").await["total"], 0);

    let partial = import(&app, &app.admin_token, csv, "partial=true").await;
    assert_eq!(partial.json["created"], 3, "{}", partial.text);
    assert_eq!(partial.json["errors"][0]["line"], 5);
    assert_eq!(partial.json["errors"][0]["field"], "community_code");
    assert!(partial.json["import_id"].is_string());
    assert_eq!(app.get_ok("/people").await["total"], 3);
    let admin = app
        .get_ok("/people?role=community_sports_administrator")
        .await;
    assert_eq!(admin["total"], 1);
    assert_eq!(
        admin["items"][0]["specialties"],
        serde_json::json!(["square_dance", "taichi"])
    );
    assert_eq!(
        admin["items"][0]["qualifications"][0]["employment"],
        "part_time"
    );
    let community = app.community_id("450203001001").await;
    let assignments = app
        .get_ok(&format!(
            "/assignments?community_id={community}&as_of=2024-01-01"
        ))
        .await;
    assert_eq!(
        assignments["total"], 1,
        "the community_code made an assignment from certified_on"
    );
    assert_eq!(app.get_ok("/people?grade=third").await["total"], 1);
}

#[tokio::test]
async fn a_registered_person_gains_the_rows_qualification_and_an_import_can_be_undone_once() {
    let app = spawn_app().await;
    let first = [
        HEADER.to_owned(),
        row("甲", "19800101", 1, ",全民健身志愿者,,,,2024-01-01,"),
    ]
    .join("\n");
    let imported = import(&app, &app.admin_token, first, "").await;
    assert_eq!(imported.json["created"], 1);
    let second = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001002,文体管理员,,专职,,2024-05-01,",
        ),
        row("乙", "19800102", 3, ",,,,,,"),
    ]
    .join("\n");
    let again = import(&app, &app.admin_token, second, "").await;
    assert_eq!(again.json["created"], 1, "{}", again.text);
    assert_eq!(again.json["updated"], 1);
    let person = &app
        .get_ok("/people?role=community_sports_administrator")
        .await["items"][0];
    assert_eq!(person["qualifications"].as_array().unwrap().len(), 2);

    let undo_path = format!("/imports/{}", again.json["import_id"].as_str().unwrap());
    let undone = app.send(app.request(Method::DELETE, &undo_path)).await;
    assert_eq!(undone.status, 204, "{}", undone.text);
    assert_eq!(
        app.get_ok("/people").await["total"],
        1,
        "the second import's new person is gone"
    );
    let kept = &app.get_ok("/people").await["items"][0];
    assert_eq!(
        kept["qualifications"].as_array().unwrap().len(),
        1,
        "and the qualification it added"
    );
    app.send(app.request(Method::DELETE, &undo_path))
        .await
        .assert_problem(409);
    app.send(app.request(Method::DELETE, "/imports/nope"))
        .await
        .assert_problem(404);

    // Once a person of an import has been changed, the import stays.
    let first_undo = format!("/imports/{}", imported.json["import_id"].as_str().unwrap());
    app.send_json(
        &app.admin_token,
        Method::PATCH,
        &format!("/people/{}", kept["id"]),
        serde_json::json!({"phone": "13900000000"}),
    )
    .await;
    app.send(app.request(Method::DELETE, &first_undo))
        .await
        .assert_problem(409);
}

#[tokio::test]
async fn officers_import_into_their_own_street_only() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    let other_street = row("乙", "19800102", 3, ",,,,,,").replace(",450203001,", ",450203002,");
    let csv = [
        HEADER.to_owned(),
        row("甲", "19800101", 1, ",,,,,,"),
        other_street,
    ]
    .join("\n");
    let reply = import(&app, &officer.token, csv, "").await;
    assert_eq!(
        reply.json["errors"][0]["field"], "street_code",
        "{}",
        reply.text
    );
    let auditor = app.user("auditor", None).await;
    import(
        &app,
        &auditor.token,
        [HEADER.to_owned(), row("甲", "19800101", 1, ",,,,,,")].join("\n"),
        "",
    )
    .await
    .assert_problem(403);
}

#[tokio::test]
async fn a_malformed_file_is_a_400_problem() {
    let app = spawn_app().await;
    let unknown = import(
        &app,
        &app.admin_token,
        "name,id_number,phone,street_code,nickname\n".into(),
        "",
    )
    .await;
    unknown.assert_problem(400);
    assert_eq!(unknown.error_fields(), ["header"]);
    import(
        &app,
        &app.admin_token,
        "name,phone,street_code\nx,y,z\n".into(),
        "",
    )
    .await
    .assert_problem(400);
    import(&app, &app.admin_token, format!("{HEADER}\n"), "")
        .await
        .assert_problem(400);
    let wrong_type = app
        .send(
            app.request(Method::POST, "/people/import")
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
    assert!(wrong_type.status.is_client_error());
}

#[tokio::test]
async fn uploads_may_exceed_the_json_limit() {
    let app = spawn_app().await;
    let mut csv = [HEADER.to_owned(), row("甲", "19800101", 1, ",,,,,,")].join("\n");
    csv.push_str(&"\n".repeat(1_200_000));
    let reply = import(&app, &app.admin_token, csv, "").await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        reply.text.chars().take(300).collect::<String>()
    );
    assert_eq!(reply.json["created"], 1);
}

#[tokio::test]
async fn the_csv_export_matches_the_list_and_masks_for_officers() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(tianma)).await;
    let a = app.person("陈一", "19700101", 11, tianma).await;
    app.person("陈二", "19700102", 13, tianma).await;
    app.person("外街", "19700103", 15, app.street_id("450203002").await)
        .await;

    let list = app.get_ok("/people?q=陈").await;
    let export = app
        .send(app.request(Method::GET, "/people/export?format=csv&q=陈"))
        .await;
    assert_eq!(export.status, 200);
    assert!(export.content_type().starts_with("text/csv"));
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("people.csv")
    );
    let text = export.text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().get(1), Some("姓名"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let listed: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].to_string(), p["name"].as_str().unwrap().to_owned()))
        .collect();
    let exported: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect();
    assert_eq!(exported, listed);
    assert_eq!(
        &rows[0][4],
        a["id_number"].as_str().unwrap(),
        "the bureau exports full numbers"
    );

    let as_officer = app.get_as(&officer.token, "/people/export").await;
    let text = as_officer.text.trim_start_matches('\u{feff}');
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2, "the officer's street only");
    assert!(
        rows.iter().all(|r| r[4].contains("********")),
        "masked for officers"
    );

    let xlsx = app
        .send(app.request(Method::GET, "/people/export?format=xlsx"))
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.content_type().contains("spreadsheetml"));
    app.get("/people/export?format=pdf")
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn an_imported_assignment_never_overlaps_an_earlier_term() {
    let app = spawn_app().await;
    let first = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,全民健身志愿者,,,,2024-01-01,",
        ),
    ]
    .join("\n");
    assert_eq!(
        import(&app, &app.admin_token, first, "").await.json["created"],
        1
    );
    let person = app.get_ok("/people").await["items"][0]["id"].clone();
    let term = app
        .get_ok(&format!("/assignments?person_id={person}"))
        .await["items"][0]["id"]
        .clone();
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/assignments/{term}/end"),
        serde_json::json!({"ends_on": "2025-01-01", "reason": "任期结束"}),
    )
    .await;
    let overlapping = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,全民健身志愿者,,,,2024-06-01,",
        ),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, overlapping, "").await;
    assert_eq!(reply.json["updated"], 0, "{}", reply.text);
    assert_eq!(
        app.get_ok(&format!("/assignments?person_id={person}"))
            .await["total"],
        1
    );
    let later = [
        HEADER.to_owned(),
        row(
            "甲",
            "19800101",
            1,
            "450203001001,全民健身志愿者,,,,2025-01-01,",
        ),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, later, "").await;
    assert_eq!(
        reply.json["updated"], 1,
        "a new term from the day the old one ended: {}",
        reply.text
    );
    assert_eq!(
        app.get_ok(&format!("/assignments?person_id={person}"))
            .await["total"],
        2
    );
}

#[tokio::test]
async fn an_import_whose_people_were_enrolled_in_a_course_stays() {
    let app = spawn_app().await;
    let csv = [HEADER.to_owned(), row("学员", "19800101", 1, ",,,,,,")].join("\n");
    let imported = import(&app, &app.admin_token, csv, "").await;
    assert_eq!(imported.json["created"], 1, "{}", imported.text);
    let person = app.get_ok("/people").await["items"][0]["id"].clone();
    let course = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            serde_json::json!({"title": "培训班", "kind": "continuing",
                "target_role": "fitness_volunteer", "organizer": "区文体新局",
                "location": "体育馆", "starts_on": "2026-12-10", "ends_on": "2026-12-10",
                "hours": 4, "capacity": 5, "status": "open"}),
        )
        .await;
    let enrolled = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/courses/{}/enrollments", course.json["id"]),
            serde_json::json!({"person_id": person}),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.text);
    let undo = format!("/imports/{}", imported.json["import_id"].as_str().unwrap());
    app.send(app.request(Method::DELETE, &undo))
        .await
        .assert_problem(409);
    assert_eq!(app.get_ok("/people").await["total"], 1);
}

#[tokio::test]
async fn specialties_are_imported_by_chinese_name_or_code_with_either_separator() {
    let app = spawn_app().await;
    let csv = [
        HEADER.to_owned(),
        row("甲", "19800101", 1, ",,,,,,太极拳;健身气功"),
        row("乙", "19800102", 3, ",,,,,,太极拳、square_dance；排舞"),
    ]
    .join("\n");
    let reply = import(&app, &app.admin_token, csv, "").await;
    assert_eq!(reply.json["created"], 2, "{}", reply.text);
    let people = app.get_ok("/people").await;
    assert_eq!(
        people["items"][0]["specialties"],
        serde_json::json!(["qigong", "taichi"])
    );
    assert_eq!(
        people["items"][1]["specialties"],
        serde_json::json!(["line_dance", "square_dance", "taichi"])
    );
    let unknown = import(
        &app,
        &app.admin_token,
        [HEADER.to_owned(), row("丙", "19800103", 5, ",,,,,,魁地奇")].join("\n"),
        "",
    )
    .await;
    assert_eq!(unknown.json["errors"][0]["field"], "specialties");
    assert_eq!(unknown.json["errors"][0]["code"], "sport_item.unknown");
}

#[tokio::test]
async fn a_cell_holding_a_control_character_is_refused_by_line_and_column() {
    let app = spawn_app().await;
    let csv = [HEADER.to_owned(), row("甲\u{0}", "19800101", 1, ",,,,,,")].join("\n");
    let reply = import(&app, &app.admin_token, csv, "").await;
    assert_eq!(reply.json["errors"][0]["line"], 2, "{}", reply.text);
    assert_eq!(reply.json["errors"][0]["field"], "name");
    assert_eq!(reply.json["errors"][0]["code"], "text.control_character");
    assert_eq!(app.get_ok("/people").await["total"], 0);
}

#[tokio::test]
async fn a_name_that_is_a_formula_is_exported_as_text() {
    let app = spawn_app().await;
    let tianma = app.street_id("450203001").await;
    let mut body = common::person_body("x", "19800101", 11, tianma);
    body["name"] = serde_json::json!("=HYPERLINK(\"http://e\",\"x\")");
    let created = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let export = app
        .send(app.request(Method::GET, "/people/export?format=csv"))
        .await;
    let text = export.text.trim_start_matches('\u{feff}');
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(&rows[0][1], "'=HYPERLINK(\"http://e\",\"x\")");
}

#[tokio::test]
async fn an_export_longer_than_a_page_lists_everyone_once_in_order() {
    // The export reads and writes a thousand people at a time: 2,345 take three pages.
    let app = spawn_app().await;
    let mut lines = vec![HEADER.to_owned()];
    let first = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    for i in 0..2345u32 {
        let birth = (first + chrono::Days::new(u64::from(i / 400)))
            .format("%Y%m%d")
            .to_string();
        let seq = (i % 400) as u16 * 2 + 1;
        lines.push(row(&format!("人{i}"), &birth, seq, ",,,,,,"));
    }
    let reply = import(&app, &app.admin_token, lines.join("\n"), "").await;
    assert_eq!(reply.json["created"], 2345, "{}", reply.text);

    let export = app
        .send(app.request(Method::GET, "/people/export?format=csv"))
        .await;
    assert_eq!(export.status, 200);
    let text = export.text.trim_start_matches('\u{feff}');
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids.len(), 2345);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order, once each"
    );
    let mut names: Vec<String> = rows.iter().map(|r| r[1].to_owned()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 2345);

    let xlsx = app
        .request(Method::GET, "/people/export?format=xlsx")
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let range = workbook.worksheet_range("人员名册").unwrap();
    let sheet: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(sheet[0][1], "姓名");
    assert_eq!(sheet.len(), 2346);
    for (cells, record) in sheet[1..].iter().zip(&rows) {
        assert_eq!(cells[0], record[0].to_owned());
        assert_eq!(cells[4], record[4].to_owned(), "the same ID number");
    }
}
