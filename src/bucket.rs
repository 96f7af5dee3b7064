//! An S3-compatible bucket (`s3://BUCKET/PREFIX`) that `dledger publish` writes the log's tiles
//! to and `dledger mirror` reads them from, through `object_store`'s S3 client.
//!
//! Credentials come from the standard AWS environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`, …) and, when those name no key, from the shared profile files
//! (`~/.aws/credentials` and `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` and
//! `AWS_CONFIG_FILE`; profile `AWS_PROFILE`, else `default`). The tool never falls back to a
//! cloud's instance-metadata service: with no credentials it says so (docs/OPERATIONS.md,
//! "Publishing to object storage"). `AWS_SKIP_SIGNATURE=true` reads a public bucket unsigned.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::tiles::{CHANGING, IMMUTABLE};
use futures::StreamExt as _;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, BackoffConfig, ObjectStore, ObjectStoreExt as _, PutOptions, PutPayload,
    RetryConfig,
};

/// How many requests one bucket keeps in flight at once.
pub const IN_FLIGHT: usize = 32;

/// Why the bucket could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BucketError {
    /// The `s3://` address cannot be read.
    #[error("{url:?} is not a bucket address: {why}. Write s3://BUCKET or s3://BUCKET/PREFIX")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// No credentials were found.
    #[error(
        "no credentials for {url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and \
         AWS_ENDPOINT_URL for a server other than Amazon's), or name a profile of \
         ~/.aws/credentials with AWS_PROFILE; for a public bucket read without signing, set \
         AWS_SKIP_SIGNATURE=true"
    )]
    NoCredentials {
        /// The bucket.
        url: String,
    },
    /// A profile file could not be read.
    #[error("cannot read the AWS profile file {path}: {source}")]
    Profile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bucket does not exist.
    #[error(
        "the bucket {bucket:?} does not exist at {endpoint}; create it first (e.g. `aws s3 mb \
         s3://{bucket}`), or check the name and AWS_ENDPOINT_URL"
    )]
    NoSuchBucket {
        /// The bucket's name.
        bucket: String,
        /// The server asked.
        endpoint: String,
    },
    /// The server refused the credentials or the request.
    #[error(
        "the storage server refused {what} in {url}: {detail}. Check AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY (or the profile in use) and that they may read and write the \
         bucket"
    )]
    Refused {
        /// The bucket.
        url: String,
        /// The request.
        what: String,
        /// The server's words.
        detail: String,
    },
    /// The server could not be reached or failed.
    #[error(
        "the storage server for {url} failed on {what}: {detail}. What completed before stays \
         valid (a publication writes its checkpoint last, a mirror keeps what it verified): \
         run the same command again once the server answers"
    )]
    Unavailable {
        /// The bucket.
        url: String,
        /// The request.
        what: String,
        /// What happened.
        detail: String,
    },
    /// The S3 client could not be set up.
    #[error("cannot set up the S3 client for {url}: {detail}")]
    Setup {
        /// The bucket.
        url: String,
        /// What failed.
        detail: String,
    },
}

/// One object to write: its path below the prefix, its bytes, and whether it never changes.
#[derive(Debug, Clone)]
pub struct Object {
    /// Path below the bucket's prefix (`tile/0/001`, `checkpoint`…).
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// A full tile or bundle: cached for a year (else `no-cache`).
    pub immutable: bool,
}

/// An open bucket and prefix.
#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
    url: String,
    endpoint: String,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("url", &self.url).finish()
    }
}

/// Whether `s` names a bucket (`s3://…`).
pub fn is_bucket_url(s: &str) -> bool {
    s.starts_with("s3://")
}

