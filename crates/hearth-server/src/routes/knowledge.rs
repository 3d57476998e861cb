//! Knowledge bases (create, list, read, update, delete, add and remove files, per-file status,
//! re-index), processing single files, and retrieval (`POST /api/v1/retrieval/query`).
//!
//! Access: a knowledge base's owner and administrators may change it, and so may those on its
//! `write_access` list; those on `read_access` may search it and attach it to chats. Files added
//! must be the caller's own (administrators may add anyone's).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use hearth_core::connection::AccessList;
use hearth_core::drive::{FileState, StoredFile};
use hearth_core::knowledge::{FileIngestion, IngestStatus, KnowledgeBase};
use hearth_core::time::unix_now;
use hearth_core::{FileId, GroupId, KnowledgeId, Role, User};
use hearth_db::{KnowledgePatch, NewKnowledge};
use hearth_rag::Retrieved;
use hearth_rag::jobs::ReindexAll;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::ApiPath;
use crate::auth::{ActiveUser, AdminUser};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

/// Largest knowledge request body.
const MAX_BODY: usize = 256 * 1024;
/// Most results a retrieval query may ask for.
const MAX_K: usize = 50;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_knowledge, list_knowledge))
        .routes(routes!(get_knowledge, update_knowledge, delete_knowledge))
        .routes(routes!(add_files))
        .routes(routes!(add_file))
        .routes(routes!(remove_file))
        .routes(routes!(reindex_knowledge))
        .routes(routes!(reindex_everything))
        .routes(routes!(process_file))
        .routes(routes!(query))
}

/// Who may use a knowledge base besides its owner.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub(crate) struct AccessBody {
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    group_ids: Vec<GroupId>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    user_ids: Vec<hearth_core::UserId>,
}

