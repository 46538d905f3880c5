//! The district bureau's journeys in a real browser at a desk (headless Chromium, 1280×900), on a
//! fresh SQLite database: the coverage dashboard on a past day, a community's only administrator
//! ended and the community leading the gap list, the print view for an inspection; a course
//! created and opened by the bureau, two people enrolled by a street officer in a second browser,
//! the class's results recorded and the hours on each person's page; and the auditor walking the
//! same pages without a control that writes. Ignored by a plain `cargo test` like every browser
//! journey; `.ci/run` runs them. Every page is checked with axe-core and at 360 px, as in
//! `browser.rs`.

mod common;
#[path = "support/browser.rs"]
mod kit;

use chrono::TimeDelta;
use common::{ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app};
use fantoccini::{Client, Locator};
use fitreg::{domain::time::today, services::coverage_trend::month_ends};
use kit::{
    Driver, Root, arrive, check_page, choose, click, current_path, desk, fill, keep, pick,
    screenshot_to_docs, text_of,
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

/// Chooses an option of the select with this `data-testid`.
async fn choose_in(browser: &Client, testid: &str, value: &str) {
    browser
        .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no {testid}: {e}"))
        .select_by_value(value)
        .await
        .unwrap();
}

/// The forms of the page that post anywhere but the logout.
async fn writing_forms(browser: &Client) -> Vec<String> {
    let found = browser
        .execute(
            "return [...document.querySelectorAll('form')]
               .filter(f => f.method === 'post' && !f.action.endsWith('/logout'))
               .map(f => f.action);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap_or_default()
}

/// The course's id from its page's address.
async fn course_id(browser: &Client) -> i64 {
    let path = current_path(browser).await;
    path.trim_start_matches("/courses/")
        .split(['?', '/'])
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a course page: {path}"))
}

#[tokio::test]
#[ignore = "browser: needs chromium and chromium-driver"]
async fn a_course_is_run_from_creation_to_the_hours_on_each_person() {
    use futures_util::FutureExt;
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let a = app.person("龙一", "19850101", 61, street).await["id"]
        .as_i64()
        .unwrap();
    let b = app.person("龙二", "19850101", 63, street).await["id"]
        .as_i64()
        .unwrap();
    let officer = app.user("street_officer", Some(street)).await;
    let auditor = app.user("auditor", None).await;
    let community = app.community_id("450203001001").await;

    let driver = Driver::start();
    let (bureau_profile, office_profile, auditor_profile) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let bureau = desk(&driver, &bureau_profile).await;
    let office = desk(&driver, &office_profile).await;
    let inspector = desk(&driver, &auditor_profile).await;
    let journey = async {
        // The bureau describes the course and opens it.
        sign_in(&app, &bureau, "admin", ADMIN_PASSWORD, "/coverage").await;
        bureau.goto(&app.url_root("/courses")).await.unwrap();
        click(&bureau, "course-new").await;
        arrive(&bureau, "/courses/new").await;
        check_page(&bureau, "course-new").await;
        fill(&bureau, "title", "全民健身志愿者冬季培训").await;
        choose(&bureau, "kind", "continuing").await;
        choose(&bureau, "target_role", "fitness_volunteer").await;
        pick(&bureau, "starts_on", &today().to_string()).await;
        pick(&bureau, "ends_on", &today().to_string()).await;
        fill(&bureau, "hours", "8").await;
        fill(&bureau, "capacity", "30").await;
        fill(&bureau, "location", "鱼峰区全民健身中心").await;
        click(&bureau, "course-submit").await;
        until_text(&bureau, "[data-testid=notice]", "培训已建立").await;
        let id = course_id(&bureau).await;
        assert_eq!(
            text_of(&bureau, "[data-testid=course-status]").await,
            "筹备中"
        );
        click(&bureau, "course-open").await;
        until_text(&bureau, "[data-testid=course-status]", "报名中").await;
        check_page(&bureau, "course-bureau").await;

        // A street officer, in a browser of its own, enrols two of its people.
        sign_in(&app, &office, &officer.username, USER_PASSWORD, "/desk").await;
        office.goto(&app.url_root("/courses")).await.unwrap();
        until_text(
            &office,
            "[data-testid=open-courses]",
            "全民健身志愿者冬季培训",
        )
        .await;
        office
            .goto(&app.url_root(&format!("/courses/{id}")))
            .await
            .unwrap();
        click(&office, &format!("pick-{a}")).await;
        click(&office, &format!("pick-{b}")).await;
        click(&office, "enrol-submit").await;
        until_text(&office, "[data-testid=notice]", "已为 2 人报名").await;
        assert_eq!(text_of(&office, "[data-testid=seats-left]").await, "28");
        check_page(&office, "course-office").await;

        // The bureau records the class: one passes with the course's hours, one fails with 4.
        bureau.refresh().await.unwrap();
        until_text(&bureau, "[data-testid=seats]", "龙二").await;
        click(&bureau, "course-results").await;
        arrive(&bureau, &format!("/courses/{id}/results")).await;
        choose_in(&bureau, &format!("status-{a}"), "completed").await;
        choose_in(&bureau, &format!("status-{b}"), "failed").await;
        // A mistake first: more hours than the course gives; nothing is saved.
        let hours_b = bureau
            .find(Locator::Css(&format!("[data-testid=hours-{b}]")))
            .await
            .unwrap();
        hours_b.send_keys("9").await.unwrap();
        click(&bureau, "results-submit").await;
        until_text(&bureau, "[data-testid=refused]", "有 1 人的结果填写有误").await;
        check_page(&bureau, "course-results-refused").await;
        if std::env::var("FITREG_UPDATE_SCREENSHOTS").is_ok() {
            screenshot_to_docs(&bureau, "bureau-course-results.png").await;
        }
        let hours_b = bureau
            .find(Locator::Css(&format!("[data-testid=hours-{b}]")))
            .await
            .unwrap();
        hours_b.clear().await.unwrap();
        hours_b.send_keys("4").await.unwrap();
        bureau
            .find(Locator::Css(&format!("[data-testid=score-{b}]")))
            .await
            .unwrap()
            .send_keys("52")
            .await
            .unwrap();
        click(&bureau, "results-submit").await;
        until_text(&bureau, "[data-testid=notice]", "已保存 2 人的培训结果").await;
        check_page(&bureau, "course-with-results").await;

        // Each person's training shows the credited hours.
        for (person, hours) in [(a, "8"), (b, "4")] {
            bureau
                .goto(&app.url_root(&format!("/people/{person}")))
                .await
                .unwrap();
            let total = text_of(&bureau, "[data-testid=person-training-total]").await;
            assert!(total.starts_with(hours), "{person}: {total}");
        }
        check_page(&bureau, "person-with-training").await;

        // The auditor walks the same pages and finds nothing that writes.
        sign_in(
            &app,
            &inspector,
            &auditor.username,
            USER_PASSWORD,
            "/coverage",
        )
        .await;
        for path in [
            "/coverage".to_owned(),
            "/coverage/print".to_owned(),
            "/courses".to_owned(),
            format!("/courses/{id}"),
            format!("/people/{a}"),
            format!("/communities/{community}"),
            "/careers".to_owned(),
            "/admin".to_owned(),
            "/admin/accounts".to_owned(),
            "/admin/policy".to_owned(),
            "/admin/audit-log".to_owned(),
            "/admin/outbox".to_owned(),
        ] {
            inspector.goto(&app.url_root(&path)).await.unwrap();
            text_of(&inspector, "main h1").await;
            assert_eq!(
                writing_forms(&inspector).await,
                Vec::<String>::new(),
                "{path}"
            );
            check_page(&inspector, &format!("auditor{}", path.replace('/', "-"))).await;
        }
        inspector
            .goto(&app.url_root(&format!("/courses/{id}")))
            .await
            .unwrap();
        let seats = text_of(&inspector, "[data-testid=seats]").await;
        assert!(
            seats.contains("结业") && seats.contains("未通过"),
            "{seats}"
        );
    };
    let outcome = std::panic::AssertUnwindSafe(journey).catch_unwind().await;
    if outcome.is_err() {
        keep(&bureau, "failure-course-bureau").await;
        keep(&office, "failure-course-office").await;
        keep(&inspector, "failure-course-auditor").await;
    }
    for browser in [bureau, office, inspector] {
        let _ = browser.close().await;
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
