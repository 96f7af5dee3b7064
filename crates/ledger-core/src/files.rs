//! Reading the files a person hands the tool, and creating the files that hold confidential
//! values, safely (docs/RELIABILITY.md, "Bounded inputs" and "Confidential outputs").
//!
//! Reading: a file is refused, **before** it is opened, unless it is a regular file (a symlink
//! to one is followed) no larger than a documented limit. A FIFO is never opened (opening one
//! blocks until a writer appears); the file is opened non-blocking and checked again on the open
//! handle, so swapping in a FIFO or a device between the check and the open is caught too; and
//! at most `limit + 1` bytes are ever read, so a file that grows while being read is refused
//! rather than read without bound.
//!
//! Writing: [`create_private_file`] and [`create_private_dir`] create owner-only files (0600)
//! and directories (0700), never through a symlink and never over an existing file;
//! [`replace_private_file`] writes a whole new file and renames it into place, refusing a
//! symlink at the target.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Largest policy document file (TOML), in bytes.
pub const POLICY_FILE_LIMIT: u64 = 256 * 1024;
/// Largest key file (private `.key` or public `.vkey`), in bytes.
pub const KEY_FILE_LIMIT: u64 = 4 * 1024;
/// Largest passphrase file, in bytes.
pub const PASSPHRASE_FILE_LIMIT: u64 = 1024;
/// Largest signed note (a checkpoint handed to `cosign`), in bytes.
pub const NOTE_FILE_LIMIT: u64 = 64 * 1024;
/// Largest disclosure JSON file (`disclose --from-json`, `correct --replacement-json`), in bytes:
/// room for [`MAX_FIELDS`](crate::input::MAX_FIELDS) values of
/// [`MAX_FIELD_VALUE_BYTES`](crate::input::MAX_FIELD_VALUE_BYTES) each, escaped at worst six
/// bytes per byte.
pub const DISCLOSURE_JSON_LIMIT: u64 = 1024 * 1024;
/// Largest bulk import file (JSON Lines or CSV), in bytes; it is read as a stream.
pub const BULK_FILE_LIMIT: u64 = 4 * 1024 * 1024 * 1024;
/// Largest line (or CSV record) of a bulk import file, in bytes (as for one disclosure JSON
/// file).
pub const BULK_LINE_LIMIT: u64 = DISCLOSURE_JSON_LIMIT;
/// Largest export file, in bytes; it is read as a stream.
pub const EXPORT_FILE_LIMIT: u64 = 16 * 1024 * 1024 * 1024;
/// Largest line of an export file, in bytes: an entry of at most
/// [`MAX_ENTRY_BYTES`](crate::codec::MAX_ENTRY_BYTES) in base64 with its hash and signature,
/// with room to spare.
pub const EXPORT_LINE_LIMIT: u64 = 256 * 1024;

/// Why a file handed to the tool was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadFileError {
    /// Not a regular file (a directory, FIFO, device or socket); it was not opened.
    #[error("{what} {path} is a {kind}, not a regular file; it was not read")]
    NotRegular {
        /// What the file was to be ("policy file", "key file", ...).
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// "directory", "FIFO", "character device", ...
        kind: &'static str,
    },
    /// Larger than the documented limit; it was not read.
    #[error(
        "{what} {path} is {size} bytes, more than the {limit}-byte limit for a {what} \
         (docs/RELIABILITY.md, \"Bounded inputs\"); it was not read"
    )]
    TooLarge {
        /// What the file was to be.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// Its size (at least; a file growing while read reports `limit + 1`).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A line (or record) of a streamed file is longer than its limit.
    #[error(
        "{what} {path}, line {line}: longer than the {limit}-byte limit for one line \
         (docs/RELIABILITY.md, \"Bounded inputs\")"
    )]
    LineTooLong {
        /// What the file was to be.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The limit.
        limit: u64,
    },
    /// The contents are not UTF-8 text.
    #[error("{what} {path} is not UTF-8 text")]
    NotText {
        /// What the file was to be.
        what: &'static str,
        /// The path given.
        path: PathBuf,
    },
    /// The operating system refused (missing file, permissions, ...).
    #[error("cannot read {what} {path}: {source}")]
    Io {
        /// What the file was to be.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// The kind of a file that is not a regular file, in words.
fn kind_of(meta: &Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("directory")
    } else if t.is_fifo() {
        Some("FIFO (named pipe)")
    } else if t.is_char_device() {
        Some("character device")
    } else if t.is_block_device() {
        Some("block device")
    } else if t.is_socket() {
        Some("socket")
    } else {
        Some("special file")
    }
}

