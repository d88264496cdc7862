//! Request bodies read under a limit, and JSON responses compressed when the client accepts it.

use super::ApiError;
use crate::fleet::codec::{self, Encoding};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Read a body of at most `max_sent` bytes as sent, and decode it (zstd or plain) into `T`
/// with at most `max_decoded` bytes after decompression. Decoding runs off the async threads.
pub async fn read_json<T: DeserializeOwned + Send + 'static>(
    req: &HttpRequest,
    mut payload: web::Payload,
    max_sent: usize,
    max_decoded: usize,
) -> Result<T, ApiError> {
    let encoding = Encoding::from_content_encoding(
        req.headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    )?;
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "request body exceeds the limit of {max_sent} bytes as sent"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_sent) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024).min(max_sent));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(format!("could not read body: {e}"), "body"))?;
        if body.len() + chunk.len() > max_sent {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    Ok(web::block(move || codec::decode_json::<T>(&body, encoding, max_decoded)).await??)
}

/// A JSON response with `status`, zstd-compressed when the request's `Accept-Encoding` allows.
pub fn json_response<T: Serialize + ?Sized>(
    req: &HttpRequest,
    status: StatusCode,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    encoded_response(req, HttpResponse::build(status), |w| {
        serde_json::to_writer(w, value).map_err(Into::into)
    })
}

/// A response whose JSON body is `pieces` in order, streamed in chunks and compressed when the
/// request allows: for large answers assembled from stored JSON, never held whole.
pub fn streamed_response<I>(
    req: &HttpRequest,
    mut response: actix_web::HttpResponseBuilder,
    pieces: I,
) -> Result<HttpResponse, ApiError>
where
    I: Iterator<Item = Vec<u8>> + 'static,
{
    let encoding = negotiate(req, &mut response);
    let chunks = codec::Chunks::new(encoding, pieces)?;
    Ok(response.streaming(futures_util::stream::iter(
        chunks.map(|chunk| chunk.map(actix_web::web::Bytes::from)),
    )))
}

/// A response whose JSON body `write` produces, compressed when the request allows.
fn encoded_response(
    req: &HttpRequest,
    mut response: actix_web::HttpResponseBuilder,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<HttpResponse, ApiError> {
    let encoding = negotiate(req, &mut response);
    let bytes = codec::encode_with(encoding, write)?;
    Ok(response.body(bytes))
}

/// The encoding the request accepts, with the JSON response headers that go with it.
fn negotiate(req: &HttpRequest, response: &mut actix_web::HttpResponseBuilder) -> Encoding {
    let encoding = Encoding::from_accept_encoding(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    response
        .content_type("application/json")
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(name) = encoding.header_value() {
        response.insert_header((header::CONTENT_ENCODING, name));
    }
    encoding
}
