//! The drive over HTTP: form uploads, listing, metadata, rename and move, delete, downloads with
//! ranges and validators, folders, usage and quotas, avatars, and the storage collector for
//! administrators. Resumable uploads are in `tus.rs`.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_core::drive::{DriveFolder, FileState, StoredFile};
use hearth_core::time::unix_now;
use hearth_core::{DriveFolderId, FileId, UserId};
use hearth_db::FileFilter;
use hearth_storage::names::{is_inline_safe, sanitize_filename};
use hearth_storage::{CollectionReport, NewFile, Owner, StorageReport};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use super::auths::Done;
use super::{ApiPath, ApiQuery};
use crate::auth::{ActiveUser, AdminUser, Authenticated};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_files, upload_files))
        .layer(DefaultBodyLimit::disable());
    let avatars = OpenApiRouter::new()
        .routes(routes!(put_avatar, delete_avatar))
        // Read a somewhat larger body whole, so a too-large image gets its 413 as a clean answer rather
        // than a connection closed mid-upload.
        .layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT));
    OpenApiRouter::new()
        .merge(uploads)
        .merge(avatars)
        .routes(routes!(get_file, update_file, delete_file))
        .routes(routes!(file_content))
        .routes(routes!(list_folders, create_folder))
        .routes(routes!(update_folder, delete_folder))
        .routes(routes!(usage))
        .routes(routes!(set_quota))
        .routes(routes!(get_avatar))
        .routes(routes!(collect))
        .routes(routes!(check))
}

/// Bodies read whole on the avatar route (larger ones are cut off).
const AVATAR_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub(crate) fn owner(caller: &Authenticated) -> Owner {
    Owner {
        tenant_id: caller.user.tenant_id,
        user_id: caller.user.id,
    }
}

/// What a file's bytes are.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FileMeta {
    name: String,
    /// Bytes (received so far, while uploading).
    size: u64,
    /// Sniffed from the content.
    content_type: String,
}

/// A file of the drive.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FileView {
    #[schema(value_type = String)]
    id: FileId,
    #[schema(value_type = String)]
    user_id: UserId,
    filename: String,
    #[schema(value_type = Option<String>)]
    folder_id: Option<DriveFolderId>,
    /// `ready`, or `uploading` while a resumable upload is unfinished.
    state: String,
    meta: FileMeta,
    /// Strong validator of the content (the download's `ETag`), once ready.
    hash: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<StoredFile> for FileView {
    fn from(file: StoredFile) -> Self {
        Self {
            meta: FileMeta {
                name: file.filename.clone(),
                size: file.size(),
                content_type: file.content_type.clone(),
            },
            id: file.id,
            user_id: file.user_id,
            filename: file.filename,
            folder_id: file.folder_id,
            state: file.state.as_str().to_owned(),
            hash: file.etag,
            created_at: file.created_at,
            updated_at: file.updated_at,
        }
    }
}

/// One uploaded file, or several.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Uploaded {
    One(FileView),
    Many(Vec<FileView>),
}

/// Uploads files from a `multipart/form-data` body: one or more `file` parts (an optional
/// `folder_id` part before them). Each is streamed to storage as it arrives. One file answers with
/// its object; several with a list. If any file is refused, none of the request's files is kept.
#[utoipa::path(post, path = "/api/v1/files", tag = "files", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file` parts, optional `folder_id`"),
    responses((status = 200, description = "Stored", body = Uploaded),
        (status = 413, description = "Over FILE_MAX_SIZE or the quota", body = ErrorBody),
        (status = 415, description = "Not multipart, or an extension FILE_ALLOWED_EXTENSIONS leaves out", body = ErrorBody),
        (status = 422, description = "No file, an empty file, a path as the name, or over FILE_MAX_COUNT", body = ErrorBody)))]
async fn upload_files(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    request: Request,
) -> Result<Json<Uploaded>, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the files as multipart/form-data (or resumably with tus at /api/v1/files/tus)"
                .into(),
        ));
    }
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("unreadable multipart body: {e}")))?;
    // The upload runs as its own task: a client that leaves mid-way still gets its partial files
    // cleaned up instead of having the work dropped at an arbitrary point.
    let owner = owner(&caller);
    let task = tokio::spawn(store_form(state, owner, multipart));
    let files = task
        .await
        .map_err(|e| ApiError::Internal(format!("the upload task failed: {e}")))??;
    let mut views: Vec<FileView> = files.into_iter().map(Into::into).collect();
    Ok(Json(if views.len() == 1 {
        Uploaded::One(views.remove(0))
    } else {
        Uploaded::Many(views)
    }))
}

