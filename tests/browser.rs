//! Journeys in a real browser: headless Chromium on a phone window, driven over WebDriver, on a
//! fresh SQLite database. They need Debian's `chromium` and `chromium-driver`, so they are
//! ignored by a plain `cargo test`; `.ci/run` installs both and runs them with `--ignored`.
//! Every page a journey visits is checked with axe-core (no serious or critical violation) and
//! for horizontal scroll at 360 px. On failure the page's screenshot and source are kept under
//! `target/e2e-artifacts/` (every visited page with `FITREG_KEEP_PAGES=1`); with
//! `FITREG_UPDATE_SCREENSHOTS=1` the README's screenshots in `docs/` are written anew.

mod common;
#[path = "support/browser.rs"]
mod kit;

use common::{TestApp, smtp::SmtpServer, spawn_app_with_smtp};
use fantoccini::{Client, Locator};
use kit::{
    Driver, Root, WAIT, arrive, check_page, choose, click, fill, keep, leave, path_of, phone, pick,
    screenshot_to_docs, text_of,
};
use reqwest::Method;
use serde_json::json;

/// An instructor invited by mail, qualified as a volunteer, in the first street; its id.
async fn invited(app: &TestApp, smtp: &SmtpServer) -> (i64, String) {
    let street = app.street_id("450203001").await;
    let mut body = common::person_body("王秀兰", "19620305", 21, street);
    body["email"] = json!("wang.xiulan@example.cn");
    let person = app
        .send_json(&app.admin_token, Method::POST, "/people", body)
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    let person_id = person.json["id"].as_i64().unwrap();
    app.qualify(
        person_id,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let account = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/accounts",
            json!({"username": "wang.xiulan", "role": "member", "person_id": person_id}),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.text);
    let mails = smtp.wait_for(1, WAIT).await;
    let link = mails[0]
        .text()
        .split_whitespace()
        .find(|w| w.contains("/activate?token="))
        .expect("an activation link")
        .to_owned();
    (person_id, path_of(&link))
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn an_invited_instructor_activates_logs_a_session_and_sees_the_hours() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let (person_id, link) = invited(&app, &smtp).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = phone(&driver, &profile).await;
    let outcome = journey(&app, &browser, person_id, &link).await;
    if outcome.is_err() {
        keep(&browser, "failure").await;
    }
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn journey(
    app: &TestApp,
    browser: &Client,
    person_id: i64,
    link: &str,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(async {
        // The link from the mail: set a password, land at home.
        browser.goto(&app.url_root(link)).await.unwrap();
        assert!(text_of(browser, "h1").await.contains("激活账户"));
        check_page(browser, "activate").await;
        fill(browser, "password", "wang-xiulan-2026").await;
        fill(browser, "password_again", "wang-xiulan-2026").await;
        click(browser, "set-password-submit").await;
        arrive(browser, "/me").await;
        let greeting = text_of(browser, "h1").await;
        assert!(greeting.contains("王秀兰，您好"), "{greeting}");
        check_page(browser, "home").await;

        // A session with one mistake: the end before the start.
        browser
            .goto(&app.url_root("/me/sessions/new"))
            .await
            .unwrap();
        check_page(browser, "log-session").await;
        let community = app.community_id("450203001001").await.to_string();
        let yesterday = (chrono::Utc::now() + chrono::TimeDelta::hours(8)
            - chrono::TimeDelta::days(1))
        .date_naive()
        .to_string();
        choose(browser, "community_id", &community).await;
        choose(browser, "activity", "square_dance").await;
        pick(browser, "date", &yesterday).await;
        pick(browser, "start_time", "09:00").await;
        pick(browser, "end_time", "08:00").await;
        fill(browser, "participants", "30").await;
        fill(browser, "description", "带领居民跳广场舞").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            pick(browser, "end_time", "10:30").await;
            screenshot_to_docs(browser, "member-log-session.png").await;
            pick(browser, "end_time", "08:00").await;
        }
        click(browser, "log-submit").await;
        let message = text_of(browser, "[data-testid=\"end_time-error\"]").await;
        assert_eq!(message, "结束时间必须晚于开始时间");
        check_page(browser, "log-session-error").await;
        let kept = browser
            .find(Locator::Id("description"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("带领居民跳广场舞"));
        pick(browser, "end_time", "10:30").await;
        click(browser, "log-submit").await;
        arrive(browser, "/me/sessions?logged=1").await;
        assert!(
            text_of(browser, "[data-testid=\"logged\"]")
                .await
                .contains("服务已登记")
        );
        let table = text_of(browser, "[data-testid=\"sessions\"]").await;
        assert!(
            table.contains("待审核") && table.contains("1.5 小时"),
            "{table}"
        );
        check_page(browser, "sessions").await;

        // The street's officer approves it; the home page shows the hours.
        let officer = app
            .user("street_officer", Some(app.street_id("450203001").await))
            .await;
        let sessions = app
            .get_ok(&format!("/service-sessions?person_id={person_id}"))
            .await;
        let id = sessions["items"][0]["id"].as_i64().unwrap();
        let approved = app
            .send_json(
                &officer.token,
                Method::POST,
                &format!("/service-sessions/{id}/review"),
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        browser.goto(&app.url_root("/me")).await.unwrap();
        assert_eq!(
            text_of(browser, "[data-testid=\"approved-hours\"]").await,
            "1.5 小时"
        );
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(browser, "member-home.png").await;
        }

        // The address of a community's poster (what its QR code holds): check in there, then out.
        let poster_link = format!("/me/check-in?community_id={community}");
        browser.goto(&app.url_root(&poster_link)).await.unwrap();
        let chosen = browser
            .find(Locator::Id("community_id"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(chosen.as_deref(), Some(community.as_str()));
        check_page(browser, "check-in").await;
        choose(browser, "activity", "taichi").await;
        click(browser, "check-in").await;
        assert!(
            text_of(browser, "[data-testid=\"open-session\"]")
                .await
                .contains("服务进行中")
        );
        check_page(browser, "checked-in").await;
        fill(browser, "participants", "8").await;
        click(browser, "check-out").await;
        arrive(browser, "/me/sessions?logged=1").await;
        let table = text_of(browser, "[data-testid=\"sessions\"]").await;
        assert!(table.contains("待审核"), "{table}");

        // Training and the next grade.
        browser.goto(&app.url_root("/me/training")).await.unwrap();
        assert!(text_of(browser, "h1").await.contains("培训与晋级"));
        check_page(browser, "training").await;

        // The certificate of this year, and its public verification page.
        browser
            .goto(&app.url_root("/me/certificate"))
            .await
            .unwrap();
        check_page(browser, "certificate-form").await;
        click(browser, "open-certificate").await;
        leave(browser, "/me/certificate").await;
        assert!(text_of(browser, "h1").await.contains("志愿服务记录证明"));
        check_page(browser, "certificate").await;
        let source = browser.source().await.unwrap();
        let at = source.find("/verify/").expect("a verification address") + "/verify/".len();
        let code = source[at..at + 32].to_owned();
        browser
            .goto(&app.url_root(&format!("/verify/{code}")))
            .await
            .unwrap();
        let result = text_of(browser, "[data-testid=\"verify-result\"]").await;
        assert!(result.contains("与登记记录一致"), "{result}");
        check_page(browser, "verify").await;
    })
    .catch_unwind()
    .await
}
