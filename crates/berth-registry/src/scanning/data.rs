//! Vulnerability data: imported from files (OSV, Alpine secdb, Debian OVAL) into the metadata
//! store, and loaded from it into memory at start and after each import. Berth never fetches
//! data itself.

use berth_meta::NewAdvisory;
use berth_oci::Digest;
use berth_scan::vulndb::import::read_file;
use berth_scan::vulndb::{Advisory, Database};

use super::VulnData;
use crate::{Registry, RegistryError, Result};

/// What one imported file held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub name: String,
    pub kind: &'static str,
    pub sha256: String,
    pub records: usize,
    /// Records new or newer than the stored ones.
    pub changed: u64,
}

impl Registry {
    /// Load the stored vulnerability data into memory.
    pub async fn load_vulnerability_data(&self) -> Result<usize> {
        // when it changed, read first: an import in between makes the next refresh load again
        let updated_at = self.meta.vuln_updated_at().await?;
        let stored = self.meta.advisories().await?;
        // reading and indexing every record takes a while: not on the runtime's threads
        let _changing = self.scanner.changing.lock().await;
        let db = tokio::task::spawn_blocking(move || read_stored(stored))
            .await
            .map_err(|e| RegistryError::Internal(e.to_string()))?;
        let count = db.len();
        self.scanner.set_data(VulnData { db, updated_at });
        Ok(count)
    }

    /// Load the data again if another node imported since it was loaded here.
    pub async fn refresh_vulnerability_data(&self) -> Result<()> {
        let stored = self.meta.vuln_updated_at().await?;
        if stored != self.scanner.data().updated_at {
            self.load_vulnerability_data().await?;
        }
        Ok(())
    }

    /// Import one file of vulnerability data (`name` for the record and its kind's hints),
    /// then load the data again and ask for rescans where a CONTINUOUS_SCAN rule applies.
    pub async fn import_vulnerability_data(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<ImportSummary> {
        let sha256 = Digest::sha256_of(bytes).hex().to_string();
        let name_owned = name.to_string();
        let bytes = bytes.to_vec();
        // reading a large file (Debian's OVAL) takes seconds of CPU: not on the runtime's threads
        let read = tokio::task::spawn_blocking(move || read_file(&name_owned, &bytes))
            .await
            .map_err(|e| RegistryError::Internal(e.to_string()))?
            .map_err(|e| RegistryError::VulnerabilityData(e.to_string()))?;
        let records: Vec<NewAdvisory> = read
            .advisories
            .iter()
            .map(|a| {
                Ok(NewAdvisory {
                    id: a.id.clone(),
                    modified: a.modified.clone(),
                    record: serde_json::to_string(a)
                        .map_err(|e| RegistryError::Internal(e.to_string()))?,
                })
            })
            .collect::<Result<_>>()?;
        let kind = read.kind.as_str();
        // the data in memory is current unless another node imported since it was loaded
        let current = self.meta.vuln_updated_at().await? == self.scanner.data().updated_at;
        let changed = self
            .meta
            .import_advisories(kind, name, &sha256, &records)
            .await?;
        if current {
            // what was imported, added in memory, rather than every record read back
            let updated_at = self.meta.vuln_updated_at().await?;
            let advisories = read.advisories;
            self.scanner
                .update(move |d| {
                    d.db.add(kind, advisories);
                    d.updated_at = updated_at;
                })
                .await?;
        } else {
            self.load_vulnerability_data().await?;
        }
        if changed > 0 {
            self.rescan_continuous().await?;
        }
        tracing::info!(
            name,
            kind,
            records = records.len(),
            changed,
            "vulnerability data imported"
        );
        Ok(ImportSummary {
            name: name.to_string(),
            kind,
            sha256,
            records: records.len(),
            changed,
        })
    }
}

/// The stored advisories, read and indexed.
fn read_stored(stored: Vec<berth_meta::StoredAdvisory>) -> Database {
    let mut by_kind: Vec<(String, Vec<Advisory>)> = Vec::new();
    let mut unreadable = 0;
    for a in stored {
        let Ok(advisory) = serde_json::from_str::<Advisory>(&a.record) else {
            unreadable += 1;
            continue;
        };
        match by_kind.last_mut() {
            Some((k, list)) if *k == a.kind => list.push(advisory),
            _ => by_kind.push((a.kind, vec![advisory])),
        }
    }
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            "stored advisories that could not be read were skipped"
        );
    }
    let mut db = Database::default();
    db.add_all(by_kind);
    db
}
