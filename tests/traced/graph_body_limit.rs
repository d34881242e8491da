//! The client reads at most `max_response_bytes` of a response body: a server
//! that streams without end (chunked) or announces a huge `Content-Length`
//! ends the call with a clear error, sent once, instead of filling memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, RetryPolicy};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the scripted server answers Graph calls (the token call is always fine).
#[derive(Clone, Copy)]
enum Body {
    /// Chunked, `n` bytes of a JSON string, no length announced.
    Chunked(usize),
    /// `Content-Length` of a terabyte, then a few bytes.
    Announced,
}

/// Start a one-request-per-connection server; returns its base URL and the
/// number of Graph (non-token) requests it saw.
async fn serve(body: Body) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let graph_calls = Arc::new(AtomicUsize::new(0));
    let seen = graph_calls.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let head = loop {
                    match sock.read(&mut tmp).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&tmp[..n]),
                    }
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break String::from_utf8_lossy(&buf[..p]).to_string();
                    }
                };
                if head.contains("/oauth2/v2.0/token") {
                    let json = r#"{"token_type":"Bearer","expires_in":3599,"access_token":"t"}"#;
                    let out = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    );
                    let _ = sock.write_all(out.as_bytes()).await;
                    return;
                }
                seen.fetch_add(1, Ordering::SeqCst);
                match body {
                    Body::Announced => {
                        let out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\nConnection: close\r\n\r\n{\"value\":[";
                        let _ = sock.write_all(out.as_bytes()).await;
                    }
                    Body::Chunked(n) => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                        if sock.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let chunk = vec![b'a'; 64 * 1024];
                        let mut sent = 0;
                        let _ = sock.write_all(b"9\r\n{\"big\":\"x\r\n").await;
                        while sent < n {
                            let frame = format!("{:x}\r\n", chunk.len());
                            if sock.write_all(frame.as_bytes()).await.is_err()
                                || sock.write_all(&chunk).await.is_err()
                                || sock.write_all(b"\r\n").await.is_err()
                            {
                                return;
                            }
                            sent += chunk.len();
                        }
                        let _ = sock.write_all(b"2\r\n\"}\r\n0\r\n\r\n").await;
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    (base, graph_calls)
}

fn client(base: &str, max_response_bytes: usize) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "app-1".into(),
        cloud: Cloud::custom(base).unwrap(),
        credential: Credential::Secret(SecretString::from("s")),
    };
    let options = ClientOptions {
        retry: RetryPolicy::fast(),
        max_response_bytes,
        ..ClientOptions::default()
    };
    GraphClient::new(auth, options).unwrap()
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_ends_the_call_once() {
    let (base, calls) = serve(Body::Chunked(3 << 20)).await;
    let c = client(&base, 1 << 20);
    let e = c
        .get_json::<serde_json::Value>("/users")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not retried");
    // Under the limit the same server's body is read whole.
    let (base, _) = serve(Body::Chunked(256 << 10)).await;
    let v: serde_json::Value = client(&base, 1 << 20).get_json("/users").await.unwrap();
    assert!(v["big"].as_str().unwrap().len() > 256 << 10);
}

#[tokio::test]
async fn an_announced_huge_body_is_not_read() {
    let (base, calls) = serve(Body::Announced).await;
    let e = client(&base, 1 << 20)
        .get_json::<serde_json::Value>("/users")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not retried");
}