impl From<AccessBody> for AccessList {
    fn from(body: AccessBody) -> Self {
        AccessList {
            group_ids: body.group_ids,
            user_ids: body.user_ids,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKnowledge {
    name: String,
    #[serde(default)]
    description: String,
    /// Who may search it (besides the owner).
    #[serde(default)]
    read_access: Option<AccessBody>,
    /// Who may change it (besides the owner).
    #[serde(default)]
    write_access: Option<AccessBody>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateKnowledge {
    name: Option<String>,
    description: Option<String>,
    read_access: Option<AccessBody>,
    write_access: Option<AccessBody>,
}

/// A file of a knowledge base with its ingestion state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct KnowledgeFileView {
    #[schema(value_type = String)]
    id: FileId,
    filename: String,
    size: u64,
    content_type: String,
    /// `pending`, `processing`, `ready` or `failed`.
    #[schema(value_type = String)]
    status: IngestStatus,
    /// Why it failed.
    error: Option<String>,
    passages: u32,
}

/// A knowledge base; `files` and `status` only on a single read.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct KnowledgeView {
    #[schema(value_type = String)]
    id: KnowledgeId,
    #[schema(value_type = String)]
    user_id: hearth_core::UserId,
    name: String,
    description: String,
    #[schema(value_type = Object)]
    read_access: AccessList,
    #[schema(value_type = Object)]
    write_access: AccessList,
    /// Whether the caller may change it.
    write: bool,
    created_at: i64,
    updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<KnowledgeFileView>>,
    /// Files per ingestion state.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    status: Option<HashMap<IngestStatus, usize>>,
}

impl KnowledgeView {
    fn of(knowledge: KnowledgeBase, write: bool) -> Self {
        Self {
            id: knowledge.id,
            user_id: knowledge.user_id,
            name: knowledge.name,
            description: knowledge.description,
            read_access: knowledge.read_access,
            write_access: knowledge.write_access,
            write,
            created_at: knowledge.created_at,
            updated_at: knowledge.updated_at,
            files: None,
            status: None,
        }
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(ApiError::Unprocessable(
            "name: must be 1 to 255 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

fn check_description(description: &str) -> Result<String, ApiError> {
    if description.chars().count() > 10_000 {
        return Err(ApiError::Unprocessable(
            "description: at most 10,000 characters".into(),
        ));
    }
    Ok(description.to_owned())
}

/// The caller's groups (for access lists).
async fn groups_of(state: &AppState, user: &User) -> Result<Vec<GroupId>, ApiError> {
    Ok(state.store.user_group_ids(user.tenant_id, user.id).await?)
}

/// A knowledge base the caller may read; 404 otherwise (its existence is not revealed).
pub(crate) async fn readable(
    state: &AppState,
    user: &User,
    id: KnowledgeId,
) -> Result<(KnowledgeBase, bool), ApiError> {
    let knowledge = state
        .store
        .knowledge(user.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("knowledge base not found".into()))?;
    let groups = groups_of(state, user).await?;
    if !knowledge.readable_by(user, &groups) {
        return Err(ApiError::NotFound("knowledge base not found".into()));
    }
    let write = knowledge.writable_by(user, &groups);
    Ok((knowledge, write))
}

async fn writable(
    state: &AppState,
    user: &User,
    id: KnowledgeId,
) -> Result<KnowledgeBase, ApiError> {
    let (knowledge, write) = readable(state, user, id).await?;
    if !write {
        return Err(ApiError::Forbidden(
            "you may read this knowledge base but not change it".into(),
        ));
    }
    Ok(knowledge)
}

/// Creates a knowledge base owned by the caller.
#[utoipa::path(post, path = "/api/v1/knowledge", tag = "knowledge", security(("bearer" = [])),
    request_body = CreateKnowledge,
    responses((status = 200, body = KnowledgeView), (status = 422, description = "Bad name or access list", body = ErrorBody)))]
async fn create_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(body): ApiJson<CreateKnowledge, MAX_BODY>,
) -> Result<Json<KnowledgeView>, ApiError> {
    let user = caller.user;
    let knowledge = state
        .store
        .create_knowledge(
            NewKnowledge {
                tenant_id: user.tenant_id,
                user_id: user.id,
                name: check_name(&body.name)?,
                description: check_description(&body.description)?,
                read_access: body.read_access.map(Into::into).unwrap_or_default(),
                write_access: body.write_access.map(Into::into).unwrap_or_default(),
            },
            unix_now(),
        )
        .await?;
    Ok(Json(KnowledgeView::of(knowledge, true)))
}

/// The knowledge bases the caller may read, most recently changed first.
#[utoipa::path(get, path = "/api/v1/knowledge", tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = Vec<KnowledgeView>)))]
async fn list_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<Vec<KnowledgeView>>, ApiError> {
    let user = caller.user;
    let groups = groups_of(&state, &user).await?;
    let all = state.store.list_knowledge(user.tenant_id).await?;
    Ok(Json(
        all.into_iter()
            .filter(|k| k.readable_by(&user, &groups))
            .map(|k| {
                let write = k.writable_by(&user, &groups);
                KnowledgeView::of(k, write)
            })
            .collect(),
    ))
}

/// A knowledge base with its files, each with its ingestion state, and the counts per state.
#[utoipa::path(get, path = "/api/v1/knowledge/{id}", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = KnowledgeView), (status = 404, body = ErrorBody)))]
async fn get_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
) -> Result<Json<KnowledgeView>, ApiError> {
    let (knowledge, write) = readable(&state, &caller.user, id).await?;
    let tenant = knowledge.tenant_id;
    let ids = state.store.knowledge_file_ids(id).await?;
    let files = state.store.files_by_ids(tenant, &ids).await?;
    let ingestion = state.store.ingestion(&ids).await?;
    let mut by_id: HashMap<FileId, StoredFile> = files.into_iter().map(|f| (f.id, f)).collect();
    let mut views = Vec::with_capacity(ids.len());
    let mut status: HashMap<IngestStatus, usize> = HashMap::new();
    for file_id in ids {
        let Some(file) = by_id.remove(&file_id) else {
            continue;
        };
        let record = ingestion.get(&file_id);
        let view = file_view(file, record);
        *status.entry(view.status).or_default() += 1;
        views.push(view);
    }
    let mut view = KnowledgeView::of(knowledge, write);
    view.files = Some(views);
    view.status = Some(status);
    Ok(Json(view))
}

fn file_view(file: StoredFile, record: Option<&FileIngestion>) -> KnowledgeFileView {
    KnowledgeFileView {
        size: file.size(),
        id: file.id,
        filename: file.filename,
        content_type: file.content_type,
        status: record.map_or(IngestStatus::Pending, |r| r.status),
        error: record.and_then(|r| r.error.clone()),
        passages: record.map_or(0, |r| r.passages),
    }
}

/// Renames a knowledge base, changes its description or access lists.
#[utoipa::path(patch, path = "/api/v1/knowledge/{id}", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateKnowledge,
    responses((status = 200, body = KnowledgeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
    ApiJson(body): ApiJson<UpdateKnowledge, MAX_BODY>,
) -> Result<Json<KnowledgeView>, ApiError> {
    let user = caller.user;
    let knowledge = writable(&state, &user, id).await?;
    let owner_or_admin = user.id == knowledge.user_id || user.role == Role::Admin;
    if (body.read_access.is_some() || body.write_access.is_some()) && !owner_or_admin {
        return Err(ApiError::Forbidden(
            "only the owner or an administrator changes who has access".into(),
        ));
    }
    let patch = KnowledgePatch {
        name: body.name.as_deref().map(check_name).transpose()?,
        description: body
            .description
            .as_deref()
            .map(check_description)
            .transpose()?,
        read_access: body.read_access.map(Into::into),
        write_access: body.write_access.map(Into::into),
    };
    let updated = state
        .store
        .update_knowledge(user.tenant_id, id, patch, unix_now())
        .await?;
    Ok(Json(KnowledgeView::of(updated, true)))
}

/// Deletes a knowledge base. Its files stay in their owners' drives (and stay searchable there).
#[utoipa::path(delete, path = "/api/v1/knowledge/{id}", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = super::auths::Done), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
) -> Result<Json<super::auths::Done>, ApiError> {
    writable(&state, &caller.user, id).await?;
    state
        .store
        .delete_knowledge(caller.user.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("knowledge base not found".into()))?;
    Ok(Json(super::auths::Done::ok()))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileIds {
    #[schema(value_type = Vec<String>)]
    #[validate(length(min = 1, max = 1000))]
    file_ids: Vec<FileId>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct OneFile {
    #[schema(value_type = String)]
    file_id: FileId,
}

/// Files the caller may put in a knowledge base: their own ready files (any, for administrators).
async fn addable_files(
    state: &AppState,
    user: &User,
    ids: &[FileId],
) -> Result<Vec<StoredFile>, ApiError> {
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::Unprocessable(
            "file_ids: give 1 to 1,000 files".into(),
        ));
    }
    let files = state.store.files_by_ids(user.tenant_id, ids).await?;
    for id in ids {
        let Some(file) = files.iter().find(|f| f.id == *id) else {
            return Err(ApiError::NotFound(format!("file {id} not found")));
        };
        if file.user_id != user.id && user.role != Role::Admin {
            return Err(ApiError::NotFound(format!("file {id} not found")));
        }
        if file.state != FileState::Ready {
            return Err(ApiError::Conflict(format!("file {id} is still uploading")));
        }
    }
    Ok(files)
}

/// Adds files and queues the ones never indexed (or failed) for ingestion; progress arrives on
/// the owner's WebSocket as `job.progress` and `file.status` events.
async fn add(
    state: &AppState,
    user: &User,
    id: KnowledgeId,
    ids: &[FileId],
) -> Result<KnowledgeView, ApiError> {
    let knowledge = writable(state, user, id).await?;
    let files = addable_files(state, user, ids).await?;
    state
        .store
        .add_knowledge_files(user.tenant_id, id, ids, unix_now())
        .await?;
    let ingestion = state.store.ingestion(ids).await?;
    let model = state.knowledge.embedder().model().to_owned();
    let needed: Vec<StoredFile> = files
        .into_iter()
        .filter(|f| match ingestion.get(&f.id) {
            None => true,
            Some(r) => {
                r.status == IngestStatus::Failed
                    || (r.status == IngestStatus::Ready
                        && r.embedding_model.as_deref() != Some(&model))
            }
        })
        .collect();
    state.knowledge.queue_ingestion(&needed).await?;
    Ok(KnowledgeView::of(knowledge, true))
}

/// Adds files (`{"file_ids": [...]}`).
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/files", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = FileIds,
    responses((status = 200, body = KnowledgeView), (status = 404, description = "No such knowledge base or file", body = ErrorBody), (status = 409, description = "A file is still uploading", body = ErrorBody)))]
