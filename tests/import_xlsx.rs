//! People import from XLSX workbooks written here with rust_xlsxwriter: Chinese headers, date
//! cells and dates as text, numbers, formulas, error cells, an ID number stored as a number, dry
//! run and partial imports, sniffing and malformed workbooks.

mod common;

use common::{
    TestApp, id_number, spawn_app,
    workbook::{Cell, XLSX, text, workbook},
};
use reqwest::Method;
use serde_json::{Value, json};

/// The Chinese headers of DOMAIN.md section 8, in the documented order.
const HEADERS: [&str; 14] = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号码",
    "手机号码",
    "电子邮箱",
    "街道代码",
    "社区代码",
    "类别",
    "等级",
    "用工形式",
    "证书编号",
    "发证日期",
    "专长",
];

fn header() -> Vec<Cell> {
    HEADERS.iter().map(|h| text(*h)).collect()
}

/// A row of a person of 天马街道 (`450203001`) with a valid ID number as text, the phone
/// `1380000{seq:04}` as text, no qualification; `cells` replaces cells by column index.
fn person(name: &str, birth: &str, seq: u16, cells: Vec<(usize, Cell)>) -> Vec<Cell> {
    let mut row: Vec<Cell> = vec![
        text(name),
        Cell::Blank,
        Cell::Blank,
        text(id_number("450203", birth, seq)),
        text(format!("1380000{seq:04}")),
        Cell::Blank,
        text("450203001"),
    ];
    row.resize_with(HEADERS.len(), || Cell::Blank);
    for (col, cell) in cells {
        row[col] = cell;
    }
    row
}

async fn upload(app: &TestApp, content_type: &str, body: Vec<u8>, query: &str) -> common::Reply {
    app.send(
        app.request(Method::POST, &format!("/people/import?{query}"))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// The errors of a report as (line, field, column, code).
fn errors(reply: &common::Reply) -> Vec<(u64, String, String, String)> {
    reply.json["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {}", reply.text))
        .iter()
        .map(|e| {
            let s = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
            (
                e["line"].as_u64().unwrap(),
                s("field"),
                s("column"),
                s("code"),
            )
        })
        .collect()
}

async fn person_named(app: &TestApp, name: &str) -> Value {
    let found = app.get_ok(&format!("/people?q={name}")).await;
    assert_eq!(found["total"], 1, "{name}: {found}");
    found["items"][0].clone()
}

#[tokio::test]
async fn a_workbook_with_chinese_headers_imports_people_and_their_assignments() {
    let app = spawn_app().await;
    let body = workbook(&[
        // The header is the first row with a value, here row 2.
        (1, vec![Cell::Blank]),
        (2, header()),
        (
            3,
            person(
                "甲",
                "19800101",
                1,
                vec![
                    (1, text("男")),
                    (2, Cell::Date(1980, 1, 1)),
                    (4, Cell::Number(13800000001.0)),
                    (6, Cell::Number(450203001.0)),
                    (7, Cell::Number(450203001001.0)),
                    (8, text("文体管理员")),
                    (10, text("兼职")),
                    (12, Cell::Date(2024, 1, 5)),
                    (13, text("太极拳、广场舞")),
                ],
            ),
        ),
        (
            4,
            person(
                "乙",
                "19800102",
                3,
                vec![
                    (2, text("1980年1月2日")),
                    (7, text("450203001001")),
                    (8, text("全民健身志愿者")),
                    (12, text("2024/3/5")),
                ],
            ),
        ),
        // A blank row in between is skipped.
        (6, vec![Cell::Blank, text("  ")]),
        (
            7,
            person(
                "丙",
                "19800103",
                5,
                vec![
                    (4, Cell::Formula("=\"1380000\"&\"0005\"", "13800000005")),
                    (8, text("社会体育指导员")),
                    (9, text("三级")),
                    (11, text("YF-001")),
                    (12, Cell::DateTime(2023, 6, 1, 9, 30)),
                ],
            ),
        ),
    ]);
    let reply = upload(&app, XLSX, body, "").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(errors(&reply), [], "{}", reply.text);
    assert_eq!(reply.json["created"], 3, "{}", reply.text);
    assert!(reply.json["import_id"].is_string());

    let first = person_named(&app, "甲").await;
    assert_eq!(first["phone"], "13800000001", "a phone stored as a number");
    assert_eq!(first["birth_date"], "1980-01-01");
    assert_eq!(first["specialties"], json!(["square_dance", "taichi"]));
    assert_eq!(first["qualifications"][0]["certified_on"], "2024-01-05");
    assert_eq!(first["qualifications"][0]["employment"], "part_time");
    let second = person_named(&app, "乙").await;
    assert_eq!(second["qualifications"][0]["certified_on"], "2024-03-05");
    let third = person_named(&app, "丙").await;
    assert_eq!(
        third["phone"], "13800000005",
        "a formula by its saved result"
    );
    assert_eq!(third["qualifications"][0]["grade"], "third");
    assert_eq!(
        third["qualifications"][0]["certified_on"], "2023-06-01",
        "a date-time cell is its day"
    );

    let community = app.community_id("450203001001").await;
    let in_force = app
        .get_ok(&format!(
            "/assignments?community_id={community}&as_of=2024-03-05"
        ))
        .await;
    assert_eq!(in_force["total"], 2, "{in_force}");
}

#[tokio::test]
async fn an_id_number_stored_as_a_number_is_refused_on_its_excel_row_and_column() {
    let app = spawn_app().await;
    let whole: f64 = id_number("450203", "19800102", 3)[..17]
        .parse::<f64>()
        .unwrap()
        * 10.0;
    let body = workbook(&[
        (1, header()),
        (2, person("甲", "19800101", 1, vec![])),
        // Looks like 18 digits, but a number cell keeps 15 of them.
        (
            7,
            person(
                "乙",
                "19800102",
                3,
                vec![(3, Cell::Number(whole)), (6, text("999999999"))],
            ),
        ),
        (
            8,
            person(
                "丙",
                "19800103",
                5,
                vec![(3, Cell::Number(450203800103051.0))],
            ),
        ),
    ]);
    let reply = upload(&app, XLSX, body, "").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let refused = |line: u64| {
        (
            line,
            "id_number".to_owned(),
            "身份证号码".to_owned(),
            "import.id_number_not_text".to_owned(),
        )
    };
    let street = (
        7,
        "street_code".to_owned(),
        "街道代码".to_owned(),
        "street.unknown".to_owned(),
    );
    assert_eq!(
        errors(&reply),
        [refused(7), street, refused(8)],
        "the other cells of the row are still checked, the ID number is not called missing: {}",
        reply.text
    );
    let message = reply.json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("15 significant digits") && message.contains("text"),
        "{message}"
    );
    assert_eq!(app.get_ok("/people").await["total"], 0, "all or nothing");
}

