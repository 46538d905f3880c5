//! `session_history`: every change of a service session after it was logged, with the values
//! before and after.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    /// `approve`, `reject`, `withdraw`, `revoke`, `check_out`, `auto_close`, `correct`.
    pub action: String,
    pub changed_by: Option<i32>,
    pub changed_at: DateTimeUtc,
    pub reason: Option<String>,
    /// JSON of the session before the change.
    pub before: String,
    /// JSON of the session after the change.
    pub after: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
