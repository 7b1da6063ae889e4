//! Storage used and bytes served, per repository, per account and for the whole store, with an
//! estimated monthly cost.
//!
//! A repository's figure is what it uses: the distinct blobs its manifests reference (a layer
//! two of its images share counts once) plus its manifests. An account's counts a layer its
//! repositories share once, and the store's is what the store holds: every blob once, plus every
//! manifest (the bytes on disk are reported beside it). Transfer is the bytes of blobs served
//! this calendar month (UTC).

use serde::Serialize;

use crate::{Registry, Result};

const GIB: f64 = (1u64 << 30) as f64;

/// Prices in USD per GiB: storage per month, transfer out per GiB served.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
    pub storage_per_gib_month: f64,
    pub transfer_per_gib: f64,
}

impl Default for Prices {
    /// ECR's published prices: $0.10 per GB-month of storage, $0.09 per GB of data transfer out
    /// to the internet (first 10 TB a month).
    fn default() -> Self {
        Prices {
            storage_per_gib_month: 0.10,
            transfer_per_gib: 0.09,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryUsage {
    pub account_id: String,
    pub repository_name: String,
    pub images: i64,
    pub bytes: i64,
    pub bytes_pulled: i64,
    pub downloads: i64,
    pub estimated_monthly_cost: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccountUsage {
    pub account_id: String,
    pub repositories: usize,
    /// Shared layers counted once.
    pub bytes: i64,
    pub bytes_pulled: i64,
    pub storage_cost: f64,
    pub transfer_cost: f64,
    pub estimated_monthly_cost: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoreUsage {
    pub blobs: i64,
    pub blob_bytes: i64,
    pub manifest_bytes: i64,
    /// What the blob store's files hold (blobs only; uploads in progress not included).
    pub bytes_on_disk: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// The month transfer figures cover, `YYYY-MM` (UTC).
    pub month: String,
    pub prices: Prices,
    pub repositories: Vec<RepositoryUsage>,
    pub accounts: Vec<AccountUsage>,
    /// The whole store; only in a report on every account.
    pub store: Option<StoreUsage>,
}

fn cost(bytes: i64, price: f64) -> f64 {
    // cents are what a bill shows
    (bytes.max(0) as f64 / GIB * price * 100.0).round() / 100.0
}

impl Registry {
    /// Usage of one account's repositories, or of every account's (with the store's totals).
    pub async fn usage(&self, account: Option<&str>, prices: Prices) -> Result<UsageReport> {
        let month = berth_meta::month_of(berth_meta::now_millis());
        let rows = self.meta.repository_usage(&month).await?;
        let mut repositories = Vec::new();
        let mut accounts: Vec<AccountUsage> = Vec::new();
        for r in rows
            .into_iter()
            .filter(|r| account.is_none_or(|a| a == r.account_id))
        {
            let estimated = cost(r.bytes, prices.storage_per_gib_month)
                + cost(r.bytes_out, prices.transfer_per_gib);
            if accounts.last().is_none_or(|a| a.account_id != r.account_id) {
                accounts.push(AccountUsage {
                    account_id: r.account_id.clone(),
                    repositories: 0,
                    bytes: 0,
                    bytes_pulled: 0,
                    storage_cost: 0.0,
                    transfer_cost: 0.0,
                    estimated_monthly_cost: 0.0,
                });
            }
            if let Some(a) = accounts.last_mut() {
                a.repositories += 1;
                a.bytes_pulled += r.bytes_out;
            }
            repositories.push(RepositoryUsage {
                account_id: r.account_id,
                repository_name: r.name,
                images: r.images,
                bytes: r.bytes,
                bytes_pulled: r.bytes_out,
                downloads: r.downloads,
                estimated_monthly_cost: (estimated * 100.0).round() / 100.0,
            });
        }
        for a in &mut accounts {
            a.bytes = self.meta.account_bytes(&a.account_id).await?;
            a.storage_cost = cost(a.bytes, prices.storage_per_gib_month);
            a.transfer_cost = cost(a.bytes_pulled, prices.transfer_per_gib);
            a.estimated_monthly_cost = ((a.storage_cost + a.transfer_cost) * 100.0).round() / 100.0;
        }
        let store = if account.is_none() {
            let berth_meta::StoreBytes {
                blobs,
                blob_bytes,
                manifest_bytes,
            } = self.meta.store_bytes().await?;
            let bytes_on_disk = self.store.list_blobs().await?.iter().map(|b| b.size).sum();
            Some(StoreUsage {
                blobs,
                blob_bytes,
                manifest_bytes,
                bytes_on_disk,
            })
        } else {
            None
        };
        Ok(UsageReport {
            month,
            prices,
            repositories,
            accounts,
            store,
        })
    }
}

/// Bytes for people: `1.5 GiB`.
pub fn human(bytes: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes.max(0) as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

impl UsageReport {
    /// The report as a table for a terminal.
    pub fn table(&self) -> String {
        let mut out = format!(
            "Usage in {} (transfer this month; prices ${}/GiB-month storage, ${}/GiB transfer)\n\n",
            self.month, self.prices.storage_per_gib_month, self.prices.transfer_per_gib
        );
        out.push_str(&format!(
            "{:<14} {:<40} {:>7} {:>12} {:>12} {:>10} {:>10}\n",
            "ACCOUNT", "REPOSITORY", "IMAGES", "STORED", "PULLED", "DOWNLOADS", "$/MONTH"
        ));
        for r in &self.repositories {
            out.push_str(&format!(
                "{:<14} {:<40} {:>7} {:>12} {:>12} {:>10} {:>10.2}\n",
                r.account_id,
                r.repository_name,
                r.images,
                human(r.bytes),
                human(r.bytes_pulled),
                r.downloads,
                r.estimated_monthly_cost
            ));
        }
        out.push_str(&format!(
            "\n{:<14} {:>6} {:>12} {:>12} {:>10} {:>10} {:>10}\n",
            "ACCOUNT", "REPOS", "STORED", "PULLED", "STORAGE $", "TRANSFER $", "$/MONTH"
        ));
        for a in &self.accounts {
            out.push_str(&format!(
                "{:<14} {:>6} {:>12} {:>12} {:>10.2} {:>10.2} {:>10.2}\n",
                a.account_id,
                a.repositories,
                human(a.bytes),
                human(a.bytes_pulled),
                a.storage_cost,
                a.transfer_cost,
                a.estimated_monthly_cost
            ));
        }
        if let Some(s) = &self.store {
            out.push_str(&format!(
                "\nStore: {} blobs, {} in blobs ({} on disk), {} of manifests\n",
                s.blobs,
                human(s.blob_bytes),
                human(s.bytes_on_disk as i64),
                human(s.manifest_bytes)
            ));
        }
        out
    }
}
