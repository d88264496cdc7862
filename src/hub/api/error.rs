//! Every error the hub API answers, mapped to its HTTP status in this one place.
//! Bodies are `{"error": "...", "code": "...", "details": [...]}`; internals go to the log only.

use crate::fleet::codec::CodecError;
use crate::hub::auth::AuthError;
use crate::hub::db::DbError;
use crate::hub::intake::IntakeError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// An API failure with the status it answers.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// Field paths or further explanation.
        details: Vec<String>,
    },
    /// 401: no or malformed credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: valid-looking credentials that do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0}")]
    NotFound(String),
    /// 409: it exists already.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large, sent or decoded.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a content encoding we do not speak.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well formed, but not acceptable now (clock skew, too old).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: the database is unreachable; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug; the detail is logged, never sent.
    #[error("{0}")]
    Internal(String),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    code: &'a str,
    details: &'a [String],
}

impl ApiError {
    /// A 400 naming the field at fault.
    pub fn bad_request(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            details: vec![detail.into()],
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unprocessable(_) => "unprocessable",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (error, details): (String, &[String]) = match self {
            Self::BadRequest { message, details } => (message.clone(), details),
            Self::Internal(detail) => {
                log::error!("internal error: {detail}");
                ("internal error; the hub log has the details".into(), &[])
            }
            Self::Unavailable(detail) => {
                log::warn!("answering 503: {detail}");
                ("database unavailable; retry later".into(), &[])
            }
            other => (other.to_string(), &[]),
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header(("Retry-After", "5"));
        }
        response.json(ErrorBody {
            error,
            code: self.code(),
            details,
        })
    }
}

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
            | AuthError::WrongAdminKey => Self::Forbidden(e.to_string()),
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
            CodecError::Encode(detail) => Self::Internal(detail.clone()),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        let field = match &e {
            IntakeError::WrongRig { .. } => return Self::Forbidden(e.to_string()),
            IntakeError::FromTheFuture { .. } | IntakeError::TooOld { .. } => {
                return Self::Unprocessable(e.to_string())
            }
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