async fn add_files(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
    ApiJson(body): ApiJson<FileIds, MAX_BODY>,
) -> Result<Json<KnowledgeView>, ApiError> {
    Ok(Json(add(&state, &caller.user, id, &body.file_ids).await?))
}

/// Adds one file (`{"file_id": …}`, the shape other clients use).
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/file/add", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = OneFile, responses((status = 200, body = KnowledgeView), (status = 404, body = ErrorBody)))]
async fn add_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
    ApiJson(body): ApiJson<OneFile, MAX_BODY>,
) -> Result<Json<KnowledgeView>, ApiError> {
    Ok(Json(add(&state, &caller.user, id, &[body.file_id]).await?))
}

/// Removes a file from the knowledge base (the file stays in the drive).
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/file/remove", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = OneFile, responses((status = 200, body = KnowledgeView), (status = 404, body = ErrorBody)))]
async fn remove_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
    ApiJson(body): ApiJson<OneFile, MAX_BODY>,
) -> Result<Json<KnowledgeView>, ApiError> {
    let knowledge = writable(&state, &caller.user, id).await?;
    if !state
        .store
        .remove_knowledge_file(caller.user.tenant_id, id, body.file_id, unix_now())
        .await?
    {
        return Err(ApiError::NotFound(
            "the file is not in this knowledge base".into(),
        ));
    }
    Ok(Json(KnowledgeView::of(knowledge, true)))
}

