//! Accounts and their login sessions, and failed logins for the lockout rule.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261201_000001_create_streets::Street;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .if_not_exists()
                    .col(pk_auto(Account::Id))
                    .col(string_len_uniq(Account::Username, 64))
                    .col(string_len(Account::Role, 32))
                    .col(string_len_null(Account::Email, 254))
                    .col(integer_null(Account::StreetId))
                    // The people table comes later; the reference is checked by the service.
                    .col(integer_null(Account::PersonId))
                    .col(string_len_null(Account::PasswordHash, 255))
                    .col(boolean(Account::Disabled).default(false))
                    .col(timestamp_with_time_zone_null(Account::PasswordChangedAt))
                    .col(timestamp_with_time_zone_null(Account::LastLoginAt))
                    .col(integer(Account::Version).default(1))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone(Account::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_street")
                            .from(Account::Table, Account::StreetId)
                            .to(Street::Table, Street::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_account_street", Account::StreetId),
            ("idx_account_person", Account::PersonId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Account::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_account_email")
                    .table(Account::Table)
                    .col(Account::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .if_not_exists()
                    .col(pk_auto(Session::Id))
                    .col(integer(Session::AccountId))
                    .col(string_len_uniq(Session::TokenHash, 64))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_account")
                            .from(Session::Table, Session::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_account")
                    .table(Session::Table)
                    .col(Session::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailure::Table)
                    .if_not_exists()
                    .col(pk_auto(LoginFailure::Id))
                    .col(string_len(LoginFailure::Username, 64))
                    .col(timestamp_with_time_zone(LoginFailure::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failure_username_at")
                    .table(LoginFailure::Table)
                    .col(LoginFailure::Username)
                    .col(LoginFailure::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginFailure::Table.into_iden(),
            Session::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Account {
    Table,
    Id,
    Username,
    Role,
    Email,
    StreetId,
    PersonId,
    PasswordHash,
    Disabled,
    PasswordChangedAt,
    LastLoginAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailure {
    Table,
    Id,
    Username,
    At,
}
