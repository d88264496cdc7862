//! HTTP plumbing both APIs (hub and rig) share: every error they answer, mapped to its status in
//! this one place, and the JSON-body and unknown-route handlers. Bodies are
//! `{"error": "...", "code": "...", "details": [...]}`; internals go to the log only. Credentials
//! (secrets that never print, the bearer token) are read in [`credentials`] for both.

mod credentials;
pub mod csv;
pub mod metrics;

pub use credentials::{basic_password, bearer_token, NoToken, Secret};

/// Bytes as lower-case hex: keys, tokens, hashes and entity tags, on both servers.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
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
    /// 405: the route exists, not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: it exists already.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large, sent or decoded.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a content encoding we do not speak.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well formed, but not acceptable now (too old).
    #[error("{0}")]
    Unprocessable(String),
    /// 422 with code `clock_skew`: the sender's clock is off; a rig keeps the thing and retries
    /// once its clock is right, never dropping it.
    #[error("{0}")]
    ClockSkew(String),
    /// 429: too many requests; retry after this many seconds.
    #[error("{message}")]
    TooManyRequests {
        /// What was too many.
        message: String,
        /// Seconds to wait (`Retry-After`).
        retry_after_secs: u64,
    },
    /// 503: a dependency (the database) is unreachable; retry later.
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
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unprocessable(_) => "unprocessable",
            Self::ClockSkew(_) => "clock_skew",
            Self::TooManyRequests { .. } => "too_many_requests",
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
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) | Self::ClockSkew(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (error, details): (String, &[String]) = match self {
            Self::BadRequest { message, details } => (message.clone(), details),
            Self::Internal(detail) => {
                log::error!("internal error: {detail}");
                ("internal error; the server log has the details".into(), &[])
            }
            Self::Unavailable(detail) => {
                log::warn!("answering 503: {detail}");
                ("temporarily unavailable; retry later".into(), &[])
            }
            other => (other.to_string(), &[]),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable(_) => {
                response.insert_header(("Retry-After", "5"));
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header(("Retry-After", retry_after_secs.max(&1).to_string()));
            }
            _ => {}
        }
        response.json(ErrorBody {
            error,
            code: self.code(),
            details,
        })
    }
}

/// The JSON extractor's errors as API errors: 413 too large, 415 wrong type, 400 bad JSON.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!("request body exceeds {limit} bytes")).into()
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send Content-Type: application/json".into()).into()
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request(format!("invalid JSON: {e}"), "body").into()
        }
        other => ApiError::bad_request(format!("could not read body: {other}"), "body").into(),
    }
}

/// The client's address as this server saw it (`-` when unknown), for logs and the audit trail.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "-".to_owned(), |a| a.ip().to_string())
}

/// A rendered askama page as an HTML response with this status; never cached, as its figures move.
pub fn html_page(
    status: StatusCode,
    page: &impl askama::Template,
) -> Result<HttpResponse, ApiError> {
    let html = page
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    let mut response = HttpResponse::build(status);
    html_headers(&mut response);
    Ok(response.body(html))
}

/// What a page may load: nothing but itself, with inline styles and no script at all (the pages
/// have none), and it may not be framed — a signed-in dashboard cannot be click-jacked.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers every HTML page of both servers carries: its type, no caching, and the security
/// headers (CSP, no framing, no referrer, no sniffing).
pub fn html_headers(response: &mut actix_web::HttpResponseBuilder) {
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
}

/// A path whose id does not parse names nothing: 404 in the API's shape (never a 500, whatever
/// bytes the path carries).
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!("nothing at {}: {err}", req.path())).into()
}

/// A query string that does not read (a repeated or malformed parameter): 400 in the API's shape.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(format!("invalid query string: {err}"), "query").into()
}

/// 404 for a path that names no route, and 405 for a route asked with a method it does not take
/// (TRACE, or DELETE on a GET route), in the API's error shape.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.match_pattern().is_some() {
        return Err(ApiError::MethodNotAllowed(format!(
            "{} is not allowed on {}",
            req.method(),
            req.path()
        )));
    }
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
