//! The import template (`GET /people/import/template`): a download in CSV or XLSX that imports
//! as it is, with the Chinese headers, and in the workbook the 说明 sheet.

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use common::{spawn_app, workbook::XLSX};
use reqwest::Method;

const HEADERS: &str = "姓名,性别,出生日期,身份证号码,手机号码,电子邮箱,街道代码,社区代码,类别,等级,用工形式,证书编号,发证日期,专长";

async fn download(app: &common::TestApp, format: &str) -> common::Reply {
    app.get(&format!("/people/import/template?format={format}"))
        .await
}

async fn download_bytes(app: &common::TestApp, format: &str) -> Vec<u8> {
    let response = app
        .request(
            Method::GET,
            &format!("/people/import/template?format={format}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn the_template_imports_as_exactly_one_valid_row_in_either_format() {
    let app = spawn_app().await;
    for (format, content_type, name) in [
        ("csv", "text/csv", "fitreg-import-template.csv"),
        ("xlsx", XLSX, "fitreg-import-template.xlsx"),
    ] {
        let reply = download(&app, format).await;
        assert_eq!(reply.status, 200, "{format}: {}", reply.text);
        assert!(reply.content_type().starts_with(content_type), "{format}");
        let disposition = reply.headers["content-disposition"].to_str().unwrap();
        assert_eq!(disposition, format!("attachment; filename=\"{name}\""));

        let body = download_bytes(&app, format).await;
        let upload_type = if format == "csv" { "text/csv" } else { XLSX };
        let imported = app
            .send(
                app.request(Method::POST, "/people/import?dry_run=true")
                    .header("content-type", upload_type)
                    .body(body),
            )
            .await;
        assert_eq!(imported.status, 200, "{format}: {}", imported.text);
        assert_eq!(
            imported.json["errors"],
            serde_json::json!([]),
            "{format}: {}",
            imported.text
        );
        assert_eq!(imported.json["created"], 1, "{format}: {}", imported.text);
    }
    assert_eq!(app.get_ok("/people").await["total"], 0, "dry runs only");
}

#[tokio::test]
async fn the_csv_template_is_utf8_with_a_bom_and_chinese_headers() {
    let app = spawn_app().await;
    let body = download_bytes(&app, "csv").await;
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(body).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some(HEADERS));
    assert!(lines.next().is_some_and(|l| l.contains("450203001001")));
    assert_eq!(lines.next(), None, "one example row");
    assert_eq!(
        download(&app, "csv").await.text,
        app.get("/people/import/template").await.text,
        "CSV is the default"
    );
}

#[tokio::test]
async fn the_xlsx_template_keeps_the_id_number_as_text_and_explains_each_column() {
    let app = spawn_app().await;
    let body = download_bytes(&app, "xlsx").await;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(body)).unwrap();
    assert_eq!(workbook.sheet_names(), ["人员导入", "说明"]);
    let sheet = workbook.worksheet_range("人员导入").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header.join(","), HEADERS);
    let example = sheet.rows().nth(1).unwrap();
    assert!(
        matches!(&example[3], Data::String(n) if n.len() == 18),
        "the ID number is a text cell: {:?}",
        example[3]
    );
    assert!(matches!(&example[4], Data::String(_)), "so is the phone");
    assert!(
        matches!(&example[2], Data::DateTime(_)),
        "the birth date is a date cell: {:?}",
        example[2]
    );

    let notes = workbook.worksheet_range("说明").unwrap();
    let rows: Vec<Vec<String>> = notes
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    for header in HEADERS.split(',') {
        assert!(
            rows.iter().any(|r| r[0] == header && !r[3].is_empty()),
            "{header} is explained"
        );
    }
    let explained = |header: &str| rows.iter().find(|r| r[0] == header).unwrap()[3].clone();
    assert!(
        explained("类别").contains("社会体育指导员、全民健身志愿者、科学健身指导员、文体管理员")
    );
    assert!(explained("等级").contains("三级、二级、一级、国家级"));
    assert!(explained("用工形式").contains("专职、兼职"));
    assert!(
        explained("专长").contains("太极拳（taichi）、"),
        "the sport items of the registry"
    );
    assert!(explained("身份证号码").contains("文本"));
}

#[tokio::test]
async fn only_those_who_import_download_the_template() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    assert_eq!(
        app.get_as(&officer.token, "/people/import/template?format=xlsx")
            .await
            .status,
        200
    );
    let auditor = app.user("auditor", None).await;
    app.get_as(&auditor.token, "/people/import/template")
        .await
        .assert_problem(403);
    app.send(app.anon(Method::GET, "/people/import/template"))
        .await
        .assert_problem(401);
    download(&app, "pdf").await.assert_problem(400);
}
