//! A real S3 server for tests and benchmarks: s3s-fs (objects as files under a root directory),
//! speaking the S3 protocol over HTTP with SigV4 authentication, on a 127.0.0.1 port chosen at
//! run time, in this process. Not a mock: `dledger publish` and `dledger mirror` reach it with
//! object_store's S3 client exactly as they reach Amazon's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

/// The access key the test server accepts.
pub const ACCESS_KEY: &str = "dledger-test-access";
/// The secret key the test server accepts.
pub const SECRET_KEY: &str = "dledger-test-secret-key-0123456789";

/// A running S3 server; stopped (every connection cut) when dropped or by [`S3Server::stop`].
pub struct S3Server {
    addr: SocketAddr,
    root: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for S3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Server")
            .field("addr", &self.addr)
            .finish()
    }
}

impl S3Server {
    /// Starts a server keeping its buckets under `root` (each bucket a directory), accepting
    /// [`ACCESS_KEY`]/[`SECRET_KEY`], on a free 127.0.0.1 port.
    pub fn start(root: &Path) -> std::io::Result<S3Server> {
        Self::start_on(root, 0, true)
    }

    /// Starts a server on `port` (0: any free one); without `signed`, it takes unsigned
    /// requests (a public bucket's web endpoint).
    pub fn start_on(root: &Path, port: u16, signed: bool) -> std::io::Result<S3Server> {
        std::fs::create_dir_all(root)?;
        let fs =
            s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        if signed {
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        }
        let service = builder.build();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(S3Server {
            addr,
            root: root.to_owned(),
            runtime: Some(runtime),
        })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Creates a bucket (a directory under the root).
    pub fn create_bucket(&self, name: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(self.root.join(name))
    }

    /// Where the object `key` of `bucket` is kept on disk.
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    /// The environment `dledger` needs to reach this server with its credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    /// Stops the server at once, cutting every connection (as a crash would).
    pub fn stop(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::ZERO);
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
