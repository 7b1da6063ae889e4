//! Alpine's security database (secdb): per release and repository, each origin package's
//! `secfixes`, a map from the version that fixed them to CVE ids. Key `"0"` lists CVEs that
//! never affected the release; they yield nothing. Read into one advisory per CVE with an
//! `ECOSYSTEM` range `[introduced 0, fixed V]` per origin, under `Alpine:vX.Y`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::{Advisory, Affected};

#[derive(Deserialize)]
struct SecDb {
    distroversion: String,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<Option<String>>>>,
}

/// The advisories of one secdb file.
pub fn parse(bytes: &[u8]) -> Result<Vec<Advisory>, serde_json::Error> {
    let db: SecDb = serde_json::from_slice(bytes)?;
    let ecosystem = format!("Alpine:{}", db.distroversion);
    let mut by_cve: BTreeMap<String, Advisory> = BTreeMap::new();
    for entry in db.packages {
        for (fixed, ids) in entry.pkg.secfixes {
            if fixed == "0" {
                continue;
            }
            // an entry is an id, or several ids of one issue (`CVE-2021-28690 XSA-377`), or an
            // id and a note: the first id names the advisory, the others are its aliases
            for text in ids.unwrap_or_default().into_iter().flatten() {
                let mut named = text
                    .split_whitespace()
                    .filter(|t| t.contains('-') && t.chars().any(|c| c.is_ascii_digit()));
                let Some(id) = named.next() else { continue };
                let aliases: Vec<String> = named.map(str::to_string).collect();
                let advisory = by_cve
                    .entry(id.to_string())
                    .or_insert_with(|| Advisory::named(id));
                for a in aliases {
                    if !advisory.aliases.contains(&a) {
                        advisory.aliases.push(a);
                    }
                }
                advisory
                    .affected
                    .push(Affected::fixed_in(&ecosystem, &entry.pkg.name, &fixed));
            }
        }
    }
    Ok(by_cve.into_values().collect())
}
