//! `jobs`: the database-backed job queue; one row per job, in every state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub owner_id: Option<String>,
    pub kind: String,
    /// `Queue::rank`: 0 is the most urgent.
    pub queue: i16,
    pub state: String,
    pub payload: String,
    pub attempt: i32,
    pub max_attempts: i32,
    /// Unix milliseconds.
    pub run_at: i64,
    pub lease_until: Option<i64>,
    pub worker: Option<String>,
    pub dedupe_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