impl Bucket {
    /// Opens `s3://BUCKET[/PREFIX]` with the credentials of the environment or profile files.
    pub fn open(url: &str) -> Result<Bucket, BucketError> {
        let bad = |why: &str| BucketError::BadUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("it names no bucket"));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        if prefix.split('/').any(|p| p == "." || p == "..") {
            return Err(bad("its prefix has a . or .. part"));
        }

        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let signed = !env("AWS_SKIP_SIGNATURE").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let has_env_key = env("AWS_ACCESS_KEY_ID").is_some();
        let delegated = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
        let profile = read_profile()?;
        let mut endpoint = env("AWS_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT"));
        if endpoint.is_none()
            && let Some(e) = profile.get("endpoint_url")
        {
            builder = builder.with_endpoint(e);
            endpoint = Some(e.clone());
        }
        if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
            builder = builder.with_region(
                profile
                    .get("region")
                    .map_or("us-east-1", String::as_str)
                    .to_owned(),
            );
        }
        if signed && !has_env_key && !delegated {
            match (
                profile.get("aws_access_key_id"),
                profile.get("aws_secret_access_key"),
            ) {
                (Some(id), Some(secret)) => {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                    if let Some(token) = profile.get("aws_session_token") {
                        builder = builder.with_token(token);
                    }
                }
                _ => {
                    return Err(BucketError::NoCredentials {
                        url: url.to_owned(),
                    });
                }
            }
        }
        if endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"))
        {
            builder = builder.with_allow_http(true);
        }
        builder = builder
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
            })
            .with_config(AmazonS3ConfigKey::SkipSignature, (!signed).to_string());
        let endpoint_shown = endpoint.unwrap_or_else(|| "Amazon S3".to_owned());
        let setup = |detail: String| BucketError::Setup {
            url: url.to_owned(),
            detail,
        };
        install_crypto_provider();
        let store = builder.build().map_err(|e| setup(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Bucket {
            store: Arc::new(store),
            bucket: bucket.to_owned(),
            prefix,
            url: url.to_owned(),
            endpoint: endpoint_shown,
            runtime: Arc::new(runtime),
        })
    }

    /// The bucket's address as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn location(&self, path: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(path)
        } else {
            ObjectPath::from(format!("{}/{path}", self.prefix))
        }
    }

    /// Reads the object at `path`, `None` if there is none.
    pub fn get(&self, path: &str) -> Result<Option<Vec<u8>>, BucketError> {
        let location = self.location(path);
        self.runtime
            .block_on(get(self.store.as_ref(), &location))
            .map_err(|e| self.explain(e, &format!("reading {path}")))
    }

    /// Reads the objects at `paths`, several at a time, in order (`None` for a missing one),
    /// up to the first failure, which ends the list.
    pub fn get_many(&self, paths: &[String]) -> Vec<Result<Option<Vec<u8>>, BucketError>> {
        let store = self.store.clone();
        let locations: Vec<ObjectPath> = paths.iter().map(|p| self.location(p)).collect();
        let results = self.runtime.block_on(async {
            futures::stream::iter(locations.iter())
                .map(|l| get(store.as_ref(), l))
                .buffered(IN_FLIGHT)
                .collect::<Vec<_>>()
                .await
        });
        let mut out = Vec::with_capacity(results.len());
        for (result, path) in results.into_iter().zip(paths) {
            let failed = result.is_err();
            out.push(result.map_err(|e| self.explain(e, &format!("reading {path}"))));
            if failed {
                break;
            }
        }
        out
    }

    /// Whether anything at all is stored below the prefix (and the bucket exists).
    pub fn holds_anything(&self) -> Result<bool, BucketError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        self.runtime
            .block_on(async {
                let mut listing = self.store.list(prefix.as_ref());
                listing.next().await.transpose().map(|o| o.is_some())
            })
            .map_err(|e| self.explain(e, "listing the prefix"))
    }

    /// Writes `objects` as they come, [`IN_FLIGHT`] at a time, stopping at the first failure
    /// of the source or of a write. Returns how many were written.
    pub fn put_all<E>(
        &self,
        objects: impl Iterator<Item = Result<Object, E>>,
    ) -> Result<u64, PutError<E>> {
        self.runtime.block_on(async {
            let mut running = tokio::task::JoinSet::new();
            let mut written = 0u64;
            let finish = |joined: Result<
                Result<(), (String, object_store::Error)>,
                tokio::task::JoinError,
            >| match joined {
                Ok(Ok(())) => Ok(()),
                Ok(Err((path, e))) => Err(PutError::Bucket(
                    self.explain(e, &format!("writing {path}")),
                )),
                Err(e) => Err(PutError::Bucket(BucketError::Unavailable {
                    url: self.url.clone(),
                    what: "a write".into(),
                    detail: e.to_string(),
                })),
            };
            for object in objects {
                let object = object.map_err(PutError::Source)?;
                while running.len() >= IN_FLIGHT {
                    let joined = running.join_next().await.expect("tasks are running");
                    finish(joined)?;
                    written += 1;
                }
                let store = self.store.clone();
                let location = self.location(&object.path);
                running.spawn(async move {
                    put(store.as_ref(), &location, object.bytes, object.immutable)
                        .await
                        .map_err(|e| (object.path, e))
                });
            }
            while let Some(joined) = running.join_next().await {
                finish(joined)?;
                written += 1;
            }
            Ok(written)
        })
    }

    /// Writes one object (after everything before it completed).
    pub fn put(&self, object: Object) -> Result<(), BucketError> {
        let location = self.location(&object.path);
        let path = object.path;
        self.runtime
            .block_on(put(
                self.store.as_ref(),
                &location,
                object.bytes,
                object.immutable,
            ))
            .map_err(|e| self.explain(e, &format!("writing {path}")))
    }

    /// Turns the client's error into one that says what to do.
    fn explain(&self, e: object_store::Error, what: &str) -> BucketError {
        let detail = e.to_string();
        if detail.contains("NoSuchBucket") {
            return BucketError::NoSuchBucket {
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
            };
        }
        let refused = matches!(
            e,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        ) || [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
        ]
        .iter()
        .any(|code| detail.contains(code));
        if refused {
            BucketError::Refused {
                url: self.url.clone(),
                what: what.to_owned(),
                detail: short(&detail),
            }
        } else {
            BucketError::Unavailable {
                url: self.url.clone(),
                what: what.to_owned(),
                detail: short(&detail),
            }
        }
    }
}

