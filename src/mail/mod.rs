//! Mail. Every mail is a typed [`Mail`] written to the outbox in the transaction of the change
//! that causes it ([`enqueue`]); the [`worker`] delivers it over SMTP later, so no mail is lost
//! while the SMTP server is down and none is sent for a change that rolled back.

mod text;
pub mod worker;

pub use text::Mail;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    sea_query::StringLen,
};
use serde::{Deserialize, Serialize};

use crate::{entities::outbox, error::AppError};

/// What a mail is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    poem_openapi::Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// An invitation to activate a new account.
    #[sea_orm(string_value = "invitation")]
    Invitation,
    /// A link to set a new password.
    #[sea_orm(string_value = "password_reset")]
    PasswordReset,
    /// A street's uncovered and at-risk communities, for its officers.
    #[sea_orm(string_value = "coverage_alert")]
    CoverageAlert,
    /// A service session was approved or rejected.
    #[sea_orm(string_value = "session_reviewed")]
    SessionReviewed,
    /// An approved service session was corrected.
    #[sea_orm(string_value = "session_corrected")]
    SessionCorrected,
    /// A person was enrolled in a training course.
    #[sea_orm(string_value = "enrollment_confirmed")]
    EnrollmentConfirmed,
    /// A training course a person was enrolled in was cancelled.
    #[sea_orm(string_value = "course_cancelled")]
    CourseCancelled,
    /// An instructor has not registered (工作注册) for the coming year yet.
    #[sea_orm(string_value = "registration_reminder")]
    RegistrationReminder,
    /// A street's instructors not yet registered for the year, for its officers.
    #[sea_orm(string_value = "registration_list")]
    RegistrationList,
}

/// Where a mail is in its delivery.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    poem_openapi::Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for (another) delivery attempt.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Accepted by the SMTP server.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up: refused permanently, or still failing after the retry period.
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// Writes `mail` to the outbox inside the caller's transaction.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    recipient: &str,
    mail: &Mail<'_>,
) -> Result<(), AppError> {
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        kind: Set(mail.kind()),
        recipient: Set(recipient.to_owned()),
        subject: Set(mail.subject()),
        body: Set(mail.body()),
        status: Set(MailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

/// A link into the public site: `FITREG_PUBLIC_URL` + `path` + `?token=`.
pub fn link(public_url: &str, path: &str, token: &str) -> String {
    format!(
        "{}/{}?token={token}",
        public_url.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// A delivered (or given-up) mail's body with the token of every one-time link removed: the
/// outbox keeps what was sent, but no live link to an account.
pub fn without_links(body: &str) -> String {
    const MARK: &str = "token=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(MARK) {
        let (before, after) = rest.split_at(at + MARK.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str("(removed)");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_bodies_keep_no_live_token() {
        let body = "请打开 https://x.example/activate?token=abc123DEF_-9 设置密码。\nhttps://x.example/reset-password?token=ff00";
        let kept = without_links(body);
        assert!(!kept.contains("abc123") && !kept.contains("ff00"), "{kept}");
        assert!(
            kept.contains("/activate?token=(removed) 设置密码"),
            "{kept}"
        );
        assert_eq!(without_links("no links here"), "no links here");
    }
}