async fn store_form(
    state: AppState,
    owner: Owner,
    mut multipart: Multipart,
) -> Result<Vec<StoredFile>, ApiError> {
    let drive = &state.drive;
    let mut stored: Vec<StoredFile> = Vec::new();
    let mut folder_id = None;
    let result: Result<(), ApiError> = async {
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("unreadable multipart body: {e}")))?
        {
            match field.name() {
                Some("file") => {
                    drive.check_count(stored.len() + 1)?;
                    let filename = field.file_name().unwrap_or_default().to_owned();
                    let new = NewFile {
                        filename,
                        folder_id,
                        ..NewFile::default()
                    };
                    let file = drive.upload(owner, new, Box::pin(field)).await?;
                    stored.push(file);
                }
                Some("folder_id") => {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| ApiError::BadRequest(format!("unreadable folder_id: {e}")))?;
                    folder_id = Some(text.trim().parse::<DriveFolderId>().map_err(|_| {
                        ApiError::Unprocessable("folder_id: is not a folder id".into())
                    })?);
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    let result = result.and_then(|()| {
        if stored.is_empty() {
            Err(ApiError::Unprocessable(
                "file: the form has no `file` part".into(),
            ))
        } else {
            Ok(())
        }
    });
    if let Err(error) = result {
        for file in &stored {
            let _ = drive.delete(owner, file.id).await;
        }
        return Err(error);
    }
    Ok(stored)
}

/// Which files to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FileQuery {
    /// A folder id, or `root` for files in no folder; absent lists every file.
    folder_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u64>,
    offset: Option<u64>,
}

/// The caller's ready files, newest first. The total is in `X-Total-Count`.
#[utoipa::path(get, path = "/api/v1/files", tag = "files", security(("bearer" = [])), params(FileQuery),
    responses((status = 200, description = "Success", body = Vec<FileView>)))]
async fn list_files(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiQuery(query): ApiQuery<FileQuery>,
) -> Result<Response, ApiError> {
    let folder = match query.folder_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("root") => Some(None),
        Some(id) => Some(Some(id.parse::<DriveFolderId>().map_err(|_| {
            ApiError::Unprocessable("folder_id: is not a folder id or `root`".into())
        })?)),
    };
    let filter = FileFilter {
        folder,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
        offset: query.offset.unwrap_or(0),
    };
    let (files, total) = state
        .store
        .list_files(caller.user.tenant_id, caller.user.id, &filter)
        .await?;
    let views: Vec<FileView> = files.into_iter().map(Into::into).collect();
    Ok(([("x-total-count", total.to_string())], Json(views)).into_response())
}

/// One file's metadata (an unfinished upload shows `state: uploading`).
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = FileView), (status = 404, description = "No such file of yours", body = ErrorBody)))]
async fn get_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
) -> Result<Json<FileView>, ApiError> {
    Ok(Json(state.drive.file(owner(&caller), id).await?.into()))
}

/// `null` and absent told apart: absent leaves the value, `null` clears it.
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A new name and/or folder (`folder_id: null` moves the file to the top level).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct FilePatch {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    filename: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    folder_id: Option<Option<DriveFolderId>>,
}

/// Renames a file and/or moves it into a folder.
#[utoipa::path(patch, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = String, Path)), request_body = FilePatch,
    responses((status = 200, description = "Success", body = FileView), (status = 404, description = "No such file or folder", body = ErrorBody), (status = 422, description = "A name that is a path", body = ErrorBody)))]
async fn update_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
    ApiJson(patch): ApiJson<FilePatch>,
) -> Result<Json<FileView>, ApiError> {
    let filename = patch
        .filename
        .as_deref()
        .map(sanitize_filename)
        .transpose()?;
    if let Some(name) = &filename {
        hearth_storage::names::check_extension(name, &state.drive.limits().allowed_extensions)?;
    }
    let file = state
        .store
        .update_file(
            caller.user.tenant_id,
            caller.user.id,
            id,
            filename.as_deref(),
            patch.folder_id,
            unix_now(),
        )
        .await?;
    Ok(Json(file.into()))
}

