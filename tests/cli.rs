//! The `fitreg` binary as an operator uses it: `serve` on the embedded SQLite default in an
//! empty folder, a restart that keeps the data, graceful shutdown, `seed` and `backup`.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

const BIN: &str = env!("CARGO_BIN_EXE_fitreg");

fn fitreg(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).env("FITREG_LOG", "info");
    for var in [
        "FITREG_DATABASE_URL",
        "FITREG_BIND",
        "FITREG_ADMIN_PASSWORD",
        "FITREG_SMTP_URL",
        "FITREG_PUBLIC_URL",
    ] {
        command.env_remove(var);
    }
    command
}

/// A `fitreg serve` child process and everything it logged.
struct Served {
    child: Child,
    address: String,
    log: mpsc::Receiver<String>,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let mut child = fitreg(dir)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fitreg serve");
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let address = loop {
            let line = log
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no address logged: {lines:#?}"));
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            lines.push(line);
        };
        Self {
            child,
            address,
            log,
        }
    }

    fn get(&self, path: &str) -> serde_json::Value {
        let url = format!("http://{}{path}", self.address);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
    }

    /// Sends SIGTERM and returns everything logged up to the exit.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
        self.log.try_iter().collect()
    }
}

#[test]
fn serve_starts_on_the_sqlite_default_and_a_restart_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let first = Served::start(dir.path());
    let body = first.get("/api/v1/communities?per_page=200");
    assert_eq!(body["total"], 101);
    assert_eq!(body["items"].as_array().unwrap().len(), 101);
    assert_eq!(first.get("/api/v1/health")["database"], "sqlite");
    let log = first.stop();
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:#?}");
    assert!(
        dir.path().join("data/fitreg.db").exists(),
        "the default database is ./data/fitreg.db"
    );

    let second = Served::start(dir.path());
    assert_eq!(second.get("/api/v1/communities?per_page=200")["total"], 101);
    assert_eq!(second.get("/api/v1/streets")["total"], 12);
    let log = second.stop();
    assert!(
        !log.iter().any(|l| l.contains("seeded")),
        "a restart seeds nothing: {log:#?}"
    );
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
