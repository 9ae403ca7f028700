//! The site check's one HTTP request, framed by `hyper` over the TLS stream that
//! [`super::connect`] records: HTTP/2 when the server chose `h2` by ALPN, else HTTP/1.1. This
//! module never words a diagnosis; it returns what the server answered, or how the exchange
//! failed in terms the diagnosis can tell apart (a TLS alert, an HTTP/2 stream reset, a
//! renegotiation request, anything else).

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::transport::find_in_chain;

/// Bytes of the body read at most; the check keeps a short excerpt.
const MAX_BODY_BYTES: usize = 8 * 1024;
/// Characters of body kept in the transcript.
const EXCERPT_CHARS: usize = 300;
/// How often a waiting TLS 1.2 exchange looks whether the server asked to renegotiate.
const RENEGOTIATION_POLL: Duration = Duration::from_millis(250);
/// How long the server must stay silent after its last record before that record is taken
/// for a renegotiation request (HelloRequest) and not the start of a slow answer.
const RENEGOTIATION_QUIET: Duration = Duration::from_secs(1);
/// A HelloRequest is one small encrypted record (25–80 bytes by cipher suite); more bytes
/// without any page are the start of an answer.
const RENEGOTIATION_MAX_BYTES: u64 = 128;
/// The error detail when the server asked to renegotiate (the per-page re-checks follow).
pub(crate) const RENEGOTIATION_REQUESTED: &str =
    "the server asked to renegotiate the connection (TLS 1.2) to request a certificate for this page, which certdesk does not do in the first request";

/// The HTTP version the exchange used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/1.1 (ALPN `http/1.1`, or no ALPN answer).
    Http11,
    /// HTTP/2 (ALPN `h2`).
    Http2,
}

impl HttpVersion {
    /// From the protocol the server chose by ALPN.
    pub fn from_alpn(alpn: Option<&[u8]>) -> HttpVersion {
        match alpn {
            Some(b"h2") => HttpVersion::Http2,
            _ => HttpVersion::Http11,
        }
    }

    /// `HTTP/1.1` or `HTTP/2`, as the transcript records it.
    pub fn name(self) -> &'static str {
        match self {
            HttpVersion::Http11 => "HTTP/1.1",
            HttpVersion::Http2 => "HTTP/2",
        }
    }
}

/// What the request asks for.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The `Host` header / `:authority` (host, and the port when not 443).
    pub authority: String,
    /// The normalised, percent-encoded path and query.
    pub path_and_query: String,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The start of the body as text, trimmed; `None` when empty.
    pub excerpt: Option<String>,
}

/// How the exchange failed.
#[derive(Debug)]
pub struct Failure {
    /// The error in the libraries' words.
    pub detail: String,
    /// The TLS alert the server sent, when that was the cause.
    pub alert: Option<rustls::AlertDescription>,
    /// The HTTP/2 error code of a stream or connection reset (`HTTP_1_1_REQUIRED`, …).
    pub http2_reset: Option<String>,
}

impl Failure {
    fn plain(detail: impl Into<String>) -> Failure {
        Failure {
            detail: detail.into(),
            alert: None,
            http2_reset: None,
        }
    }

    fn from_error(e: &(dyn std::error::Error + 'static)) -> Failure {
        let alert = match find_in_chain::<rustls::Error>(e) {
            Some(rustls::Error::AlertReceived(alert)) => Some(*alert),
            _ => None,
        };
        let h2 = find_in_chain::<h2::Error>(e);
        Failure {
            detail: chain_text(e),
            alert: alert.or_else(|| {
                match h2
                    .and_then(h2::Error::get_io)
                    .and_then(|io| find_in_chain::<rustls::Error>(io))
                {
                    Some(rustls::Error::AlertReceived(alert)) => Some(*alert),
                    _ => None,
                }
            }),
            http2_reset: h2.and_then(h2::Error::reason).map(|r| format!("{r:?}")),
        }
    }
}

/// The error and its causes, joined, without repeating a cause already contained in the text.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut current = e.source();
    while let Some(cause) = current {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        current = cause.source();
    }
    text
}

/// Watches the raw bytes a TLS 1.2 connection reads, to see a renegotiation request: rustls
/// declines one silently, and without this the check would wait until the time limit.
#[derive(Debug, Clone)]
pub struct RenegotiationWatch {
    /// Bytes read from the socket so far.
    pub read: Arc<AtomicU64>,
}

/// Whether bytes that came after the request, without any page, look like a renegotiation
/// request: one small record, then `RENEGOTIATION_QUIET` of silence.
fn looks_like_renegotiation(new_bytes: u64, quiet_for: Duration) -> bool {
    (1..=RENEGOTIATION_MAX_BYTES).contains(&new_bytes) && quiet_for >= RENEGOTIATION_QUIET
}

