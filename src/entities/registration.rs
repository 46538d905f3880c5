//! `registration`: an instructor's annual work registration (工作注册) for one year.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::{careers::RegistrationStatus, person::Grade};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "registration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub year: i32,
    pub status: RegistrationStatus,
    /// Why it was decided so: the rule met, or what fell short.
    pub reason: String,
    /// Approved against the rule by the caller's decision, with a note.
    pub overridden: bool,
    pub note: Option<String>,
    /// The instructor grade held when registering.
    pub grade: Option<Grade>,
    /// Approved service hours of the year before, in quarter hours.
    pub served_quarters: i32,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