#[tokio::test]
async fn an_error_cell_refuses_its_row_by_column() {
    let app = spawn_app().await;
    let body = workbook(&[
        (1, header()),
        (
            2,
            person(
                "甲",
                "19800101",
                1,
                vec![(5, Cell::Formula("=NA()", "#N/A"))],
            ),
        ),
        (3, person("乙", "19800102", 3, vec![])),
    ]);
    let reply = upload(&app, XLSX, body, "partial=true").await;
    assert_eq!(
        errors(&reply),
        [(
            2,
            "email".to_owned(),
            "电子邮箱".to_owned(),
            "import.cell_error".to_owned()
        )],
        "{}",
        reply.text
    );
    assert!(
        reply.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("#N/A")
    );
    assert_eq!(reply.json["created"], 1);
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_partial_writes_the_good_rows() {
    let app = spawn_app().await;
    let body = workbook(&[
        (1, header()),
        (2, person("甲", "19800101", 1, vec![])),
        (3, person("乙", "19800102", 3, vec![(3, Cell::Number(4.0))])),
        (
            4,
            person(
                "丙",
                "19800103",
                5,
                vec![(7, text("450203001001")), (8, text("全民健身志愿者"))],
            ),
        ),
    ]);
    let dry = upload(&app, XLSX, body.clone(), "dry_run=true&partial=true").await;
    assert_eq!(dry.json["dry_run"], true);
    assert_eq!(dry.json["created"], 2, "{}", dry.text);
    assert!(dry.json["import_id"].is_null());
    assert_eq!(
        app.get_ok("/people").await["total"],
        0,
        "a dry run writes nothing"
    );

    let whole = upload(&app, XLSX, body.clone(), "").await;
    assert_eq!(whole.json["created"], 0, "{}", whole.text);
    assert_eq!(errors(&whole).len(), 1);
    assert_eq!(app.get_ok("/people").await["total"], 0, "all or nothing");

    let partial = upload(&app, XLSX, body, "partial=true").await;
    assert_eq!(partial.json["created"], 2, "{}", partial.text);
    assert_eq!(partial.json["errors"][0]["line"], 3);
    assert!(partial.json["import_id"].is_string());
    assert_eq!(app.get_ok("/people").await["total"], 2);
    let assignments = app
        .get_ok(&format!(
            "/assignments?person_id={}",
            person_named(&app, "丙").await["id"]
        ))
        .await;
    assert_eq!(assignments["total"], 1);
}

#[tokio::test]
async fn a_workbook_sent_as_octet_stream_is_read_as_xlsx() {
    let app = spawn_app().await;
    let body = workbook(&[(1, header()), (2, person("甲", "19800101", 1, vec![]))]);
    let reply = upload(&app, "application/octet-stream", body, "").await;
    assert_eq!(reply.json["created"], 1, "{}", reply.text);
    let csv = "name,id_number,phone,street_code\n乙,".to_owned()
        + &id_number("450203", "19800102", 3)
        + ",13800000003,450203001\n";
    let reply = upload(&app, "application/octet-stream", csv.into_bytes(), "").await;
    assert_eq!(
        reply.json["created"], 1,
        "and anything else as CSV: {}",
        reply.text
    );
}

#[tokio::test]
async fn a_file_that_is_no_workbook_or_holds_no_people_is_a_400_naming_the_body() {
    let app = spawn_app().await;
    let code = |reply: &common::Reply| {
        reply.assert_problem(400);
        assert_eq!(reply.error_fields(), ["body"], "{}", reply.text);
        reply.json["errors"][0]["code"].as_str().unwrap().to_owned()
    };
    let garbage = upload(&app, XLSX, b"name,phone\nnot a workbook".to_vec(), "").await;
    assert_eq!(code(&garbage), "import.not_xlsx");
    let broken = upload(
        &app,
        "application/octet-stream",
        b"PK\x03\x04\x14\x00broken".to_vec(),
        "",
    )
    .await;
    assert_eq!(code(&broken), "import.not_xlsx");
    let mut truncated = workbook(&[(1, header()), (2, person("甲", "19800101", 1, vec![]))]);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(
        code(&upload(&app, XLSX, truncated, "").await),
        "import.not_xlsx"
    );

    let blank = workbook(&[]);
    assert_eq!(code(&upload(&app, XLSX, blank, "").await), "import.empty");
    let header_only = workbook(&[(3, header())]);
    assert_eq!(
        code(&upload(&app, XLSX, header_only, "").await),
        "import.empty"
    );
    assert_eq!(app.get_ok("/people").await["total"], 0);
}

#[tokio::test]
async fn a_sheet_past_the_row_or_column_limit_is_refused_before_any_row_is_checked() {
    let app = spawn_app().await;
    let code = |reply: &common::Reply| {
        reply.assert_problem(400);
        assert_eq!(reply.error_fields(), ["body"], "{}", reply.text);
        reply.json["errors"][0]["code"].as_str().unwrap().to_owned()
    };
    let mut far_row = vec![(1, header()), (2, person("甲", "19800101", 1, vec![]))];
    far_row.push((100_002, vec![text("乙")]));
    assert_eq!(
        code(&upload(&app, XLSX, workbook(&far_row), "").await),
        "import.too_many_rows"
    );
    let mut wide = person("甲", "19800101", 1, vec![]);
    wide.resize_with(50, || Cell::Blank);
    wide.push(text("AY"));
    let reply = upload(&app, XLSX, workbook(&[(1, header()), (2, wide)]), "").await;
    assert_eq!(code(&reply), "import.too_many_columns");
    assert!(reply.text.contains("AY"), "{}", reply.text);
    assert_eq!(app.get_ok("/people").await["total"], 0);
}

#[tokio::test]
async fn a_workbook_header_is_checked_like_a_csv_header() {
    let app = spawn_app().await;
    let mut unknown = header();
    unknown[5] = text("微信");
    let reply = upload(
        &app,
        XLSX,
        workbook(&[(1, unknown), (2, person("甲", "19800101", 1, vec![]))]),
        "",
    )
    .await;
    reply.assert_problem(400);
    assert_eq!(reply.json["errors"][0]["code"], "import.unknown_column");
    assert!(reply.text.contains("email (电子邮箱)"), "{}", reply.text);

    let mut unnamed = header();
    unnamed.truncate(7);
    let mut row = person("甲", "19800101", 1, vec![]);
    row.truncate(7);
    row.push(Cell::Blank);
    row.push(text("备注"));
    let reply = upload(&app, XLSX, workbook(&[(1, unnamed), (2, row)]), "").await;
    reply.assert_problem(400);
    assert_eq!(reply.error_fields(), ["header"]);
    assert!(reply.text.contains("column I"), "{}", reply.text);
}
