//! The bureau's coverage dashboard through HTTP as a browser speaks it: the bureau lands on it,
//! sees the district against the 100% target with a bar per street, the newest gap first, the
//! communities at risk and a 24-month trend whose every number is the audit of that month's last
//! day; a past day shows what was true then; the exports and the print view; a street officer
//! sees its street's instead and nothing else; the auditor reads it with no form that writes.

mod common;

use chrono::{NaiveDate, TimeDelta};
use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Session, sign_in},
};
use fitreg::{domain::time::today, services::coverage_trend::month_ends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "community_sports_administrator";

struct History {
    /// Lost its only administrator after the 11th month end of the trend; uncovered since.
    lapsed: i64,
    lapsed_on: NaiveDate,
    /// Covered from the 6th month end to the 16th (exclusive), in another street.
    spell: i64,
    /// Covered throughout, until ten days from now.
    leaving: i64,
}

fn day(d: NaiveDate) -> String {
    d.to_string()
}

/// A history over the trend's two years, in two streets.
async fn history(app: &TestApp) -> History {
    let ends = month_ends(today(), 24);
    let long_ago = day(today() - TimeDelta::days(900));
    let lapsed = app.community_id("450203001001").await;
    let lapsed_on = ends[10] + TimeDelta::days(1);
    app.serving(
        1,
        ADMIN,
        Some("full_time"),
        lapsed,
        &long_ago,
        Some(&day(lapsed_on)),
    )
    .await;
    let steady = app.community_id("450203001002").await;
    app.serving(2, ADMIN, Some("part_time"), steady, &long_ago, None)
        .await;
    let spell = app.community_id("450203002001").await;
    app.serving(
        3,
        ADMIN,
        Some("part_time"),
        spell,
        &day(ends[5]),
        Some(&day(ends[15])),
    )
    .await;
    let leaving = app.community_id("450203002005").await;
    app.serving(
        4,
        ADMIN,
        Some("full_time"),
        leaving,
        &long_ago,
        Some(&day(today() + TimeDelta::days(10))),
    )
    .await;
    app.serving(5, "social_sports_instructor", None, steady, &long_ago, None)
        .await;
    // A community deactivated today drops out from today on, on both sides of the comparison.
    let closed = app.community_id("450203003002").await;
    app.serving(6, ADMIN, Some("part_time"), closed, &long_ago, None)
        .await;
    let patched = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/communities/{closed}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    History {
        lapsed,
        lapsed_on,
        spell,
        leaving,
    }
}

async fn bureau(app: &TestApp) -> Session<'_> {
    sign_in(app, "admin", ADMIN_PASSWORD).await
}