/// Deletes a file (or an unfinished upload). Its storage is reclaimed by the collector once no other
/// file holds the same content.
#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such file of yours", body = ErrorBody)))]
async fn delete_file(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
) -> Result<Json<Done>, ApiError> {
    state.drive.delete(owner(&caller), id).await?;
    // Its passages went with it; its vectors are only ever found through them, so a failure here
    // leaves dead weight in the index, not wrong answers.
    if let Err(error) = state.knowledge.forget_file(caller.user.tenant_id, id).await {
        tracing::warn!(file = %id, %error, "could not remove a deleted file's vectors");
    }
    Ok(Json(Done::ok()))
}

/// How to deliver content.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ContentQuery {
    /// Always as a download (`Content-Disposition: attachment`).
    attachment: Option<bool>,
}

/// A file's bytes: `Range` (one range; `If-Range` honoured), `ETag` with `If-None-Match`, and a
/// `Content-Disposition` carrying the name safely (RFC 6266). Only types that cannot run script are
/// shown inline; everything is served with `nosniff` and a sandboxing CSP.
#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files", security(("bearer" = [])), params(("id" = String, Path), ContentQuery),
    responses((status = 200, description = "The whole file", content_type = "application/octet-stream"),
        (status = 206, description = "The requested range", content_type = "application/octet-stream"),
        (status = 304, description = "Unchanged since the ETag the client has"),
        (status = 404, description = "No such file of yours", body = ErrorBody),
        (status = 409, description = "Still uploading", body = ErrorBody),
        (status = 416, description = "Range outside the file", body = ErrorBody)))]
async fn file_content(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
    ApiQuery(query): ApiQuery<ContentQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = state.drive.file(owner(&caller), id).await?;
    if file.state != FileState::Ready {
        return Err(ApiError::Conflict(
            "the file is still uploading; finish the upload first".into(),
        ));
    }
    let size = file.size();
    let etag = format!("\"{}\"", file.etag.clone().unwrap_or_default());
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if header_text(header::IF_NONE_MATCH).is_some_and(|v| etag_matches(&v, &etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let range_applies = header_text(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = match header_text(header::RANGE) {
        Some(value) if range_applies => parse_range(&value, size)?,
        _ => None,
    };
    let (status, span) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    let stream = state.drive.read(&file, span.clone()).await?;
    let disposition = content_disposition(
        &file.filename,
        query.attachment.unwrap_or(false) || !is_inline_safe(&file.content_type),
    );
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response_headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, file.content_type.clone());
    set(header::CONTENT_LENGTH, (span.end - span.start).to_string());
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::ETAG, etag);
    set(header::CACHE_CONTROL, "private, no-cache".into());
    set(header::CONTENT_DISPOSITION, disposition);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    set(header::CONTENT_SECURITY_POLICY, "sandbox".into());
    if range.is_some() {
        set(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", span.start, span.end - 1),
        );
    }
    Ok(response)
}

fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// One byte range of `size` bytes. Several ranges or a malformed header are ignored (the whole file
/// is sent, as RFC 9110 allows); a range past the end is refused with 416.
fn parse_range(header: &str, size: u64) -> Result<Option<std::ops::Range<u64>>, ApiError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        // The last `end` bytes.
        let Ok(suffix) = end.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(ApiError::RangeNotSatisfiable { size });
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(first) = start.parse::<u64>() else {
            return Ok(None);
        };
        let last = if end.is_empty() {
            size.saturating_sub(1)
        } else {
            match end.parse::<u64>() {
                Ok(last) if last >= first => last.min(size.saturating_sub(1)),
                _ => return Ok(None),
            }
        };
        if first >= size {
            return Err(ApiError::RangeNotSatisfiable { size });
        }
        first..last + 1
    };
    Ok(Some(range))
}

/// RFC 5987 `attr-char`: what may stay unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`.
fn content_disposition(filename: &str, attachment: bool) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        if attachment { "attachment" } else { "inline" },
        utf8_percent_encode(filename, ATTR_CHAR)
    )
}

/// A folder of the drive.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FolderView {
    #[schema(value_type = String)]
    id: DriveFolderId,
    #[schema(value_type = Option<String>)]
    parent_id: Option<DriveFolderId>,
    name: String,
    created_at: i64,
    updated_at: i64,
}

