//! Scanning through the registry: the shared alpine:3.11 image pushed into a repository that
//! scans on push, Alpine's secdb imported, the scan run by the worker: the findings of
//! EXPECTED.md; then StartImageScan's 24-hour limit, and a rescan from the stored inventory.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use berth_meta::{MetaStore, ScanStatus};
use berth_oci::{Digest, Reference, RepositoryName};
use berth_registry::UploadBody;
use berth_registry::{Registry, RegistryConfig, RegistryError};
use berth_storage::MemoryBlobStore;
use bytes::Bytes;

const ACCOUNT: &str = "000000000000";

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata")
        .join(path)
}

/// The files of the saved image.
fn saved_image() -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(shared("images/alpine-311.tar.gz")).unwrap();
    let mut outer = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = BTreeMap::new();
    for entry in outer.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(name, bytes);
    }
    files
}

fn body(b: Vec<u8>) -> UploadBody {
    let len = b.len() as u64;
    UploadBody {
        stream: Box::pin(futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(Bytes::from(b))
        })),
        declared: Some(len),
    }
}

async fn registry() -> (tempfile::TempDir, Arc<Registry>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    let meta = MetaStore::open_url(&url, 4).await.unwrap();
    meta.ensure_account(ACCOUNT).await.unwrap();
    let r = Registry::new(
        meta,
        Arc::new(MemoryBlobStore::new()),
        RegistryConfig::default(),
    );
    (dir, Arc::new(r))
}

/// Push the saved image as a Docker image manifest; its digest.
async fn push(r: &Registry, name: &RepositoryName) -> Digest {
    let files = saved_image();
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config = files[manifest[0]["Config"].as_str().unwrap()].clone();
    let layer = files[manifest[0]["Layers"][0].as_str().unwrap()].clone();
    let (cd, ld) = (Digest::sha256_of(&config), Digest::sha256_of(&layer));
    let (cs, ls) = (config.len(), layer.len());
    r.put_blob(ACCOUNT, name, &cd, body(config)).await.unwrap();
    r.put_blob(ACCOUNT, name, &ld, body(layer)).await.unwrap();
    let m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd.to_string(), "size": cs},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar", "digest": ld.to_string(), "size": ls}],
    });
    let bytes = serde_json::to_vec(&m).unwrap();
    r.put_manifest(
        ACCOUNT,
        name,
        &Reference::Tag("3.11".parse().unwrap()),
        Some("application/vnd.docker.distribution.manifest.v2+json"),
        bytes,
    )
    .await
    .unwrap()
    .digest
}

#[tokio::test]
async fn scan_on_push_finds_what_expected_md_lists() {
    let (_dir, r) = registry().await;
    for repo in ["main", "community"] {
        let bytes = std::fs::read(shared(&format!("alpine-secdb/v3.11/{repo}.json"))).unwrap();
        let s = r
            .import_vulnerability_data(&format!("v3.11/{repo}.json"), &bytes)
            .await
            .unwrap();
        assert_eq!(s.kind, "alpine-secdb");
    }
    let name: RepositoryName = "scan/alpine".parse().unwrap();
    r.meta()
        .create_repository(ACCOUNT, name.as_str())
        .await
        .unwrap();
    r.set_scan_on_push(ACCOUNT, &name, true).await.unwrap();
    let digest = push(&r, &name).await;
    // the push asked for a scan; the worker runs it
    let scan = r
        .image_scan(ACCOUNT, &name, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scan.status, ScanStatus::Pending);
    assert!(r.scan_next("node").await.unwrap());
    assert!(!r.scan_next("node").await.unwrap());
    let scan = r
        .image_scan(ACCOUNT, &name, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scan.status, ScanStatus::Complete, "{:?}", scan.description);
    let findings: Vec<serde_json::Value> =
        serde_json::from_str(scan.findings.as_deref().unwrap()).unwrap();
    assert_eq!(findings.len(), 45);
    assert!(scan.data_updated_at.is_some());

    // one manual scan a day
    r.start_image_scan(ACCOUNT, &name, &digest, true)
        .await
        .unwrap();
    let again = r.start_image_scan(ACCOUNT, &name, &digest, true).await;
    assert!(matches!(again, Err(RegistryError::ScanLimitExceeded)));
    // the rescan reads the stored inventory
    assert!(r.scan_next("node").await.unwrap());
    let scan = r
        .image_scan(ACCOUNT, &name, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scan.status, ScanStatus::Complete);
    // an image the repository does not hold
    let missing = Digest::sha256_of(b"nothing");
    let e = r.start_image_scan(ACCOUNT, &name, &missing, true).await;
    assert!(matches!(e, Err(RegistryError::ImageNotFound { .. })));
}
