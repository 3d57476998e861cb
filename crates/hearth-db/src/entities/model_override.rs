//! `model_overrides`: what administrators set per model (name, visibility, access, defaults).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_overrides")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: String,
    pub display_name: Option<String>,
    pub hidden: bool,
    /// JSON `{group_ids, user_ids}`; `None` means every user.
    pub access: Option<String>,
    pub system_prompt: Option<String>,
    /// JSON object of default request parameters.
    pub params: String,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
