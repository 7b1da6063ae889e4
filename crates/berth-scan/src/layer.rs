//! Reading a layer as a stream: its compression found by its first bytes (gzip, zstd, or a
//! plain tar), its entries read one by one without unpacking anything to disk, and only the
//! files a scan wants kept (their bytes, within limits). Whiteouts (`.wh.<name>`) and opaque
//! directories (`.wh..wh..opq`) are recorded so that [`crate::fs::Filesystem`] can apply the
//! layers as the runtime does.

use std::io::{BufRead, BufReader, Read};

use crate::binary::{self, Binary};
use crate::error::ScanError;
use crate::guard::{self, HeaderGuard};

/// The bounds a scan keeps to, whatever a layer holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes kept of one wanted file.
    pub file_bytes: u64,
    /// Bytes kept of all wanted files of a layer.
    pub kept_bytes: u64,
    /// Entries of one layer.
    pub entries: u64,
    /// Bytes of one layer once decompressed (a gzip bomb stops here).
    pub layer_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 16 << 20,
            kept_bytes: 48 << 20,
            entries: 2_000_000,
            layer_bytes: 64 << 30,
        }
    }
}

/// What a scan wants of an entry, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Nothing (an executable is still searched as it streams past).
    No,
    /// Its bytes (a package database, a manifest).
    Bytes,
    /// Only that it is there (a database a scan cannot read, to be reported).
    Presence,
}

/// What an entry at a wanted path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    File(Vec<u8>),
    Symlink(String),
    /// An executable and what a scan reads of it.
    Binary(Binary),
    /// A directory, device or anything else: it hides a lower file at that path.
    Other,
}

/// What a layer changes, as far as a scan is concerned.
#[derive(Debug, Default)]
pub struct LayerChanges {
    /// Entries at wanted paths, in archive order (normalised paths).
    pub kept: Vec<(String, Kept)>,
    /// Paths a whiteout removes from the layers below.
    pub whiteouts: Vec<String>,
    /// Directories whose lower contents are hidden.
    pub opaque: Vec<String>,
    /// Entries read.
    pub entries: u64,
}

/// Normalise an archive path: no leading `./` or `/`, `.` and `..` resolved without leaving
/// the root (a hostile `../../etc/x` is `etc/x`: nothing is ever written, so it only names a
/// path of the image).
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

const GZIP: [u8; 2] = [0x1f, 0x8b];
const ZSTD: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Decompress by the stream's first bytes.
fn decompressed<'a, R: Read + 'a>(reader: R) -> std::io::Result<Box<dyn Read + 'a>> {
    let mut buffered = BufReader::with_capacity(256 << 10, reader);
    let head = buffered.fill_buf()?;
    Ok(if head.starts_with(&GZIP) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if head.starts_with(&ZSTD) {
        Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?)
    } else {
        Box::new(buffered)
    })
}

/// Counts what passes, and stops at a limit.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.limit {
            return Err(std::io::Error::other(BOUND_REACHED));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

const BOUND_REACHED: &str = "decompressed size limit reached";

/// An I/O error of a layer's stream as the scan names it.
fn archive_error(index: usize, limits: &Limits, e: std::io::Error) -> ScanError {
    if e.to_string().contains(guard::TOO_LARGE) {
        ScanError::Limit {
            layer: index,
            what: "a tar extension header (long name or PAX)",
            limit: guard::MAX_EXTENSION,
        }
    } else if e.to_string().contains(BOUND_REACHED) {
        ScanError::Limit {
            layer: index,
            what: "the decompressed layer",
            limit: limits.layer_bytes,
        }
    } else {
        ScanError::Archive {
            layer: index,
            reason: e.to_string(),
        }
    }
}

/// Read layer number `index` (0 the lowest) from `reader`, keeping the entries at paths
/// `wanted` asks for.
pub fn read_layer<R: Read>(
    index: usize,
    reader: R,
    wanted: &dyn Fn(&str) -> Want,
    limits: &Limits,
) -> Result<LayerChanges, ScanError> {
    let io = |e| archive_error(index, limits, e);
    let stream = decompressed(reader).map_err(io)?;
    let mut archive = tar::Archive::new(HeaderGuard::new(Bounded {
        inner: stream,
        read: 0,
        limit: limits.layer_bytes,
    }));
    let mut changes = LayerChanges::default();
    let mut kept_bytes = 0u64;
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        changes.entries += 1;
        if changes.entries > limits.entries {
            return Err(ScanError::Limit {
                layer: index,
                what: "the number of entries",
                limit: limits.entries,
            });
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalize(&raw);
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => ("", path.as_str()),
        };
        if name == ".wh..wh..opq" {
            changes.opaque.push(dir.to_string());
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let target = if dir.is_empty() {
                hidden.to_string()
            } else {
                format!("{dir}/{hidden}")
            };
            changes.whiteouts.push(target);
            continue;
        }
        let kept = match wanted(&path) {
            Want::No => {
                // executables and Java archives are read as they stream past
                let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                if entry.header().entry_type().is_file() {
                    if binary::jar::is_archive(&path) {
                        let artifacts = binary::jar::read(&mut entry);
                        if !artifacts.is_empty() {
                            changes
                                .kept
                                .push((path, Kept::Binary(Binary::Jar(artifacts))));
                        }
                    } else if executable {
                        if let Some(b) = binary::sniff(&mut entry).map_err(io)? {
                            changes.kept.push((path, Kept::Binary(b)));
                        }
                    }
                }
                continue;
            }
            Want::Presence => Kept::Other,
            Want::Bytes => kept_entry(index, &mut entry, &changes.kept, &mut kept_bytes, limits)?,
        };
        changes.kept.push((path, kept));
    }
    Ok(changes)
}

/// What a layer keeps of an entry whose bytes are wanted: a file's bytes (within limits), a
/// link's target, or that something else is there.
fn kept_entry<R: Read>(
    index: usize,
    entry: &mut tar::Entry<'_, R>,
    earlier: &[(String, Kept)],
    kept_bytes: &mut u64,
    limits: &Limits,
) -> Result<Kept, ScanError> {
    let kind = entry.header().entry_type();
    Ok(if kind.is_file() {
        let size = entry.size();
        if size > limits.file_bytes {
            return Err(ScanError::Limit {
                layer: index,
                what: "a package database's size",
                limit: limits.file_bytes,
            });
        }
        *kept_bytes += size;
        if *kept_bytes > limits.kept_bytes {
            return Err(ScanError::Limit {
                layer: index,
                what: "the bytes kept of the layer's package files",
                limit: limits.kept_bytes,
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| archive_error(index, limits, e))?;
        Kept::File(bytes)
    } else if kind.is_symlink() {
        let target = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        Kept::Symlink(target)
    } else if kind.is_hard_link() {
        // a hard link names another path of the same layer, already read
        let target = entry
            .link_name_bytes()
            .map(|l| normalize(&String::from_utf8_lossy(&l)))
            .unwrap_or_default();
        match earlier.iter().rev().find(|(p, _)| *p == target) {
            Some((_, k)) => k.clone(),
            None => Kept::Other,
        }
    } else {
        Kept::Other
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_within_the_root() {
        assert_eq!(normalize("./etc/os-release"), "etc/os-release");
        assert_eq!(normalize("/../../etc/x"), "etc/x");
        assert_eq!(normalize("a/./b/../c/"), "a/c");
    }
}
