//! Times the district-wide coverage audit at province scale: the Guangxi regions (16,681
//! communities), 50,000 generated people and about 100,000 assignments. The limit, timed in the
//! same run: the hand-written grouped SQL for the same answer, its rows decoded. Goal: the
//! coverage API within 2x of it and under 150 ms. It reports the same on PostgreSQL when
//! `FITREG_BENCH_POSTGRES_URL` (or `FITREG_TEST_POSTGRES_URL`) names a server.
//!
//! Then, through the whole HTTP stack in process, the bureau's dashboard (`GET /coverage`: the
//! audit, its gaps and risks, the 24-month trend, rendered) against the coverage API's own answer
//! for the same day (`GET /api/v1/coverage`); target: the dashboard within 2x of the API.
//!
//! Run with `cargo bench --bench coverage [-- REGIONS_DIR]`; the regions default to
//! `tests/data/guangxi` (a copy of `../shared/data/guangxi`).

mod common;

use std::{path::PathBuf, time::Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use fitreg::{
    app::{AppState, build_app},
    auth::Caller,
    db,
    domain::{
        person::{Employment, Gender, PersonStatus, QualificationKind},
        time::today,
    },
    entities::{assignment, community, person},
    services::{
        auth::bootstrap_admin,
        coverage,
        seed::{self, RegionSet},
    },
};
use poem::{Endpoint, Request, http::header};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait, QuerySelect};

const PEOPLE: usize = 50_000;
const ASSIGNMENTS_PER_PERSON: usize = 2;