/// `O_NONBLOCK`: opening a FIFO for reading with it returns at once instead of waiting for a
/// writer. It changes nothing for a regular file.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// Opens `path` for reading after checking that it is a regular file (a symlink to one is
/// followed) of at most `limit` bytes. Returns the open file and its size. `what` names the
/// file in messages ("policy file").
pub fn open_limited(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<(File, u64), ReadFileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io_err = |source| ReadFileError::Io {
        what,
        path: path.to_owned(),
        source,
    };
    let check = |meta: &Metadata| -> Result<u64, ReadFileError> {
        if let Some(kind) = kind_of(meta) {
            return Err(ReadFileError::NotRegular {
                what,
                path: path.to_owned(),
                kind,
            });
        }
        if meta.len() > limit {
            return Err(ReadFileError::TooLarge {
                what,
                path: path.to_owned(),
                size: meta.len(),
                limit,
            });
        }
        Ok(meta.len())
    };
    // Before opening: a FIFO must never be opened, a device never touched.
    check(&fs::metadata(path).map_err(io_err)?)?;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(io_err)?;
    // The file opened is the file checked: test the open handle again.
    let size = check(&file.metadata().map_err(io_err)?)?;
    Ok((file, size))
}

/// Reads the whole of `path` if it is a regular file of at most `limit` bytes (see
/// [`open_limited`]); never reads more than `limit + 1` bytes.
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadFileError> {
    let (file, size) = open_limited(path, limit, what)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadFileError::Io {
            what,
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(ReadFileError::TooLarge {
            what,
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_limited`], as UTF-8 text.
pub fn read_limited_string(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<String, ReadFileError> {
    let bytes = read_limited(path, limit, what)?;
    String::from_utf8(bytes).map_err(|_| ReadFileError::NotText {
        what,
        path: path.to_owned(),
    })
}

/// Reads the next line of a streamed file into `line` (without its line ending), refusing a
/// line longer than `limit` bytes. Returns `false` at the end of the file. `number` is the
/// 1-based number of the line, for the message.
pub fn read_line_limited(
    reader: &mut impl io::BufRead,
    line: &mut String,
    limit: u64,
    number: usize,
    what: &'static str,
    path: &Path,
) -> Result<bool, ReadFileError> {
    line.clear();
    let mut bytes = Vec::new();
    let n = io::BufRead::read_until(
        &mut Read::take(&mut *reader, limit.saturating_add(2)),
        b'\n',
        &mut bytes,
    )
    .map_err(|source| ReadFileError::Io {
        what,
        path: path.to_owned(),
        source,
    })?;
    if n == 0 {
        return Ok(false);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    if bytes.len() as u64 > limit {
        return Err(ReadFileError::LineTooLong {
            what,
            path: path.to_owned(),
            line: number,
            limit,
        });
    }
    *line = String::from_utf8(bytes).map_err(|_| ReadFileError::NotText {
        what,
        path: path.to_owned(),
    })?;
    Ok(true)
}

/// Why an owner-only output could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteFileError {
    /// A symlink is at the target; nothing was written through it.
    #[error("{path} is a symbolic link; refusing to write through it (nothing was written)")]
    Symlink {
        /// The target path.
        path: PathBuf,
    },
    /// Something already exists at the target and is not replaced.
    #[error("{path} already exists; it is never overwritten (nothing was written)")]
    Exists {
        /// The target path.
        path: PathBuf,
    },
    /// The operating system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// `O_NOFOLLOW`: refuse to open a symlink as the last component.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NOFOLLOW: i32 = 0x0100;

fn exists_error(path: &Path, source: io::Error) -> WriteFileError {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => WriteFileError::Symlink {
            path: path.to_owned(),
        },
        Ok(_) if source.kind() == io::ErrorKind::AlreadyExists => WriteFileError::Exists {
            path: path.to_owned(),
        },
        _ => WriteFileError::Io {
            path: path.to_owned(),
            source,
        },
    }
}

/// Creates a new owner-only (0600) file at `path` for writing. Refuses a symlink at `path`
/// ([`WriteFileError::Symlink`]) and anything else already there ([`WriteFileError::Exists`]).
pub fn create_private_file(path: &Path) -> Result<File, WriteFileError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW)
        .open(path)
        .map_err(|e| exists_error(path, e))?;
    // The umask can only remove bits; make sure no one else has any.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|source| WriteFileError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(file)
}

/// Creates a new owner-only (0700) directory at `path`. Refuses a symlink or anything else
/// already at `path`.
pub fn create_private_dir(path: &Path) -> Result<(), WriteFileError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .mode(0o700)
        .create(path)
        .map_err(|e| exists_error(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|source| {
        WriteFileError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

/// Writes `bytes` as the owner-only (0600) file `path`, replacing a regular file already there:
/// the bytes go to a new file beside it (a fresh name, never an existing file), are flushed,
/// and the new file is renamed over the old one; the directory is flushed so that the rename
/// itself is durable. A symlink (or a directory) at `path` is refused and left as it is, both
/// before writing and again just before the rename (which replaces a link, never follows it).
pub fn replace_private_file(path: &Path, bytes: &[u8]) -> Result<(), WriteFileError> {
    let io_err = |source| WriteFileError::Io {
        path: path.to_owned(),
        source,
    };
    let refuse_non_file = || match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(WriteFileError::Symlink {
            path: path.to_owned(),
        }),
        Ok(m) if !m.file_type().is_file() => Err(WriteFileError::Exists {
            path: path.to_owned(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(e)),
    };
    refuse_non_file()?;
    let name = path
        .file_name()
        .ok_or_else(|| io_err(io::Error::other("the path names no file")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}-{nanos}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = create_private_file(&tmp)?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(io_err)?;
        refuse_non_file()?;
        fs::rename(&tmp, path).map_err(io_err)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_directory_and_an_oversized_file() {
        let dir = std::env::temp_dir().join(format!("lc-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert!(matches!(
            read_limited(&dir, 10, "test file"),
            Err(ReadFileError::NotRegular {
                kind: "directory",
                ..
            })
        ));
        let big = dir.join("big");
        File::create(&big).unwrap().set_len(11).unwrap();
        assert!(matches!(
            read_limited(&big, 10, "test file"),
            Err(ReadFileError::TooLarge {
                size: 11,
                limit: 10,
                ..
            })
        ));
        assert_eq!(read_limited(&big, 11, "test file").unwrap().len(), 11);
        let out = dir.join("out");
        create_private_file(&out).unwrap();
        assert!(matches!(
            create_private_file(&out),
            Err(WriteFileError::Exists { .. })
        ));
        std::os::unix::fs::symlink(&big, dir.join("link")).unwrap();
        assert!(matches!(
            create_private_file(&dir.join("link")),
            Err(WriteFileError::Symlink { .. })
        ));
        assert!(matches!(
            replace_private_file(&dir.join("link"), b"x"),
            Err(WriteFileError::Symlink { .. })
        ));
        replace_private_file(&out, b"new").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }
}
