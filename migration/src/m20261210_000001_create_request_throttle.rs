//! Attempts counted against a limit per key, e.g. password-reset requests per address and per
//! client. Rows older than the longest window are purged by the server.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestThrottle::Table)
                    .if_not_exists()
                    .col(pk_auto(RequestThrottle::Id))
                    .col(string_len(RequestThrottle::Key, 128))
                    .col(timestamp_with_time_zone(RequestThrottle::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                "idx_request_throttle_key_at",
                RequestThrottle::Table,
                [RequestThrottle::Key, RequestThrottle::At],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RequestThrottle::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RequestThrottle {
    Table,
    Id,
    Key,
    At,
}
