//! The `fitreg` binary as an operator uses it: `serve` on the embedded SQLite default in an
//! empty folder, the bootstrap admin, a restart that keeps the data, graceful shutdown, `seed`,
//! `backup` and `account create`.

use std::{io::Write, path::Path, process::Stdio, time::Duration};

#[path = "support/served.rs"]
mod served;

use served::{Served, block_on, fitreg};

#[test]
fn serve_starts_on_the_sqlite_default_and_a_restart_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let first = Served::start(dir.path());
    let printed = first.printed();
    let password = printed
        .iter()
        .find_map(|line| line.strip_prefix("bootstrap admin password: "))
        .unwrap_or_else(|| panic!("the generated admin password is printed once: {printed:?}"))
        .to_owned();
    let token = first.token("admin", &password);
    let body = first.get(&token, "/api/v1/communities?per_page=200");
    assert_eq!(body["total"], 101);
    assert_eq!(body["items"].as_array().unwrap().len(), 101);
    assert_eq!(first.get(&token, "/api/v1/health")["database"], "sqlite");
    let log = first.stop();
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:#?}");
    assert!(
        !log.iter().any(|l| l.contains(&password)),
        "the password never reaches the log"
    );
    assert!(
        dir.path().join("data/fitreg.db").exists(),
        "the default database is ./data/fitreg.db"
    );

    let second = Served::start(dir.path());
    let token = second.token("admin", &password);
    assert_eq!(
        second.get(&token, "/api/v1/communities?per_page=200")["total"],
        101
    );
    assert_eq!(second.get(&token, "/api/v1/streets")["total"], 12);
    assert!(second.printed().is_empty(), "no second bootstrap password");
    let log = second.stop();
    assert!(
        !log.iter().any(|l| l.contains("seeded")),
        "a restart seeds nothing: {log:#?}"
    );
}

