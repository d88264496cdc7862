//! How the hub's own errors map onto the shared [`ApiError`] (see `crate::web`).

use crate::fleet::codec::CodecError;
use crate::hub::auth::AuthError;
use crate::hub::db::DbError;
use crate::hub::intake::IntakeError;
pub use crate::web::ApiError;

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(detail) => Self::Unavailable(detail),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Malformed => Self::Unauthorized(e.to_string()),
            AuthError::UnknownKey
            | AuthError::WrongKey
            | AuthError::Revoked(_)
            | AuthError::RigMismatch { .. }
            | AuthError::RigKeyOnAdminEndpoint
            | AuthError::RoleTooLow { .. }
            | AuthError::WrongAdminKey => Self::Forbidden(e.to_string()),
            AuthError::RepeatedRigId(_) => Self::bad_request(e.to_string(), "X-Rig-ID"),
            AuthError::KeyIdThrottled(wait)
            | AuthError::RigRateLimited { wait, .. }
            | AuthError::UserRateLimited { wait, .. } => Self::TooManyRequests {
                message: e.to_string(),
                retry_after_secs: wait.as_secs_f64().ceil() as u64,
            },
            AuthError::Db(db) => db.into(),
            AuthError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<CodecError> for ApiError {
    fn from(e: CodecError) -> Self {
        match &e {
            CodecError::UnsupportedEncoding(_) => Self::UnsupportedMediaType(e.to_string()),
            CodecError::TooLarge { .. } | CodecError::WindowTooLarge => {
                Self::PayloadTooLarge(e.to_string())
            }
            CodecError::Corrupt(_) => Self::bad_request(e.to_string(), "body"),
            CodecError::Json { path, message } => {
                Self::bad_request(format!("invalid JSON: {message}"), path.clone())
            }
            CodecError::Nul { path } => Self::bad_request(e.to_string(), path.clone()),
            CodecError::TooDeep { .. } => Self::bad_request(e.to_string(), "body"),
            CodecError::Encode(detail) => Self::Internal(detail.clone()),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        let field = match &e {
            IntakeError::WrongRig { .. } => return Self::Forbidden(e.to_string()),
            IntakeError::FromTheFuture { .. } => return Self::ClockSkew(e.to_string()),
            IntakeError::TooOld { .. } => return Self::Unprocessable(e.to_string()),
            IntakeError::BadId(_) => "id",
            IntakeError::RiskTooLow(_) => "advisory.risk_level",
            IntakeError::EmptyHistory => "history_window",
            IntakeError::BadValue { field, .. } => field,
        };
        Self::bad_request(e.to_string(), field)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(format!("blocking task failed: {e}"))
    }
}
