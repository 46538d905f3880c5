//! `course`: a training class the bureau runs.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::{
    person::{Grade, QualificationKind},
    training::{CourseKind, CourseStatus},
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "course")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub kind: CourseKind,
    /// The people it trains.
    pub target_role: QualificationKind,
    /// The instructor grade it trains for, if any.
    pub target_grade: Option<Grade>,
    pub organizer: String,
    pub location: String,
    pub description: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The course's hours (学时) in quarter hours.
    pub quarters: i32,
    pub capacity: i32,
    pub status: CourseStatus,
    pub cancel_reason: Option<String>,
    pub version: i32,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::enrollment::Entity")]
    Enrollment,
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
