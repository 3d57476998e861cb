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
    for (index, case) in cases.into_iter().enumerate() {
        let mut request = app
            .client
            .request(case.method.clone(), app.url(case.path))
            .bearer_auth(&admin)
            .body(case.body);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let sent = request.send().await;
        let response = sent.unwrap_or_else(|e| {
            panic!(
                "case {index}: {} {} {:?}: {e:?}",
                case.method, case.path, case.content_type
            )
        });
        let detail = expect_error(response, case.status).await;
        assert!(
            detail.contains(case.says),
            "{} {}: {detail:?} does not contain {:?}",
            case.method,
            case.path,
            case.says
        );
    }
    assert!(
        oversized_body_is_refused_before_it_is_sent(&app)
            .await
            .contains("413 Payload Too Large")
    );
    // Nothing was half-written: the only account is still the admin.
    let users: serde_json::Value = app
        .get("/api/v1/users/", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 1);
}

/// Announces a 2 MiB JSON body with `Expect: 100-continue`, as clients sending large bodies do, and
/// returns the answer that arrives instead of `100 Continue`. (Sending the body unasked races with
/// the server closing a socket with unread data, whose RST may destroy the response.)
async fn oversized_body_is_refused_before_it_is_sent(app: &TestApp) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/auths/signup HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // hyper may send `100 Continue` while it drains the refused body; the final answer follows it.
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("too large") {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buffer))
                .await
                .expect("an answer within 10 s")
                .unwrap();
        assert!(
            read > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

each_backend!(bad_input_gets_a_json_4xx_naming_the_problem);
