//! The audit log as several hash chains instead of one, so that on PostgreSQL writers of
//! different accounts do not all queue on one head row: each entry names its chain, and
//! `audit_head` holds one row per chain (row `chain + 1`). Existing entries are chain 0, whose
//! head is the old single row, so every hash stays valid.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `prev_hash` of a chain's first entry.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// How many chains there are (the service's `audit::CHAINS`).
const CHAINS: i32 = 16;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(small_integer(AuditLog::Chain).default(0))
                    .to_owned(),
            )
            .await?;
        let mut heads = Query::insert();
        heads.into_table(AuditHead::Table).columns([
            AuditHead::Id,
            AuditHead::LastId,
            AuditHead::LastHash,
        ]);
        for id in 2..=CHAINS {
            heads.values_panic([id.into(), 0i64.into(), GENESIS_HASH.into()]);
        }
        manager.exec_stmt(heads.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(AuditHead::Table)
                    .and_where(Expr::col(AuditHead::Id).gt(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::Chain)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Chain,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}
