//! The code table of sport items used for specialties and service activities.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SportItem::Table)
                    .if_not_exists()
                    .col(pk_auto(SportItem::Id))
                    .col(string_len_uniq(SportItem::Code, 64))
                    .col(string(SportItem::Name))
                    .col(string_len(SportItem::Category, 64))
                    .col(boolean(SportItem::HighRisk).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SportItem::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SportItem {
    Table,
    Id,
    Code,
    Name,
    Category,
    HighRisk,
}