/// Queues every file of the knowledge base for ingestion again.
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/reindex", tag = "knowledge", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = KnowledgeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reindex_knowledge(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<KnowledgeId>,
) -> Result<Json<KnowledgeView>, ApiError> {
    let knowledge = writable(&state, &caller.user, id).await?;
    let ids = state.store.knowledge_file_ids(id).await?;
    let files = state
        .store
        .files_by_ids(caller.user.tenant_id, &ids)
        .await?;
    state.knowledge.queue_ingestion(&files).await?;
    Ok(Json(KnowledgeView::of(knowledge, true)))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Queued {
    /// The job that queues every file.
    job_id: String,
}

/// Re-indexes every file that was ever ingested, as a job (after the embedding model changes).
#[utoipa::path(post, path = "/api/v1/knowledge/reindex", tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = Queued), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn reindex_everything(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
) -> Result<Json<Queued>, ApiError> {
    let id = state
        .jobs
        .enqueue(&ReindexAll {}, caller.user.tenant_id, Some(caller.user.id))
        .await?;
    Ok(Json(Queued {
        job_id: id.to_string(),
    }))
}

/// The ingestion state of one of the caller's files.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProcessView {
    #[schema(value_type = String)]
    file_id: FileId,
    #[schema(value_type = String)]
    status: IngestStatus,
    error: Option<String>,
    passages: u32,
}

