//! The delivery worker: claims due mail from the outbox, sends it over SMTP with lettre, and
//! records the outcome. Claims are leases written in a short transaction (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`), so several servers on one database never send a mail twice; failures
//! are retried with exponential backoff and given up after a day.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{LockBehavior, LockType},
};
use tokio::sync::watch;

use super::MailStatus;
use crate::{db, entities::outbox};

/// How the worker delivers and retries.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub from: Mailbox,
    /// How often to look for due mail.
    pub poll_interval: Duration,
    /// The first retry waits this long; each further one twice as long.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// After this long since it was written, a failing mail is given up.
    pub give_up_after: Duration,
}

impl DeliverySettings {
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        let from = config.mail_from.parse().map_err(|e| {
            anyhow::anyhow!(
                "FITREG_MAIL_FROM {:?} is not a mailbox: {e}",
                config.mail_from
            )
        })?;
        Ok(Self {
            from,
            poll_interval: config.mail_poll_interval,
            retry_base: config.mail_retry_base,
            retry_max: config.mail_retry_max,
            give_up_after: config.mail_give_up_after,
        })
    }
}

/// Mails claimed per round.
const BATCH: u64 = 20;
/// How long a claim keeps other workers off a mail.
const LEASE: TimeDelta = TimeDelta::minutes(5);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Builds the SMTP transport for `url`: `smtp://host:port` (plain, for a local relay),
/// `smtps://` (TLS), `smtp://...?tls=required` (STARTTLS), credentials as `user:pass@`.
pub fn transport(url: &str) -> anyhow::Result<Transport> {
    Ok(Transport::from_url(url)?
        .timeout(Some(Duration::from_secs(30)))
        .build())
}

/// Runs until `shutdown` turns true.
pub async fn run(
    db: DatabaseConnection,
    transport: Transport,
    settings: DeliverySettings,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match deliver_due(&db, &transport, &settings).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(mails = n, "outbox round done"),
            Err(err) => tracing::warn!(error = %err, "outbox round failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(settings.poll_interval) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

/// Claims and attempts every due mail once; returns how many were attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    transport: &Transport,
    settings: &DeliverySettings,
) -> anyhow::Result<usize> {
    let claimed = claim(db).await?;
    for mail in &claimed {
        let outcome = send(transport, &settings.from, mail).await;
        record(db, mail, outcome, settings).await?;
    }
    Ok(claimed.len())
}

async fn claim(db: &DatabaseConnection) -> anyhow::Result<Vec<outbox::Model>> {
    let now = Utc::now();
    let due_query = || {
        outbox::Entity::find()
            .filter(outbox::Column::Status.eq(MailStatus::Pending))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(outbox::Column::ClaimedUntil.is_null())
                    .add(outbox::Column::ClaimedUntil.lt(now)),
            )
    };
    // Most rounds find nothing: look before taking the write lock.
    if due_query().one(db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = db::begin_write(db).await?;
    let mut due = due_query().order_by_asc(outbox::Column::Id).limit(BATCH);
    if db.get_database_backend() == DbBackend::Postgres {
        due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = due.all(&txn).await?;
    if !due.is_empty() {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                sea_orm::sea_query::Expr::value(now + LEASE),
            )
            .filter(outbox::Column::Id.is_in(due.iter().map(|m| m.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(due)
}

/// Why an attempt failed, and whether trying again could help.
struct Failure {
    message: String,
    permanent: bool,
}

async fn send(transport: &Transport, from: &Mailbox, mail: &outbox::Model) -> Result<(), Failure> {
    let to: Mailbox = mail.recipient.parse().map_err(|e| Failure {
        message: format!("invalid recipient: {e}"),
        permanent: true,
    })?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| Failure {
            message: format!("cannot build the message: {e}"),
            permanent: true,
        })?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| Failure {
            message: e.to_string(),
            permanent: e.is_permanent(),
        })
}

async fn record(
    db: &DatabaseConnection,
    mail: &outbox::Model,
    outcome: Result<(), Failure>,
    settings: &DeliverySettings,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let attempts = mail.attempts + 1;
    let mut row: outbox::ActiveModel = mail.clone().into();
    row.attempts = Set(attempts);
    row.claimed_until = Set(None);
    match outcome {
        Ok(()) => {
            row.body = Set(super::without_links(&mail.body));
            row.status = Set(MailStatus::Sent);
            row.sent_at = Set(Some(now));
            row.last_error = Set(None);
            tracing::info!(mail_id = mail.id, kind = ?mail.kind, "mail sent");
        }
        Err(failure) => {
            let give_up = TimeDelta::from_std(settings.give_up_after).unwrap_or(TimeDelta::days(1));
            let expired = now - mail.created_at >= give_up;
            if failure.permanent || expired {
                row.body = Set(super::without_links(&mail.body));
                row.status = Set(MailStatus::Failed);
                tracing::error!(mail_id = mail.id, error = %failure.message, "mail given up");
            } else {
                row.next_attempt_at = Set(now + backoff(attempts, settings));
                tracing::warn!(mail_id = mail.id, attempts, error = %failure.message, "mail delivery failed, will retry");
            }
            row.last_error = Set(Some(failure.message));
        }
    }
    let txn = db::begin_write(db).await?;
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The wait after the `attempts`-th failure: base, 2 x base, 4 x base ... up to the maximum.
fn backoff(attempts: i32, settings: &DeliverySettings) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let wait = settings
        .retry_base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(settings.retry_max);
    TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_one_minute_up_to_six_hours() {
        let settings = DeliverySettings {
            from: "fitreg <noreply@localhost>".parse().unwrap(),
            poll_interval: Duration::from_secs(5),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(24 * 3600),
        };
        let minutes: Vec<i64> = (1..=11)
            .map(|n| backoff(n, &settings).num_minutes())
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]);
    }
}
