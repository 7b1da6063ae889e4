//! Java archives (`.jar`, `.war`, `.ear`, Jenkins' `.hpi`/`.jpi`) read as they stream past,
//! entry by entry through their local headers (no seeking to the central directory, nothing
//! unpacked): each `META-INF/maven/<group>/<artifact>/pom.properties` names a Maven artifact,
//! and a nested archive (a fat jar's `BOOT-INF/lib/*.jar`, a war's `WEB-INF/lib/*.jar`) is read
//! the same way as it decompresses, down to a few levels. Decompressed bytes are bounded, so an
//! archive bomb ends the walk with what was found so far.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

/// A Maven artifact named by an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `group:artifact`, as OSV's Maven ecosystem names packages.
    pub name: String,
    pub version: String,
    /// Where in the archive (`BOOT-INF/lib/x.jar!/META-INF/maven/…`).
    pub path: String,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// Nested archives read inside each other at most.
const DEPTH: usize = 3;
/// Bytes of a pom.properties kept.
const POM_BYTES: u64 = 64 << 10;
/// Bytes decompressed from one archive, nested ones included.
const BUDGET: u64 = 2 << 30;
const MAX_ARTIFACTS: usize = 10_000;

/// Whether a path names a Java archive.
pub fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".hpi", ".jpi"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The artifacts an archive names (an empty list for anything else); reads the stream to the
/// archive's central directory.
pub fn read<R: Read>(file: R) -> Vec<Artifact> {
    let budget = Cell::new(BUDGET);
    let mut walk = Walk {
        budget: &budget,
        found: Vec::new(),
    };
    // an error ends the walk: what was found before it stands
    let _ = walk.archive(&mut BufReader::new(file), "", 0);
    walk.found
}

struct Walk<'b> {
    /// Bytes still to be decompressed, at every level.
    budget: &'b Cell<u64>,
    found: Vec<Artifact>,
}

enum EntryKind {
    Pom,
    Nested,
    Other,
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |v, &x| (v << 8) | x as u64)
}

fn read_u32(r: &mut dyn BufRead) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Counts decompressed bytes against the walk's budget.
struct Budgeted<'b, R> {
    inner: R,
    budget: &'b Cell<u64>,
}

impl<R: Read> Read for Budgeted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.get() == 0 {
            return Err(io::Error::other("decompressed size limit reached"));
        }
        let n = self.inner.read(buf)?;
        self.budget.set(self.budget.get().saturating_sub(n as u64));
        Ok(n)
    }
}

impl Walk<'_> {
    /// (Readers are dynamic: a nested archive's reader wraps its parent's.)
    fn archive(&mut self, r: &mut dyn BufRead, prefix: &str, depth: usize) -> io::Result<()> {
        // entries until the central directory (or anything that is not a local header)
        while read_u32(r)? == LOCAL_HEADER {
            let mut h = [0u8; 26];
            r.read_exact(&mut h)?;
            let flags = le(&h[2..4]) as u16;
            let method = le(&h[4..6]) as u16;
            let mut size = le(&h[14..18]);
            let name_len = le(&h[22..24]) as usize;
            let extra_len = le(&h[24..26]) as usize;
            let mut name = vec![0u8; name_len];
            r.read_exact(&mut name)?;
            let mut extra = vec![0u8; extra_len];
            r.read_exact(&mut extra)?;
            let zip64 = size == 0xffff_ffff || le(&h[18..22]) == 0xffff_ffff;
            if zip64 {
                size = zip64_size(&extra, le(&h[18..22]) == 0xffff_ffff).unwrap_or(size);
            }
            let name = String::from_utf8_lossy(&name).into_owned();
            let kind = if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                EntryKind::Pom
            } else if depth < DEPTH && is_archive(&name) {
                EntryKind::Nested
            } else {
                EntryKind::Other
            };
            let path = format!("{prefix}{name}");
            let descriptor = flags & 0x08 != 0;
            let sized = !descriptor || size > 0;
            match method {
                // an entry of no interest whose size is known is passed over undecompressed
                _ if matches!(kind, EntryKind::Other) && sized => {
                    io::copy(&mut (&mut *r).take(size), &mut io::sink())?;
                }
                DEFLATED => {
                    // the decoder reads exactly the compressed stream, however its size is given
                    let mut data = flate2::bufread::DeflateDecoder::new(&mut *r);
                    self.entry(&mut data, kind, &path, depth)?;
                }
                // a stored entry's size in its local header, unless only its descriptor has it
                // (a streaming writer may give both)
                STORED if sized => {
                    let mut data = (&mut *r).take(size);
                    self.entry(&mut data, kind, &path, depth)?;
                }
                _ if !descriptor => {
                    io::copy(&mut (&mut *r).take(size), &mut io::sink())?;
                }
                // an entry whose end cannot be found without its compressed size
                _ => return Ok(()),
            }
            if descriptor {
                // crc, compressed and uncompressed sizes, after an optional signature
                let first = read_u32(r)?;
                let rest = if zip64 { 16 } else { 8 } + if first == DESCRIPTOR { 4 } else { 0 };
                io::copy(&mut (&mut *r).take(rest), &mut io::sink())?;
            }
            if self.found.len() >= MAX_ARTIFACTS {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Read one entry's (decompressed) data to its end.
    fn entry(
        &mut self,
        data: &mut dyn Read,
        kind: EntryKind,
        path: &str,
        depth: usize,
    ) -> io::Result<()> {
        let mut data = Budgeted {
            inner: data,
            budget: self.budget,
        };
        match kind {
            EntryKind::Pom => {
                let mut text = Vec::new();
                (&mut data).take(POM_BYTES).read_to_end(&mut text)?;
                io::copy(&mut data, &mut io::sink())?;
                if let Some(a) = pom_properties(&String::from_utf8_lossy(&text), path) {
                    self.found.push(a);
                }
            }
            EntryKind::Nested => {
                let mut inner = Walk {
                    budget: self.budget,
                    found: Vec::new(),
                };
                // a damaged nested archive ends its own walk, not its parent's
                let _ = inner.archive(
                    &mut BufReader::new(&mut data),
                    &format!("{path}!/"),
                    depth + 1,
                );
                self.found.extend(inner.found);
                io::copy(&mut data, &mut io::sink())?;
            }
            EntryKind::Other => {
                io::copy(&mut data, &mut io::sink())?;
            }
        }
        Ok(())
    }
}

/// The sizes in a zip64 extra field (id 1): the uncompressed size first when the header's is
/// 0xffffffff, then the compressed size.
fn zip64_size(extra: &[u8], has_uncompressed: bool) -> Option<u64> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = le(&extra[at..at + 2]);
        let len = le(&extra[at + 2..at + 4]) as usize;
        let body = extra.get(at + 4..at + 4 + len)?;
        if id == 1 {
            let skip = if has_uncompressed { 8 } else { 0 };
            return body.get(skip..skip + 8).map(le);
        }
        at += 4 + len;
    }
    None
}

/// `groupId`, `artifactId` and `version` of a pom.properties.
fn pom_properties(text: &str, path: &str) -> Option<Artifact> {
    let get = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some(Artifact {
        name: format!("{}:{}", get("groupId")?, get("artifactId")?),
        version: get("version")?,
        path: path.to_string(),
    })
}
