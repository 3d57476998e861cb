//! `knowledge_files`: which files a knowledge base holds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "knowledge_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub knowledge_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub file_id: String,
    pub tenant_id: String,
    pub added_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
