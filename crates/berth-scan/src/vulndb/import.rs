//! Reading a vulnerability data file of any supported kind, told apart by its name and first
//! bytes: OSV records (JSON or YAML, one per file, or many in osv-scanner's `all.zip`), Alpine
//! secdb JSON, Debian OVAL XML (optionally `.bz2`).

use std::io::{Cursor, Read};

use super::model::Advisory;
use super::{alpine, oval, parse_osv, RecordError};

/// The kind of a data source; records are kept per kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Osv,
    AlpineSecdb,
    DebianOval,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Osv => "osv",
            SourceKind::AlpineSecdb => "alpine-secdb",
            SourceKind::DebianOval => "debian-oval",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{name}: {source}")]
    Record { name: String, source: RecordError },
    #[error("{name}: {source}")]
    Oval {
        name: String,
        source: oval::OvalError,
    },
    #[error("{name}: not a zip archive of OSV records: {reason}")]
    Zip { name: String, reason: String },
    #[error("{name}: not vulnerability data Berth reads (OSV JSON or YAML, all.zip, Alpine secdb JSON, Debian OVAL XML)")]
    Unknown { name: String },
}

/// What one file holds.
#[derive(Debug)]
pub struct Records {
    pub kind: SourceKind,
    pub advisories: Vec<Advisory>,
}

/// Whether a JSON document is Alpine's secdb (it names its release and lists packages).
fn is_secdb(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.contains("\"distroversion\"") && text.contains("\"packages\"")
}

/// Read a file named `name` (its path, for messages and its extension).
pub fn read_file(name: &str, bytes: &[u8]) -> Result<Records, ImportError> {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    let lower = name.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".zip") {
        return read_zip(name, bytes);
    }
    if bytes.starts_with(b"BZh") || first == Some(b'<') || lower.ends_with(".xml") {
        let advisories = oval::read(bytes).map_err(|source| ImportError::Oval {
            name: name.to_string(),
            source,
        })?;
        return Ok(Records {
            kind: SourceKind::DebianOval,
            advisories,
        });
    }
    if first == Some(b'{') && is_secdb(bytes) {
        let advisories = alpine::parse(bytes).map_err(|e| ImportError::Record {
            name: name.to_string(),
            source: RecordError::Json(e),
        })?;
        return Ok(Records {
            kind: SourceKind::AlpineSecdb,
            advisories,
        });
    }
    let is_record = first == Some(b'{')
        || lower.ends_with(".yaml")
        || lower.ends_with(".yml")
        || lower.ends_with(".json");
    if !is_record {
        return Err(ImportError::Unknown {
            name: name.to_string(),
        });
    }
    let advisory = parse_osv(bytes).map_err(|source| ImportError::Record {
        name: name.to_string(),
        source,
    })?;
    Ok(Records {
        kind: SourceKind::Osv,
        advisories: vec![advisory],
    })
}

/// osv-scanner's offline archives: one OSV record per JSON entry.
fn read_zip(name: &str, bytes: &[u8]) -> Result<Records, ImportError> {
    let zip_error = |e: zip::result::ZipError| ImportError::Zip {
        name: name.to_string(),
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut advisories = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_error)?;
        let entry_name = entry.name().to_string();
        if entry.is_dir()
            || !(entry_name.ends_with(".json")
                || entry_name.ends_with(".yaml")
                || entry_name.ends_with(".yml"))
        {
            continue;
        }
        let mut record = Vec::with_capacity(entry.size().min(16 << 20) as usize);
        (&mut entry)
            .take(64 << 20)
            .read_to_end(&mut record)
            .map_err(|e| ImportError::Zip {
                name: name.to_string(),
                reason: e.to_string(),
            })?;
        let advisory = parse_osv(&record).map_err(|source| ImportError::Record {
            name: format!("{name}!{entry_name}"),
            source,
        })?;
        advisories.push(advisory);
    }
    Ok(Records {
        kind: SourceKind::Osv,
        advisories,
    })
}
