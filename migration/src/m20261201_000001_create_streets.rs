//! Streets, towns and townships (街道/镇/乡): the level a street office administers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Street::Table)
                    .if_not_exists()
                    .col(pk_auto(Street::Id))
                    .col(string_len_uniq(Street::Code, 12))
                    .col(string(Street::Name))
                    .col(string_len(Street::Kind, 16))
                    .col(string_len(Street::CountyCode, 12))
                    .col(timestamp_with_time_zone(Street::CreatedAt))
                    .col(timestamp_with_time_zone(Street::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_street_county_code")
                    .table(Street::Table)
                    .col(Street::CountyCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Street::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Street {
    Table,
    Id,
    Code,
    Name,
    Kind,
    CountyCode,
    CreatedAt,
    UpdatedAt,
}
