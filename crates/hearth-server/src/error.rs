//! The HTTP layer's one error type: each variant is a status with a message fit for the caller, except
//! `Internal`, whose cause is logged and never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_core::seams::SeamError;
use hearth_db::DbError;
use hearth_storage::DriveError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub detail: String,
}

/// An error that ends a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or credentials that do not identify anyone.
    #[error("{0}")]
    Unauthorized(String),
    /// A known caller who may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// The thing existed but is gone for good (an expired upload).
    #[error("{0}")]
    Gone(String),
    /// A required precondition header is missing or unsupported (`Tus-Resumable`).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The range asked for lies outside the content; the size goes into `Content-Range`.
    #[error("the requested range is outside the {size}-byte content")]
    RangeNotSatisfiable { size: u64 },
    /// The body does not match the checksum the client sent (tus checksum extension: 460).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// Well-formed input that breaks a rule (missing field, wrong type, too long…).
    #[error("{0}")]
    Unprocessable(String),
    /// The caller went past a rate limit; `retry_after` seconds until the window turns.
    #[error("too many requests: {limit}; retry in {retry_after} s")]
    TooManyRequests { limit: String, retry_after: u64 },
    /// A dependency (the database…) cannot serve right now; retrying later may work.
    #[error("{0}")]
    ServiceUnavailable(String),
    /// A model server (or another upstream) failed or answered with an error.
    #[error("{0}")]
    BadGateway(String),
    /// A model server (or another upstream) did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    /// A bug or an unexpected failure; the message is logged, the caller sees a generic text.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::ChecksumMismatch(_) => {
                StatusCode::from_u16(460).expect("460 is a valid status code")
            }
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error; the server log has the details".to_owned()
            }
            ApiError::ServiceUnavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                cause.clone()
            }
            other => other.to_string(),
        };
        let mut response = (status, Json(ErrorBody { detail })).into_response();
        if let ApiError::RangeNotSatisfiable { size } = &self
            && let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        if let ApiError::TooManyRequests { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Conflict(message) => ApiError::Conflict(message),
            DbError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            DbError::QuotaExceeded { used, quota } => ApiError::PayloadTooLarge(format!(
                "the storage quota is exceeded: {} of {} used",
                megabytes(used),
                megabytes(quota)
            )),
            DbError::PoolTimeout => {
                ApiError::ServiceUnavailable("the database is busy; try again shortly".into())
            }
            DbError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                ApiError::ServiceUnavailable("the database is unavailable".into())
            }
            DbError::Corrupt(_) | DbError::Other(_) => ApiError::Internal(error.to_string()),
        }
    }
}

/// Bytes as megabytes with one decimal, for people.
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

impl From<DriveError> for ApiError {
    fn from(error: DriveError) -> Self {
        match error {
            DriveError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            DriveError::Expired => ApiError::Gone(error.to_string()),
            DriveError::OffsetMismatch { .. } | DriveError::Conflict(_) => {
                ApiError::Conflict(error.to_string())
            }
            DriveError::TooLarge(message) => ApiError::PayloadTooLarge(message),
            DriveError::QuotaExceeded {
                used,
                quota,
                needed,
            } => ApiError::PayloadTooLarge(format!(
                "the storage quota is exceeded: {} of {} used, {} more needed",
                megabytes(used),
                megabytes(quota),
                megabytes(needed)
            )),
            DriveError::UnsupportedType(message) => ApiError::UnsupportedMediaType(message),
            DriveError::Invalid(message) => ApiError::Unprocessable(message),
            DriveError::BadRequest(message) => ApiError::BadRequest(message),
            DriveError::BodyEnded(_) => ApiError::BadRequest(error.to_string()),
            DriveError::ChecksumMismatch => ApiError::ChecksumMismatch(error.to_string()),
            DriveError::Database(db) => db.into(),
            DriveError::Storage(SeamError::NotFound(key)) => {
                ApiError::Internal(format!("a stored object is missing: {key}"))
            }
            DriveError::Storage(cause) => {
                tracing::error!(%cause, "file storage unavailable");
                ApiError::ServiceUnavailable("the file storage is unavailable".into())
            }
        }
    }
}

/// The status a backend failure is answered with: 504 for time-outs, 502 for failing upstreams.
pub fn seam_status(error: &SeamError) -> StatusCode {
    match error {
        SeamError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        SeamError::Upstream { .. } | SeamError::Unavailable { .. } | SeamError::Backend(_) => {
            StatusCode::BAD_GATEWAY
        }
        SeamError::NotFound(_) => StatusCode::NOT_FOUND,
        SeamError::Invalid(_) => StatusCode::BAD_REQUEST,
    }
}

impl From<SeamError> for ApiError {
    fn from(error: SeamError) -> Self {
        match error {
            SeamError::Timeout { .. } => ApiError::GatewayTimeout(error.to_string()),
            SeamError::Upstream { .. } | SeamError::Unavailable { .. } | SeamError::Backend(_) => {
                ApiError::BadGateway(error.to_string())
            }
            SeamError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            SeamError::Invalid(why) => ApiError::BadRequest(why),
        }
    }
}

impl From<hearth_rag::RagError> for ApiError {
    fn from(error: hearth_rag::RagError) -> Self {
        match error {
            hearth_rag::RagError::Document(reason) => ApiError::Unprocessable(reason),
            hearth_rag::RagError::Service(reason) => ApiError::BadGateway(reason),
            hearth_rag::RagError::Seam(error) => error.into(),
            hearth_rag::RagError::Database(error) => error.into(),
        }
    }
}