/// Queues one of the caller's files for ingestion (so it can be attached to chats on its own).
#[utoipa::path(post, path = "/api/v1/retrieval/process/file", tag = "knowledge", security(("bearer" = [])),
    request_body = OneFile, responses((status = 200, body = ProcessView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn process_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(body): ApiJson<OneFile, MAX_BODY>,
) -> Result<Json<ProcessView>, ApiError> {
    let files = addable_files(&state, &caller.user, &[body.file_id]).await?;
    state.knowledge.queue_ingestion(&files).await?;
    Ok(Json(ProcessView {
        file_id: body.file_id,
        status: IngestStatus::Pending,
        error: None,
        passages: 0,
    }))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryBody {
    #[validate(length(min = 1, max = 10000))]
    query: String,
    /// Knowledge bases to search.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    collection_names: Vec<KnowledgeId>,
    /// Single files to search.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    file_ids: Vec<FileId>,
    /// Passages to return (default `RAG_TOP_K`).
    k: Option<usize>,
    /// Fuse full-text and vector search (default `ENABLE_RAG_HYBRID_SEARCH`).
    hybrid: Option<bool>,
}

/// A passage found, with where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PassageView {
    passage_id: String,
    #[schema(value_type = String)]
    file_id: FileId,
    filename: String,
    page: Option<u32>,
    heading: Option<String>,
    text: String,
    score: f32,
    vector_score: Option<f32>,
    text_score: Option<f32>,
}

impl From<Retrieved> for PassageView {
    fn from(r: Retrieved) -> Self {
        Self {
            passage_id: r.passage.id,
            file_id: r.passage.file_id,
            filename: r.filename,
            page: r.passage.page,
            heading: r.passage.heading,
            text: r.passage.text,
            score: r.score,
            vector_score: r.vector_score,
            text_score: r.text_score,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueryResults {
    results: Vec<PassageView>,
}

/// The files of these knowledge bases and single files the caller may search.
pub(crate) async fn searchable_files(
    state: &AppState,
    user: &User,
    knowledge: &[KnowledgeId],
    files: &[FileId],
) -> Result<Vec<FileId>, ApiError> {
    let mut found: Vec<FileId> = Vec::new();
    for id in knowledge {
        readable(state, user, *id).await?;
        found.extend(state.store.knowledge_file_ids(*id).await?);
    }
    if !files.is_empty() {
        let stored = state.store.files_by_ids(user.tenant_id, files).await?;
        for id in files {
            let mine = stored
                .iter()
                .any(|f| f.id == *id && (f.user_id == user.id || user.role == Role::Admin));
            if !mine {
                return Err(ApiError::NotFound(format!("file {id} not found")));
            }
        }
        found.extend_from_slice(files);
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Ranked passages for a question, from knowledge bases and files the caller may read.
#[utoipa::path(post, path = "/api/v1/retrieval/query", tag = "knowledge", security(("bearer" = [])),
    request_body = QueryBody,
    responses((status = 200, body = QueryResults), (status = 404, description = "No such knowledge base or file", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn query(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(body): ApiJson<QueryBody, MAX_BODY>,
) -> Result<Json<QueryResults>, ApiError> {
    let user = caller.user;
    if body.query.trim().is_empty() || body.query.chars().count() > 10_000 {
        return Err(ApiError::Unprocessable(
            "query: must be 1 to 10,000 characters".into(),
        ));
    }
    if body.collection_names.is_empty() && body.file_ids.is_empty() {
        return Err(ApiError::Unprocessable(
            "give collection_names or file_ids to search".into(),
        ));
    }
    let settings = state.tunables.current();
    let k = body.k.unwrap_or(settings.rag.rag_top_k as usize);
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::Unprocessable(format!("k: must be 1 to {MAX_K}")));
    }
    let files = searchable_files(&state, &user, &body.collection_names, &body.file_ids).await?;
    let hybrid = body.hybrid.unwrap_or(settings.rag.enable_rag_hybrid_search);
    let results = state
        .knowledge
        .retrieve(user.tenant_id, &files, &body.query, k, hybrid)
        .await?;
    Ok(Json(QueryResults {
        results: results.into_iter().map(PassageView::from).collect(),
    }))
}