/// The rows of a table of the page (`data-testid`), each as the text of its cells.
fn table_rows(html: &str, testid: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no table {testid}"));
    let body = &html[start..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter(|cell| cell.starts_with('d') || cell.starts_with('h'))
                .map(|cell| {
                    let mut text = String::new();
                    let mut inside = false;
                    for ch in cell[cell.find('>').unwrap() + 1..].chars() {
                        match ch {
                            '<' => inside = true,
                            '>' => inside = false,
                            _ if !inside => text.push(ch),
                            _ => {}
                        }
                    }
                    text.trim().to_owned()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_bureau_lands_on_the_dashboard_with_every_part_of_it() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let session = bureau(&app).await;
    assert_eq!(session.get("/").await.location(), "/coverage");
    let page = session.get("/coverage").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let api = app.get_ok("/coverage").await;
    let percent = format!("{:.1}%", api["district"]["ratio"].as_f64().unwrap() * 100.0);
    assert!(page.text.contains(&percent), "the ratio {percent}");
    assert!(page.text.contains("目标 100%"));
    let bars = table_rows(&page.text, "street-bars");
    assert_eq!(bars.len(), 12, "a bar per street");
    let tianma = &bars[0];
    assert_eq!(tianma[0], "天马街道");
    let street = api["streets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "天马街道")
        .unwrap();
    assert_eq!(
        tianma[1],
        format!("{} / {}", street["covered"], street["communities"])
    );
    // The newest gap leads the list; the communities that never had an administrator follow.
    let gaps = table_rows(&page.text, "gap-list");
    let ends = month_ends(today(), 24);
    assert_eq!(gaps[0][0], "晶远社区", "{gaps:?}");
    assert_eq!(
        gaps[0][3],
        format!("{} 天", (today() - ends[15]).num_days())
    );
    assert_eq!(gaps[1][0], "鱼峰社区", "{gaps:?}");
    assert_eq!(
        gaps[1][3],
        format!("{} 天", (today() - h.lapsed_on).num_days())
    );
    assert!(gaps.iter().skip(2).all(|g| g[3] == "从未安排"), "{gaps:?}");
    assert_eq!(
        gaps.len() as u64,
        api["district"]["communities"].as_u64().unwrap()
            - api["district"]["covered"].as_u64().unwrap()
    );
    let risks = table_rows(&page.text, "risk-list");
    assert_eq!(risks.len(), 1, "{risks:?}");
    assert!(
        page.text
            .contains(&format!("data-community=\"{}\"", h.leaving))
    );
    assert_eq!(risks[0][3], "10 天");
    assert!(page.text.contains("每千人社会体育指导员"));
    assert!(page.text.contains("data-testid=\"trend-chart\""));
    assert!(page.text.contains("<polyline"), "the lines are drawn");
    assert_eq!(table_rows(&page.text, "trend-table").len(), 24);
    assert!(
        page.text.contains("action=\"/admin/coverage-alerts\""),
        "the bureau may send the alert"
    );
}

#[tokio::test]
async fn every_number_of_the_trend_is_the_audit_of_that_month_end() {
    let app = spawn_app().await;
    history(&app).await;
    let session = bureau(&app).await;
    let csv = session.get("/coverage/trend/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        24 * 13,
        "the district and 12 streets for 24 months"
    );
    let page = session.get("/coverage").await;
    let table = table_rows(&page.text, "trend-table");
    let ends = month_ends(today(), 24);
    for (n, end) in ends.iter().enumerate() {
        let audit: Value = app.get_ok(&format!("/coverage?as_of={end}")).await;
        let of_day: Vec<&csv::StringRecord> =
            rows.iter().filter(|r| r[0] == end.to_string()).collect();
        assert_eq!(of_day.len(), 13, "{end}");
        let district = of_day.iter().find(|r| &r[1] == "全区").unwrap();
        assert_eq!(
            district[3],
            audit["district"]["communities"].to_string(),
            "{end}"
        );
        assert_eq!(
            district[4],
            audit["district"]["covered"].to_string(),
            "{end}"
        );
        for street in audit["streets"].as_array().unwrap() {
            let row = of_day
                .iter()
                .find(|r| r[1] == *street["name"].as_str().unwrap())
                .unwrap();
            assert_eq!(row[3], street["communities"].to_string(), "{end}");
            assert_eq!(row[4], street["covered"].to_string(), "{end} {street}");
        }
        // The page's table, newest first, says the same.
        let cells = &table[ends.len() - 1 - n];
        assert!(
            cells[1].ends_with(&format!(
                "（{} / {}）",
                audit["district"]["covered"], audit["district"]["communities"]
            )),
            "{end}: {cells:?}"
        );
    }
}

#[tokio::test]
async fn a_past_day_shows_what_was_true_then() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let session = bureau(&app).await;
    let ends = month_ends(today(), 24);
    let marker = format!("data-community=\"{}\"", h.spell);
    // Before its spell the community was a gap; during it, not; today, again.
    let before = session.get(&format!("/coverage?as_of={}", ends[4])).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains("（历史日期）"));
    let gaps = &before.text[before.text.find("gap-list").unwrap()..];
    assert!(gaps.contains(&marker));
    let during = session.get(&format!("/coverage?as_of={}", ends[10])).await;
    let gaps = &during.text[during.text.find("gap-list").unwrap()..];
    assert!(!gaps[..gaps.find("</table>").unwrap()].contains(&marker));
    let lapsed = format!("data-community=\"{}\"", h.lapsed);
    assert!(
        !gaps[..gaps.find("</table>").unwrap()].contains(&lapsed),
        "still covered then"
    );
    // A day not understood, or to come, is said so next to the picker.
    for bad in ["2026-13-01", "昨天", &day(today() + TimeDelta::days(1))] {
        let page = session
            .get(&format!("/coverage?as_of={}", urlencoding(bad)))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(page.text.contains("data-testid=\"as-of-error\""), "{bad}");
    }
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn ending_the_only_administrator_puts_the_community_first_in_the_gaps() {
    let app = spawn_app().await;
    history(&app).await;
    let community = app.community_id("450203004005").await;
    let assignment = app
        .serving(9, ADMIN, Some("part_time"), community, "2025-01-01", None)
        .await;
    let session = bureau(&app).await;
    let page = session.get("/coverage").await;
    assert!(
        !page
            .text
            .contains(&format!("data-community=\"{community}\""))
    );
    let ended = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/assignments/{assignment}/end"),
            json!({"ends_on": day(today()), "reason": "调离"}),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    let page = session.get("/coverage").await;
    let gaps = table_rows(&page.text, "gap-list");
    assert_eq!(gaps[0][2], fitreg_date(today()), "{gaps:?}");
    assert_eq!(gaps[0][3], "0 天");
    let first = &page.text[page.text.find("gap-list").unwrap()..];
    let first = &first[first.find("<tbody>").unwrap()..];
    assert!(
        first[..first.find("</tr>").unwrap()].contains(&format!("data-community=\"{community}\"")),
        "the new gap leads"
    );
}

fn fitreg_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

#[tokio::test]
async fn exports_and_the_print_view_hold_the_chosen_day() {
    let app = spawn_app().await;
    history(&app).await;
    let session = bureau(&app).await;
    let ends = month_ends(today(), 24);
    let csv = session
        .get(&format!("/coverage/export?format=csv&as_of={}", ends[4]))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("coverage-{}.csv", ends[4]))
    );
    assert!(csv.text.starts_with('\u{feff}'));
    let xlsx = session
        .client
        .get(format!("{}/coverage/export?format=xlsx", app.base))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    let workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = calamine::Reader::sheet_names(&workbook);
    assert!(names.contains(&"月度趋势".to_owned()), "{names:?}");

    let print = session.get("/coverage/print").await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(
        print.text.matches("data-testid=\"print-district\"").count(),
        1
    );
    assert_eq!(
        print.text.matches("data-testid=\"print-street\"").count(),
        12
    );
    let district_at = print.text.find("print-district").unwrap();
    assert!(
        district_at < print.text.find("print-street").unwrap(),
        "the district first"
    );
    assert!(print.text.contains("鱼峰社区"));
    assert!(print.text.contains("data-print"));
}

#[tokio::test]
async fn an_officer_sees_its_street_instead_and_no_other() {
    let app = spawn_app().await;
    history(&app).await;
    let own = app.street_id("450203001").await;
    let other = app.street_id("450203002").await;
    let user = app.user("street_officer", Some(own)).await;
    let officer = sign_in(&app, &user.username, USER_PASSWORD).await;
    let page = officer.get("/coverage?as_of=2026-01-31").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        format!("/coverage/streets/{own}?as_of=2026-01-31")
    );
    let street = officer.get(&format!("/coverage/streets/{own}")).await;
    assert_eq!(street.status, StatusCode::OK);
    assert!(street.text.contains("天马街道"));
    assert!(!street.text.contains("data-testid=\"street-bars\""));
    assert!(!street.text.contains("/admin/coverage-alerts"));
    for path in [
        format!("/coverage/streets/{other}"),
        format!("/coverage/export?format=csv&street_id={other}"),
        format!("/coverage/print?street_id={other}"),
        format!("/coverage/trend/export?format=csv&street_id={other}"),
    ] {
        assert_eq!(
            officer.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let print = officer.get("/coverage/print").await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(
        print.text.matches("data-testid=\"print-street\"").count(),
        1
    );
    assert!(!print.text.contains("print-district"));
    let trend = officer.get("/coverage/trend/export?format=csv").await;
    assert_eq!(trend.status, StatusCode::OK);
    assert!(!trend.text.contains("驾鹤街道"), "only its street");
    assert!(trend.text.contains("天马街道"));
}

#[tokio::test]
async fn the_auditor_reads_the_dashboard_with_no_form_that_writes() {
    let app = spawn_app().await;
    history(&app).await;
    let user = app.user("auditor", None).await;
    let auditor = sign_in(&app, &user.username, USER_PASSWORD).await;
    assert_eq!(auditor.get("/").await.location(), "/coverage");
    let street = app.street_id("450203002").await;
    for path in [
        "/coverage".to_owned(),
        format!("/coverage/streets/{street}"),
        "/coverage/print".to_owned(),
        "/coverage?as_of=2026-01-31".to_owned(),
    ] {
        let page = auditor.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let writes = page
            .text
            .match_indices("method=\"post\"")
            .filter(|(at, _)| !page.text[*at..].starts_with("method=\"post\" action=\"/logout\""))
            .count();
        assert_eq!(writes, 0, "{path} has a form that writes");
    }
    for path in [
        "/coverage/export?format=csv",
        "/coverage/trend/export?format=xlsx",
    ] {
        assert_eq!(auditor.get(path).await.status, StatusCode::OK, "{path}");
    }
    let member_street = app.street_id("450203001").await;
    let person = app.person("覃一", "19800101", 30, member_street).await;
    let member = app
        .member(person["id"].as_i64().unwrap() as i32, Some(member_street))
        .await;
    let member = sign_in(&app, &member.username, USER_PASSWORD).await;
    assert_eq!(member.get("/coverage").await.status, StatusCode::FORBIDDEN);
}