#[test]
fn no_password_token_or_hash_reaches_a_response_or_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let admin_password = "first-admin-password";
    let mut command = fitreg(dir.path());
    command
        .env("FITREG_ADMIN_PASSWORD", admin_password)
        .env("FITREG_LOG", "trace");
    let served = Served::start_with(command);
    assert!(
        served.printed().is_empty(),
        "a configured password is not printed"
    );

    let login = served.login("admin", admin_password);
    let token = login["token"].as_str().unwrap().to_owned();
    let wrong = served.login("admin", "a-wrong-password");
    let unknown = served.login("nobody-here", "another-wrong-one");
    assert_eq!(wrong, {
        let mut same = unknown.clone();
        same["request_id"] = wrong["request_id"].clone();
        same
    });
    let new_password = "second-admin-password";
    let url = served.url("/api/v1/auth/password");
    let changed = block_on(async {
        reqwest::Client::new()
            .post(url)
            .bearer_auth(&token)
            .json(&serde_json::json!({"current_password": admin_password, "new_password": new_password}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(changed, 204);
    let me = served.get(&token, "/api/v1/auth/me");
    let accounts = served.get(&token, "/api/v1/accounts");
    let audit = served.get(&token, "/api/v1/audit-log?per_page=200");
    let log = served.stop();

    let hashes: Vec<String> = block_on(async {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let url = format!("sqlite://{}", dir.path().join("data/fitreg.db").display());
        let db = sea_orm::Database::connect(url).await.unwrap();
        let mut found = Vec::new();
        for sql in [
            "SELECT password_hash FROM account",
            "SELECT token_hash FROM session",
        ] {
            for row in db
                .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
            {
                found.push(row.try_get_by_index::<String>(0).unwrap());
            }
        }
        found
    });
    assert!(
        hashes.iter().any(|h| h.starts_with("$argon2id$")),
        "{hashes:?}"
    );
    let secrets: Vec<&str> = [
        admin_password,
        new_password,
        "a-wrong-password",
        token.as_str(),
    ]
    .into_iter()
    .chain(hashes.iter().map(String::as_str))
    .collect();
    let responses = [&me, &accounts, &audit, &login["account"]]
        .map(|v| v.to_string())
        .join("\n");
    let logged = log.join("\n");
    assert!(log.len() > 10, "trace logging captured: {}", log.len());
    for secret in secrets {
        assert!(!responses.contains(secret), "a response holds {secret}");
        assert!(!logged.contains(secret), "the log holds {secret}");
    }
}

#[test]
fn seed_twice_reports_nothing_new_and_loads_another_region_set() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = fitreg(dir.path()).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run(&["seed"]);
    assert!(first.contains("streets: 12 new"), "{first}");
    let second = run(&["seed"]);
    assert!(
        second.contains("streets: 0 new, 0 updated, 12 unchanged"),
        "{second}"
    );
    assert!(
        second.contains("communities: 0 new, 0 updated, 101 unchanged"),
        "{second}"
    );
    let regions = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/guangxi");
    let province = run(&["seed", "--regions", regions.to_str().unwrap()]);
    assert!(
        province.contains("streets: 1272 new, 0 updated, 12 unchanged"),
        "{province}"
    );
}

#[test]
fn backup_copies_a_serving_database_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let output = fitreg(dir.path())
        .args(["backup", "copy.db"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("copy.db").exists());
    let again = fitreg(dir.path())
        .args(["backup", "copy.db"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    served.stop();
}

#[test]
fn account_create_takes_the_password_from_the_environment_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let from_env = fitreg(dir.path())
        .args([
            "account",
            "create",
            "--username",
            "Officer.Tianma",
            "--role",
            "street_officer",
            "--street",
            "450203001",
        ])
        .env("FITREG_ACCOUNT_PASSWORD", "officer-password")
        .output()
        .unwrap();
    assert!(
        from_env.status.success(),
        "{}",
        String::from_utf8_lossy(&from_env.stderr)
    );
    assert!(String::from_utf8_lossy(&from_env.stdout).contains("created account officer.tianma"));

    let mut child = fitreg(dir.path())
        .args([
            "account",
            "create",
            "--username",
            "inspector",
            "--role",
            "auditor",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"inspector-password\n")
        .unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert!(
        from_stdin.status.success(),
        "{}",
        String::from_utf8_lossy(&from_stdin.stderr)
    );

    let duplicate = fitreg(dir.path())
        .args([
            "account",
            "create",
            "--username",
            "inspector",
            "--role",
            "auditor",
        ])
        .env("FITREG_ACCOUNT_PASSWORD", "inspector-password")
        .output()
        .unwrap();
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("username"));

    let bad_street = fitreg(dir.path())
        .args([
            "account",
            "create",
            "--username",
            "someone",
            "--role",
            "street_officer",
            "--street",
            "999999999",
        ])
        .env("FITREG_ACCOUNT_PASSWORD", "someone-password")
        .output()
        .unwrap();
    assert!(!bad_street.status.success());

    let served = Served::start(dir.path());
    assert!(
        served.printed().is_empty(),
        "accounts exist, so no bootstrap admin is made"
    );
    let token = served.token("officer.tianma", "officer-password");
    let me = served.get(&token, "/api/v1/auth/me");
    assert_eq!(me["role"], "street_officer");
    served.token("inspector", "inspector-password");
    served.stop();
}

#[test]
fn a_bad_setting_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = fitreg(dir.path())
        .args(["serve", "--bind", "not-an-address"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bind"));
    let output = fitreg(dir.path())
        .args(["migrate", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database URL"));
}

#[test]
fn outbox_lists_the_mail_waiting_without_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let password = served
        .printed()
        .iter()
        .find_map(|line| {
            line.strip_prefix("bootstrap admin password: ")
                .map(str::to_owned)
        })
        .unwrap();
    let token = served.token("admin", &password);
    let url = served.url("/api/v1/accounts");
    let status = block_on(async {
        reqwest::Client::new()
            .post(url)
            .bearer_auth(&token)
            .json(&serde_json::json!({"username": "invitee", "role": "auditor", "email": "invitee@example.cn"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);
    let log = served.stop();
    assert!(
        log.iter().any(|l| l.contains("FITREG_SMTP_URL is not set")),
        "said once at start"
    );

    let output = fitreg(dir.path()).arg("outbox").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("invitee@example.cn"), "{printed}");
    assert!(printed.contains("pending"), "{printed}");
    assert!(!printed.contains("token="), "no link is printed: {printed}");
}

#[test]
fn coverage_prints_the_audit_as_a_table_csv_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = fitreg(dir.path()).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let table = run(&["coverage"]);
    assert!(table.contains("0/101 communities covered"), "{table}");
    assert!(table.contains("天马街道"));
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "coverage",
        "--format",
        "json",
        "--as-of",
        "2025-01-01",
    ]))
    .unwrap();
    assert_eq!(json["as_of"], "2025-01-01");
    assert_eq!(json["communities"].as_array().unwrap().len(), 101);
    let csv = run(&["coverage", "--format", "csv", "--street", "450203001"]);
    assert!(csv.starts_with("层级,"), "{csv}");
    assert_eq!(csv.lines().filter(|l| l.starts_with("street,")).count(), 1);
    let missing = fitreg(dir.path())
        .args(["coverage", "--street", "999999999"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn serve_runs_the_daily_alert_when_alert_at_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = fitreg(dir.path());
    command.env("FITREG_ALERT_AT", "00:00");
    let served = Served::start_with(command);
    // The first round runs at start; give it a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        seen.extend(served.log.try_iter());
        if seen.iter().any(|l| alert_sent(l)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = served.stop();
    seen.extend(log);
    assert!(
        seen.iter()
            .any(|l| l.contains("daily coverage alert scheduled")),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| alert_sent(l)), "{seen:#?}");
}

fn alert_sent(line: &str) -> bool {
    line.contains("daily job ran") && line.contains("daily coverage alert")
}
