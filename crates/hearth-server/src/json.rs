//! `ApiJson<T>`: a JSON body extractor whose every rejection is a `{"detail": …}` 4xx naming the
//! problem (and the field, when there is one), followed by `validator` rules.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::ApiError;

/// Largest JSON body the API accepts (uploads have their own limits).
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// A request body of at most `LIMIT` bytes, parsed as JSON and validated.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T, const LIMIT: usize = MAX_JSON_BODY>(pub T);

impl<S, T, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        // Refuse by the announced size before touching the body, so a client that sent
        // `Expect: 100-continue` gets the 413 instead of an invitation to upload.
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if announced.is_some_and(|length| length > LIMIT as u64) {
            return Err(too_large(LIMIT));
        }
        // Every other answer comes after the (size-limited) body has been read: answering first
        // would close the connection under a client that is still sending, which then sees a reset
        // instead of the error.
        let json = is_json(&request);
        let bytes = axum::body::to_bytes(request.into_body(), LIMIT)
            .await
            .map_err(|error| {
                if is_length_limit(&error) {
                    too_large(LIMIT)
                } else {
                    ApiError::BadRequest(format!("could not read the request body: {error}"))
                }
            })?;
        if !json {
            return Err(ApiError::UnsupportedMediaType(
                "expected a JSON body with Content-Type: application/json".into(),
            ));
        }
        validated(parse(&bytes)?).map(Self)
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "request body is too large (the limit is {} KiB)",
        limit / 1024
    ))
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn is_json(request: &Request) -> bool {
    let Some(content_type) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, naming the field at fault: a syntax error is 400, a well-formed body of the wrong
/// shape is 422.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; expected a JSON object".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data if path == "." => ApiError::Unprocessable(message),
            serde_json::error::Category::Data => {
                ApiError::Unprocessable(format!("{path}: {message}"))
            }
            _ => ApiError::BadRequest(format!("malformed JSON: {message}")),
        }
    })?;
    deserializer.end().map_err(|e| {
        ApiError::BadRequest(format!(
            "malformed JSON: {}",
            strip_position(&e.to_string())
        ))
    })?;
    Ok(value)
}

/// Applies a value's `validator` rules, naming each field that breaks one.
pub fn validated<T: Validate>(value: T) -> Result<T, ApiError> {
    value
        .validate()
        .map_err(|errors| ApiError::Unprocessable(describe(&errors)))?;
    Ok(value)
}

/// For PATCH bodies: an absent field is `None`, `null` is `Some(None)`, a value is `Some(Some(v))`.
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// serde_json appends " at line 1 column 7"; keep it for syntax errors only, where it helps.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i)
            if message.contains("expected")
                && !message.contains("EOF")
                && message.starts_with("invalid") =>
        {
            message[..i].to_owned()
        }
        Some(i)
            if message.starts_with("missing field") || message.starts_with("unknown variant") =>
        {
            message[..i].to_owned()
        }
        _ => message.to_owned(),
    }
}

/// "email: must be a valid email address; password: must be at least 8 characters"
fn describe(errors: &ValidationErrors) -> String {
    let mut parts = Vec::new();
    collect(errors, "", &mut parts);
    parts.join("; ")
}

fn collect(errors: &ValidationErrors, prefix: &str, parts: &mut Vec<String>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_deref()
                        .map_or_else(|| error.code.to_string(), str::to_owned);
                    parts.push(format!("{path}: {message}"));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, parts),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), parts);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Body {
        #[validate(length(max = 5, message = "must be at most 5 characters"))]
        name: String,
        #[allow(dead_code)]
        age: u32,
    }

    fn message(result: Result<Body, ApiError>) -> (StatusCode, String) {
        let err = result.unwrap_err();
        (err.status(), err.to_string())
    }

    #[test]
    fn errors_name_the_field_and_pick_the_status() {
        assert_eq!(
            message(parse(br#"{"name": 5, "age": 1}"#)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "name: invalid type: integer `5`, expected a string".into()
            )
        );
        assert_eq!(
            message(parse(br#"{"name": "x"}"#)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing field `age`".into()
            )
        );
        let (status, text) = message(parse(br#"{"name": "x", "#));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.starts_with("malformed JSON"), "{text}");
        assert_eq!(message(parse(b"  ")).0, StatusCode::BAD_REQUEST);
        assert_eq!(
            message(parse(br#"[1, 2]"#)).0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            message(parse(br#"{"name": "x", "age": 1} trailing"#)).0,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn validation_messages_name_the_field() {
        let body: Body = parse(br#"{"name": "too long", "age": 1}"#).unwrap();
        let errors = body.validate().unwrap_err();
        assert_eq!(describe(&errors), "name: must be at most 5 characters");
    }
}
