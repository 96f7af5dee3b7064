//! Where a mirror reads a log from: a node or any web server of published files
//! (`http(s)://…`), a bucket (`s3://…`), or a directory `dledger publish` wrote. All three hold
//! the same files under the same paths (docs/FORMAT.md §16); the mirror checks everything it
//! reads the same way whatever the source.

use std::path::{Path, PathBuf};

use super::client::Remote;
use super::mirror::MirrorError;
use crate::bucket::{Bucket, is_bucket_url};

/// Files of a published log, by their path below the log's prefix.
pub trait TileSource: Sync {
    /// The source as the user named it.
    fn describe(&self) -> String;

    /// The file at `path`; a missing one is an error (the checkpoint said it is there).
    fn fetch(&self, path: &str) -> Result<Vec<u8>, MirrorError>;

    /// How many bundles to ask [`TileSource::fetch_many`] for at once: 1 for a source that
    /// fetches one file at a time (a node, a directory), so each is stored as soon as it comes.
    fn group(&self) -> u64 {
        1
    }

    /// The files at `paths`, in order, up to the first that could not be fetched, and why
    /// (sources that can fetch several at once).
    fn fetch_many(&self, paths: &[String]) -> (Vec<Vec<u8>>, Option<MirrorError>) {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            match self.fetch(path) {
                Ok(bytes) => files.push(bytes),
                Err(e) => return (files, Some(e)),
            }
        }
        (files, None)
    }
}

/// Opens `url`: `s3://BUCKET/PREFIX`, `http(s)://…` (with `ca_cert` for a private CA), or a
/// directory.
pub fn open_source(url: &str, ca_cert: Option<&Path>) -> Result<Box<dyn TileSource>, MirrorError> {
    if is_bucket_url(url) {
        return Ok(Box::new(Bucket::open(url)?));
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(Box::new(Remote::new(url, ca_cert)?));
    }
    let dir = PathBuf::from(url);
    if !dir.is_dir() {
        return Err(MirrorError::NoSource(url.to_owned()));
    }
    Ok(Box::new(PublishedDir(dir)))
}

impl TileSource for Remote {
    fn describe(&self) -> String {
        self.url().to_owned()
    }

    fn fetch(&self, path: &str) -> Result<Vec<u8>, MirrorError> {
        Ok(self.get_ok(path)?)
    }
}

impl TileSource for Bucket {
    fn describe(&self) -> String {
        self.url().to_owned()
    }

    fn group(&self) -> u64 {
        16
    }

    fn fetch(&self, path: &str) -> Result<Vec<u8>, MirrorError> {
        self.get(path)?.ok_or_else(|| missing(self, path))
    }

    fn fetch_many(&self, paths: &[String]) -> (Vec<Vec<u8>>, Option<MirrorError>) {
        let mut files = Vec::with_capacity(paths.len());
        for (found, path) in self.get_many(paths).into_iter().zip(paths) {
            match found {
                Ok(Some(bytes)) => files.push(bytes),
                Ok(None) => return (files, Some(missing(self, path))),
                Err(e) => return (files, Some(e.into())),
            }
        }
        (files, None)
    }
}

/// A directory `dledger publish` wrote.
#[derive(Debug)]
struct PublishedDir(PathBuf);

impl TileSource for PublishedDir {
    fn describe(&self) -> String {
        self.0.display().to_string()
    }

    fn fetch(&self, path: &str) -> Result<Vec<u8>, MirrorError> {
        match std::fs::read(self.0.join(path)) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing(self, path)),
            Err(source) => Err(MirrorError::Read {
                path: self.0.join(path),
                source,
            }),
        }
    }
}

fn missing(source: &dyn TileSource, path: &str) -> MirrorError {
    MirrorError::Missing {
        from: source.describe(),
        path: path.to_owned(),
    }
}
