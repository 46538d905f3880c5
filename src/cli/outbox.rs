//! `fitreg outbox`: the mail that has not been delivered, pending or given up.

use crate::{
    auth::Caller,
    config::Config,
    mail::MailStatus,
    services::{PageRequest, outbox},
};

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let db = super::open_prepared(&config.database_url).await?;
    let page = PageRequest {
        page: 1,
        per_page: crate::services::MAX_PER_PAGE,
    };
    let mut rows = Vec::new();
    for status in [MailStatus::Pending, MailStatus::Failed] {
        let listed = outbox::list(&db, &Caller::system(), Some(status), None, page)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if listed.total > listed.items.len() as u64 {
            println!(
                "({} {status:?} mails, showing the newest {})",
                listed.total,
                listed.items.len()
            );
        }
        rows.extend(listed.items);
    }
    if rows.is_empty() {
        println!("no undelivered mail");
        return Ok(());
    }
    if config.smtp_url.is_none() {
        println!(
            "FITREG_SMTP_URL is not set: these mails are sent once it is and the server restarts"
        );
    }
    println!(
        "{:>6}  {:<8}  {:<15}  {:<32}  {:>8}  {:<25}  last error",
        "id", "status", "kind", "recipient", "attempts", "next attempt"
    );
    for mail in rows {
        println!(
            "{:>6}  {:<8}  {:<15}  {:<32}  {:>8}  {:<25}  {}",
            mail.id,
            format!("{:?}", mail.status).to_lowercase(),
            format!("{:?}", mail.kind).to_lowercase(),
            mail.recipient,
            mail.attempts,
            mail.next_attempt_at.format("%Y-%m-%d %H:%M:%S UTC"),
            mail.last_error.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}
