//! `outbox`: mail waiting for, or done with, delivery.

use sea_orm::entity::prelude::*;

use crate::mail::{MailKind, MailStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    /// Plain text; may hold one-time links, so it is never shown by the API.
    pub body: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While a worker is sending it, until when no other worker may take it.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
