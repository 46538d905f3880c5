//! `request_throttle`: one row per attempt counted against a limit (see `services::throttle`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_throttle")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What is counted, e.g. `reset-address:<sha256>` or `reset-client:<address>`.
    pub key: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
