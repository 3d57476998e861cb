//! `connections`: model servers added by administrators (environment connections are not stored).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub name: String,
    pub base_url: String,
    /// Encrypted by the caller (hearth-models' key cipher); never the plaintext key.
    pub api_key_encrypted: Option<String>,
    pub prefix: Option<String>,
    /// JSON array of upstream model ids; `[]` offers all.
    pub model_allow_list: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