impl From<DriveFolder> for FolderView {
    fn from(f: DriveFolder) -> Self {
        Self {
            id: f.id,
            parent_id: f.parent_id,
            name: f.name,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A new folder, or changes to one (`parent_id: null` moves it to the top level).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct FolderForm {
    #[validate(length(min = 1, max = 255, message = "must be 1 to 255 characters"))]
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    parent_id: Option<Option<DriveFolderId>>,
}

/// The caller's drive folders (a tree by `parent_id`), by name.
#[utoipa::path(get, path = "/api/v1/files/folders", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Vec<FolderView>)))]
async fn list_folders(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<Vec<FolderView>>, ApiError> {
    let folders = state
        .store
        .list_drive_folders(caller.user.tenant_id, caller.user.id)
        .await?;
    Ok(Json(folders.into_iter().map(Into::into).collect()))
}

/// Creates a drive folder.
#[utoipa::path(post, path = "/api/v1/files/folders", tag = "files", security(("bearer" = [])), request_body = FolderForm,
    responses((status = 200, description = "Success", body = FolderView), (status = 404, description = "No such parent folder", body = ErrorBody), (status = 422, description = "No name", body = ErrorBody)))]
async fn create_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiJson(form): ApiJson<FolderForm>,
) -> Result<Json<FolderView>, ApiError> {
    let name = form
        .name
        .as_deref()
        .map(sanitize_filename)
        .transpose()?
        .ok_or_else(|| ApiError::Unprocessable("name: is required".into()))?;
    let folder = state
        .store
        .create_drive_folder(
            caller.user.tenant_id,
            caller.user.id,
            form.parent_id.flatten(),
            &name,
            unix_now(),
        )
        .await?;
    Ok(Json(folder.into()))
}

/// Renames a folder and/or moves it (not into itself or below itself).
#[utoipa::path(patch, path = "/api/v1/files/folders/{id}", tag = "files", security(("bearer" = [])), params(("id" = String, Path)), request_body = FolderForm,
    responses((status = 200, description = "Success", body = FolderView), (status = 404, description = "No such folder", body = ErrorBody), (status = 409, description = "A move into itself", body = ErrorBody)))]
async fn update_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<DriveFolderId>,
    ApiJson(form): ApiJson<FolderForm>,
) -> Result<Json<FolderView>, ApiError> {
    let name = form.name.as_deref().map(sanitize_filename).transpose()?;
    let folder = state
        .store
        .update_drive_folder(
            caller.user.tenant_id,
            caller.user.id,
            id,
            name.as_deref(),
            form.parent_id,
            unix_now(),
        )
        .await?;
    Ok(Json(folder.into()))
}

/// Deletes a folder; its files and subfolders move up to its parent.
#[utoipa::path(delete, path = "/api/v1/files/folders/{id}", tag = "files", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No such folder", body = ErrorBody)))]
async fn delete_folder(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<DriveFolderId>,
) -> Result<Json<Done>, ApiError> {
    if !state
        .store
        .delete_drive_folder(caller.user.tenant_id, caller.user.id, id, unix_now())
        .await?
    {
        return Err(ApiError::NotFound("folder not found".into()));
    }
    Ok(Json(Done::ok()))
}

/// Drive space in use and the quota that applies.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UsageView {
    /// Bytes of the user's files (and the declared length of unfinished uploads).
    used_bytes: u64,
    /// The quota in bytes, or `null` for none.
    quota_bytes: Option<u64>,
}

async fn usage_of(state: &AppState, owner: Owner) -> Result<UsageView, ApiError> {
    let usage = state
        .store
        .storage_usage(owner.tenant_id, owner.user_id)
        .await?;
    Ok(UsageView {
        used_bytes: usage.used_bytes,
        quota_bytes: usage.quota_override.or(state.drive.limits().default_quota),
    })
}

/// The caller's storage use and quota.
#[utoipa::path(get, path = "/api/v1/files/usage", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = UsageView)))]
async fn usage(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
) -> Result<Json<UsageView>, ApiError> {
    Ok(Json(usage_of(&state, owner(&caller)).await?))
}

/// A user's own quota.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub(crate) struct QuotaForm {
    /// Megabytes; `null` returns the user to `FILE_USER_QUOTA`.
    quota_mb: Option<u64>,
}

/// Sets a user's quota (administrators).
#[utoipa::path(put, path = "/api/v1/users/{id}/quota", tag = "files", security(("bearer" = [])), params(("id" = String, Path)), request_body = QuotaForm,
    responses((status = 200, description = "Success", body = UsageView), (status = 404, description = "No such user", body = ErrorBody)))]
