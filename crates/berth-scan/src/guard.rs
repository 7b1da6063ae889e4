//! A tar stream's extension headers, bounded before the tar reader sees them: a GNU long name
//! or link (`L`, `K`) or a PAX header (`x`, `g`) is read whole into memory by the reader, so one
//! that claims gigabytes would be allocated whole. This reader follows the archive's blocks as
//! they pass (512-byte headers, then each entry's data rounded up to a block) and fails the
//! stream at any extension header larger than [`MAX_EXTENSION`].

use std::io::{self, Read};

/// The largest extension header let through (path names are at most a few KiB; PAX records
/// of a real layer stay far below this).
pub const MAX_EXTENSION: u64 = 1 << 20;

pub const TOO_LARGE: &str = "a tar extension header (long name or PAX) larger than 1 MiB";

pub struct HeaderGuard<R> {
    inner: R,
    /// Bytes of the current header block seen so far.
    header: [u8; 512],
    filled: usize,
    /// Data bytes (with padding) still to pass before the next header.
    data_left: u64,
}

impl<R> HeaderGuard<R> {
    pub fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            header: [0; 512],
            filled: 0,
            data_left: 0,
        }
    }
}

/// A header's size field: octal text, or base-256 when the high bit of its first byte is set.
fn size(field: &[u8]) -> u64 {
    if field[0] & 0x80 != 0 {
        return field[1..].iter().fold(0u64, |n, b| {
            n.saturating_mul(256).saturating_add(u64::from(*b))
        });
    }
    field
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .fold(0u64, |n, b| {
            n.saturating_mul(8).saturating_add(u64::from(b - b'0'))
        })
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut at = 0;
        while at < n {
            if self.data_left > 0 {
                let step = (self.data_left.min((n - at) as u64)) as usize;
                self.data_left -= step as u64;
                at += step;
                continue;
            }
            let step = (512 - self.filled).min(n - at);
            self.header[self.filled..self.filled + step].copy_from_slice(&buf[at..at + step]);
            self.filled += step;
            at += step;
            if self.filled == 512 {
                self.filled = 0;
                let kind = self.header[156];
                let len = size(&self.header[124..136]);
                if matches!(kind, b'L' | b'K' | b'x' | b'g') && len > MAX_EXTENSION {
                    return Err(io::Error::other(TOO_LARGE));
                }
                // an all-zero block (the archive's end) has no data
                self.data_left = len.div_ceil(512).saturating_mul(512);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: u8, len: u64) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[156] = kind;
        let text = format!("{len:011o}");
        h[124..135].copy_from_slice(text.as_bytes());
        h
    }

    fn read_all(bytes: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        HeaderGuard::new(bytes.as_slice()).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn large_extension_headers_stop_the_stream() {
        // a regular file's data streams past whatever its size; a small long name is fine
        let mut ok = header(b'0', 600);
        ok.extend(vec![7u8; 1024]);
        ok.extend(header(b'L', 100));
        assert_eq!(read_all(ok.clone()).unwrap(), ok);
        let bad = header(b'L', 1 << 30);
        assert_eq!(read_all(bad).unwrap_err().to_string(), TOO_LARGE);
        let pax = header(b'x', (1 << 20) + 1);
        assert!(read_all(pax).is_err());
        assert_eq!(size(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), 256);
    }
}
