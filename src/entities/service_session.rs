//! `service_session`: a service session a person ran in a community.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::person::SessionStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "service_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub community_id: i32,
    pub started_at: DateTimeUtc,
    /// Null while a check-in is open.
    pub ended_at: Option<DateTimeUtc>,
    /// A sport item code.
    pub activity: String,
    pub participants: i32,
    pub description: String,
    pub status: SessionStatus,
    /// Hours served, in quarter hours (rounded down).
    pub quarters: i32,
    /// `self`, `staff`, `checkin` or `import` (see [`crate::domain::person::SessionSource`]).
    pub source: String,
    pub needs_attention: bool,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub review_note: Option<String>,
    pub created_by: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