async fn set_quota(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(form): ApiJson<QuotaForm>,
) -> Result<Json<UsageView>, ApiError> {
    let tenant_id = caller.user.tenant_id;
    if state.store.user_by_id(tenant_id, id).await?.is_none() {
        return Err(ApiError::NotFound("user not found".into()));
    }
    state
        .store
        .set_storage_quota(
            tenant_id,
            id,
            form.quota_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
            unix_now(),
        )
        .await?;
    Ok(Json(
        usage_of(
            &state,
            Owner {
                tenant_id,
                user_id: id,
            },
        )
        .await?,
    ))
}

/// Sets the caller's avatar: the body is the image (PNG, JPEG, GIF or WebP, at most 5 MB; the type
/// is sniffed).
#[utoipa::path(put, path = "/api/v1/users/me/avatar", tag = "files", security(("bearer" = [])), request_body(content_type = "image/png", description = "The image"),
    responses((status = 200, description = "Success", body = Done), (status = 413, description = "Over 5 MB", body = ErrorBody), (status = 415, description = "Not an image", body = ErrorBody)))]
async fn put_avatar(
    State(state): State<AppState>,
    caller: Authenticated,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Done>, ApiError> {
    let body = body.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "an avatar may be at most {} MB",
            hearth_storage::MAX_AVATAR_BYTES / 1024 / 1024
        ))
    })?;
    state.drive.put_avatar(owner(&caller), body).await?;
    Ok(Json(Done::ok()))
}

/// Removes the caller's avatar.
#[utoipa::path(delete, path = "/api/v1/users/me/avatar", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "Success", body = Done), (status = 404, description = "No avatar", body = ErrorBody)))]
async fn delete_avatar(
    State(state): State<AppState>,
    caller: Authenticated,
) -> Result<Json<Done>, ApiError> {
    state.drive.delete_avatar(owner(&caller)).await?;
    Ok(Json(Done::ok()))
}

/// A user's avatar (any signed-in member of the same organisation may see it).
#[utoipa::path(get, path = "/api/v1/users/{id}/avatar", tag = "files", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The image", content_type = "image/png"), (status = 404, description = "No avatar", body = ErrorBody)))]
async fn get_avatar(
    State(state): State<AppState>,
    caller: Authenticated,
    ApiPath(id): ApiPath<UserId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (content_type, etag, data) = state.drive.avatar(caller.user.tenant_id, id).await?;
    let etag = format!("\"{etag}\"");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| etag_matches(v, &etag));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        data,
    )
        .into_response())
}

/// Runs the storage collector now (it also runs every ten minutes as a job): discards expired
/// uploads, deletes chunks no file refers to, and sweeps orphaned parts and avatars.
#[utoipa::path(post, path = "/api/v1/storage/collect", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "What was collected", body = Object), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn collect(
    State(state): State<AppState>,
    AdminUser(_caller): AdminUser,
) -> Result<Json<CollectionReport>, ApiError> {
    Ok(Json(state.drive.collect_garbage().await?))
}

/// Checks storage: chunk rows, file references and stored objects must agree. Healthy storage has
/// every list empty (`clean: true`).
#[utoipa::path(get, path = "/api/v1/storage/check", tag = "files", security(("bearer" = [])),
    responses((status = 200, description = "What was found", body = Object), (status = 403, description = "Administrators only", body = ErrorBody)))]
async fn check(
    State(state): State<AppState>,
    AdminUser(_caller): AdminUser,
) -> Result<Response, ApiError> {
    let report: StorageReport = state.drive.check_storage().await?;
    let mut value = serde_json::to_value(&report)
        .map_err(|e| ApiError::Internal(format!("cannot serialise the storage report: {e}")))?;
    value["clean"] = serde_json::Value::Bool(report.is_clean());
    Ok(Json(value).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some(90..100));
        assert_eq!(parse_range("bytes=95-200", 100).unwrap(), Some(95..100));
        assert_eq!(parse_range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 100).unwrap(), None);
        assert_eq!(parse_range("bytes=9-3", 100).unwrap(), None);
        assert!(parse_range("bytes=100-", 100).is_err());
        assert!(parse_range("bytes=-0", 100).is_err());
    }

    #[test]
    fn dispositions_carry_any_name_safely() {
        assert_eq!(
            content_disposition("report.pdf", false),
            "inline; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("naïve \"quote\".txt", true),
            "attachment; filename=\"na_ve _quote_.txt\"; filename*=UTF-8''na%C3%AFve%20%22quote%22.txt"
        );
    }
}
