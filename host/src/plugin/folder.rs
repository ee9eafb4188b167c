//! What the scan may read in the plugins folder: regular files and folders under the root, nothing
//! else, and no file larger than `max_plugin_file_kb`.
//!
//! Anyone who can create entries in the folder could otherwise make the scan follow a symlink to a
//! file outside the root, hang on a FIFO, read a device forever, or load a file of any size into
//! memory. So every symlink (whatever it points to) is refused, as is every FIFO, socket or device;
//! a file is opened with `O_NOFOLLOW | O_NONBLOCK`, checked again on the open handle (so a swap
//! between listing and opening changes nothing), and read through a cap. Refused entries are
//! reported with their reason, never read. This module must never open a path in a way that can
//! block or follow a link.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Deepest folder nesting walked under the root.
const MAX_DEPTH: usize = 16;

/// Why an entry of the plugins folder was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A symbolic link (links are never followed, wherever they point).
    #[error(
        "refused: a symbolic link (links are not followed in the plugins folder; copy the file)"
    )]
    Symlink,
    /// A FIFO, socket or device.
    #[error("refused: a {0}, not a regular file")]
    Special(&'static str),
    /// Larger than the cap.
    #[error("refused: {size} bytes exceed max_plugin_file_kb = {cap_kb}")]
    TooLarge {
        /// The size seen (at least; a growing file may be larger).
        size: u64,
        /// The cap.
        cap_kb: u64,
    },
    /// Folders nested deeper than the walk goes.
    #[error("refused: nested more than {MAX_DEPTH} folders deep")]
    TooDeep,
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(String),
}

/// What a walk of the root found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Regular files, relative to the root.
    pub files: Vec<PathBuf>,
    /// Entries refused unread, relative to the root, with the reason.
    pub refused: Vec<(PathBuf, Refusal)>,
}

/// Lists every regular file under `root` (relative paths), skipping dot-entries and refusing
/// everything that is neither a folder nor a regular file.
pub fn walk(root: &Path) -> Listing {
    let mut listing = Listing::default();
    walk_into(root, Path::new(""), 0, &mut listing);
    listing
}

fn walk_into(root: &Path, relative: &Path, depth: usize, listing: &mut Listing) {
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = relative.join(&name);
        // `DirEntry::file_type` does not follow links.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth >= MAX_DEPTH {
                listing.refused.push((path, Refusal::TooDeep));
            } else {
                walk_into(root, &path, depth + 1, listing);
            }
        } else if kind.is_file() {
            listing.files.push(path);
        } else {
            listing.refused.push((path, refusal_for(kind)));
        }
    }
}

fn refusal_for(kind: std::fs::FileType) -> Refusal {
    if kind.is_symlink() {
        Refusal::Symlink
    } else if kind.is_fifo() {
        Refusal::Special("FIFO")
    } else if kind.is_socket() {
        Refusal::Special("socket")
    } else if kind.is_block_device() || kind.is_char_device() {
        Refusal::Special("device")
    } else {
        Refusal::Special("special file")
    }
}

/// Reads the regular file `path` whole if it is at most `cap_kb` KiB, without following a link
/// and without ever blocking on a special file.
///
/// # Errors
/// The [`Refusal`] saying why it was not read.
pub fn read_regular(path: &Path, cap_kb: u64) -> Result<Vec<u8>, Refusal> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => Refusal::Symlink,
            _ => Refusal::Io(error.to_string()),
        })?;
    let metadata = file
        .metadata()
        .map_err(|error| Refusal::Io(error.to_string()))?;
    if !metadata.file_type().is_file() {
        return Err(refusal_for(metadata.file_type()));
    }
    let cap = cap_kb.saturating_mul(1024);
    if metadata.len() > cap {
        return Err(Refusal::TooLarge {
            size: metadata.len(),
            cap_kb,
        });
    }
    read_capped(file, cap, cap_kb)
}

/// Reads at most `cap` bytes; a file that grew past the cap since `fstat` is refused too.
fn read_capped(file: File, cap: u64, cap_kb: u64) -> Result<Vec<u8>, Refusal> {
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| Refusal::Io(error.to_string()))?;
    if bytes.len() as u64 > cap {
        return Err(Refusal::TooLarge {
            size: bytes.len() as u64,
            cap_kb,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"))
    }

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status();
        assert!(status.is_ok_and(|status| status.success()), "mkfifo");
    }

    #[test]
    fn the_walk_lists_regular_files_and_refuses_links_and_fifos() {
        let dir = folder();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/_sync")).unwrap_or_default();
        std::fs::write(root.join("a/_sync/x_server_v1.wasm"), b"x").unwrap_or_default();
        std::os::unix::fs::symlink("/etc/passwd", root.join("a/_sync/y_server_v1.wasm"))
            .unwrap_or_default();
        std::os::unix::fs::symlink(root.join("a"), root.join("b")).unwrap_or_default();
        mkfifo(&root.join("a/_sync/z_server_v1.wasm"));
        let mut listing = walk(root);
        listing.refused.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            listing.files,
            vec![PathBuf::from("a/_sync/x_server_v1.wasm")]
        );
        assert_eq!(
            listing.refused,
            vec![
                (PathBuf::from("a/_sync/y_server_v1.wasm"), Refusal::Symlink),
                (
                    PathBuf::from("a/_sync/z_server_v1.wasm"),
                    Refusal::Special("FIFO")
                ),
                (PathBuf::from("b"), Refusal::Symlink),
            ]
        );
    }

    #[test]
    fn reading_refuses_a_fifo_without_blocking_and_a_link_without_following() {
        let dir = folder();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        assert_eq!(read_regular(&fifo, 1), Err(Refusal::Special("FIFO")));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/etc/hostname", &link).unwrap_or_default();
        assert_eq!(read_regular(&link, 1024), Err(Refusal::Symlink));
        assert_eq!(
            read_regular(Path::new("/dev/zero"), 1),
            Err(Refusal::Special("device"))
        );
    }

    #[test]
    fn reading_caps_the_size() {
        let dir = folder();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 2048]).unwrap_or_default();
        assert_eq!(read_regular(&path, 2).map(|bytes| bytes.len()), Ok(2048));
        assert_eq!(
            read_regular(&path, 1),
            Err(Refusal::TooLarge {
                size: 2048,
                cap_kb: 1
            })
        );
    }
}