/// Sends one GET over `io` and reads the status and the start of the body.
pub async fn exchange<S>(
    io: S,
    version: HttpVersion,
    ask: &Ask,
    watch: Option<RenegotiationWatch>,
) -> Result<Answer, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let user_agent = concat!("certdesk/", env!("CARGO_PKG_VERSION"));
    let builder = match version {
        // HTTP/2 takes `:scheme` and `:authority` from an absolute URI and forbids `Host`
        // beside it (RFC 9113 §8.3.1).
        HttpVersion::Http2 => {
            hyper::Request::get(format!("https://{}{}", ask.authority, ask.path_and_query))
        }
        // One request per check: the server need not keep the connection open for more.
        HttpVersion::Http11 => hyper::Request::get(ask.path_and_query.as_str())
            .header(hyper::header::HOST, ask.authority.as_str())
            .header(hyper::header::CONNECTION, "close"),
    };
    let request = builder
        .header(hyper::header::USER_AGENT, user_agent)
        .header(hyper::header::ACCEPT, "*/*")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| Failure::plain(format!("the request could not be built: {e}")))?;
    let io = TokioIo::new(io);
    let response = match version {
        HttpVersion::Http2 => {
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(|e| Failure::from_error(&e))?;
            tokio::spawn(connection);
            await_response(sender.send_request(request), None).await?
        }
        HttpVersion::Http11 => {
            let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| Failure::from_error(&e))?;
            tokio::spawn(connection);
            let renegotiation_watched = watch.is_some();
            await_response(sender.send_request(request), watch)
                .await
                .map_err(|failure| {
                    // rustls declines the server's HelloRequest with a no_renegotiation
                    // warning, which hyper's writes flush; OpenSSL servers (Apache) then end
                    // the connection with handshake_failure. On a TLS 1.2 connection whose
                    // handshake asked for no certificate nothing else can fail a handshake.
                    if renegotiation_watched
                        && failure.alert == Some(rustls::AlertDescription::HandshakeFailure)
                    {
                        Failure::plain(format!(
                            "{RENEGOTIATION_REQUESTED} (it ended the connection with handshake_failure when certdesk declined)"
                        ))
                    } else {
                        failure
                    }
                })?
        }
    };
    let status = response.status().as_u16();
    Ok(Answer {
        status,
        excerpt: read_excerpt(response.into_body()).await,
    })
}

async fn await_response(
    response: impl Future<Output = hyper::Result<hyper::Response<Incoming>>>,
    watch: Option<RenegotiationWatch>,
) -> Result<hyper::Response<Incoming>, Failure> {
    let mut response = pin!(response);
    let Some(watch) = watch else {
        return response.await.map_err(|e| Failure::from_error(&e));
    };
    let baseline = watch.read.load(Ordering::Relaxed);
    let (mut seen, mut last_change) = (baseline, Instant::now());
    loop {
        match tokio::time::timeout(RENEGOTIATION_POLL, &mut response).await {
            Ok(result) => return result.map_err(|e| Failure::from_error(&e)),
            Err(_) => {
                let now = watch.read.load(Ordering::Relaxed);
                if now != seen {
                    (seen, last_change) = (now, Instant::now());
                }
                if looks_like_renegotiation(now - baseline, last_change.elapsed()) {
                    return Err(Failure::plain(RENEGOTIATION_REQUESTED));
                }
            }
        }
    }
}

/// Reads up to [`MAX_BODY_BYTES`] of the body. A body that breaks off (servers often close
/// without close_notify) keeps what arrived.
async fn read_excerpt(mut body: Incoming) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_BODY_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = MAX_BODY_BYTES - bytes.len();
                    bytes.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    excerpt(&bytes)
}

/// The first [`EXCERPT_CHARS`] characters of a body, trimmed; `None` when empty.
pub(crate) fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
    let excerpt = excerpt.trim();
    (!excerpt.is_empty()).then(|| excerpt.to_string())
}

