//! The district bureau's journeys in a real browser at a desk (headless Chromium, 1280×900), on a
//! fresh SQLite database: the coverage dashboard on a past day, a community's only administrator
//! ended and the community leading the gap list, the print view for an inspection. Ignored by a
//! plain `cargo test` like every browser journey; `.ci/run` runs them. Every page is checked with
//! axe-core and at 360 px, as in `browser.rs`.

mod common;
#[path = "support/browser.rs"]
mod kit;

use chrono::TimeDelta;
use common::{ADMIN_PASSWORD, TestApp, spawn_app};
use fantoccini::{Client, Locator};
use fitreg::{domain::time::today, services::coverage_trend::month_ends};
use kit::{
    Driver, Root, arrive, check_page, click, desk, fill, keep, pick, screenshot_to_docs, text_of,
};

const ADMIN: &str = "community_sports_administrator";

/// Runs a journey in a fresh desk browser; keeps the page if it fails.
async fn at_desk<F>(name: &str, journey: impl FnOnce(Client) -> F)
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
        keep(&browser, &format!("failure-{name}")).await;
    }
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn sign_in(app: &TestApp, browser: &Client, username: &str, password: &str, home: &str) {
    browser.goto(&app.url_root("/login")).await.unwrap();
    fill(browser, "username", username).await;
    fill(browser, "password", password).await;
    click(browser, "login-submit").await;
    arrive(browser, home).await;
}

/// Waits until the element's text contains `wanted`.
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

/// A district with two years of history: most streets partly staffed, one community staffed
/// only since the 11th month end of the trend, one whose only administrator the journey ends.
async fn history(app: &TestApp) -> (i64, i64) {
    let ends = month_ends(today(), 24);
    let long_ago = (today() - TimeDelta::days(900)).to_string();
    let mut seq = 1;
    // A few staffed communities in every street, started at different months, so the trend
    // climbs.
    let streets = app.get_ok("/streets?per_page=50").await;
    for (n, street) in streets["items"].as_array().unwrap().iter().enumerate() {
        let communities = app
            .get_ok(&format!(
                "/communities?street_id={}&per_page=50",
                street["id"]
            ))
            .await;
        let items = communities["items"].as_array().unwrap();
        let staffed = (items.len() * (n % 4 + 5) / 9).max(1);
        for (k, community) in items.iter().take(staffed).enumerate() {
            let start = ends[(n + k * 5) % 20].to_string();
            app.serving(
                seq,
                ADMIN,
                Some(if k % 2 == 0 { "full_time" } else { "part_time" }),
                community["id"].as_i64().unwrap(),
                if k == 0 { &long_ago } else { &start },
                None,
            )
            .await;
            seq += 1;
        }
    }
    let spell = app.community_id("450203002009").await;
    app.serving(
        seq,
        ADMIN,
        Some("part_time"),
        spell,
        &ends[10].to_string(),
        None,
    )
    .await;
    let only = app.community_id("450203003010").await;
    (spell, only)
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn the_bureau_reads_a_past_day_and_sees_a_new_gap_lead() {
    let app = spawn_app().await;
    let (spell, only) = history(&app).await;
    let assignment = app
        .serving(900, ADMIN, Some("full_time"), only, "2025-01-01", None)
        .await;
    let spell_name = app.get_ok(&format!("/communities/{spell}")).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let only_name = app.get_ok(&format!("/communities/{only}")).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    at_desk("bureau-dashboard", |browser| async move {
        sign_in(&app, &browser, "admin", ADMIN_PASSWORD, "/coverage").await;
        text_of(&browser, "[data-testid=dashboard-ratio]").await;
        check_page(&browser, "bureau-dashboard").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&browser, "bureau-dashboard.png").await;
            let figure = browser.find(Locator::Css("figure.trend")).await.unwrap();
            let png = figure.screenshot().await.unwrap();
            std::fs::write(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bureau-trend.png"),
                png,
            )
            .unwrap();
        }
        let gaps = text_of(&browser, "[data-testid=gap-list]").await;
        assert!(
            !gaps.contains(&spell_name),
            "covered in none of today's: {gaps}"
        );

        // A day in its spell's past, before it began: it was a gap then.
        let ends = month_ends(today(), 24);
        pick(&browser, "as-of", &ends[5].to_string()).await;
        click(&browser, "as-of-submit").await;
        until_text(&browser, "[data-testid=dashboard-scope]", "历史日期").await;
        let then = text_of(&browser, "[data-testid=gap-list]").await;
        assert!(then.contains(&spell_name), "{then}");
        check_page(&browser, "bureau-dashboard-past").await;

        // The only administrator of a community leaves today.
        browser
            .goto(&app.url_root(&format!("/communities/{only}")))
            .await
            .unwrap();
        browser
            .find(Locator::Css("[data-testid=serving] details summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill(
            &browser,
            &format!("end-reason-{assignment}"),
            "调往其他社区",
        )
        .await;
        click(&browser, &format!("end-{assignment}")).await;
        until_text(&browser, "[data-testid=community-covered]", "未覆盖").await;
        browser.goto(&app.url_root("/coverage")).await.unwrap();
        let first = text_of(&browser, "[data-testid=gap-list] tbody tr").await;
        assert!(first.contains(&only_name), "{first}");
        assert!(first.contains("0 天"), "{first}");

        click(&browser, "dashboard-print").await;
        until_text(&browser, "[data-testid=print-district]", "全区").await;
        check_page(&browser, "bureau-print").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&browser, "bureau-print.png").await;
        }
    })
    .await;
}
