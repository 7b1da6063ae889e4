//! Just enough of SQLite's file format to read the rows of one table from a database file held
//! in memory (rpm's `rpmdb.sqlite`): the schema table on page 1 names the table's root page,
//! its b-tree is walked from there, and each row's record is decoded, overflow pages included.
//! Every page number and offset is checked and every page is visited at most once, so a hostile
//! file ends in an error, never a loop or a read out of bounds. Nothing is written, and the
//! write-ahead log (a separate file) is not read: what was not checkpointed is not seen.

use std::borrow::Cow;
use std::collections::HashSet;

/// Why a database file could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a readable SQLite database: {0}")]
pub struct Malformed(pub &'static str);

type Result<T> = std::result::Result<T, Malformed>;

/// A column's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    Real(f64),
    /// Borrowed from the file, or gathered from overflow pages.
    Text(Cow<'a, [u8]>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    /// The bytes of a text or blob.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(b) | Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(i),
            Value::Real(r) => Value::Real(r),
            Value::Text(b) => Value::Text(Cow::Owned(b.into_owned())),
            Value::Blob(b) => Value::Blob(Cow::Owned(b.into_owned())),
        }
    }
}

const MAGIC: &[u8] = b"SQLite format 3\0";
const LEAF_TABLE: u8 = 0x0d;
const INTERIOR_TABLE: u8 = 0x05;

/// A database file in memory.
pub struct Database<'a> {
    file: &'a [u8],
    page_size: usize,
    usable: usize,
}

impl<'a> Database<'a> {
    pub fn open(file: &'a [u8]) -> Result<Database<'a>> {
        if file.len() < 100 || !file.starts_with(MAGIC) {
            return Err(Malformed("no SQLite header"));
        }
        let page_size = match u16::from_be_bytes([file[16], file[17]]) {
            1 => 65536,
            n if n >= 512 && n.is_power_of_two() => n as usize,
            _ => return Err(Malformed("bad page size")),
        };
        let reserved = file[20] as usize;
        if page_size - reserved < 480 {
            return Err(Malformed("bad reserved space"));
        }
        Ok(Database {
            file,
            page_size,
            usable: page_size - reserved,
        })
    }

    /// The bytes of page `n` (from 1).
    fn page(&self, n: u32) -> Result<&'a [u8]> {
        let start = (n as usize)
            .checked_sub(1)
            .and_then(|i| i.checked_mul(self.page_size))
            .ok_or(Malformed("page number 0"))?;
        self.file
            .get(start..start + self.page_size)
            .ok_or(Malformed("page beyond the end of the file"))
    }

    /// The rows of table `name`, each its columns.
    pub fn rows(&self, name: &str) -> Result<Vec<Vec<Value<'a>>>> {
        let mut root = None;
        for row in self.table_rows(1)? {
            // sqlite_schema: type, name, tbl_name, rootpage, sql
            let is_table = row.first().and_then(Value::bytes) == Some(b"table");
            let named = row.get(1).and_then(Value::bytes) == Some(name.as_bytes());
            if is_table && named {
                if let Some(Value::Integer(page)) = row.get(3) {
                    root = u32::try_from(*page).ok();
                }
            }
        }
        let root = root.ok_or(Malformed("the table is missing"))?;
        self.table_rows(root)
    }

    /// The rows of the table b-tree rooted at `root`, in rowid order.
    fn table_rows(&self, root: u32) -> Result<Vec<Vec<Value<'a>>>> {
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                return Err(Malformed("a page is visited twice"));
            }
            let page = self.page(n)?;
            let header = if n == 1 { 100 } else { 0 };
            let kind = *page.get(header).ok_or(Malformed("short page"))?;
            let cells = be16(page, header + 3)? as usize;
            let interior = kind == INTERIOR_TABLE;
            if !interior && kind != LEAF_TABLE {
                return Err(Malformed("not a table b-tree page"));
            }
            let pointers = header + if interior { 12 } else { 8 };
            let mut children = Vec::new();
            for i in 0..cells {
                let at = be16(page, pointers + 2 * i)? as usize;
                if interior {
                    children.push(be32(page, at)?);
                } else {
                    rows.push(self.leaf_cell(page, at, &mut seen)?);
                }
            }
            if interior {
                children.push(be32(page, header + 8)?);
                // popped in order: the leftmost child last pushed
                stack.extend(children.into_iter().rev());
            }
        }
        Ok(rows)
    }

    /// A table leaf cell's record.
    fn leaf_cell(
        &self,
        page: &'a [u8],
        at: usize,
        seen: &mut HashSet<u32>,
    ) -> Result<Vec<Value<'a>>> {
        let (size, n) = varint(page.get(at..).ok_or(Malformed("cell beyond the page"))?)?;
        let (_rowid, m) = varint(&page[at + n..])?;
        let start = at + n + m;
        let size = usize::try_from(size).map_err(|_| Malformed("record too large"))?;
        let u = self.usable;
        let max_local = u - 35;
        let local = if size <= max_local {
            size
        } else {
            let min = (u - 12) * 32 / 255 - 23;
            let k = min + (size - min) % (u - 4);
            if k <= max_local {
                k
            } else {
                min
            }
        };
        let here = page
            .get(start..start + local)
            .ok_or(Malformed("record beyond the page"))?;
        if local == size {
            return record(here);
        }
        // the rest is on a chain of overflow pages
        let mut payload = Vec::with_capacity(size.min(self.file.len()));
        payload.extend_from_slice(here);
        let mut next = be32(page, start + local)?;
        while payload.len() < size {
            if !seen.insert(next) {
                return Err(Malformed("an overflow page is visited twice"));
            }
            let over = self.page(next)?;
            next = be32(over, 0)?;
            let take = (size - payload.len()).min(u - 4);
            payload.extend_from_slice(&over[4..4 + take]);
        }
        Ok(record(&payload)?
            .into_iter()
            .map(Value::into_owned)
            .collect())
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(Malformed("offset beyond the page"))
}

