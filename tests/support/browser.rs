//! The browser journeys' kit: chromedriver on a port of its own, Chromium as a phone or a desk
//! (headless, in Chinese, reaching nothing but the test server), axe-core and the sideways-scroll
//! check on every page, and helpers that act as a person does. Included by each browser test
//! file with `#[path]`.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub use super::common::web::Root;

pub const WAIT: Duration = Duration::from_secs(20);
pub const AXE: &str = include_str!("../vendor/axe-4.10.3.min.js");

/// chromedriver on a port of its own, stopped when dropped.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    pub fn start() -> Self {
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
pub async fn phone(driver: &Driver, profile: &tempfile::TempDir) -> Client {
    window(driver, profile, 390, 844).await
}

/// A desk: Chromium at 1280×900, as a street office or the bureau works.
pub async fn desk(driver: &Driver, profile: &tempfile::TempDir) -> Client {
    window(driver, profile, 1280, 900).await
}

async fn window(driver: &Driver, profile: &tempfile::TempDir, width: u32, height: u32) -> Client {
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
        format!("--window-size={width},{height}"),
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
        .set_window_size(width, height)
        .await
        .expect("a window of its size");
    client
}

pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keeps the page as it is now, for a failure or a screenshot.
pub async fn keep(browser: &Client, name: &str) {
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(artifacts().join(format!("{name}.png")), png);
    }
    if let Ok(source) = browser.source().await {
        let _ = std::fs::write(artifacts().join(format!("{name}.html")), source);
    }
}

/// Runs axe-core on the page: any serious or critical violation fails the journey. Then checks
/// that the page does not scroll sideways at 360 px.
pub async fn check_page(browser: &Client, name: &str) {
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

    let (width, height) = browser.get_window_size().await.unwrap();
    browser.set_window_size(360, 844).await.unwrap();
    let sideways = browser
        .execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    browser
        .set_window_size(width as u32, height as u32)
        .await
        .unwrap();
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
pub async fn text_of(browser: &Client, css: &str) -> String {
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
pub async fn arrive(browser: &Client, path: &str) {
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

/// Waits until the browser has left `path` (a form sent by GET has been answered).
pub async fn leave(browser: &Client, path: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while current_path(browser).await == path {
        assert!(std::time::Instant::now() < deadline, "never left {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn fill(browser: &Client, id: &str, value: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Sets a date or time input the way its picker would.
pub async fn pick(browser: &Client, id: &str, value: &str) {
    browser
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

pub async fn choose(browser: &Client, id: &str, value: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

pub async fn click(browser: &Client, testid: &str) {
    browser
        .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no {testid}: {e}"))
        .click()
        .await
        .unwrap();
}

pub fn path_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest[rest.find('/').unwrap_or(rest.len())..].to_owned()
}

pub async fn current_path(browser: &Client) -> String {
    path_of(browser.current_url().await.unwrap().as_str())
}

pub async fn screenshot_to_docs(browser: &Client, name: &str) {
    browser
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let png = browser.screenshot().await.unwrap();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join(name), png).unwrap();
}
