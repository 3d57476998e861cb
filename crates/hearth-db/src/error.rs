//! The data layer's error type: failures classified so the HTTP layer can pick a status.

use sea_orm::{ConnAcquireErr, DbErr, SqlErr};

/// A data-layer failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A uniqueness or business rule was violated; the message is fit to show to the caller.
    #[error("{0}")]
    Conflict(String),
    /// The thing to act on does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Storing this would take the user past their storage quota (bytes).
    #[error("the storage quota is exceeded: {used} of {quota} bytes are used")]
    QuotaExceeded { used: u64, quota: u64 },
    /// No connection became free within `DATABASE_POOL_TIMEOUT`.
    #[error("the database is busy: no connection became free in time")]
    PoolTimeout,
    /// The database cannot be reached.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored value that Hearth cannot read (e.g. an unknown role); a bug or a manual edit.
    #[error("unreadable row: {0}")]
    Corrupt(String),
    /// Anything else; logged, never shown to callers.
    #[error("database error: {0}")]
    Other(DbErr),
}

impl From<DbErr> for DbError {
    fn from(error: DbErr) -> Self {
        match &error {
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => DbError::PoolTimeout,
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => DbError::Unavailable(error.to_string()),
            _ => match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    DbError::Conflict("that already exists".into())
                }
                _ => DbError::Other(error),
            },
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut => DbError::PoolTimeout,
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed => {
                DbError::Unavailable(error.to_string())
            }
            other => DbError::Other(DbErr::Custom(other.to_string())),
        }
    }
}

impl DbError {
    /// Replaces the generic message of a uniqueness violation with one that names what collided.
    pub(crate) fn on_conflict(self, message: &str) -> Self {
        match self {
            DbError::Conflict(_) => DbError::Conflict(message.to_owned()),
            other => other,
        }
    }
}
