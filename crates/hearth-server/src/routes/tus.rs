//! Resumable uploads: the tus 1.0 protocol at `/api/v1/files/tus` with the creation,
//! creation-with-upload, termination, checksum and expiration extensions.
//!
//! An upload's id is the id of the file it becomes. A `PATCH` runs as its own task, so bytes that
//! arrived before a client vanished are still stored and acknowledged, and the client resumes from
//! `HEAD`'s `Upload-Offset`.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hearth_core::drive::{FileState, StoredFile};
use hearth_core::{DriveFolderId, FileId};
use hearth_storage::{Checksum, ChecksumAlgorithm, NewFile};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::files::owner;
use crate::auth::ActiveUser;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(options, create))
        .routes(routes!(head, patch, terminate))
        .layer(DefaultBodyLimit::disable())
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("tus-resumable"),
            HeaderValue::from_static(TUS_VERSION),
        ))
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Every request but `OPTIONS` must speak tus 1.0.0.
fn require_tus(headers: &HeaderMap) -> Result<(), ApiError> {
    match text(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        Some(other) => Err(ApiError::PreconditionFailed(format!(
            "Tus-Resumable `{other}` is not supported; this server speaks {TUS_VERSION}"
        ))),
        None => Err(ApiError::PreconditionFailed(format!(
            "the Tus-Resumable header is required ({TUS_VERSION})"
        ))),
    }
}

fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    text(headers, name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::BadRequest(format!("{name} must be a non-negative whole number"))
            })
        })
        .transpose()
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (a value may be absent).
fn metadata(header: &str) -> Result<Vec<(String, String)>, ApiError> {
    header
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
            let decoded = STANDARD.decode(value.trim()).map_err(|_| {
                ApiError::BadRequest(format!(
                    "Upload-Metadata: the value of `{key}` is not base64"
                ))
            })?;
            let value = String::from_utf8(decoded).map_err(|_| {
                ApiError::BadRequest(format!(
                    "Upload-Metadata: the value of `{key}` is not UTF-8"
                ))
            })?;
            Ok((key.to_owned(), value))
        })
        .collect()
}

fn expires(file: &StoredFile) -> Option<String> {
    let at = file.expires_at?;
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(at).ok()?);
    Some(httpdate::fmt_http_date(time))
}

