//! `account`: who can log in, with which role and scope.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::account::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub role: Role,
    pub email: Option<String>,
    pub street_id: Option<i32>,
    pub person_id: Option<i32>,
    /// The argon2id PHC string; never serialised, so never in an audit entry or a response.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub password_changed_at: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::street::Entity",
        from = "Column::StreetId",
        to = "super::street::Column::Id"
    )]
    Street,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
