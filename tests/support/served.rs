//! `fitreg serve` as a child process: started on a folder or database of the test's, its
//! address read from its log, stopped gracefully (SIGTERM) or killed (SIGKILL).

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_fitreg");

/// The binary, run in `dir`, with none of the operator's `FITREG_*` settings.
pub fn fitreg(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).env("FITREG_LOG", "info");
    for var in [
        "FITREG_DATABASE_URL",
        "FITREG_BIND",
        "FITREG_ADMIN_PASSWORD",
        "FITREG_SMTP_URL",
        "FITREG_PUBLIC_URL",
        "FITREG_ACCOUNT_PASSWORD",
        "FITREG_CORS_ORIGINS",
    ] {
        command.env_remove(var);
    }
    command
}

pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Sends each line of a child's stream to a channel.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A `fitreg serve` child process, what it printed and everything it logged.
pub struct Served {
    child: Child,
    pub address: String,
    pub log: mpsc::Receiver<String>,
    /// What was logged up to the address.
    pub startup: Vec<String>,
    stdout: mpsc::Receiver<String>,
}

impl Served {
    pub fn start(dir: &Path) -> Self {
        Self::start_with(fitreg(dir))
    }

    pub fn start_with(mut command: Command) -> Self {
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fitreg serve");
        let log = lines_of(child.stderr.take().unwrap());
        let stdout = lines_of(child.stdout.take().unwrap());
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
            startup: lines,
            stdout,
        }
    }

    /// What the server printed on stdout so far.
    pub fn printed(&self) -> Vec<String> {
        self.stdout.try_iter().collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn login(&self, username: &str, password: &str) -> serde_json::Value {
        let body = serde_json::json!({"username": username, "password": password});
        let url = self.url("/api/v1/auth/login");
        block_on(async {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    pub fn token(&self, username: &str, password: &str) -> String {
        let reply = self.login(username, password);
        reply["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {reply}"))
            .to_owned()
    }

    pub fn get(&self, token: &str, path: &str) -> serde_json::Value {
        let url = self.url(path);
        block_on(async {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    /// Kills the process with SIGKILL, as a power cut or the OOM killer would, and waits for it.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap the killed server");
    }

    /// Sends SIGTERM and returns everything logged up to the exit.
    pub fn stop(mut self) -> Vec<String> {
        let startup = std::mem::take(&mut self.startup);
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
        startup.into_iter().chain(self.log.try_iter()).collect()
    }
}

impl Drop for Served {
    /// A test that failed half-way leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
