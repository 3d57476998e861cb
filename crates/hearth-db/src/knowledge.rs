//! Knowledge bases and their files, files' ingestion state, and passages with full-text search.
//!
//! The passages are the source of truth for retrieval: the vector index holds one vector per
//! passage id, and a hit whose passage is gone (its file was deleted) is simply not found here.

use std::collections::HashMap;

use hearth_core::connection::AccessList;
use hearth_core::knowledge::{FileIngestion, IngestStatus, KnowledgeBase, Passage};
use hearth_core::{FileId, KnowledgeId, TenantId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Statement, TransactionTrait, Value,
};

use crate::connections::{from_json, to_json};
use crate::entities::{file_ingestion, knowledge_base, knowledge_file, passage};
use crate::groups::parse_id;
use crate::{DbError, Store};

/// Rows inserted per statement (SQLite allows 32,766 parameters; a passage row has 7).
const INSERT_BATCH: usize = 500;
/// Most search terms taken from a query.
const MAX_TERMS: usize = 32;

/// A knowledge base to create.
#[derive(Clone, Debug)]
pub struct NewKnowledge {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: String,
    pub description: String,
    pub read_access: AccessList,
    pub write_access: AccessList,
}

/// Changes to a knowledge base; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct KnowledgePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub read_access: Option<AccessList>,
    pub write_access: Option<AccessList>,
}

/// A passage to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPassage {
    pub text: String,
    pub page: Option<u32>,
    pub heading: Option<String>,
}

