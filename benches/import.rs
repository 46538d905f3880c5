//! Imports 10,000 generated people (valid ID numbers, half of them volunteers assigned to a
//! community of their street) in one request-sized call, and reports rows per second on SQLite
//! and, when `FITREG_BENCH_POSTGRES_URL` (or `FITREG_TEST_POSTGRES_URL`) names a server, on
//! PostgreSQL. Target: under 5 seconds on SQLite in release.
//!
//! Run with `cargo bench --bench import` (optionally `-- 50000` for another row count).

use std::time::Instant;

use fitreg::{
    auth::Caller,
    db,
    services::{
        import::{ImportOptions, import},
        seed,
    },
};
use sea_orm::{ConnectionTrait, Database};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn id_number(birth: chrono::NaiveDate, sequence: u32) -> String {
    let first17 = format!("450203{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn generate(rows: usize) -> String {
    let communities: Vec<(String, String)> = include_str!("../seeds/communities.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            Some((cells.first()?.to_string(), cells.get(3)?.to_string()))
        })
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    let mut csv = String::from(
        "name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,employment,certificate_no,certified_on,specialties\n",
    );
    for i in 0..rows {
        let birth = start + chrono::TimeDelta::days((i % 18_000) as i64);
        let sequence = (i / 18_000) as u32 * 2 + 1;
        let (community, street) = &communities[i % communities.len()];
        let assignment = if i % 2 == 0 {
            format!("{community},全民健身志愿者,,,,2024-01-01")
        } else {
            ",,,,,".to_owned()
        };
        csv.push_str(&format!(
            "测试{i},,,{},139{:08},,{street},{assignment},square_dance\n",
            id_number(birth, sequence),
            i
        ));
    }
    csv
}

async fn run(label: &str, url: &str, csv: &str, rows: usize) {
    let conn = db::connect(url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    seed::run(&conn, None).await.expect("seed");
    let started = Instant::now();
    let report = import(
        &conn,
        &Caller::system(),
        csv.as_bytes(),
        ImportOptions::default(),
    )
    .await
    .expect("import");
    let elapsed = started.elapsed();
    assert!(
        report.errors.is_empty(),
        "{:?}",
        &report.errors[..report.errors.len().min(5)]
    );
    assert_eq!(report.created, rows);
    println!(
        "{label}: imported {rows} people in {:.2} s ({:.0} rows/s){}",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64(),
        if label == "sqlite" {
            if elapsed.as_secs_f64() < 5.0 {
                " - within the 5 s target"
            } else {
                " - OVER the 5 s target"
            }
        } else {
            ""
        }
    );
}

fn main() {
    // As `fitreg serve` does, before the runtime starts its threads.
    fitreg::memory::tune_allocator();
    tokio::runtime::Runtime::new()
        .expect("the async runtime")
        .block_on(bench());
}

async fn bench() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let csv = generate(rows);
    println!("generated {rows} rows ({} KiB)", csv.len() / 1024);

    let dir = tempfile::tempdir().expect("temp dir");
    run(
        "sqlite",
        &format!("sqlite://{}", dir.path().join("bench.db").display()),
        &csv,
        rows,
    )
    .await;

    let postgres = std::env::var("FITREG_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("FITREG_TEST_POSTGRES_URL"));
    if let Ok(admin_url) = postgres {
        let name = format!("fitreg_bench_{}", std::process::id());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        let mut url = url::Url::parse(&admin_url).expect("URL");
        url.set_path(&name);
        run("postgres", url.as_str(), &csv, rows).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await
            .ok();
    } else {
        println!("postgres: skipped (set FITREG_BENCH_POSTGRES_URL to run it)");
    }
}