fn upload_headers(file: &StoredFile, response: &mut Response) {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("upload-offset", file.offset.to_string());
    if file.state == FileState::Uploading
        && let Some(at) = expires(file)
    {
        set("upload-expires", at);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// What this server supports.
#[utoipa::path(options, path = "/api/v1/files/tus", tag = "tus",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm")))]
async fn options(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    headers.insert("tus-extension", HeaderValue::from_static(EXTENSIONS));
    headers.insert(
        "tus-checksum-algorithm",
        HeaderValue::from_static(ChecksumAlgorithm::ADVERTISED),
    );
    if let Some(max) = state.drive.limits().max_size {
        headers.insert("tus-max-size", HeaderValue::from(max));
    }
    response
}

/// Creates an upload (`Upload-Length` required; `Upload-Metadata` may carry `filename` and
/// `folder_id`). With a body of `application/offset+octet-stream`, its bytes are the upload's first.
#[utoipa::path(post, path = "/api/v1/files/tus", tag = "tus", security(("bearer" = [])),
    responses((status = 201, description = "Created; `Location` is the upload's URL"),
        (status = 400, description = "No Upload-Length, or bad metadata", body = ErrorBody),
        (status = 412, description = "No Tus-Resumable: 1.0.0", body = ErrorBody),
        (status = 413, description = "Over FILE_MAX_SIZE or the quota", body = ErrorBody),
        (status = 415, description = "An extension FILE_ALLOWED_EXTENSIONS leaves out", body = ErrorBody),
        (status = 422, description = "An empty file or a path as the name", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    if text(&headers, "upload-defer-length").is_some() {
        return Err(ApiError::BadRequest(
            "Upload-Defer-Length is not supported: send Upload-Length".into(),
        ));
    }
    let length = number(&headers, "upload-length")?
        .ok_or_else(|| ApiError::BadRequest("Upload-Length is required".into()))?;
    let raw_metadata = text(&headers, "upload-metadata").map(str::to_owned);
    let pairs = raw_metadata
        .as_deref()
        .map(metadata)
        .transpose()?
        .unwrap_or_default();
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let folder_id = value("folder_id")
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<DriveFolderId>()
                .map_err(|_| ApiError::Unprocessable("folder_id: is not a folder id".into()))
        })
        .transpose()?;
    let new = NewFile {
        filename: value("filename")
            .or_else(|| value("name"))
            .unwrap_or_default(),
        folder_id,
        length: Some(length),
        metadata: raw_metadata,
    };
    let owner = owner(&caller);
    let file = state.drive.create_upload(owner, new).await?;
    let with_upload = text(&headers, "content-type") == Some(OFFSET_OCTET_STREAM);
    let file = if with_upload {
        let checksum = text(&headers, "upload-checksum")
            .map(Checksum::parse)
            .transpose()?;
        append(&state, owner, file.id, 0, body, checksum).await?
    } else {
        file
    };
    let mut response = StatusCode::CREATED.into_response();
    upload_headers(&file, &mut response);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/files/tus/{}", file.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn append(
    state: &AppState,
    owner: hearth_storage::Owner,
    id: FileId,
    offset: u64,
    body: Body,
    checksum: Option<Checksum>,
) -> Result<StoredFile, ApiError> {
    let drive = state.drive.clone();
    let stream = body.into_data_stream();
    // Its own task: dropping this request (the client left) must not stop the bytes that did arrive
    // from being stored and acknowledged.
    let task = tokio::spawn(async move { drive.append(owner, id, offset, stream, checksum).await });
    Ok(task
        .await
        .map_err(|e| ApiError::Internal(format!("the upload task failed: {e}")))??)
}

/// Where an upload stands: `Upload-Offset`, `Upload-Length`, `Upload-Metadata`, `Upload-Expires`.
#[utoipa::path(head, path = "/api/v1/files/tus/{id}", tag = "tus", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The upload's offset in `Upload-Offset`"), (status = 404, description = "No such upload of yours"), (status = 410, description = "Expired")))]
async fn head(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    let file = state.drive.file(owner(&caller), id).await?;
    if file.state == FileState::Uploading
        && file
            .expires_at
            .is_some_and(|at| at <= hearth_core::time::unix_now())
    {
        return Err(ApiError::Gone("the upload expired".into()));
    }
    let mut response = StatusCode::OK.into_response();
    upload_headers(&file, &mut response);
    let headers = response.headers_mut();
    if let Some(length) = file.length {
        headers.insert("upload-length", HeaderValue::from(length));
    }
    if let Some(metadata) = file
        .upload_metadata
        .as_deref()
        .and_then(|m| HeaderValue::from_str(m).ok())
    {
        headers.insert("upload-metadata", metadata);
    }
    Ok(response)
}

/// Appends bytes at `Upload-Offset` (`Content-Type: application/offset+octet-stream`), checked
/// against `Upload-Checksum` when sent (460 on a mismatch, and nothing is kept).
#[utoipa::path(patch, path = "/api/v1/files/tus/{id}", tag = "tus", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "application/offset+octet-stream", description = "The next bytes"),
    responses((status = 204, description = "Stored; the new offset in `Upload-Offset`"),
        (status = 400, description = "No Upload-Offset, or an unknown checksum algorithm", body = ErrorBody),
        (status = 404, description = "No such upload of yours", body = ErrorBody),
        (status = 409, description = "Upload-Offset is not where the upload stands", body = ErrorBody),
        (status = 410, description = "Expired", body = ErrorBody),
        (status = 413, description = "Past Upload-Length", body = ErrorBody),
        (status = 415, description = "Wrong Content-Type", body = ErrorBody),
        (status = 460, description = "Checksum mismatch", body = ErrorBody)))]
async fn patch(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    if text(&headers, "content-type") != Some(OFFSET_OCTET_STREAM) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "a PATCH body must be {OFFSET_OCTET_STREAM}"
        )));
    }
    let offset = number(&headers, "upload-offset")?
        .ok_or_else(|| ApiError::BadRequest("Upload-Offset is required".into()))?;
    let checksum = text(&headers, "upload-checksum")
        .map(Checksum::parse)
        .transpose()?;
    let file = append(&state, owner(&caller), id, offset, body, checksum).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    upload_headers(&file, &mut response);
    Ok(response)
}

/// Ends an upload and deletes what it stored (termination); on a finished upload, deletes the file.
#[utoipa::path(delete, path = "/api/v1/files/tus/{id}", tag = "tus", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Terminated"), (status = 404, description = "No such upload of yours", body = ErrorBody)))]
async fn terminate(
    State(state): State<AppState>,
    ActiveUser(caller): ActiveUser,
    ApiPath(id): ApiPath<FileId>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    require_tus(&headers)?;
    state.drive.delete(owner(&caller), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_base64_values() {
        let pairs = metadata("filename cmVwb3J0LnBkZg==,is_confidential, folder_id ").unwrap();
        assert_eq!(pairs[0], ("filename".into(), "report.pdf".into()));
        assert_eq!(pairs[1], ("is_confidential".into(), String::new()));
        assert!(metadata("filename ***").is_err());
    }
}