impl Store {
    pub async fn create_knowledge(
        &self,
        new: NewKnowledge,
        now: i64,
    ) -> Result<KnowledgeBase, DbError> {
        let id = KnowledgeId::new();
        knowledge_base::Entity::insert(knowledge_base::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(new.tenant_id.to_string()),
            user_id: Set(new.user_id.to_string()),
            name: Set(new.name),
            description: Set(new.description),
            read_access: Set(to_json(&new.read_access)),
            write_access: Set(to_json(&new.write_access)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(&self.writer)
        .await?;
        self.knowledge(new.tenant_id, id)
            .await?
            .ok_or(DbError::NotFound("knowledge base"))
    }

    pub async fn knowledge(
        &self,
        tenant_id: TenantId,
        id: KnowledgeId,
    ) -> Result<Option<KnowledgeBase>, DbError> {
        knowledge_base::Entity::find_by_id(id.to_string())
            .filter(knowledge_base::Column::TenantId.eq(tenant_id.to_string()))
            .one(&self.writer)
            .await?
            .map(to_knowledge)
            .transpose()
    }

    /// Every knowledge base of a tenant, most recently changed first (callers filter by access).
    pub async fn list_knowledge(&self, tenant_id: TenantId) -> Result<Vec<KnowledgeBase>, DbError> {
        knowledge_base::Entity::find()
            .filter(knowledge_base::Column::TenantId.eq(tenant_id.to_string()))
            .order_by_desc(knowledge_base::Column::UpdatedAt)
            .order_by_desc(knowledge_base::Column::Id)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_knowledge)
            .collect()
    }

    pub async fn update_knowledge(
        &self,
        tenant_id: TenantId,
        id: KnowledgeId,
        patch: KnowledgePatch,
        now: i64,
    ) -> Result<KnowledgeBase, DbError> {
        let mut update = knowledge_base::Entity::update_many()
            .col_expr(knowledge_base::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = patch.name {
            update = update.col_expr(knowledge_base::Column::Name, Expr::value(name));
        }
        if let Some(description) = patch.description {
            update = update.col_expr(
                knowledge_base::Column::Description,
                Expr::value(description),
            );
        }
        if let Some(access) = patch.read_access {
            update = update.col_expr(
                knowledge_base::Column::ReadAccess,
                Expr::value(to_json(&access)),
            );
        }
        if let Some(access) = patch.write_access {
            update = update.col_expr(
                knowledge_base::Column::WriteAccess,
                Expr::value(to_json(&access)),
            );
        }
        let updated = update
            .filter(knowledge_base::Column::Id.eq(id.to_string()))
            .filter(knowledge_base::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await?;
        if updated.rows_affected == 0 {
            return Err(DbError::NotFound("knowledge base"));
        }
        self.knowledge(tenant_id, id)
            .await?
            .ok_or(DbError::NotFound("knowledge base"))
    }

    /// Deletes a knowledge base and its file list (the files stay in their owners' drives).
    /// Returns the ids of the files it held; `None` when there was no such knowledge base.
    pub async fn delete_knowledge(
        &self,
        tenant_id: TenantId,
        id: KnowledgeId,
    ) -> Result<Option<Vec<FileId>>, DbError> {
        let txn = self.writer.begin().await?;
        let deleted = knowledge_base::Entity::delete_many()
            .filter(knowledge_base::Column::Id.eq(id.to_string()))
            .filter(knowledge_base::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Ok(None);
        }
        let files = file_ids(&txn, id).await?;
        knowledge_file::Entity::delete_many()
            .filter(knowledge_file::Column::KnowledgeId.eq(id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(files))
    }

    /// Adds files to a knowledge base (files already in it are left alone).
    pub async fn add_knowledge_files(
        &self,
        tenant_id: TenantId,
        id: KnowledgeId,
        files: &[FileId],
        now: i64,
    ) -> Result<(), DbError> {
        if files.is_empty() {
            return Ok(());
        }
        let txn = self.writer.begin().await?;
        let touched = knowledge_base::Entity::update_many()
            .col_expr(knowledge_base::Column::UpdatedAt, Expr::value(now))
            .filter(knowledge_base::Column::Id.eq(id.to_string()))
            .filter(knowledge_base::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&txn)
            .await?;
        if touched.rows_affected == 0 {
            return Err(DbError::NotFound("knowledge base"));
        }
        for batch in files.chunks(INSERT_BATCH) {
            knowledge_file::Entity::insert_many(batch.iter().map(|file| {
                knowledge_file::ActiveModel {
                    knowledge_id: Set(id.to_string()),
                    file_id: Set(file.to_string()),
                    tenant_id: Set(tenant_id.to_string()),
                    added_at: Set(now),
                }
            }))
            .on_conflict_do_nothing()
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Removes a file from a knowledge base; `false` when it was not in it.
    pub async fn remove_knowledge_file(
        &self,
        tenant_id: TenantId,
        id: KnowledgeId,
        file: FileId,
        now: i64,
    ) -> Result<bool, DbError> {
        let removed = knowledge_file::Entity::delete_many()
            .filter(knowledge_file::Column::KnowledgeId.eq(id.to_string()))
            .filter(knowledge_file::Column::FileId.eq(file.to_string()))
            .filter(knowledge_file::Column::TenantId.eq(tenant_id.to_string()))
            .exec(&self.writer)
            .await?;
        if removed.rows_affected > 0 {
            knowledge_base::Entity::update_many()
                .col_expr(knowledge_base::Column::UpdatedAt, Expr::value(now))
                .filter(knowledge_base::Column::Id.eq(id.to_string()))
                .exec(&self.writer)
                .await?;
        }
        Ok(removed.rows_affected > 0)
    }

    /// The files of a knowledge base, in the order they were added.
    pub async fn knowledge_file_ids(&self, id: KnowledgeId) -> Result<Vec<FileId>, DbError> {
        file_ids(&self.reader, id).await
    }

    /// The knowledge bases that hold a file.
    pub async fn knowledge_ids_of_file(&self, file: FileId) -> Result<Vec<KnowledgeId>, DbError> {
        knowledge_file::Entity::find()
            .filter(knowledge_file::Column::FileId.eq(file.to_string()))
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| parse_id(&row.knowledge_id))
            .collect()
    }

    /// Records a file's ingestion state (creating its record on first use). `Ready` and the
    /// passage count are recorded by [`Store::replace_passages`].
    pub async fn set_ingestion(
        &self,
        tenant_id: TenantId,
        file: FileId,
        status: IngestStatus,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), DbError> {
        file_ingestion::Entity::insert(file_ingestion::ActiveModel {
            file_id: Set(file.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            status: Set(status.as_str().to_owned()),
            error: Set(error.map(str::to_owned)),
            passages: Set(0),
            embedding_model: Set(None),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(file_ingestion::Column::FileId)
                .update_columns([
                    file_ingestion::Column::Status,
                    file_ingestion::Column::Error,
                    file_ingestion::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&self.writer)
        .await?;
        Ok(())
    }

    /// The ingestion records of these files (files never queued are absent).
    pub async fn ingestion(
        &self,
        files: &[FileId],
    ) -> Result<HashMap<FileId, FileIngestion>, DbError> {
        let mut found = HashMap::new();
        for batch in files.chunks(INSERT_BATCH) {
            let rows = file_ingestion::Entity::find()
                .filter(file_ingestion::Column::FileId.is_in(batch.iter().map(ToString::to_string)))
                .all(&self.writer)
                .await?;
            for row in rows {
                let record = to_ingestion(row)?;
                found.insert(record.file_id, record);
            }
        }
        Ok(found)
    }

    /// Every ingestion record, for re-indexing all files after the embedding model changes.
    pub async fn all_ingestions(&self) -> Result<Vec<FileIngestion>, DbError> {
        file_ingestion::Entity::find()
            .order_by_asc(file_ingestion::Column::FileId)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_ingestion)
            .collect()
    }

    /// Replaces a file's passages with `passages` (numbered from 0) and marks it ready with
    /// `embedding_model`, in one transaction: re-running ingestion never duplicates passages.
    /// Returns how many passages the file had before.
    pub async fn replace_passages(
        &self,
        tenant_id: TenantId,
        file: FileId,
        passages: &[NewPassage],
        embedding_model: &str,
        now: i64,
    ) -> Result<u32, DbError> {
        let txn = self.writer.begin().await?;
        let before = passage::Entity::delete_many()
            .filter(passage::Column::FileId.eq(file.to_string()))
            .exec(&txn)
            .await?
            .rows_affected;
        for (start, batch) in passages
            .chunks(INSERT_BATCH)
            .enumerate()
            .map(|(i, b)| (i * INSERT_BATCH, b))
        {
            passage::Entity::insert_many(batch.iter().enumerate().map(|(offset, p)| {
                let seq = (start + offset) as u32;
                passage::ActiveModel {
                    rid: sea_orm::ActiveValue::NotSet,
                    id: Set(Passage::id_of(file, seq)),
                    tenant_id: Set(tenant_id.to_string()),
                    file_id: Set(file.to_string()),
                    seq: Set(seq as i32),
                    text: Set(p.text.replace('\0', "")),
                    page: Set(p.page.map(|n| n as i32)),
                    heading: Set(p.heading.as_ref().map(|h| truncate(h, 500))),
                }
            }))
            .exec(&txn)
            .await?;
        }
        file_ingestion::Entity::insert(file_ingestion::ActiveModel {
            file_id: Set(file.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            status: Set(IngestStatus::Ready.as_str().to_owned()),
            error: Set(None),
            passages: Set(passages.len() as i32),
            embedding_model: Set(Some(embedding_model.to_owned())),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(file_ingestion::Column::FileId)
                .update_columns([
                    file_ingestion::Column::Status,
                    file_ingestion::Column::Error,
                    file_ingestion::Column::Passages,
                    file_ingestion::Column::EmbeddingModel,
                    file_ingestion::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(before as u32)
    }

    /// A file's passages in order.
    pub async fn passages_of_file(&self, file: FileId) -> Result<Vec<Passage>, DbError> {
        passage::Entity::find()
            .filter(passage::Column::FileId.eq(file.to_string()))
            .order_by_asc(passage::Column::Seq)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_passage)
            .collect()
    }

    /// Passages by id, in no particular order; ids of deleted passages are skipped.
    pub async fn passages_by_ids(
        &self,
        tenant_id: TenantId,
        ids: &[String],
    ) -> Result<Vec<Passage>, DbError> {
        let mut found = Vec::with_capacity(ids.len());
        for batch in ids.chunks(INSERT_BATCH) {
            let rows = passage::Entity::find()
                .filter(passage::Column::TenantId.eq(tenant_id.to_string()))
                .filter(passage::Column::Id.is_in(batch.iter().cloned()))
                .all(&self.reader)
                .await?;
            for row in rows {
                found.push(to_passage(row)?);
            }
        }
        Ok(found)
    }

    /// How many passages these files have in all (for tests and status pages).
    pub async fn count_passages(&self, files: &[FileId]) -> Result<u64, DbError> {
        use sea_orm::PaginatorTrait;
        let mut total = 0;
        for batch in files.chunks(INSERT_BATCH) {
            total += passage::Entity::find()
                .filter(passage::Column::FileId.is_in(batch.iter().map(ToString::to_string)))
                .count(&self.reader)
                .await?;
        }
        Ok(total)
    }

    /// Full-text search among the passages of `files`: ids and scores (higher is better), best
    /// first. Uses SQLite FTS5 (BM25), PostgreSQL `ts_rank` over an English `tsvector`, or MariaDB's
    /// natural-language `MATCH … AGAINST`. Any term may match; the query's punctuation is ignored.
    pub async fn full_text_search(
        &self,
        tenant_id: TenantId,
        files: &[FileId],
        query: &str,
        limit: u64,
    ) -> Result<Vec<(String, f32)>, DbError> {
        let terms = search_terms(query);
        if terms.is_empty() || files.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        #[derive(FromQueryResult)]
        struct Hit {
            id: String,
            score: f64,
        }
        let backend = self.reader.get_database_backend();
        let mut values: Vec<Value> = Vec::new();
        let mut placeholder = |value: Value| -> String {
            values.push(value);
            match backend {
                DbBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        };
        let sql = match backend {
            DbBackend::Sqlite => {
                let expression = terms
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let q = placeholder(expression.into());
                let tenant = placeholder(tenant_id.to_string().into());
                let in_files = in_list(files, &mut placeholder);
                let lim = placeholder((limit as i64).into());
                format!(
                    "SELECT p.id AS id, -bm25(passages_fts) AS score FROM passages_fts \
                     JOIN passages p ON p.rid = passages_fts.rowid \
                     WHERE passages_fts MATCH {q} AND p.tenant_id = {tenant} AND p.file_id IN ({in_files}) \
                     ORDER BY bm25(passages_fts) LIMIT {lim}"
                )
            }
            DbBackend::Postgres => {
                let q = placeholder(terms.join(" | ").into());
                let tenant = placeholder(tenant_id.to_string().into());
                let in_files = in_list(files, &mut placeholder);
                let lim = placeholder((limit as i64).into());
                format!(
                    "SELECT id, ts_rank(tsv, query)::float8 AS score FROM passages, to_tsquery('english', {q}) AS query \
                     WHERE tsv @@ query AND tenant_id = {tenant} AND file_id IN ({in_files}) \
                     ORDER BY score DESC, id LIMIT {lim}"
                )
            }
            _ => {
                let text = terms.join(" ");
                let q1 = placeholder(text.clone().into());
                let q2 = placeholder(text.into());
                let tenant = placeholder(tenant_id.to_string().into());
                let in_files = in_list(files, &mut placeholder);
                let lim = placeholder((limit as i64).into());
                format!(
                    "SELECT id, MATCH(text) AGAINST({q1} IN NATURAL LANGUAGE MODE) AS score FROM passages \
                     WHERE MATCH(text) AGAINST({q2} IN NATURAL LANGUAGE MODE) AND tenant_id = {tenant} \
                     AND file_id IN ({in_files}) ORDER BY score DESC, id LIMIT {lim}"
                )
            }
        };
        let hits = Hit::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(&self.reader)
            .await?;
        Ok(hits.into_iter().map(|h| (h.id, h.score as f32)).collect())
    }
}

/// Removes what knowledge keeps about a file: its passages, ingestion record and knowledge base
/// memberships. Runs inside the file's deletion.
pub(crate) async fn forget_file(txn: &impl ConnectionTrait, file: FileId) -> Result<(), DbError> {
    passage::Entity::delete_many()
        .filter(passage::Column::FileId.eq(file.to_string()))
        .exec(txn)
        .await?;
    file_ingestion::Entity::delete_many()
        .filter(file_ingestion::Column::FileId.eq(file.to_string()))
        .exec(txn)
        .await?;
    knowledge_file::Entity::delete_many()
        .filter(knowledge_file::Column::FileId.eq(file.to_string()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Lowercased words of a query (letters and digits only), without repeats.
pub fn search_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.chars().count() >= 2 && !terms.contains(&word) {
            terms.push(word);
        }
        if terms.len() == MAX_TERMS {
            break;
        }
    }
    terms
}

fn in_list(files: &[FileId], placeholder: &mut impl FnMut(Value) -> String) -> String {
    files
        .iter()
        .map(|f| placeholder(f.to_string().into()))
        .collect::<Vec<_>>()
        .join(",")
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

async fn file_ids(db: &impl ConnectionTrait, id: KnowledgeId) -> Result<Vec<FileId>, DbError> {
    knowledge_file::Entity::find()
        .filter(knowledge_file::Column::KnowledgeId.eq(id.to_string()))
        .order_by_asc(knowledge_file::Column::AddedAt)
        .order_by_asc(knowledge_file::Column::FileId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| parse_id(&row.file_id))
        .collect()
}

fn to_knowledge(row: knowledge_base::Model) -> Result<KnowledgeBase, DbError> {
    Ok(KnowledgeBase {
        id: parse_id(&row.id)?,
        tenant_id: parse_id(&row.tenant_id)?,
        user_id: parse_id(&row.user_id)?,
        name: row.name,
        description: row.description,
        read_access: from_json(&row.read_access)?,
        write_access: from_json(&row.write_access)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_ingestion(row: file_ingestion::Model) -> Result<FileIngestion, DbError> {
    Ok(FileIngestion {
        file_id: parse_id(&row.file_id)?,
        tenant_id: parse_id(&row.tenant_id)?,
        status: row.status.parse().map_err(DbError::Corrupt)?,
        error: row.error,
        passages: row.passages.max(0) as u32,
        embedding_model: row.embedding_model,
        updated_at: row.updated_at,
    })
}

fn to_passage(row: passage::Model) -> Result<Passage, DbError> {
    Ok(Passage {
        id: row.id,
        tenant_id: parse_id(&row.tenant_id)?,
        file_id: parse_id(&row.file_id)?,
        seq: row.seq.max(0) as u32,
        text: row.text,
        page: row.page.map(|p| p.max(0) as u32),
        heading: row.heading,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_are_plain_words() {
        assert_eq!(
            search_terms("What's the cat's NAME? name — \"OR\" *x* ünïcode"),
            ["what", "the", "cat", "name", "or", "ünïcode"]
        );
        assert!(search_terms("?!").is_empty());
    }
}
