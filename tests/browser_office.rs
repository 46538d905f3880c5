//! The street office's journeys in a real browser at a desk (headless Chromium, 1280×900), on a
//! fresh SQLite database: enrolling a person whose mistyped ID number is caught as it is typed,
//! keeping a community staffed, importing a workbook with three bad rows and undoing it,
//! approving several sessions at once and rejecting one with a note. Ignored by a plain `cargo test` like every browser journey;
//! `.ci/run` runs them. Every page is checked with axe-core and at 360 px, as in `browser.rs`.

mod common;
#[path = "support/browser.rs"]
mod kit;

use common::{TestApp, USER_PASSWORD, id_number, spawn_app, workbook::fifty_with_three_bad_rows};
use fantoccini::{Client, Locator};
use kit::{
    Driver, Root, arrive, check_page, choose, click, current_path, desk, fill, keep, pick,
    screenshot_to_docs, text_of,
};
use serde_json::json;

/// Waits until the element's text contains `wanted` (an htmx swap, a page load).
async fn until_text(browser: &Client, css: &str, wanted: &str) -> String {
    let deadline = std::time::Instant::now() + kit::WAIT;
    loop {
        let text = text_of(browser, css).await;
        if text.contains(wanted) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never said {wanted:?}: {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn sign_in(app: &TestApp, browser: &Client, username: &str) {
    browser.goto(&app.url_root("/login")).await.unwrap();
    fill(browser, "username", username).await;
    fill(browser, "password", USER_PASSWORD).await;
    click(browser, "login-submit").await;
    arrive(browser, "/desk").await;
}

/// Runs a journey in a fresh desk browser; keeps the page if it fails.
async fn at_desk<F>(journey: impl FnOnce(Client) -> F)
where
    F: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = desk(&driver, &profile).await;
    let outcome = std::panic::AssertUnwindSafe(journey(browser.clone()))
        .catch_unwind()
        .await;
    if outcome.is_err() {
        keep(&browser, "failure-office").await;
    }
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn an_officer_enrols_a_person_and_staffs_an_uncovered_community() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(street)).await;
    for n in 0..12u16 {
        let person = app
            .person(&format!("居民{n:02}"), "19700101", 200 + n, street)
            .await;
        if n % 3 == 0 {
            app.qualify(
                person["id"].as_i64().unwrap(),
                json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
            )
            .await;
        }
    }
    at_desk(|browser| async move {
        sign_in(&app, &browser, &officer.username).await;
        check_page(&browser, "office-desk").await;

        // Enrol: the wrong check character is named before the form is sent.
        browser.goto(&app.url_root("/people/new")).await.unwrap();
        check_page(&browser, "office-enrol").await;
        let number = id_number("450203", "19660718", 35);
        let wrong = format!(
            "{}{}",
            &number[..17],
            if number.ends_with('0') { '1' } else { '0' }
        );
        fill(&browser, "name", "黄志强").await;
        fill(&browser, "id_number", &wrong).await;
        let said = until_text(&browser, "[data-testid=\"id-check\"]", "校验位不对").await;
        assert!(said.contains("最后一位"), "{said}");
        assert_eq!(
            current_path(&browser).await,
            "/people/new",
            "nothing was sent"
        );
        check_page(&browser, "office-enrol-mistyped").await;
        fill(&browser, "id_number", &number).await;
        until_text(
            &browser,
            "[data-testid=\"id-check\"]",
            "1966年7月18日出生，男",
        )
        .await;
        fill(&browser, "phone", "138 0013 8035").await;
        browser
            .find(Locator::Css("input[name=\"specialty\"][value=\"taichi\"]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click(&browser, "person-submit").await;
        until_text(&browser, "[data-testid=\"notice\"]", "人员已登记").await;
        assert_eq!(
            text_of(&browser, "[data-testid=\"person-name\"]").await,
            "黄志强"
        );
        check_page(&browser, "office-person").await;

        // A part-time administrator's qualification, from the person's page.
        browser
            .find(Locator::Css("[data-testid=\"add-qualification\"] summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        choose(&browser, "q-kind", "community_sports_administrator").await;
        choose(&browser, "q-employment", "part_time").await;
        pick(&browser, "q-certified", "2024-01-01").await;
        click(&browser, "add-qualification-submit").await;
        until_text(&browser, "[data-testid=\"notice\"]", "资格已记录").await;
        let held = text_of(&browser, "[data-testid=\"qualifications\"]").await;
        assert!(
            held.contains("文体管理员") && held.contains("兼职"),
            "{held}"
        );

        // The people list, for the README.
        browser.goto(&app.url_root("/people")).await.unwrap();
        until_text(&browser, "[data-testid=\"people-total\"]", "共 13 人").await;
        check_page(&browser, "office-people").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&browser, "office-people.png").await;
        }

        // An uncovered community turns covered when the administrator is assigned there.
        let community = app.community_id("450203001001").await;
        browser.goto(&app.url_root("/communities")).await.unwrap();
        let cell = format!("[data-testid=\"covered-{community}\"]");
        assert!(text_of(&browser, &cell).await.contains("未覆盖"));
        check_page(&browser, "office-communities").await;
        browser
            .goto(&app.url_root(&format!("/communities/{community}")))
            .await
            .unwrap();
        check_page(&browser, "office-community").await;
        let person = app.get_ok("/people?q=%E9%BB%84%E5%BF%97%E5%BC%BA").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        choose(&browser, "person_id", &person.to_string()).await;
        choose(&browser, "role", "community_sports_administrator").await;
        click(&browser, "assign-submit").await;
        until_text(&browser, "[data-testid=\"community-covered\"]", "已覆盖").await;
        assert!(
            text_of(&browser, "[data-testid=\"timeline\"]")
                .await
                .contains("黄志强")
        );
        browser.goto(&app.url_root("/communities")).await.unwrap();
        assert!(text_of(&browser, &cell).await.contains("已覆盖"));

        // Training: two people of the street enrolled in an open course at once.
        let starts = fitreg::domain::time::today() + chrono::TimeDelta::days(10);
        let course = app
            .send_json(
                &app.admin_token,
                reqwest::Method::POST,
                "/courses",
                json!({"title": "全民健身志愿者培训班", "kind": "continuing",
                    "target_role": "fitness_volunteer", "organizer": "区文体新局",
                    "location": "鱼峰区全民健身中心", "starts_on": starts.to_string(),
                    "ends_on": (starts + chrono::TimeDelta::days(1)).to_string(),
                    "hours": 8, "capacity": 30, "status": "open"}),
            )
            .await;
        assert_eq!(course.status, 201, "{}", course.text);
        let course = course.json["id"].as_i64().unwrap();
        browser.goto(&app.url_root("/courses")).await.unwrap();
        check_page(&browser, "office-courses").await;
        browser
            .goto(&app.url_root(&format!("/courses/{course}")))
            .await
            .unwrap();
        check_page(&browser, "office-course").await;
        let people = app.get_ok("/people?per_page=2").await;
        for p in people["items"].as_array().unwrap() {
            click(&browser, &format!("pick-{}", p["id"])).await;
        }
        click(&browser, "enrol-submit").await;
        until_text(&browser, "[data-testid=\"notice\"]", "已为 2 人报名").await;
        assert_eq!(
            text_of(&browser, "[data-testid=\"seats-left\"]").await,
            "28"
        );
        check_page(&browser, "office-course-enrolled").await;
    })
    .await;
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn an_officer_imports_a_workbook_sees_its_three_bad_rows_imports_the_rest_and_undoes_it() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(street)).await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("天马街道志愿者.xlsx");
    std::fs::write(&file, fifty_with_three_bad_rows()).unwrap();
    at_desk(|browser| async move {
        sign_in(&app, &browser, &officer.username).await;
        browser.goto(&app.url_root("/people")).await.unwrap();
        click(&browser, "import").await;
        arrive(&browser, "/people/import").await;
        check_page(&browser, "office-import").await;
        browser
            .find(Locator::Css("[data-testid=\"upload-file\"]"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        click(&browser, "upload-submit").await;
        until_text(&browser, "[data-testid=\"would-create\"]", "47").await;
        assert_eq!(
            text_of(&browser, "[data-testid=\"rejected-lines\"]").await,
            "3"
        );
        let errors = text_of(&browser, "[data-testid=\"import-errors\"]").await;
        for words in [
            "第 12 行",
            "15 位有效数字",
            "第 30 行",
            "校验位不对",
            "第 45 行",
            "手机号码",
        ] {
            assert!(errors.contains(words), "{words}: {errors}");
        }
        check_page(&browser, "office-import-preview").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&browser, "office-import-preview.png").await;
        }
        click(&browser, "import-partial").await;
        until_text(&browser, "[data-testid=\"notice\"]", "导入完成").await;
        assert_eq!(text_of(&browser, "[data-testid=\"created\"]").await, "47");
        check_page(&browser, "office-import-done").await;
        assert_eq!(app.get_ok("/people").await["total"], 47);
        click(&browser, "undo").await;
        until_text(&browser, "[data-testid=\"notice\"]", "已撤销").await;
        assert_eq!(app.get_ok("/people").await["total"], 0);
    })
    .await;
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn an_officer_approves_three_sessions_at_once_and_rejects_one_with_a_note() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(street)).await;
    let community = app.community_id("450203001001").await;
    let (_, ids) = app
        .volunteer_with_pending_sessions(street, community, 4)
        .await;
    at_desk(|browser| async move {
        sign_in(&app, &browser, &officer.username).await;
        assert_eq!(
            text_of(&browser, "[data-testid=\"desk-pending\"]").await,
            "4"
        );
        browser.goto(&app.url_root("/review")).await.unwrap();
        until_text(&browser, "[data-testid=\"queue-total\"]", "待审核 4 条").await;
        check_page(&browser, "office-review").await;
        for id in &ids[..3] {
            click(&browser, &format!("pick-{id}")).await;
        }
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&browser, "office-review.png").await;
        }
        click(&browser, "approve-selected").await;
        until_text(&browser, "[data-testid=\"review-outcome\"]", "已批准 3 条").await;
        until_text(&browser, "[data-testid=\"queue-total\"]", "待审核 1 条").await;
        check_page(&browser, "office-review-after").await;
        click(&browser, &format!("pick-{}", ids[3])).await;
        fill(&browser, "note", "时间与签到表不符，请核实后重新登记").await;
        click(&browser, "reject-selected").await;
        until_text(&browser, "[data-testid=\"review-outcome\"]", "已退回 1 条").await;
        assert!(
            text_of(&browser, "[data-testid=\"queue-empty\"]")
                .await
                .contains("没有等待审核")
        );
        for id in &ids[..3] {
            assert_eq!(
                app.get_ok(&format!("/service-sessions/{id}")).await["status"],
                "approved"
            );
        }
        let rejected = app.get_ok(&format!("/service-sessions/{}", ids[3])).await;
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(
            rejected["review_note"],
            "时间与签到表不符，请核实后重新登记"
        );
        browser
            .goto(&app.url_root(&format!("/review/sessions/{}", ids[3])))
            .await
            .unwrap();
        assert!(
            text_of(&browser, "[data-testid=\"session-status\"]")
                .await
                .contains("未通过")
        );
        check_page(&browser, "office-session").await;
    })
    .await;
}
