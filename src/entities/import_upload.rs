//! `import_upload`: a file uploaded through the web UI's import, kept between its preview and
//! the clerk's decision, for the account that uploaded it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_upload")]
pub struct Model {
    /// A random token, the upload's address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: i32,
    pub file_name: String,
    /// `csv` or `xlsx`.
    pub format: String,
    pub body: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
