//! Executables read as they stream past: an ELF file is searched for Go's build information
//! (Go 1.18 and later keep it inline after a 32-byte header that starts `\xff Go buildinf:`),
//! and only that is kept. Nothing else of a binary is held in memory.

pub mod go;

use std::io::Read;

use memchr::memmem;

const ELF: &[u8; 4] = b"\x7fELF";
const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Bytes kept after the magic: the header and the two inline strings.
const GO_INFO_BYTES: usize = 256 << 10;

/// What a binary holds that a scan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binary {
    /// Go's build information (the bytes from the magic on).
    Go(Vec<u8>),
    /// An executable without anything a scan reads.
    Plain,
}

/// Read a file to its end: `None` if it is not an ELF executable.
pub fn sniff<R: Read>(file: &mut R) -> std::io::Result<Option<Binary>> {
    let mut chunk = vec![0u8; 256 << 10];
    let mut head = 0;
    while head < 4 {
        let n = file.read(&mut chunk[head..])?;
        if n == 0 {
            return Ok(None);
        }
        head += n;
    }
    if &chunk[..4] != ELF {
        return Ok(None);
    }
    let finder = memmem::Finder::new(GO_MAGIC);
    // the window searched: the last bytes of the previous chunk, then this one
    let mut window: Vec<u8> = Vec::with_capacity(chunk.len() + GO_MAGIC.len());
    let mut filled = head;
    loop {
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
        filled = file.read(&mut chunk)?;
        if filled == 0 {
            return Ok(Some(Binary::Plain));
        }
    }
}
