//! Mail: the outbox every mail is written to in the transaction that causes it, and the one-time
//! account tokens (activation, password reset) whose links those mails carry.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261202_000001_create_accounts::Account;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Kind, 32))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string(Outbox::Subject))
                    .col(text(Outbox::Body))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        // The worker looks for due pending mail; the list filters by status.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_status_next_attempt")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountToken::Table)
                    .if_not_exists()
                    .col(pk_auto(AccountToken::Id))
                    .col(integer(AccountToken::AccountId))
                    .col(string_len(AccountToken::Purpose, 32))
                    .col(string_len_uniq(AccountToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(AccountToken::CreatedAt))
                    .col(timestamp_with_time_zone(AccountToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AccountToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_token_account")
                            .from(AccountToken::Table, AccountToken::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_token_account")
                    .table(AccountToken::Table)
                    .col(AccountToken::AccountId)
                    .col(AccountToken::Purpose)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountToken::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AccountToken {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
