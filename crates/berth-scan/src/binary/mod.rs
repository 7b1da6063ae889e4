//! Executables and Java archives read as they stream past, keeping only what a scan reads of
//! them: Go's build information (Go 1.18 and later keep it inline after a 32-byte header that
//! starts `\xff Go buildinf:`), a Rust binary's cargo-auditable data (the `.dep-v0` section, in
//! the ELF file's non-loaded tail, found through the section headers at the file's end), and the
//! Maven artifacts an archive names ([`jar`]). Nothing else of a file is held in memory.

pub mod cargo;
mod elf;
pub mod go;
pub mod jar;

use std::io::Read;

use memchr::memmem;

const ELF: &[u8; 4] = b"\x7fELF";
const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Bytes kept after the magic: the header and the two inline strings.
const GO_INFO_BYTES: usize = 256 << 10;
const CHUNK: usize = 256 << 10;
/// Bytes kept of the tail after the loaded segments (`.comment`, `.dep-v0`, then symbols and
/// debug information, which are not needed), and of the section headers.
const TAIL_BYTES: u64 = 4 << 20;
const HEADER_BYTES: u64 = 1 << 20;

/// What a binary holds that a scan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binary {
    /// Go's build information (the bytes from the magic on).
    Go(Vec<u8>),
    /// The crates.io crates cargo-auditable recorded: (crate, version).
    Rust(Vec<(String, String)>),
    /// The Maven artifacts a Java archive names.
    Jar(Vec<jar::Artifact>),
    /// An executable without anything a scan reads.
    Plain,
}

/// The parts of an ELF file's tail kept as it streams past.
struct Tail {
    layout: Option<elf::Layout>,
    tail: Vec<u8>,
    headers: Vec<u8>,
}

/// Append to `out` the part of `bytes` (which start at file offset `pos`) within
/// `[start, start + len)`.
fn keep_range(out: &mut Vec<u8>, pos: u64, bytes: &[u8], start: u64, len: u64) {
    let end = start.saturating_add(len);
    let from = start.max(pos);
    let to = end.min(pos + bytes.len() as u64);
    if from < to {
        out.extend_from_slice(&bytes[(from - pos) as usize..(to - pos) as usize]);
    }
}

impl Tail {
    fn keep(&mut self, pos: u64, bytes: &[u8]) {
        let Some(l) = self.layout else { return };
        let tail_len = l.sections_at.saturating_sub(l.tail_start).min(TAIL_BYTES);
        keep_range(&mut self.tail, pos, bytes, l.tail_start, tail_len);
        let headers_len = l.sections_len.min(HEADER_BYTES);
        keep_range(&mut self.headers, pos, bytes, l.sections_at, headers_len);
    }

    fn finish(self) -> Binary {
        let deps = self.layout.and_then(|l| {
            let section = l.section(&self.tail, &self.headers, b".dep-v0")?;
            cargo::parse(section)
        });
        match deps {
            Some(d) => Binary::Rust(d),
            None => Binary::Plain,
        }
    }
}

/// Read a file to its end: `None` if it is not an ELF executable.
pub fn sniff<R: Read>(file: &mut R) -> std::io::Result<Option<Binary>> {
    let mut chunk = vec![0u8; CHUNK];
    let mut filled = 0;
    while filled < CHUNK {
        let n = file.read(&mut chunk[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    if filled < 4 || &chunk[..4] != ELF {
        return Ok(None);
    }
    let mut tail = Tail {
        layout: elf::layout(&chunk[..filled]),
        tail: Vec::new(),
        headers: Vec::new(),
    };
    let finder = memmem::Finder::new(GO_MAGIC);
    // the window searched: the last bytes of the previous chunk, then this one
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + GO_MAGIC.len());
    let mut pos = 0u64;
    loop {
        tail.keep(pos, &chunk[..filled]);
        window.extend_from_slice(&chunk[..filled]);
        if let Some(at) = finder.find(&window) {
            let mut info = window[at..].to_vec();
            info.truncate(GO_INFO_BYTES);
            let mut rest = file.take((GO_INFO_BYTES - info.len()) as u64);
            rest.read_to_end(&mut info)?;
            return Ok(Some(Binary::Go(info)));
        }
        let keep = window.len().min(GO_MAGIC.len() - 1);
        window.drain(..window.len() - keep);
        pos += filled as u64;
        filled = file.read(&mut chunk)?;
        if filled == 0 {
            return Ok(Some(tail.finish()));
        }
    }
}
