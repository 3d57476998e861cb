//! `passages`: the text of files cut for retrieval, under the backend's full-text index.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub rid: i64,
    pub id: String,
    pub tenant_id: String,
    pub file_id: String,
    pub seq: i32,
    pub text: String,
    pub page: Option<i32>,
    pub heading: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
