//! Scanning's tables on both backends: advisories replaced only by newer records, scans as jobs
//! claimed by one node at a time and taken over when a lease runs out.

use super::*;
use crate::{NewAdvisory, ScanOutcome, ScanStatus};

fn advisory(id: &str, modified: &str, record: &str) -> NewAdvisory {
    NewAdvisory {
        id: id.into(),
        modified: Some(modified.into()),
        record: record.into(),
    }
}

async fn advisories_are_replaced_by_newer_records_only(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let first = [
        advisory("CVE-1", "2024-01-01T00:00:00Z", "one"),
        advisory("CVE-2", "2024-01-01T00:00:00Z", "two"),
    ];
    assert_eq!(
        s.import_advisories("osv", "a.json", "aa", &first)
            .await
            .unwrap(),
        2
    );
    let second = [
        advisory("CVE-1", "2023-01-01T00:00:00Z", "older"),
        advisory("CVE-2", "2025-01-01T00:00:00Z", "newer"),
    ];
    assert_eq!(
        s.import_advisories("osv", "b.json", "bb", &second)
            .await
            .unwrap(),
        1
    );
    // the same id of another kind is another record
    s.import_advisories(
        "alpine-secdb",
        "main.json",
        "cc",
        &[advisory("CVE-1", "x", "alpine")],
    )
    .await
    .unwrap();
    let stored: Vec<(String, String)> = s
        .advisories()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind, a.record))
        .collect();
    assert_eq!(
        stored,
        [
            ("alpine-secdb".to_string(), "alpine".to_string()),
            ("osv".to_string(), "one".to_string()),
            ("osv".to_string(), "newer".to_string()),
        ]
    );
    let imports = s.vuln_imports().await.unwrap();
    assert_eq!(imports.len(), 3);
    assert_eq!(
        (imports[1].name.as_str(), imports[1].records),
        ("b.json", 2)
    );
    assert!(s.vuln_updated_at().await.unwrap().is_some());
}

async fn scans_are_jobs_with_leases(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let repo = s
        .create_repository("000000000000", "scan/app")
        .await
        .unwrap();
    assert!(s
        .claim_scan("a", now_millis() + 60_000)
        .await
        .unwrap()
        .is_none());
    s.request_scan(repo.id, "sha256:1", false).await.unwrap();
    s.request_scan(repo.id, "sha256:2", true).await.unwrap();
    let job = s
        .claim_scan("a", now_millis() + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.repository.as_str(), job.digest.as_str(), job.attempts),
        ("scan/app", "sha256:1", 1)
    );
    // the second waits for another node; the first is held
    let other = s
        .claim_scan("b", now_millis() + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.digest, "sha256:2");
    assert!(s
        .claim_scan("b", now_millis() + 60_000)
        .await
        .unwrap()
        .is_none());
    let scan = s.image_scan(repo.id, "sha256:1").await.unwrap().unwrap();
    assert_eq!(scan.status, ScanStatus::InProgress);
    // a node whose lease ran out loses the scan to another
    s.retry_scan(repo.id, "sha256:2", "b", 0, "blob store unavailable")
        .await
        .unwrap();
    let again = s.claim_scan("c", now_millis() - 1).await.unwrap().unwrap();
    assert_eq!((again.digest.as_str(), again.attempts), ("sha256:2", 2));
    let taken = s
        .claim_scan("d", now_millis() + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.digest, "sha256:2");
    // only the holder renews its lease
    let until = now_millis() + 120_000;
    assert!(!s.renew_scan(repo.id, "sha256:2", "c", until).await.unwrap());
    assert!(s.renew_scan(repo.id, "sha256:2", "d", until).await.unwrap());
    assert!(s
        .claim_scan("e", now_millis() + 60_000)
        .await
        .unwrap()
        .is_none());
    let done = ScanOutcome {
        status: ScanStatus::Complete,
        description: Some("The scan was completed successfully.".into()),
        findings: Some("[]".into()),
        data_updated_at: Some(1),
    };
    assert!(!s
        .finish_scan(repo.id, "sha256:2", "c", &done)
        .await
        .unwrap());
    assert!(s
        .finish_scan(repo.id, "sha256:2", "d", &done)
        .await
        .unwrap());
    assert!(s
        .finish_scan(repo.id, "sha256:1", "a", &done)
        .await
        .unwrap());
    let scans = s.image_scans(repo.id).await.unwrap();
    assert!(scans.iter().all(|x| x.status == ScanStatus::Complete));
    assert!(scans[1].manual_at.is_some() && scans[0].manual_at.is_none());
    assert_eq!(s.completed_scans().await.unwrap().len(), 2);
    // asked again: back to PENDING, its manual time kept
    s.request_scan(repo.id, "sha256:2", false).await.unwrap();
    let scan = s.image_scan(repo.id, "sha256:2").await.unwrap().unwrap();
    assert_eq!(scan.status, ScanStatus::Pending);
    assert!(scan.manual_at.is_some());
    // inventories and the registry configuration
    s.put_inventory("sha256:1", "{}").await.unwrap();
    assert_eq!(
        s.inventory("sha256:1").await.unwrap().as_deref(),
        Some("{}")
    );
    s.put_registry_scanning("000000000000", "BASIC", "[]")
        .await
        .unwrap();
    assert_eq!(
        s.registry_scanning("000000000000").await.unwrap(),
        Some(("BASIC".to_string(), "[]".to_string()))
    );
    // a deleted repository takes its scans with it
    s.delete_repository(repo.id, true).await.unwrap();
    assert!(s.completed_scans().await.unwrap().is_empty());
}

conformance!(
    advisories_are_replaced_by_newer_records_only,
    scans_are_jobs_with_leases,
);
