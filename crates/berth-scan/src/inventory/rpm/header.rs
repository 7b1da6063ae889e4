//! An rpm package header as rpmdb stores it (the blob of a `Packages` row): a count of index
//! entries and the length of the data store, then the entries (tag, type, offset, count; 16
//! bytes each, big-endian), then the data store. Only the few string and number tags a scan
//! needs are read, each checked to lie within the store.

/// Why a header could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a readable rpm header: {0}")]
pub struct BadHeader(pub &'static str);

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const ARCH: u32 = 1022;

const INT32: u32 = 4;
const STRING: u32 = 6;
const I18NSTRING: u32 = 9;

/// Bounds no real header comes near.
const MAX_ENTRIES: usize = 0x10000;

pub struct Header<'a> {
    entries: &'a [u8],
    store: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> Header<'a> {
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, BadHeader> {
        if blob.len() < 8 {
            return Err(BadHeader("shorter than its counts"));
        }
        let count = be32(blob, 0) as usize;
        let len = be32(blob, 4) as usize;
        if count > MAX_ENTRIES {
            return Err(BadHeader("too many entries"));
        }
        let entries_end = 8 + count * 16;
        let store = blob
            .get(entries_end..)
            .and_then(|rest| rest.get(..len))
            .ok_or(BadHeader("shorter than its counts say"))?;
        Ok(Header {
            entries: &blob[8..entries_end],
            store,
        })
    }

    /// The type and data of `tag`'s entry, its data from its offset to the store's end.
    fn entry(&self, tag: u32) -> Option<(u32, &'a [u8])> {
        self.entries.chunks_exact(16).find_map(|e| {
            (be32(e, 0) == tag).then(|| {
                let offset = be32(e, 8) as usize;
                self.store.get(offset..).map(|data| (be32(e, 4), data))
            })?
        })
    }

    /// A string tag's value (an i18n string: its first).
    pub fn string(&self, tag: u32) -> Option<&'a str> {
        let (kind, data) = self.entry(tag)?;
        if kind != STRING && kind != I18NSTRING {
            return None;
        }
        let end = memchr::memchr(0, data)?;
        std::str::from_utf8(&data[..end]).ok()
    }

    /// A 32-bit number tag's (first) value.
    pub fn int32(&self, tag: u32) -> Option<u32> {
        let (kind, data) = self.entry(tag)?;
        (kind == INT32 && data.len() >= 4).then(|| be32(data, 0))
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A header blob with these tags (a number for EPOCH, strings for the rest).
    pub fn blob(tags: &[(u32, &str)]) -> Vec<u8> {
        let mut entries = Vec::new();
        let mut store = Vec::new();
        for (tag, value) in tags {
            let (kind, bytes) = if *tag == EPOCH {
                while store.len() % 4 != 0 {
                    store.push(0);
                }
                (INT32, value.parse::<u32>().unwrap().to_be_bytes().to_vec())
            } else {
                (STRING, format!("{value}\0").into_bytes())
            };
            for n in [*tag, kind, store.len() as u32, 1] {
                entries.extend_from_slice(&n.to_be_bytes());
            }
            store.extend_from_slice(&bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
        out.extend_from_slice(&(store.len() as u32).to_be_bytes());
        out.extend(entries);
        out.extend(store);
        out
    }

    #[test]
    fn tags_are_read_within_the_store() {
        let b = blob(&[(NAME, "openssl-libs"), (EPOCH, "1"), (VERSION, "3.0.1")]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(NAME), Some("openssl-libs"));
        assert_eq!(h.int32(EPOCH), Some(1));
        assert_eq!(h.string(VERSION), Some("3.0.1"));
        assert_eq!(h.string(RELEASE), None);
        // an epoch is not a string, a name not a number
        assert_eq!(h.string(EPOCH), None);
        assert_eq!(h.int32(NAME), None);
        // counts that claim more than the blob holds
        assert!(Header::parse(&b[..b.len() - 1]).is_err());
        let mut huge = b.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Header::parse(&huge).is_err());
        // an offset beyond the store
        let mut off = b.clone();
        off[8 + 8..8 + 12].copy_from_slice(&999u32.to_be_bytes());
        assert_eq!(Header::parse(&off).unwrap().string(NAME), None);
    }
}