fn be32(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(Malformed("offset beyond the page"))
}

/// SQLite's varint: up to 9 bytes, big-endian, 7 bits a byte (all 8 of the ninth).
fn varint(b: &[u8]) -> Result<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let byte = *b.get(i).ok_or(Malformed("truncated varint"))?;
        if i == 8 {
            return Ok(((v << 8) | byte as u64, 9));
        }
        v = (v << 7) | (byte & 0x7f) as u64;
        if byte & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(Malformed("truncated varint"))
}

/// A record's columns: a header of serial types, then the values.
fn record(b: &[u8]) -> Result<Vec<Value<'_>>> {
    let (header_len, mut at) = varint(b)?;
    let header_len = usize::try_from(header_len).map_err(|_| Malformed("bad record header"))?;
    if header_len > b.len() || header_len < at {
        return Err(Malformed("bad record header"));
    }
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (serial, n) = varint(&b[at..header_len])?;
        at += n;
        let len = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err(Malformed("reserved serial type")),
            n => ((n - 12) / 2) as usize,
        };
        let bytes = b
            .get(body..body.checked_add(len).ok_or(Malformed("bad value length"))?)
            .ok_or(Malformed("value beyond the record"))?;
        body += len;
        values.push(match serial {
            0 => Value::Null,
            8 => Value::Integer(0),
            9 => Value::Integer(1),
            1..=6 => {
                // big-endian two's complement of 1–8 bytes
                let mut v = if bytes[0] & 0x80 != 0 { -1i64 } else { 0 };
                for &x in bytes {
                    v = (v << 8) | x as i64;
                }
                Value::Integer(v)
            }
            7 => Value::Real(f64::from_be_bytes(
                bytes.try_into().map_err(|_| Malformed("bad real"))?,
            )),
            n if n % 2 == 0 => Value::Blob(Cow::Borrowed(bytes)),
            _ => Value::Text(Cow::Borrowed(bytes)),
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05]), Ok((5, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Ok((128, 2)));
        assert_eq!(varint(&[0xff; 9]), Ok((u64::MAX, 9)));
        assert!(varint(&[0x81]).is_err());
    }

    #[test]
    fn garbage_is_refused() {
        assert!(Database::open(b"not a database").is_err());
        let mut file = vec![0u8; 1024];
        file[..16].copy_from_slice(MAGIC);
        file[16..18].copy_from_slice(&512u16.to_be_bytes());
        // page 1's b-tree header at 100 names itself as an interior page's right child
        file[100] = INTERIOR_TABLE;
        file[108..112].copy_from_slice(&1u32.to_be_bytes());
        let db = Database::open(&file).unwrap();
        assert_eq!(
            db.rows("Packages").err(),
            Some(Malformed("a page is visited twice"))
        );
    }
}
