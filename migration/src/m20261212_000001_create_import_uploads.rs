//! Files uploaded through the web UI's import, kept between the preview (a dry run) and the
//! clerk's decision to import them, for one account and a short while; the server purges old ones.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportUpload::Table)
                    .if_not_exists()
                    .col(string_len(ImportUpload::Id, 32).primary_key())
                    .col(integer(ImportUpload::AccountId))
                    .col(string_len(ImportUpload::FileName, 255))
                    .col(string_len(ImportUpload::Format, 8))
                    .col(blob(ImportUpload::Body))
                    .col(timestamp_with_time_zone(ImportUpload::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                "idx_import_upload_created_at",
                ImportUpload::Table,
                [ImportUpload::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportUpload::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ImportUpload {
    Table,
    Id,
    AccountId,
    FileName,
    Format,
    Body,
    CreatedAt,
}
