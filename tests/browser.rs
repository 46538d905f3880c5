//! Journeys in a real browser: headless Chromium on a phone window, driven over WebDriver, on a
//! fresh SQLite database. They need Debian's `chromium` and `chromium-driver`, so they are
//! ignored by a plain `cargo test`; `.ci/run` installs both and runs them with `--ignored`.
//! Every page a journey visits is checked with axe-core (no serious or critical violation) and
//! for horizontal scroll at 360 px. On failure the page's screenshot and source are kept under
//! `target/e2e-artifacts/` (every visited page with `FITREG_KEEP_PAGES=1`); with
//! `FITREG_UPDATE_SCREENSHOTS=1` the README's screenshots in `docs/` are written anew.

mod common;

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{TestApp, smtp::SmtpServer, spawn_app_with_smtp};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const AXE: &str = include_str!("vendor/axe-4.10.3.min.js");

/// chromedriver on a port of its own, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start chromedriver ({e}): install it with \
                     `apt-get install -y --no-install-recommends chromium chromium-driver`"
                )
            });
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("chromedriver said nothing")
                .expect("chromedriver output");
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                break rest
                    .trim_end_matches('.')
                    .trim()
                    .parse()
                    .expect("a port number");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A phone: Chromium at 390×844, in Chinese, reaching nothing but the test server.
async fn phone(driver: &Driver, profile: &tempfile::TempDir) -> Client {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--lang=zh-CN".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--window-size=390,844".to_owned(),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({"args": args, "prefs": {"intl.accept_languages": "zh-CN"}}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session");
    client
        .set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    client
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keeps the page as it is now, for a failure or a screenshot.
async fn keep(browser: &Client, name: &str) {
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(artifacts().join(format!("{name}.png")), png);
    }
    if let Ok(source) = browser.source().await {
        let _ = std::fs::write(artifacts().join(format!("{name}.html")), source);
    }
}

/// Runs axe-core on the page: any serious or critical violation fails the journey. Then checks
/// that the page does not scroll sideways at 360 px.
async fn check_page(browser: &Client, name: &str) {
    if std::env::var("FITREG_KEEP_PAGES").is_ok() {
        keep(browser, &format!("page-{name}")).await;
    }
    browser.execute(AXE, vec![]).await.expect("inject axe-core");
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))
             ), e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    let violations: Vec<String> = serde_json::from_value(violations).unwrap_or_default();
    if !violations.is_empty() {
        keep(browser, &format!("axe-{name}")).await;
    }
    assert!(violations.is_empty(), "{name}: {violations:#?}");

    browser.set_window_size(360, 844).await.unwrap();
    let sideways = browser
        .execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    browser.set_window_size(390, 844).await.unwrap();
    if sideways == Value::Bool(true) {
        keep(browser, &format!("scroll-{name}")).await;
    }
    assert_eq!(
        sideways,
        Value::Bool(false),
        "{name} scrolls sideways at 360 px"
    );
}

/// The text of the first element matching `css`, waiting for it; an element that went stale as
/// the next page loaded is looked up again.
async fn text_of(browser: &Client, css: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => match element.text().await {
                Ok(text) => return text,
                Err(e) if std::time::Instant::now() > deadline => panic!("{css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            },
            Err(e) => panic!("no {css}: {e}"),
        }
    }
}

/// Waits until the browser is at `path` (a form's 303 has been followed).
async fn arrive(browser: &Client, path: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while current_path(browser).await != path {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached {path}: at {}",
            current_path(browser).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(browser: &Client, id: &str, value: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Sets a date or time input the way its picker would.
async fn pick(browser: &Client, id: &str, value: &str) {
    browser
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn choose(browser: &Client, id: &str, value: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn click(browser: &Client, testid: &str) {
    browser
        .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no {testid}: {e}"))
        .click()
        .await
        .unwrap();
}

fn path_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest[rest.find('/').unwrap_or(rest.len())..].to_owned()
}

async fn current_path(browser: &Client) -> String {
    path_of(browser.current_url().await.unwrap().as_str())
}

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

async fn screenshot_to_docs(browser: &Client, name: &str) {
    browser
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let png = browser.screenshot().await.unwrap();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join(name), png).unwrap();
}

trait Root {
    fn url_root(&self, path: &str) -> String;
}

impl Root for TestApp {
    fn url_root(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
