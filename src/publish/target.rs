//! Where a publication goes: a directory (for any static web server) or an S3-compatible
//! bucket. Both hold the same files under the same paths (docs/FORMAT.md §16).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::PublishError;
use crate::bucket::{Bucket, Object, PutError, is_bucket_url};

/// A directory or a bucket prefix to publish into.
#[derive(Debug, Clone)]
pub enum Target {
    /// A directory (created if need be).
    Dir(PathBuf),
    /// A bucket and prefix, `s3://BUCKET/PREFIX`.
    Bucket(Bucket),
}

impl Target {
    /// `s3://BUCKET[/PREFIX]` or a directory path.
    pub fn parse(to: &str) -> Result<Target, PublishError> {
        if is_bucket_url(to) {
            return Ok(Target::Bucket(Bucket::open(to)?));
        }
        if to.starts_with("http://") || to.starts_with("https://") {
            return Err(PublishError::NotWritable(to.to_owned()));
        }
        Ok(Target::Dir(PathBuf::from(to)))
    }

    /// The target as the user named it.
    pub fn describe(&self) -> String {
        match self {
            Target::Dir(d) => d.display().to_string(),
            Target::Bucket(b) => b.url().to_owned(),
        }
    }

    /// The file at `path`, if there is one.
    pub(super) fn get(&self, path: &str) -> Result<Option<Vec<u8>>, PublishError> {
        match self {
            Target::Dir(dir) => {
                let file = dir.join(path);
                match fs::read(&file) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(PublishError::Io { path: file, source }),
                }
            }
            Target::Bucket(b) => Ok(b.get(path)?),
        }
    }

    /// Whether anything is there yet (a bucket must exist; a directory may not).
    pub(super) fn holds_anything(&self) -> Result<bool, PublishError> {
        match self {
            Target::Dir(dir) => match fs::read_dir(dir) {
                Ok(mut entries) => Ok(entries.next().is_some()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(source) => Err(PublishError::Io {
                    path: dir.clone(),
                    source,
                }),
            },
            Target::Bucket(b) => Ok(b.holds_anything()?),
        }
    }

    /// Writes every object `objects` yields, stopping at the first failure. Returns how many.
    pub(super) fn put_all(
        &self,
        objects: impl Iterator<Item = Result<Object, PublishError>>,
    ) -> Result<u64, PublishError> {
        match self {
            Target::Dir(dir) => {
                let mut written = 0;
                for object in objects {
                    let object = object?;
                    write_atomically(&dir.join(&object.path), &object.bytes)?;
                    written += 1;
                }
                Ok(written)
            }
            Target::Bucket(b) => b.put_all(objects).map_err(|e| match e {
                PutError::Source(e) => e,
                PutError::Bucket(e) => PublishError::Bucket(e),
            }),
        }
    }

    /// Writes one object, once everything written before it is complete.
    pub(super) fn put(&self, object: Object) -> Result<(), PublishError> {
        match self {
            Target::Dir(dir) => write_atomically(&dir.join(&object.path), &object.bytes),
            Target::Bucket(b) => Ok(b.put(object)?),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, then
/// flushes the directory: a reader sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let io = |source| PublishError::Io {
        path: path.to_owned(),
        source,
    };
    let parent = path.parent().expect("a published path has a directory");
    fs::create_dir_all(parent).map_err(io)?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .expect("a published path names a file")
            .to_string_lossy(),
        std::process::id()
    ));
    let mut file = fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    fs::rename(&tmp, path).map_err(io)?;
    fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(io)
}
