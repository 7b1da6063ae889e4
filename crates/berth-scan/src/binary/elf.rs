//! The few parts of an ELF file a scan reads as the file streams past: where its loaded
//! segments end (what follows them, up to the section headers, is the non-loaded tail where
//! linkers put sections such as `.comment` and cargo-auditable's `.dep-v0`), and, once the
//! tail and the section headers have been kept, one named section's bytes.

/// What the ELF header and program headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    wide: bool,
    little: bool,
    /// Where the loaded segments end: the tail starts here.
    pub tail_start: u64,
    /// The section header table.
    pub sections_at: u64,
    pub sections_len: u64,
    section_size: u64,
    names_index: u64,
}

struct Fields<'a> {
    b: &'a [u8],
    little: bool,
}

impl Fields<'_> {
    fn n(&self, at: usize, len: usize) -> Option<u64> {
        let s = self.b.get(at..at.checked_add(len)?)?;
        let mut v = 0u64;
        for i in 0..len {
            let byte = if self.little { s[len - 1 - i] } else { s[i] };
            v = (v << 8) | byte as u64;
        }
        Some(v)
    }
}

const PT_LOAD: u64 = 1;

/// Read the header and program headers from the file's first bytes (`None` when they are
/// not all there, or the file is not ELF).
pub fn layout(head: &[u8]) -> Option<Layout> {
    if head.get(..4)? != b"\x7fELF" {
        return None;
    }
    let wide = match head.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = *head.get(5)? == 1;
    let f = Fields { b: head, little };
    // (e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx)
    let (phoff, shoff, phent, phnum, shent, shnum, shstrndx) = if wide {
        let v = |at, len| f.n(at, len);
        (
            v(0x20, 8)?,
            v(0x28, 8)?,
            v(0x36, 2)?,
            v(0x38, 2)?,
            v(0x3a, 2)?,
            v(0x3c, 2)?,
            v(0x3e, 2)?,
        )
    } else {
        let v = |at, len| f.n(at, len);
        (
            v(0x1c, 4)?,
            v(0x20, 4)?,
            v(0x2a, 2)?,
            v(0x2c, 2)?,
            v(0x2e, 2)?,
            v(0x30, 2)?,
            v(0x32, 2)?,
        )
    };
    let mut tail_start = 0u64;
    for i in 0..phnum {
        let at = usize::try_from(phoff.checked_add(i.checked_mul(phent)?)?).ok()?;
        let (offset, size) = if wide {
            (f.n(at + 8, 8)?, f.n(at + 0x20, 8)?)
        } else {
            (f.n(at + 4, 4)?, f.n(at + 0x10, 4)?)
        };
        if f.n(at, 4)? == PT_LOAD {
            tail_start = tail_start.max(offset.checked_add(size)?);
        }
    }
    Some(Layout {
        wide,
        little,
        tail_start,
        sections_at: shoff,
        sections_len: shent.checked_mul(shnum)?,
        section_size: shent,
        names_index: shstrndx,
    })
}

impl Layout {
    /// The bytes of the section called `name`, from the kept tail (which starts at
    /// `tail_start`) and section headers.
    pub fn section<'a>(&self, tail: &'a [u8], headers: &[u8], name: &[u8]) -> Option<&'a [u8]> {
        let f = Fields {
            b: headers,
            little: self.little,
        };
        let count = headers.len() as u64 / self.section_size.max(1);
        // (sh_name, sh_offset, sh_size) of section i
        let header = |i: u64| -> Option<(u64, u64, u64)> {
            let at = usize::try_from(i.checked_mul(self.section_size)?).ok()?;
            if self.wide {
                Some((f.n(at, 4)?, f.n(at + 0x18, 8)?, f.n(at + 0x20, 8)?))
            } else {
                Some((f.n(at, 4)?, f.n(at + 0x10, 4)?, f.n(at + 0x14, 4)?))
            }
        };
        let bytes = |offset: u64, size: u64| -> Option<&'a [u8]> {
            let start = usize::try_from(offset.checked_sub(self.tail_start)?).ok()?;
            tail.get(start..start.checked_add(usize::try_from(size).ok()?)?)
        };
        let (_, names_at, names_size) = header(self.names_index)?;
        let names = bytes(names_at, names_size)?;
        (0..count).find_map(|i| {
            let (n, offset, size) = header(i)?;
            let rest = names.get(usize::try_from(n).ok()?..)?;
            let end = memchr::memchr(0, rest)?;
            (&rest[..end] == name).then(|| bytes(offset, size))?
        })
    }
}
