//! Sessions of the web UI live beside the API's bearer sessions, under the same lifetime and
//! revocation rules (a password change or a disabled account ends both): `channel` says which
//! door a session opened (`api` or `web`), and a web session carries the secret its forms echo
//! against cross-site request forgery.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Session::Table)
                    .add_column(string_len(Session::Channel, 8).default("api"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Session::Table)
                    .add_column(string_len_null(Session::CsrfSecret, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Session::CsrfSecret, Session::Channel] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Session::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Channel,
    CsrfSecret,
}
