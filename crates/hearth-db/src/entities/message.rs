//! `messages`: the nodes of a chat's tree; siblings are edits or regenerations.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub chat_id: String,
    pub parent_id: Option<String>,
    pub role: String,
    pub content: String,
    pub model: Option<String>,
    pub status: String,
    pub error: Option<String>,
    /// JSON token usage.
    pub usage: Option<String>,
    /// JSON list of the passages the answer was given (its citations).
    pub sources: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
