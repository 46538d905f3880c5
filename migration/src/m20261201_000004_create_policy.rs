//! The bureau's policy values (DOMAIN.md "policy"): one row per key, the value as JSON text, so
//! a new policy value needs a seed entry, not a migration. Each row keeps its own version; the
//! document's version is their sum, which grows with every change to any key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Policy::Table)
                    .if_not_exists()
                    .col(string_len(Policy::Key, 64).primary_key())
                    .col(text(Policy::Value))
                    .col(integer(Policy::Version).default(1))
                    .col(timestamp_with_time_zone(Policy::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Policy::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Policy {
    Table,
    Key,
    Value,
    Version,
    UpdatedAt,
}