async fn load(conn: &sea_orm::DatabaseConnection, regions: &RegionSet) {
    db::migrate(conn).await.expect("migrate");
    seed::run(conn, Some(regions))
        .await
        .expect("seed the province");
    let communities: Vec<(i32, i32)> = community::Entity::find()
        .select_only()
        .columns([community::Column::Id, community::Column::StreetId])
        .into_tuple()
        .all(conn)
        .await
        .expect("communities");
    let now = Utc::now();
    let txn = db::begin_write(conn).await.expect("begin");
    for chunk in (0..PEOPLE).collect::<Vec<_>>().chunks(1000) {
        person::Entity::insert_many(chunk.iter().map(|i| person::ActiveModel {
            name: Set(format!("测试{i}")),
            gender: Set(if i % 2 == 0 {
                Gender::Male
            } else {
                Gender::Female
            }),
            birth_date: Set(NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()),
            id_number: Set(format!("{i:018}")),
            phone: Set(format!("139{:08}", i)),
            email: Set(None),
            street_id: Set(communities[i % communities.len()].1),
            status: Set(PersonStatus::Active),
            import_id: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await
        .expect("people");
    }
    let roles = [
        QualificationKind::CommunitySportsAdministrator,
        QualificationKind::SocialSportsInstructor,
        QualificationKind::FitnessVolunteer,
        QualificationKind::ScientificFitnessInstructor,
    ];
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    // Made as they are inserted, a thousand at a time, not all held at once.
    let mut rows = (0..PEOPLE * ASSIGNMENTS_PER_PERSON)
        .map(|n| {
            let person = n % PEOPLE;
            let role = roles[n % roles.len()];
            let starts_on = start + TimeDelta::days((n % 900) as i64);
            assignment::ActiveModel {
                person_id: Set(person as i32 + 1),
                community_id: Set(communities[(n * 7919) % communities.len()].0),
                role: Set(role),
                employment: Set((role == QualificationKind::CommunitySportsAdministrator)
                    .then_some(if n % 3 == 0 {
                        Employment::FullTime
                    } else {
                        Employment::PartTime
                    })),
                starts_on: Set(starts_on),
                // A quarter of the terms have ended; the rest are open.
                ends_on: Set(((n / 4) % 4 == 0).then(|| starts_on + TimeDelta::days(365))),
                end_reason: Set(None),
                created_by: Set(None),
                import_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(1000).collect();
        assignment::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await
            .expect("assignments");
    }
    txn.commit().await.expect("commit");
}

async fn run(label: &str, url: &str, regions: &RegionSet) {
    let conn = db::connect(url).await.expect("connect");
    let started = Instant::now();
    load(&conn, regions).await;
    println!(
        "{label}: loaded the province and {} assignments in {:.1} s; resident {:.0} MiB, peak {:.0} MiB",
        PEOPLE * ASSIGNMENTS_PER_PERSON,
        started.elapsed().as_secs_f64(),
        common::rss_mib(),
        common::peak_rss_mib()
    );
    // Both backends plan better with fresh statistics after a bulk load.
    conn.execute_unprepared("ANALYZE").await.ok();
    // The limit: the hand-written grouped SQL for the same answer, its rows read and decoded.
    let mut sql_times = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let rows = conn
            .query_all_raw(coverage::communities_on_statement(
                conn.get_database_backend(),
                today(),
                None,
            ))
            .await
            .expect("the grouped SQL");
        let mut covered = 0;
        for row in &rows {
            let _: (i32, String, String, i32, Option<i32>) = (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
                row.try_get_by_index(3).unwrap(),
                row.try_get_by_index(4).unwrap(),
            );
            let full: i64 = row.try_get_by_index(5).unwrap();
            let part: i64 = row.try_get_by_index(6).unwrap();
            for i in 7..10 {
                let _: i64 = row.try_get_by_index(i).unwrap();
            }
            covered += usize::from(full + part > 0);
        }
        sql_times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(rows.len(), 16_681);
        assert!(covered > 0);
    }
    let sql = median(sql_times);
    println!("{label}: the hand-written grouped SQL (rows decoded): median {sql:.0} ms");
    let mut times = Vec::new();
    let mut covered = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let report = coverage::audit(&conn, &Caller::system(), today(), None)
            .await
            .expect("audit");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        covered = report.district.covered;
        assert_eq!(report.communities.len(), 16_681);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    println!(
        "{label}: district-wide audit of 16,681 communities ({covered} covered): median {median:.0} ms, best {:.0} ms; {:.2}x the SQL",
        times[0],
        median / sql,
    );
    let (anon, file) = common::rss_split_mib();
    println!(
        "{label}: resident {:.0} MiB before the endpoints ({anon:.0} MiB anonymous, {file:.0} MiB mapped files)",
        common::rss_mib()
    );
    dashboard_against_api(label, &conn, url, sql).await;
}

const PASSWORD: &str = "bench-password-1";

/// One GET through the app, its body read whole: milliseconds and bytes.
async fn timed_get(
    app: &impl Endpoint<Output = poem::Response>,
    uri: &str,
    credential: (header::HeaderName, &str),
) -> (f64, usize) {
    let started = Instant::now();
    let response = app
        .call(
            Request::builder()
                .uri(uri.parse().expect("uri"))
                .header(credential.0, credential.1)
                .finish(),
        )
        .await
        .expect("an answer");
    assert!(
        response.status().is_success(),
        "{uri}: {}",
        response.status()
    );
    let body = response.into_body().into_bytes().await.expect("body");
    (started.elapsed().as_secs_f64() * 1000.0, body.len())
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

/// The dashboard against the coverage API, both as the bureau, for today.
async fn dashboard_against_api(
    label: &str,
    conn: &sea_orm::DatabaseConnection,
    url: &str,
    sql: f64,
) {
    let state = AppState::new(conn.clone(), common::config(url));
    bootstrap_admin(conn, &state.hasher, Some(PASSWORD))
        .await
        .expect("bootstrap the bureau's account");
    let app = build_app(state);
    let login = app
        .call(
            Request::builder()
                .method(poem::http::Method::POST)
                .uri("/api/v1/auth/login".parse().unwrap())
                .content_type("application/json")
                .body(format!(r#"{{"username":"admin","password":"{PASSWORD}"}}"#)),
        )
        .await
        .expect("login");
    let body: serde_json::Value =
        serde_json::from_slice(&login.into_body().into_bytes().await.unwrap()).unwrap();
    let bearer = format!("Bearer {}", body["token"].as_str().expect("a token"));
    let signed_in = app
        .call(
            Request::builder()
                .method(poem::http::Method::POST)
                .uri("/login".parse().unwrap())
                .header("sec-fetch-site", "same-origin")
                .content_type("application/x-www-form-urlencoded")
                .body(format!("username=admin&password={PASSWORD}")),
        )
        .await
        .expect("web login");
    let cookie = signed_in
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let day = today();
    let api_uri = format!("/api/v1/coverage?as_of={day}");
    let page_uri = format!("/coverage?as_of={day}");
    // One of each first, so neither pays for a cold cache.
    timed_get(&app, &api_uri, (header::AUTHORIZATION, &bearer)).await;
    timed_get(&app, &page_uri, (header::COOKIE, &cookie)).await;
    let (mut api, mut page) = (Vec::new(), Vec::new());
    let (mut api_bytes, mut page_bytes) = (0, 0);
    for _ in 0..7 {
        let (ms, bytes) = timed_get(&app, &api_uri, (header::AUTHORIZATION, &bearer)).await;
        api.push(ms);
        api_bytes = bytes;
        let (ms, bytes) = timed_get(&app, &page_uri, (header::COOKIE, &cookie)).await;
        page.push(ms);
        page_bytes = bytes;
    }
    gaps_and_risks(label, conn, &app, &bearer, sql).await;
    exports(label, &app, &bearer).await;
    let (api, page) = (median(api), median(page));
    let ratio = page / api;
    let api_ratio = api / sql;
    println!(
        "{label}: GET /api/v1/coverage median {api:.0} ms ({} KB), {api_ratio:.2}x the SQL{}",
        api_bytes / 1024,
        if api_ratio <= 2.0 && api < 150.0 {
            " - within the 2x and 150 ms goal"
        } else {
            " - OVER the goal (2x the SQL, under 150 ms)"
        }
    );
    println!(
        "{label}: dashboard GET /coverage median {page:.0} ms ({} KB); {ratio:.2}x the API{}",
        page_bytes / 1024,
        if ratio <= 2.0 {
            " - within the 2x target"
        } else {
            " - OVER the 2x target"
        }
    );
}

/// The uncovered communities with the day their last administrator left, in one hand-written
/// query: the limit for `GET /coverage/gaps`.
const GAPS_SQL: &str = "SELECT c.id, c.code, c.name, c.street_id, c.population, \
       (SELECT COUNT(*) FROM assignment r WHERE r.community_id = c.id AND r.role = 'social_sports_instructor' \
          AND r.starts_on <= ? AND (r.ends_on IS NULL OR r.ends_on > ?)), \
       (SELECT COUNT(*) FROM assignment r WHERE r.community_id = c.id AND r.role = 'fitness_volunteer' \
          AND r.starts_on <= ? AND (r.ends_on IS NULL OR r.ends_on > ?)), \
       (SELECT COUNT(*) FROM assignment r WHERE r.community_id = c.id AND r.role = 'scientific_fitness_instructor' \
          AND r.starts_on <= ? AND (r.ends_on IS NULL OR r.ends_on > ?)), \
       MAX(CASE WHEN a.ends_on <= ? THEN a.ends_on END) \
     FROM community c LEFT JOIN assignment a ON a.community_id = c.id \
       AND a.role = 'community_sports_administrator' AND a.starts_on <= ? \
     WHERE (c.active = ? OR c.deactivated_on > ?) \
     GROUP BY c.id, c.code, c.name, c.street_id, c.population \
     HAVING COUNT(CASE WHEN a.id IS NOT NULL AND (a.ends_on IS NULL OR a.ends_on > ?) THEN 1 END) = 0 \
     ORDER BY c.code";

/// The administrator terms running into the next 30 days: with the coverage SQL, what the
/// at-risk list is computed from.
const TERMS_SQL: &str = "SELECT community_id, starts_on, ends_on FROM assignment \
     WHERE role = 'community_sports_administrator' AND starts_on <= ? AND (ends_on IS NULL OR ends_on > ?)";

/// `GET /coverage/gaps` against its hand-written SQL, and `GET /coverage/at-risk` against the
/// coverage SQL plus the terms query it needs.
async fn gaps_and_risks(
    label: &str,
    conn: &sea_orm::DatabaseConnection,
    app: &impl Endpoint<Output = poem::Response>,
    bearer: &str,
    coverage_sql: f64,
) {
    let backend = conn.get_database_backend();
    let day = today();
    let (mut gaps_sql, mut terms_sql, mut gaps_api, mut risks_api) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut gaps = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let rows = conn
            .query_all_raw(coverage::statement(
                backend,
                GAPS_SQL,
                [
                    vec![day.into(); 8],
                    vec![true.into(), day.into(), day.into()],
                ]
                .concat(),
            ))
            .await
            .expect("the gaps SQL");
        for row in &rows {
            let _: (i32, String, String, i32, Option<i32>) = (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
                row.try_get_by_index(3).unwrap(),
                row.try_get_by_index(4).unwrap(),
            );
            let _: (i64, i64, i64, Option<NaiveDate>) = (
                row.try_get_by_index(5).unwrap(),
                row.try_get_by_index(6).unwrap(),
                row.try_get_by_index(7).unwrap(),
                row.try_get_by_index(8).unwrap(),
            );
        }
        gaps = rows.len();
        gaps_sql.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let rows = conn
            .query_all_raw(coverage::statement(
                backend,
                TERMS_SQL,
                vec![(day + TimeDelta::days(30)).into(), day.into()],
            ))
            .await
            .expect("the terms SQL");
        for row in &rows {
            let _: (i32, NaiveDate, Option<NaiveDate>) = (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
            );
        }
        terms_sql.push(started.elapsed().as_secs_f64() * 1000.0);
        let (ms, _) = timed_get(
            app,
            &format!("/api/v1/coverage/gaps?as_of={day}"),
            (header::AUTHORIZATION, bearer),
        )
        .await;
        gaps_api.push(ms);
        let (ms, _) = timed_get(
            app,
            "/api/v1/coverage/at-risk?within_days=30",
            (header::AUTHORIZATION, bearer),
        )
        .await;
        risks_api.push(ms);
    }
    let answered = app
        .call(
            Request::builder()
                .uri(
                    format!("/api/v1/coverage/gaps?as_of={day}")
                        .parse()
                        .expect("uri"),
                )
                .header(header::AUTHORIZATION, bearer)
                .finish(),
        )
        .await
        .expect("an answer")
        .into_body()
        .into_json::<serde_json::Value>()
        .await
        .expect("a JSON body");
    assert_eq!(
        answered["total"].as_u64(),
        Some(gaps as u64),
        "{label}: the API's gaps are the SQL's"
    );
    let (gaps_sql, gaps_api) = (median(gaps_sql), median(gaps_api));
    let risks_sql = coverage_sql + median(terms_sql);
    let risks_api = median(risks_api);
    let verdict = |api: f64, sql: f64| {
        if api <= 2.0 * sql && api < 150.0 {
            " - within the 2x and 150 ms goal"
        } else {
            " - OVER the goal (2x the SQL, under 150 ms)"
        }
    };
    println!(
        "{label}: GET /api/v1/coverage/gaps ({gaps} gaps) median {gaps_api:.0} ms against its SQL {gaps_sql:.0} ms: {:.2}x{}",
        gaps_api / gaps_sql,
        verdict(gaps_api, gaps_sql)
    );
    println!(
        "{label}: GET /api/v1/coverage/at-risk median {risks_api:.0} ms against the coverage and terms SQL {risks_sql:.0} ms: {:.2}x{}",
        risks_api / risks_sql,
        verdict(risks_api, risks_sql)
    );
}

/// `GET /api/v1/coverage/export` and `GET /api/v1/people/export` (all 50,000 people, full ID
/// numbers: the bureau) as CSV and as XLSX, median of 3 each, with the process's resident set
/// before and its peak during them (goal: under 150 MB; the figures include this benchmark's own
/// data).
async fn exports(label: &str, app: &impl Endpoint<Output = poem::Response>, bearer: &str) {
    for (path, format) in [
        ("coverage", "csv"),
        ("coverage", "xlsx"),
        ("people", "csv"),
        ("people", "xlsx"),
    ] {
        let uri = format!("/api/v1/{path}/export?format={format}");
        let mut times = Vec::new();
        let mut size = 0;
        let before = common::rss_mib();
        common::reset_peak_rss();
        for _ in 0..3 {
            let (ms, bytes) = timed_get(app, &uri, (header::AUTHORIZATION, bearer)).await;
            times.push(ms);
            size = bytes;
        }
        println!(
            "{label}: GET {uri} median {:.0} ms ({} KB); resident {before:.0} MiB before, peak {:.0} MiB during",
            median(times),
            size / 1024,
            common::peak_rss_mib()
        );
    }
}

fn main() {
    common::run(bench());
}

async fn bench() {
    let dir: PathBuf = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/guangxi"));
    let regions = RegionSet::from_dir(&dir).expect("read the regions");
    // FITREG_BENCH_KEEP=DIR keeps the SQLite database in DIR, to look at it afterwards.
    let tmp = tempfile::tempdir().expect("temp dir");
    let folder = std::env::var_os("FITREG_BENCH_KEEP")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    run(
        "sqlite",
        &format!("sqlite://{}", folder.join("bench.db").display()),
        &regions,
    )
    .await;

    let postgres = std::env::var("FITREG_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("FITREG_TEST_POSTGRES_URL"));
    if let Ok(admin_url) = postgres {
        let name = format!("fitreg_bench_coverage_{}", std::process::id());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        let mut url = url::Url::parse(&admin_url).expect("URL");
        url.set_path(&name);
        run("postgres", url.as_str(), &regions).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await
            .ok();
    } else {
        println!("postgres: skipped (set FITREG_BENCH_POSTGRES_URL to run it)");
    }
}
