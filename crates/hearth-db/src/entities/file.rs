//! `files`: drive files, with the state of their upload while it lasts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub folder_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub state: String,
    pub length: Option<i64>,
    pub upload_offset: i64,
    pub upload_token: Option<String>,
    pub tail_key: Option<String>,
    pub upload_metadata: Option<String>,
    pub reserved_bytes: i64,
    pub chunk_size: i32,
    pub etag: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
