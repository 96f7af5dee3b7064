//! The HTTP client of a node: reading its tiles and checkpoint, submitting signed entries,
//! asking a witness to cosign. Blocking (ureq), because the command line is; one agent per
//! remote reuses its connections.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The largest response read from a node: a full entry bundle of 256 entries of at most
/// 65,535 bytes each, with their length prefixes.
pub const MAX_RESPONSE_BYTES: u64 = 256 * 65_537 + 1024;

/// Why talking to a node failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The address is not an http:// or https:// URL.
    #[error("{url:?} is not a node address: write http://HOST:PORT or https://HOST:PORT")]
    BadUrl {
        /// What was given.
        url: String,
    },
    /// The node could not be reached or the exchange broke off.
    #[error("cannot reach the node at {url}: {reason}")]
    Unreachable {
        /// The request's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The node answered with an unexpected status.
    #[error("the node at {url} answered {status}: {message}")]
    Status {
        /// The request's URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The node's message (its error text), or the start of its body.
        message: String,
    },
    /// The CA certificate file could not be read.
    #[error("cannot read the CA certificate {path}: {reason}")]
    CaCert {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A node, by its base URL.
#[derive(Clone)]
pub struct Remote {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("base", &self.base).finish()
    }
}

/// What a node answered to a request, status and body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `error` field of a JSON error body, or the body's text.
    pub fn message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| self.text().chars().take(500).collect())
    }
}

impl Remote {
    /// A node at `url` (http:// or https://). For https, `ca_cert` is the PEM file of the
    /// certificate authority that signed the node's certificate (docs/OPERATIONS.md).
    pub fn new(url: &str, ca_cert: Option<&Path>) -> Result<Remote, RemoteError> {
        let base = url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 9 {
            return Err(RemoteError::BadUrl { url: url.into() });
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider);
        // The ledger's own CA when given; else the system's certificate bundle (an https node
        // with a public certificate). Plain http needs neither.
        let system = std::env::var_os("SSL_CERT_FILE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(SYSTEM_CA_BUNDLE).to_path_buf());
        let roots = match ca_cert {
            Some(path) => Some(load_certs(path)?),
            None if base.starts_with("https://") => {
                Some(load_certs(&system).map_err(|e| RemoteError::CaCert {
                    path: system.display().to_string(),
                    reason: format!(
                        "{e}; for a node whose certificate the ledger's own CA signed, pass \
                         --ca-cert CA.pem (docs/OPERATIONS.md, \"TLS\")"
                    ),
                })?)
            }
            None => None,
        };
        if let Some(certs) = roots {
            tls = tls.root_certs(ureq::tls::RootCerts::from(certs));
        }
        let agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            // Each phase of a request is bounded, not the whole call: a bound on the whole
            // call (or on resolving) makes ureq resolve the host on a thread of its own for
            // every request, pooled connection or not — a thread per tile when mirroring, per
            // submission when a node is busy. Resolving is left to the system's resolver and
            // its own time limits (resolv.conf).
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_send_request(Some(Duration::from_secs(120)))
            .timeout_send_body(Some(Duration::from_secs(120)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_recv_body(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        Ok(Remote { base, agent })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    fn unreachable(url: &str, e: ureq::Error) -> RemoteError {
        let mut reason = e.to_string();
        if reason.contains("certificate") {
            reason.push_str(
                "; if the ledger's own CA signed the node's certificate, pass --ca-cert CA.pem \
                 (docs/OPERATIONS.md, \"TLS\")",
            );
        } else if url.starts_with("https://") && reason.contains("corrupt message") {
            reason.push_str("; the node may serve plain http: try http://");
        }
        RemoteError::Unreachable {
            url: url.to_owned(),
            reason,
        }
    }

    fn answer(
        url: &str,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<Answer, RemoteError> {
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| Self::unreachable(url, e))?;
        Ok(Answer { status, body })
    }

    /// GETs `path`, whatever the status.
    pub fn get(&self, path: &str) -> Result<Answer, RemoteError> {
        let url = self.url_of(path);
        let resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| Self::unreachable(&url, e))?;
        Self::answer(&url, resp)
    }

    /// GETs `path`, which must answer 200.
    pub fn get_ok(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let answer = self.get(path)?;
        if answer.status == 200 {
            return Ok(answer.body);
        }
        Err(RemoteError::Status {
            url: self.url_of(path),
            status: answer.status,
            message: answer.message(),
        })
    }

    /// POSTs `body` with `content_type` to `path`, whatever the status.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Answer, RemoteError> {
        let url = self.url_of(path);
        let resp = self
            .agent
            .post(&url)
            .header("content-type", content_type)
            .send(body)
            .map_err(|e| Self::unreachable(&url, e))?;
        Self::answer(&url, resp)
    }

    /// Submits a signed entry (`POST /dledger/v1/entries`, docs/OPERATIONS.md), whatever the
    /// answer.
    pub fn submit(&self, entry: &[u8], signature: &[u8; 64]) -> Result<Answer, RemoteError> {
        let body = serde_json::json!({
            "entry": BASE64.encode(entry),
            "signature": BASE64.encode(signature),
        });
        self.post(SUBMIT_PATH, "application/json", body.to_string().as_bytes())
    }

    /// Submits a chain of entries one party signed as consecutive entries, recorded all or
    /// none, whatever the answer.
    pub fn submit_chain(
        &self,
        chain: &[crate::ledger::SignedEntry],
    ) -> Result<Answer, RemoteError> {
        let entries: Vec<serde_json::Value> = chain
            .iter()
            .map(|(entry, signature)| {
                serde_json::json!({
                    "entry": BASE64.encode(entry),
                    "signature": BASE64.encode(signature),
                })
            })
            .collect();
        let body = serde_json::json!({ "entries": entries });
        self.post(SUBMIT_PATH, "application/json", body.to_string().as_bytes())
    }

    /// The error for an answer that was not the expected one.
    pub fn unexpected(&self, path: &str, answer: &Answer) -> RemoteError {
        RemoteError::Status {
            url: self.url_of(path),
            status: answer.status,
            message: answer.message(),
        }
    }
}

/// Debian's bundle of the system's trusted certificate authorities.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The certificates of a PEM file.
fn load_certs(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, RemoteError> {
    let bad = |reason: String| RemoteError::CaCert {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("it holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// Where signed entries are submitted.
pub const SUBMIT_PATH: &str = "dledger/v1/entries";
/// Where a receipt (inclusion proof) for an entry is asked for: `<path>/<seq>`.
pub const RECEIPT_PATH: &str = "dledger/v1/receipt";
/// C2SP tlog-witness: where a witness takes checkpoints to cosign.
pub const ADD_CHECKPOINT_PATH: &str = "add-checkpoint";
