//! Runtime configuration: every setting is a CLI flag and an environment variable (SPEC §1).

use std::{fmt, net::SocketAddr, time::Duration};

use clap::Args;

/// Default SQLite database, created with its folder on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/fitreg.db";

/// Settings shared by every subcommand.
#[derive(Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://PATH` (the embedded default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "FITREG_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "FITREG_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,

    /// Password of the bootstrap `admin` account; generated and printed once when unset.
    #[arg(
        long,
        env = "FITREG_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub admin_password: Option<String>,

    /// SMTP server for outgoing mail, e.g. `smtp://127.0.0.1:2525`; unset, mail waits in the outbox.
    #[arg(long, env = "FITREG_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// Sender address of outgoing mail.
    #[arg(
        long,
        env = "FITREG_MAIL_FROM",
        default_value = "fitreg <noreply@localhost>",
        global = true
    )]
    pub mail_from: String,

    /// How often the mail worker looks for due mail.
    #[arg(long, env = "FITREG_MAIL_POLL_INTERVAL", default_value = "5s", value_parser = humantime::parse_duration, global = true)]
    pub mail_poll_interval: Duration,

    /// Wait before the first retry of a failed mail; each further retry waits twice as long.
    #[arg(long, env = "FITREG_MAIL_RETRY_BASE", default_value = "1m", value_parser = humantime::parse_duration, global = true)]
    pub mail_retry_base: Duration,

    /// Longest wait between two delivery attempts.
    #[arg(long, env = "FITREG_MAIL_RETRY_MAX", default_value = "6h", value_parser = humantime::parse_duration, global = true)]
    pub mail_retry_max: Duration,

    /// A mail still failing this long after it was written is given up.
    #[arg(long, env = "FITREG_MAIL_GIVE_UP_AFTER", default_value = "24h", value_parser = humantime::parse_duration, global = true)]
    pub mail_give_up_after: Duration,

    /// Public base URL used in links in mail and on certificates.
    #[arg(
        long,
        env = "FITREG_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub public_url: String,

    /// Tracing filter, e.g. `info` or `fitreg=debug,sqlx=warn`.
    #[arg(long, env = "FITREG_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Browser origins allowed to call the API (comma-separated); CORS stays off when empty.
    #[arg(
        long,
        env = "FITREG_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,

    /// District time (UTC+08:00) of the daily coverage alert to street officers, and of the
    /// registration reminders in December and January, e.g. `08:00`; neither runs when unset.
    #[arg(long, env = "FITREG_ALERT_AT", value_parser = parse_alert_at, global = true)]
    pub alert_at: Option<chrono::NaiveTime>,

    /// Lifetime of a login session, e.g. `12h` or `30m`.
    #[arg(long, env = "FITREG_TOKEN_TTL", default_value = "12h", value_parser = humantime::parse_duration, global = true)]
    pub token_ttl: Duration,
}

/// Secrets never reach a log line: `Debug` shows only whether they are set.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn redacted(value: &Option<String>) -> &'static str {
            if value.is_some() { "<set>" } else { "<unset>" }
        }
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("admin_password", &redacted(&self.admin_password))
            .field("smtp_url", &redacted(&self.smtp_url))
            .field("mail_from", &self.mail_from)
            .field("mail_poll_interval", &self.mail_poll_interval)
            .field("mail_retry_base", &self.mail_retry_base)
            .field("mail_retry_max", &self.mail_retry_max)
            .field("mail_give_up_after", &self.mail_give_up_after)
            .field("public_url", &self.public_url)
            .field("log", &self.log)
            .field("cors_origins", &self.cors_origins)
            .field("alert_at", &self.alert_at)
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

fn parse_alert_at(value: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(value, "%H:%M")
        .map_err(|_| format!("{value:?} is not a time like 08:00"))
}

/// A database URL with any password replaced, fit for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_only() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/fitreg"),
            "postgres://app:***@db:5432/fitreg"
        );
        assert_eq!(
            redact_url("postgres://app@db/fitreg"),
            "postgres://app@db/fitreg"
        );
        assert_eq!(
            redact_url("sqlite://./data/fitreg.db"),
            "sqlite://./data/fitreg.db"
        );
    }
}
