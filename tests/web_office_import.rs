//! Importing people through the web UI: the template in both formats, an uploaded workbook's
//! preview with every error by line and column in Chinese, importing all or only the good rows,
//! and undo; an upload and an import belong to their office.

mod common;

use common::{
    TestApp, USER_PASSWORD, id_number, spawn_app,
    web::{Page, Session, read, sign_in},
    workbook::fifty_with_three_bad_rows,
};
use reqwest::StatusCode;

async fn officer<'a>(app: &'a TestApp, street: &str) -> Session<'a> {
    let street_id = app.street_id(street).await;
    let user = app.user("street_officer", Some(street_id)).await;
    sign_in(app, &user.username, USER_PASSWORD).await
}

/// Uploads `body` as `name` through the import form.
async fn upload(session: &Session<'_>, csrf: &str, name: &str, body: Vec<u8>) -> Page {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(body).file_name(name.to_owned()),
        );
    read(
        session
            .client
            .post(format!("{}/people/import", session.app.base))
            .header("cookie", &session.cookie)
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn an_office_previews_a_workbook_imports_its_good_rows_and_undoes_the_import() {
    let app = spawn_app().await;
    let office = officer(&app, "450203001").await;
    let start = office.get("/people/import").await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    assert!(start.text.contains("enctype=\"multipart/form-data\""));
    for format in ["xlsx", "csv"] {
        let template = office
            .client
            .get(format!(
                "{}/people/import/template?format={format}",
                app.base
            ))
            .header("cookie", &office.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(template.status(), StatusCode::OK, "{format}");
        let disposition = template.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.contains(&format!("fitreg-import-template.{format}")));
    }

    let csrf = start.csrf();
    let sent = upload(
        &office,
        &csrf,
        "天马街道志愿者.xlsx",
        fifty_with_three_bad_rows(),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let preview_path = sent.location().to_owned();
    assert!(preview_path.starts_with("/people/import/"));
    let preview = office.get(&preview_path).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.text.contains("data-testid=\"would-create\">47<"),
        "{}",
        preview.text
    );
    assert!(preview.text.contains("data-testid=\"rejected-lines\">3<"));
    for (line, column, words) in [
        (12, "身份证号码", "15 位有效数字"),
        (30, "身份证号码", "校验位不对"),
        (45, "手机号码", "此项必填"),
    ] {
        let row = format!("<tr><td>第 {line} 行</td><td>{column}</td><td>");
        let at = preview
            .text
            .find(&row)
            .unwrap_or_else(|| panic!("no error on line {line}: {}", preview.text));
        assert!(preview.text[at..at + 400].contains(words), "line {line}");
    }
    assert!(
        !preview.text.contains("data-testid=\"import-all\""),
        "only the good rows can be imported"
    );
    assert_eq!(
        app.get_ok("/people").await["total"],
        0,
        "a preview writes nothing"
    );

    // All or nothing with errors: nothing; the good rows: 47 people, then undone.
    let all = office
        .post(&preview_path, &[("csrf_token", &csrf), ("mode", "all")])
        .await;
    assert_eq!(all.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(all.text.contains("没有导入任何一行"));
    assert_eq!(app.get_ok("/people").await["total"], 0);
    let partial = office
        .post(&preview_path, &[("csrf_token", &csrf), ("mode", "partial")])
        .await;
    assert_eq!(partial.status, StatusCode::SEE_OTHER, "{}", partial.text);
    let import_path = partial.location().split('?').next().unwrap().to_owned();
    assert!(import_path.starts_with("/imports/"));
    assert_eq!(app.get_ok("/people").await["total"], 47);
    let coverage = app
        .get_ok(&format!(
            "/assignments?community_id={}",
            app.community_id("450203001001").await
        ))
        .await;
    assert_eq!(coverage["total"], 47);
    assert_eq!(
        office.get(&preview_path).await.status,
        StatusCode::NOT_FOUND,
        "the upload is gone once imported"
    );
    let done = office.get(partial.location()).await;
    assert!(done.text.contains("导入完成"));
    assert!(done.text.contains("data-testid=\"created\">47<"));
    assert!(done.text.contains("data-testid=\"undo\""));

    // Another street's office sees neither this import nor an upload of this office.
    let other = officer(&app, "450203002").await;
    assert_eq!(other.get(&import_path).await.status, StatusCode::NOT_FOUND);
    let other_csrf = other.get("/people").await.csrf();
    let forged = other
        .post(
            &format!("{import_path}/undo"),
            &[("csrf_token", &other_csrf)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_ok("/people").await["total"], 47);

    let undone = office
        .post(&format!("{import_path}/undo"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.text);
    assert_eq!(app.get_ok("/people").await["total"], 0);
    let page = office.get(undone.location()).await;
    assert!(page.text.contains("已撤销"));
    assert!(!page.text.contains("data-testid=\"undo\""));
    let again = office
        .post(&format!("{import_path}/undo"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("已经撤销过了"));
}

#[tokio::test]
async fn an_upload_that_is_no_table_or_lacks_the_secret_or_belongs_to_another_is_refused() {
    let app = spawn_app().await;
    let office = officer(&app, "450203001").await;
    let csrf = office.get("/people/import").await.csrf();
    let junk = upload(
        &office,
        &csrf,
        "照片.xlsx",
        b"PK\x03\x04 not really a workbook".to_vec(),
    )
    .await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert!(
        junk.text.contains("无法读取这个 Excel 文件"),
        "{}",
        junk.text
    );
    let empty = upload(&office, &csrf, "空.csv", Vec::new()).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text.contains("请选择要导入的文件"));
    let unknown = upload(
        &office,
        &csrf,
        "x.csv",
        "名字,电话\n甲,1\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.text.contains("表头中有本系统不认识的列"),
        "{}",
        unknown.text
    );
    let forged = upload(&office, "not-the-secret", "a.csv", b"name\n".to_vec()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // A CSV with Chinese headers: previewed, then imported whole.
    let csv = format!(
        "\u{feff}姓名,身份证号码,手机号码,街道代码\n韦大山,{},13900001111,450203001\n",
        id_number("450203", "19600101", 401)
    );
    let sent = upload(&office, &csrf, "名单.csv", csv.into_bytes()).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let preview = office.get(sent.location()).await;
    assert!(
        preview.text.contains("data-testid=\"no-errors\""),
        "{}",
        preview.text
    );
    // Nobody else may open or decide it.
    let other = officer(&app, "450203001").await;
    assert_eq!(
        other.get(sent.location()).await.status,
        StatusCode::NOT_FOUND
    );
    let other_csrf = other.get("/people").await.csrf();
    let stolen = other
        .post(
            sent.location(),
            &[("csrf_token", &other_csrf), ("mode", "all")],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    let all = office
        .post(sent.location(), &[("csrf_token", &csrf), ("mode", "all")])
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER, "{}", all.text);
    assert_eq!(app.get_ok("/people").await["total"], 1);

    let auditor = app.user("auditor", None).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    assert_eq!(
        auditor.get("/people/import").await.status,
        StatusCode::FORBIDDEN
    );
}
