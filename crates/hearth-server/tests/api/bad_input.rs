//! Bad input of every kind gets a JSON 4xx that says what is wrong, never a 500.

use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};

use crate::support::{TestApp, expect_error};

struct Case {
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    /// A fragment the `detail` must contain.
    says: &'static str,
}

fn case(
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
    says: &'static str,
) -> Case {
    Case {
        method,
        path,
        content_type,
        body: body.into(),
        status,
        says,
    }
}

async fn bad_input_gets_a_json_4xx_naming_the_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let json = Some("application/json");
    let signup = "/api/v1/auths/signup";
    let long_name = format!(
        r#"{{"name": "{}", "email": "x@example.org", "password": "password-1"}}"#,
        "n".repeat(300)
    );
    let huge = format!(
        r#"{{"email": "x@example.org", "password": "{}"}}"#,
        "p".repeat(2 * 1024 * 1024)
    );
    let cases = [
        case(
            Method::POST,
            signup,
            json,
            r#"{"email": "x@example.org", "#,
            StatusCode::BAD_REQUEST,
            "malformed JSON",
        ),
        case(
            Method::POST,
            signup,
            json,
            "",
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"{"email": 5, "password": "password-1"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "email: invalid type",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"{"email": "x@example.org", "password": ["a"]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password: invalid type",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"{"password": "password-1"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `email`",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"[1, 2]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid type",
        ),
        case(
            Method::POST,
            signup,
            json,
            long_name,
            StatusCode::UNPROCESSABLE_ENTITY,
            "name: must be at most 255",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"{"email": "not-an-email", "password": "password-1"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "email: must be a valid",
        ),
        case(
            Method::POST,
            signup,
            json,
            r#"{"email": "x@example.org", "password": "short"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password: must be 8 to 256",
        ),
        case(
            Method::POST,
            signup,
            json,
            huge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large",
        ),
        case(
            Method::POST,
            signup,
            Some("text/plain"),
            r#"{"email": "x@example.org"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        case(
            Method::POST,
            signup,
            None,
            r#"{"email": "x@example.org"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        case(
            Method::POST,
            "/api/v1/auths/signin",
            json,
            r#"{"email": "", "password": ""}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "email: must be 1 to 254",
        ),
        case(
            Method::GET,
            "/api/v1/no-such-thing",
            None,
            "",
            StatusCode::NOT_FOUND,
            "no route for GET /api/v1/no-such-thing",
        ),
        case(
            Method::DELETE,
            "/health",
            None,
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        ),
        case(
            Method::GET,
            "/api/v1/users/?limit=abc",
            None,
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid query string",
        ),
        case(
            Method::GET,
            "/api/v1/users/?limit=0",
            None,
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit: must be 1 to 500",
        ),
        case(
            Method::PATCH,
            "/api/v1/users/00000000-0000-7000-8000-000000000000",
            json,
            r#"{"role": "emperor"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "role: unknown variant `emperor`",
        ),
        case(
            Method::POST,
            "/api/v1/auths/api_key",
            json,
            r#"{"name": 7}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "name: invalid type",
        ),
        case(
            Method::DELETE,
            "/api/v1/auths/api_keys/123",
            None,
            "",
            StatusCode::NOT_FOUND,
            "invalid path parameter",
        ),
    ];
    for case in cases {
        let mut request = app
            .client
            .request(case.method.clone(), app.url(case.path))
            .bearer_auth(&admin)
            .body(case.body);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        let detail = expect_error(response, case.status).await;
        assert!(
            detail.contains(case.says),
            "{} {}: {detail:?} does not contain {:?}",
            case.method,
            case.path,
            case.says
        );
    }
    // Nothing was half-written: the only account is still the admin.
    let users: serde_json::Value = app
        .get("/api/v1/users/", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 1);
}

each_backend!(bad_input_gets_a_json_4xx_naming_the_problem);