/// Why [`Bucket::put_all`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum PutError<E> {
    /// The objects' source failed.
    #[error(transparent)]
    Source(E),
    /// A write failed.
    #[error(transparent)]
    Bucket(BucketError),
}

async fn get(
    store: &dyn ObjectStore,
    location: &ObjectPath,
) -> Result<Option<Vec<u8>>, object_store::Error> {
    match store.get(location).await {
        Ok(found) => Ok(Some(found.bytes().await?.to_vec())),
        Err(object_store::Error::NotFound { source, .. })
            if source.to_string().contains("NoSuchBucket") =>
        {
            Err(object_store::Error::Generic {
                store: "S3",
                source: "NoSuchBucket".into(),
            })
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn put(
    store: &dyn ObjectStore,
    location: &ObjectPath,
    bytes: Vec<u8>,
    immutable: bool,
) -> Result<(), object_store::Error> {
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::CacheControl,
        if immutable { IMMUTABLE } else { CHANGING }.into(),
    );
    attributes.insert(
        Attribute::ContentType,
        if location.as_ref().ends_with("checkpoint") {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        }
        .into(),
    );
    let options = PutOptions {
        attributes,
        ..PutOptions::default()
    };
    store
        .put_opts(location, PutPayload::from(bytes), options)
        .await
        .map(|_| ())
}

/// The S3 error code of a long error (`SignatureDoesNotMatch (403 Forbidden)`), else its first
/// line.
fn short(detail: &str) -> String {
    if let Some((_, rest)) = detail.split_once("<Code>")
        && let Some((code, _)) = rest.split_once("</Code>")
    {
        let status = detail
            .split_once("status code: ")
            .and_then(|(_, s)| s.split_once(':'))
            .map(|(s, _)| format!(" ({s})"))
            .unwrap_or_default();
        return format!("{code}{status}");
    }
    let line = detail.lines().next().unwrap_or(detail);
    if line.len() > 400 {
        format!("{}…", &line[..line.floor_char_boundary(400)])
    } else {
        line.to_owned()
    }
}

/// The settings of the AWS profile in use (`AWS_PROFILE`, else `default`): its section of the
/// credentials file, then of the config file for what the first lacks. Missing files are empty.
fn read_profile() -> Result<HashMap<String, String>, BucketError> {
    let name = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let mut settings = HashMap::new();
    // The credentials file names sections `[NAME]`; the config file `[profile NAME]`, except
    // `[default]`.
    let config_section = if name == "default" {
        name.clone()
    } else {
        format!("profile {name}")
    };
    for (path, section) in [
        (file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), &name),
        (file("AWS_CONFIG_FILE", "config"), &config_section),
    ] {
        let Some(path) = path else { continue };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(BucketError::Profile { path, source }),
        };
        for (key, value) in ini_section(&text, section) {
            settings.entry(key).or_insert(value);
        }
    }
    Ok(settings)
}

/// The `key = value` lines of section `[section]` of an INI text (keys lower-cased; `#` and
/// `;` start comments).
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            out.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    out
}

/// Installs rustls's ring provider as the process default, which reqwest uses (the node's TLS
/// uses the same provider). A provider already installed is kept.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ini_section_is_read_with_comments_and_other_sections_skipped() {
        let text = "# comment\n[default]\naws_access_key_id = AK1\n\n[profile other]\n\
                    aws_access_key_id=AK2\nRegion = eu-west-2 ; not a comment here\n[x]\n";
        assert_eq!(
            ini_section(text, "default"),
            vec![("aws_access_key_id".into(), "AK1".into())]
        );
        assert_eq!(
            ini_section(text, "profile other"),
            vec![
                ("aws_access_key_id".into(), "AK2".into()),
                ("region".into(), "eu-west-2 ; not a comment here".into())
            ]
        );
        assert!(ini_section(text, "missing").is_empty());
    }

    #[test]
    fn a_bucket_address_must_name_a_bucket() {
        for bad in ["s3://", "s3:///prefix", "https://x/y", "s3://b/../x"] {
            assert!(
                matches!(Bucket::open(bad), Err(BucketError::BadUrl { .. })),
                "{bad}"
            );
        }
    }
}