/// Runs the exchange against a canned server that answers `server_bytes` (and then closes),
/// on an in-memory pipe: for the fuzz target and the unit tests of the response handling.
/// With `wait_for_request`, the server answers only after the client's writes pause for
/// 50 ms (an HTTP/2 reset of stream 1 must come after the request); the fuzz target answers
/// at once.
#[doc(hidden)]
pub fn exchange_with_canned_server(
    server_bytes: &[u8],
    version: HttpVersion,
    wait_for_request: bool,
) -> Result<Answer, Failure> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::plain(e.to_string()))?;
    let server_bytes = server_bytes.to_vec();
    runtime.block_on(async move {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            // Read what the client sends first (its request, or its HTTP/2 preface), so the
            // answer does not race the request; then answer and close.
            // An HTTP/2 client writes its preface first and the request after it.
            let mut sink = [0u8; 4096];
            while let (true, Ok(Ok(n))) = (
                wait_for_request,
                tokio::time::timeout(Duration::from_millis(50), server.read(&mut sink)).await,
            ) {
                if n == 0 {
                    break;
                }
            }
            let _ = server.write_all(&server_bytes).await;
            let _ = server.shutdown().await;
            // Keep reading until the client is done, so its writes do not fail early.
            while matches!(server.read(&mut sink).await, Ok(n) if n > 0) {}
        });
        let ask = Ask {
            authority: "site.example".into(),
            path_and_query: "/".into(),
        };
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            exchange(client, version, &ask, None),
        )
        .await
        .unwrap_or_else(|_| Err(Failure::plain("no answer within 5 s")));
        server.abort();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_record_then_silence_is_a_renegotiation_request() {
        let quiet = RENEGOTIATION_QUIET;
        // A HelloRequest record: 25–80 bytes by cipher suite, then nothing.
        assert!(looks_like_renegotiation(33, quiet));
        assert!(looks_like_renegotiation(80, quiet + Duration::from_secs(5)));
        // Nothing arrived: a slow server, not a renegotiation; wait for the time limit.
        assert!(!looks_like_renegotiation(0, quiet * 10));
        // A record still arriving, or just arrived: not yet.
        assert!(!looks_like_renegotiation(
            33,
            quiet - Duration::from_millis(1)
        ));
        // More than a small record without a page: the start of a slow answer.
        assert!(!looks_like_renegotiation(
            RENEGOTIATION_MAX_BYTES + 1,
            quiet * 10
        ));
    }

    #[test]
    fn an_http11_answer_yields_status_and_excerpt() {
        let answer = exchange_with_canned_server(
            b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 80\r\n\r\n<html><head><title>400 No required SSL certificate was sent</title></head></html>",
            HttpVersion::Http11,
            true,
        )
        .expect("answer");
        assert_eq!(answer.status, 400);
        assert!(answer
            .excerpt
            .as_deref()
            .is_some_and(|b| b.contains("No required SSL certificate was sent")));
    }

    #[test]
    fn a_body_cut_short_keeps_what_arrived() {
        // Content-Length promises more than comes before the close: the status and the
        // start of the body still count (servers close without close_notify).
        let answer = exchange_with_canned_server(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhello",
            HttpVersion::Http11,
            true,
        )
        .expect("answer");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.excerpt.as_deref(), Some("hello"));
    }

    #[test]
    fn garbage_and_silence_are_failures_with_a_reason() {
        let garbage =
            exchange_with_canned_server(b"SSH-2.0-OpenSSH\r\n", HttpVersion::Http11, false)
                .expect_err("not HTTP");
        assert!(!garbage.detail.is_empty());
        let empty = exchange_with_canned_server(b"", HttpVersion::Http11, true)
            .expect_err("nothing answered");
        assert!(!empty.detail.is_empty());
        // An HTTP/1.1 answer where HTTP/2 was agreed is not taken for an answer.
        let wrong =
            exchange_with_canned_server(b"HTTP/1.1 200 OK\r\n\r\n", HttpVersion::Http2, true)
                .expect_err("not HTTP/2");
        assert!(!wrong.detail.is_empty());
    }

    #[test]
    fn an_http2_reset_names_its_error_code() {
        // Server preface (empty SETTINGS), then RST_STREAM on stream 1 with
        // HTTP_1_1_REQUIRED (0xd), as Apache's mod_http2 answers a page that needs a
        // certificate after the handshake (RFC 8740).
        let mut frames = Vec::new();
        frames.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
        frames.extend_from_slice(&[0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]);
        frames.extend_from_slice(&[0, 0, 4, 0x3, 0, 0, 0, 0, 1, 0, 0, 0, 0xd]);
        let failure =
            exchange_with_canned_server(&frames, HttpVersion::Http2, true).expect_err("reset");
        assert_eq!(
            failure.http2_reset.as_deref(),
            Some("HTTP_1_1_REQUIRED"),
            "{failure:?}"
        );
    }

    #[test]
    fn the_version_follows_alpn() {
        assert_eq!(HttpVersion::from_alpn(Some(b"h2")), HttpVersion::Http2);
        assert_eq!(
            HttpVersion::from_alpn(Some(b"http/1.1")),
            HttpVersion::Http11
        );
        assert_eq!(HttpVersion::from_alpn(None), HttpVersion::Http11);
    }
}
