//! `enrollment`: a person's seat in a course, and how they finished it.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::training::{EnrollmentStatus, TrainingResult};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "enrollment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub course_id: i32,
    pub person_id: i32,
    pub status: EnrollmentStatus,
    pub result: Option<TrainingResult>,
    /// Credited hours (学时) in quarter hours, with the result.
    pub credited_quarters: Option<i32>,
    pub score: Option<f64>,
    pub enrolled_by: Option<i32>,
    pub enrolled_at: DateTimeUtc,
    pub withdrawn_by: Option<i32>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub result_by: Option<i32>,
    pub result_at: Option<DateTimeUtc>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::course::Entity",
        from = "Column::CourseId",
        to = "super::course::Column::Id"
    )]
    Course,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl Related<super::course::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
