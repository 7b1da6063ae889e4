use super::*;
use crate::{now_millis, NewManifest};

fn d(b: &[u8]) -> Digest {
    Digest::sha256_of(b)
}

/// For tests on PostgreSQL: a new, empty database on the server `BERTH_TEST_POSTGRES_URL` names
/// (`postgres://user@host:port/db`), as a URL. `None` when the variable is unset, so that a
/// developer without PostgreSQL can run the rest; under `CI=true` that is a failure instead.
async fn test_postgres_database() -> Option<String> {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let Ok(base) = std::env::var("BERTH_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "BERTH_TEST_POSTGRES_URL is not set: with CI=true the PostgreSQL tests may not skip"
        );
        eprintln!("BERTH_TEST_POSTGRES_URL is not set: skipping the PostgreSQL case");
        return None;
    };
    let name = format!(
        "berth_test_{}_{}_{}",
        std::process::id(),
        crate::now_millis(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {base}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let _ = admin.close().await;
    let root = base.rsplit_once('/').map_or(base.as_str(), |(r, _)| r);
    Some(format!("{root}/{name}"))
}

/// The backends every test here runs on: the same behaviour is expected of both.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's store lives: a temporary directory, or a fresh PostgreSQL database.
struct Place {
    _dir: tempfile::TempDir,
    url: String,
}

impl Place {
    /// `None` when the backend is not available (PostgreSQL without `BERTH_TEST_POSTGRES_URL`,
    /// outside CI).
    async fn new(b: Backend) -> Option<Place> {
        let dir = tempfile::tempdir().unwrap();
        let url = match b {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("meta.db").display()),
            Backend::Postgres => test_postgres_database().await?,
        };
        Some(Place { _dir: dir, url })
    }

    async fn open(&self) -> MetaStore {
        MetaStore::open_url(&self.url, 8).await.unwrap()
    }
}

async fn store(b: Backend) -> Option<(Place, MetaStore)> {
    let place = Place::new(b).await?;
    let s = place.open().await;
    s.ensure_account("000000000000").await.unwrap();
    Some((place, s))
}

/// Each test once per backend, as `sqlite::NAME` and `postgres::NAME`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Postgres).await
            })*
        }
    };
}

mod replication;
mod scanning;
mod secrets;

fn manifest(
    repo: i64,
    body: &[u8],
    blobs: Vec<Digest>,
    children: Vec<Digest>,
    tag: Option<&str>,
) -> NewManifest {
    NewManifest {
        repository_id: repo,
        digest: d(body),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        artifact_type: None,
        subject: None,
        config: blobs.first().cloned(),
        config_media_type: None,
        image_size: 0,
        body: body.to_vec(),
        blobs,
        children,
        tag: tag.map(str::to_string),
        tag_immutable: false,
    }
}

async fn reopening_runs_migrations_once(b: Backend) {
    let Some(p) = Place::new(b).await else { return };
    let s = p.open().await;
    s.ensure_account("000000000000").await.unwrap();
    s.create_repository("000000000000", "a/b").await.unwrap();
    s.close().await;
    let s = p.open().await;
    assert!(s.repository("000000000000", "a/b").await.unwrap().is_some());
}

async fn repositories_are_listed_in_byte_order(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    for n in ["b", "a/z", "a", "a-b", "c"] {
        s.create_repository("000000000000", n).await.unwrap();
    }
    assert!(matches!(
        s.create_repository("000000000000", "a").await,
        Err(MetaError::RepositoryExists)
    ));
    assert_eq!(
        s.list_repositories("000000000000", None, 10).await.unwrap(),
        vec!["a", "a-b", "a/z", "b", "c"]
    );
    assert_eq!(
        s.list_repositories("000000000000", Some("a/z"), 2)
            .await
            .unwrap(),
        vec!["b", "c"]
    );
}

async fn manifests_need_their_blobs_and_children(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "repo").await.unwrap();
    let other = s.create_repository("000000000000", "other").await.unwrap();
    let (cfg, layer) = (d(b"cfg"), d(b"layer"));
    s.link_blob(other.id, &cfg, 3).await.unwrap();
    let m = manifest(
        r.id,
        b"m1",
        vec![cfg.clone(), layer.clone()],
        vec![],
        Some("v1"),
    );
    assert!(matches!(s.put_manifest(&m).await, Err(MetaError::BlobUnknown(x)) if x == cfg));
    // the refused manifest was rolled back, tag and all
    assert!(s
        .manifest_by_tag_name("000000000000", "repo", "v1", true)
        .await
        .unwrap()
        .unwrap()
        .is_none());
    s.link_blob(r.id, &cfg, 3).await.unwrap();
    s.link_blob(r.id, &layer, 5).await.unwrap();
    let meta = s.put_manifest(&m).await.unwrap();
    assert_eq!(meta.digest, d(b"m1"));
    // an index over it, and an index over something missing
    let idx = manifest(r.id, b"idx", vec![], vec![d(b"m1")], Some("multi"));
    s.put_manifest(&idx).await.unwrap();
    let bad = manifest(r.id, b"idx2", vec![], vec![d(b"nope")], None);
    assert!(matches!(
        s.put_manifest(&bad).await,
        Err(MetaError::ManifestUnknown(_))
    ));
    // lookups by tag and digest
    let got = s
        .manifest_by_tag_name("000000000000", "repo", "v1", true)
        .await
        .unwrap();
    assert_eq!(got.unwrap().unwrap().body, b"m1");
    assert!(s
        .manifest_by_tag_name("000000000000", "repo", "zz", true)
        .await
        .unwrap()
        .unwrap()
        .is_none());
    assert!(s
        .manifest_by_tag_name("000000000000", "none", "v1", true)
        .await
        .unwrap()
        .is_none());
    // a child of an index cannot go first; its blobs cannot be unlinked while it stays
    assert!(matches!(
        s.delete_manifest(r.id, &d(b"m1")).await,
        Err(MetaError::ReferencedByIndex)
    ));
    assert!(matches!(
        s.unlink_blob(r.id, &layer).await,
        Err(MetaError::BlobInUse(_))
    ));
    assert!(s.delete_manifest(r.id, &d(b"idx")).await.unwrap());
    assert!(s.delete_manifest(r.id, &d(b"m1")).await.unwrap());
    assert!(!s.delete_manifest(r.id, &d(b"m1")).await.unwrap());
    assert!(
        s.list_tags(r.id, None, 10).await.unwrap().is_empty(),
        "tags go with their manifest"
    );
    assert!(s.unlink_blob(r.id, &layer).await.unwrap());
    assert_eq!(
        s.blob_by_repository_name("000000000000", "repo", &layer)
            .await
            .unwrap(),
        Some(None)
    );
    assert_eq!(s.account_blob("000000000000", &cfg).await.unwrap(), Some(3));
}

async fn tags_move_and_page(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "repo").await.unwrap();
    s.put_manifest(&manifest(r.id, b"one", vec![], vec![], Some("t")))
        .await
        .unwrap();
    s.put_manifest(&manifest(r.id, b"two", vec![], vec![], Some("t")))
        .await
        .unwrap();
    let m = s
        .manifest_by_tag_name("000000000000", "repo", "t", false)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(m.meta.digest, d(b"two"));
    for t in ["b", "a", "C", "a.1"] {
        s.put_manifest(&manifest(r.id, b"one", vec![], vec![], Some(t)))
            .await
            .unwrap();
    }
    assert_eq!(
        s.list_tags(r.id, None, 100).await.unwrap(),
        vec!["C", "a", "a.1", "b", "t"]
    );
    assert_eq!(
        s.list_tags(r.id, Some("a"), 2).await.unwrap(),
        vec!["a.1", "b"]
    );
    assert!(s.delete_tag(r.id, "a").await.unwrap());
    assert!(!s.delete_tag(r.id, "a").await.unwrap());
}

async fn referrers_pulls_uploads_keys(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "repo").await.unwrap();
    let subject = d(b"subject");
    for (body, at) in [
        (&b"sig"[..], "application/vnd.sig"),
        (b"sbom", "application/spdx"),
    ] {
        let mut m = manifest(r.id, body, vec![], vec![], None);
        m.subject = Some(subject.clone());
        m.artifact_type = Some(at.into());
        s.put_manifest(&m).await.unwrap();
    }
    assert_eq!(s.referrers(r.id, &subject, None).await.unwrap().len(), 2);
    let only = s
        .referrers(r.id, &subject, Some("application/spdx"))
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].digest, d(b"sbom"));

    let sig = s
        .manifest_by_digest_name("000000000000", "repo", &d(b"sig"), false)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    s.record_pulls(&[(sig.meta.id, 1000), (sig.meta.id, 500)])
        .await
        .unwrap();
    assert_eq!(
        s.last_pulled_at(r.id, &d(b"sig")).await.unwrap(),
        Some(1000)
    );

    s.create_upload("u1", r.id).await.unwrap();
    s.set_upload_size("u1", 42).await.unwrap();
    let up = |id: &'static str| s.upload_by_repository_name("000000000000", "repo", id);
    assert_eq!(up("u1").await.unwrap(), Some((r.id, Some(42))));
    // a session's row written with its first bytes, then updated like any other
    assert_eq!(up("u4").await.unwrap(), Some((r.id, None)));
    s.record_upload("u4", r.id, 7).await.unwrap();
    assert_eq!(up("u4").await.unwrap(), Some((r.id, Some(7))));
    s.record_upload("u4", r.id, 9).await.unwrap();
    assert!(s.set_upload_size("u4", 11).await.unwrap());
    assert_eq!(up("u4").await.unwrap(), Some((r.id, Some(11))));
    assert_eq!(
        s.upload_by_repository_name("000000000000", "nope", "u4")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.create_upload_by_name("000000000000", "repo", "u2")
            .await
            .unwrap(),
        Some(r.id)
    );
    assert_eq!(
        s.create_upload_by_name("000000000000", "nope", "u3")
            .await
            .unwrap(),
        None
    );
    assert!(s.delete_upload("u1").await.unwrap());
    assert_eq!(up("u1").await.unwrap(), Some((r.id, None)));

    let p = s
        .create_principal(
            "000000000000",
            crate::PrincipalKind::Root,
            "root",
            "AIDAEXAMPLE",
        )
        .await
        .unwrap();
    s.insert_access_key("AKIAEXAMPLE", p.id, b"sealed")
        .await
        .unwrap();
    let k = s.access_key("AKIAEXAMPLE").await.unwrap().unwrap();
    assert!(k.active);
    assert_eq!(k.principal, p);
    assert_eq!(
        s.principal("000000000000", crate::PrincipalKind::Root, "root")
            .await
            .unwrap(),
        Some(p)
    );
}

async fn manifests_with_more_references_than_one_batch(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "wide").await.unwrap();
    let blobs: Vec<Digest> = (0..1_203u32).map(|i| d(&i.to_le_bytes())).collect();
    for b in &blobs {
        s.link_blob(r.id, b, 1).await.unwrap();
    }
    let m = manifest(r.id, b"wide", blobs.clone(), vec![], Some("v1"));
    s.put_manifest(&m).await.unwrap();
    // every reference was recorded: none of the blobs can be unlinked
    for b in [&blobs[0], &blobs[600], &blobs[1_202]] {
        assert!(matches!(
            s.unlink_blob(r.id, b).await,
            Err(MetaError::BlobInUse(_))
        ));
    }
    let mut missing = blobs.clone();
    missing.push(d(b"not linked"));
    let bad = manifest(r.id, b"wide2", missing, vec![], None);
    assert!(
        matches!(s.put_manifest(&bad).await, Err(MetaError::BlobUnknown(x)) if x == d(b"not linked"))
    );
}

/// A write transaction abandoned midway (its request cancelled) leaves nothing behind, and the
/// writer connection goes on working.
async fn cancelled_writes_roll_back(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "repo").await.unwrap();
    let cfg = d(b"cfg");
    s.link_blob(r.id, &cfg, 3).await.unwrap();
    let (mut cancelled, mut rolled_back) = (0, 0);
    for i in 0..40 {
        let body = format!("m{i}");
        let m = manifest(r.id, body.as_bytes(), vec![cfg.clone()], vec![], Some("t"));
        // a zero timeout polls the write once, so it is dropped after its first batch was sent
        match tokio::time::timeout(Duration::ZERO, s.put_manifest(&m)).await {
            Ok(done) => {
                done.unwrap();
            }
            Err(_) => {
                cancelled += 1;
                // Once the batch was sent, SQLite may still be running it: a write of one's own
                // waits for it to commit or roll back, so that the two reads below see one state.
                s.ensure_account("000000000000").await.unwrap();
                // A cancelled write happened whole or not at all (it is cancelled after its
                // COMMIT was sent when SQLite answered within the one poll): the manifest is
                // there exactly when the tag points at it.
                let stored = s
                    .manifest_by_digest_name("000000000000", "repo", &d(body.as_bytes()), false)
                    .await
                    .unwrap()
                    .unwrap()
                    .is_some();
                let tagged = s
                    .manifest_by_tag_name("000000000000", "repo", "t", false)
                    .await
                    .unwrap()
                    .unwrap()
                    .map(|m| m.meta.digest);
                assert_eq!(
                    stored,
                    tagged == Some(d(body.as_bytes())),
                    "write {i} half done"
                );
                if !stored {
                    rolled_back += 1;
                }
                // and the next write works
                let again = manifest(r.id, body.as_bytes(), vec![cfg.clone()], vec![], Some("t"));
                s.put_manifest(&again).await.unwrap();
            }
        }
        let tagged = s
            .manifest_by_tag_name("000000000000", "repo", "t", false)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(tagged.meta.digest, d(body.as_bytes()));
    }
    assert!(
        cancelled > 0 && rolled_back > 0,
        "no write was cancelled midway"
    );
    eprintln!("{cancelled} writes cancelled, {rolled_back} of them rolled back");
}

async fn collection_marks_waits_out_the_grace_and_rechecks(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let repo = s
        .create_repository("000000000000", "gc/app")
        .await
        .unwrap()
        .id;
    let (layer, config) = (d(b"layer"), d(b"config"));
    s.link_blob(repo, &layer, 5).await.unwrap();
    s.link_blob(repo, &config, 6).await.unwrap();
    s.put_manifest(&manifest(
        repo,
        b"m1",
        vec![config.clone(), layer.clone()],
        vec![],
        Some("v1"),
    ))
    .await
    .unwrap();
    // everything in use: nothing marked
    assert_eq!(s.mark_links(1_000).await.unwrap().marked, 0);
    assert_eq!(s.mark_blobs(1_000).await.unwrap().marked, 0);
    // the image goes: its links are marked at the first pass, deleted only past the cutoff
    s.delete_manifest(repo, &d(b"m1")).await.unwrap();
    let m = s.mark_links(2_000).await.unwrap();
    assert_eq!((m.marked, m.examined), (2, 2));
    assert_eq!(s.delete_stale_links(1_999).await.unwrap(), 0);
    // a client touches one link: its mark clears, so it outlives the cutoff
    s.touch_link("000000000000", "gc/app", &layer.to_string())
        .await
        .unwrap();
    assert_eq!(s.delete_stale_links(5_000).await.unwrap(), 1);
    // the config's blob has no link left: marked, and deleted past the cutoff
    assert_eq!(s.mark_blobs(6_000).await.unwrap().marked, 1);
    // re-linked before the deletion: the re-check keeps it, and the next pass clears its mark
    s.link_blob(repo, &config, 6).await.unwrap();
    assert!(s
        .delete_stale_blobs(&[config.to_string()], 9_000)
        .await
        .unwrap()
        .is_empty());
    assert!(s.blob_known(&config.to_string()).await.unwrap());
    s.delete_stale_links(i64::MAX).await.unwrap();
    assert_eq!(s.mark_links(7_000).await.unwrap().marked, 2);
    assert_eq!(s.delete_stale_links(7_000).await.unwrap(), 2);
    // both: re-linking cleared the config blob's mark
    assert_eq!(s.mark_blobs(8_000).await.unwrap().marked, 2);
    let gone = s
        .delete_stale_blobs(&[config.to_string(), layer.to_string()], 8_000)
        .await
        .unwrap();
    assert_eq!(gone.len(), 2);
    assert!(s.blob_digests().await.unwrap().is_empty());
}

async fn jobs_are_claimed_by_one_owner_at_a_time(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let later = now_millis() + 60_000;
    assert!(s.claim_job("gc", "node-a", later).await.unwrap());
    // another node waits for the lease; the owner renews it
    assert!(!s.claim_job("gc", "node-b", later).await.unwrap());
    assert!(s.claim_job("gc", "node-a", later + 1).await.unwrap());
    // other jobs are separate
    assert!(s.claim_job("lifecycle", "node-b", later).await.unwrap());
    // an expired lease goes to whoever asks
    assert!(s
        .claim_job("expired", "node-a", now_millis() - 1)
        .await
        .unwrap());
    assert!(s.claim_job("expired", "node-b", later).await.unwrap());
    assert!(!s.claim_job("expired", "node-a", later).await.unwrap());
}

async fn a_page_of_repository_policies_in_one_query(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    for n in ["p/a", "p/b"] {
        s.create_repository("000000000000", n).await.unwrap();
    }
    assert!(s
        .set_repository_policy("000000000000", "p/b", Some("{}"))
        .await
        .unwrap());
    let mut got = s
        .repository_policies("000000000000", &["p/a", "p/b", "p/missing"])
        .await
        .unwrap();
    got.sort();
    assert_eq!(
        got,
        vec![("p/a".into(), None), ("p/b".into(), Some("{}".into()))]
    );
}

/// An immutable tag stays on its manifest (a refused push stores nothing), pushing the same bytes
/// again keeps the first push's row, and an index is as large as its largest child.
async fn immutable_tags_repushes_and_index_sizes(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let r = s.create_repository("000000000000", "repo").await.unwrap();
    let (cfg, big, small) = (d(b"cfg"), d(b"big"), d(b"small"));
    for (blob, size) in [(&cfg, 3), (&big, 1000), (&small, 10)] {
        s.link_blob(r.id, blob, size).await.unwrap();
    }
    let image = |body: &[u8], layer: &Digest, size: u64, tag: Option<&str>, immutable: bool| {
        let mut m = manifest(r.id, body, vec![cfg.clone(), layer.clone()], vec![], tag);
        m.image_size = size;
        m.tag_immutable = immutable;
        m
    };
    let first = s
        .put_manifest(&image(b"one", &big, 1003, Some("v1"), true))
        .await
        .unwrap();
    let pushed = s.image_by_digest(r.id, &d(b"one")).await.unwrap().unwrap();
    // the same tag on another manifest is refused, and that manifest is not stored
    assert!(matches!(
        s.put_manifest(&image(b"two", &small, 13, Some("v1"), true)).await,
        Err(MetaError::TagImmutable(t)) if t == "v1"
    ));
    assert!(s.image_by_digest(r.id, &d(b"two")).await.unwrap().is_none());
    assert_eq!(
        s.image_by_tag(r.id, "v1").await.unwrap().unwrap().digest,
        d(b"one")
    );
    // while a mutable tag moves, and the same bytes again keep their row
    s.put_manifest(&image(b"two", &small, 13, Some("v1"), false))
        .await
        .unwrap();
    assert_eq!(
        s.image_by_tag(r.id, "v1").await.unwrap().unwrap().digest,
        d(b"two")
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = s
        .put_manifest(&image(b"one", &big, 1003, Some("v1"), false))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    let repushed = s.image_by_digest(r.id, &d(b"one")).await.unwrap().unwrap();
    assert_eq!(repushed.pushed_at, pushed.pushed_at);
    assert_eq!(
        s.image_by_tag(r.id, "v1").await.unwrap().unwrap().digest,
        d(b"one")
    );
    assert!(matches!(
        s.unlink_blob(r.id, &big).await,
        Err(MetaError::BlobInUse(_))
    ));
    // an index takes its largest child's size; one over a missing child stores nothing, tag
    // and all
    let mut idx = manifest(
        r.id,
        b"idx",
        vec![],
        vec![d(b"one"), d(b"two")],
        Some("multi"),
    );
    idx.media_type = "application/vnd.oci.image.index.v1+json".into();
    s.put_manifest(&idx).await.unwrap();
    let stored = s.image_by_tag(r.id, "multi").await.unwrap().unwrap();
    assert_eq!((stored.digest, stored.image_size), (d(b"idx"), 1003));
    assert!(matches!(
        s.delete_manifest(r.id, &d(b"two")).await,
        Err(MetaError::ReferencedByIndex)
    ));
    let bad = manifest(
        r.id,
        b"idx2",
        vec![],
        vec![d(b"one"), d(b"nope")],
        Some("bad"),
    );
    assert!(matches!(
        s.put_manifest(&bad).await,
        Err(MetaError::ManifestUnknown(c)) if c == d(b"nope")
    ));
    assert!(s.image_by_tag(r.id, "bad").await.unwrap().is_none());
    assert!(s
        .image_by_digest(r.id, &d(b"idx2"))
        .await
        .unwrap()
        .is_none());
}

conformance!(
    immutable_tags_repushes_and_index_sizes,
    a_page_of_repository_policies_in_one_query,
    jobs_are_claimed_by_one_owner_at_a_time,
    reopening_runs_migrations_once,
    repositories_are_listed_in_byte_order,
    manifests_need_their_blobs_and_children,
    tags_move_and_page,
    referrers_pulls_uploads_keys,
    manifests_with_more_references_than_one_batch,
    cancelled_writes_roll_back,
    collection_marks_waits_out_the_grace_and_rechecks,
);

#[tokio::test]
async fn sqlite_copies_into_an_empty_postgres() {
    let Some(target) = Place::new(Backend::Postgres).await else {
        return;
    };
    let (_d, src) = store(Backend::Sqlite).await.unwrap();
    let repo = src
        .create_repository("000000000000", "copy/app")
        .await
        .unwrap();
    let layer = d(b"layer");
    src.link_blob(repo.id, &layer, 5).await.unwrap();
    src.put_manifest(&manifest(
        repo.id,
        b"m1",
        vec![layer.clone()],
        vec![],
        Some("v1"),
    ))
    .await
    .unwrap();
    src.request_scan(repo.id, "sha256:m1", false).await.unwrap();
    let record = crate::NewAdvisory {
        id: "CVE-1".into(),
        modified: None,
        record: "{}".into(),
    };
    src.import_advisories("osv", "a.json", "aa", &[record])
        .await
        .unwrap();
    let dst = target.open().await;
    let copied = src.copy_into(&dst).await.unwrap();
    let rows = |t: &str| copied.iter().find(|(n, _)| n == t).map(|(_, c)| *c);
    assert_eq!(rows("image_scans"), Some(1));
    assert_eq!(rows("vuln_advisories"), Some(1));
    assert_eq!(rows("vuln_imports"), Some(1));
    assert_eq!(rows("repositories"), Some(1));
    assert_eq!(rows("manifest_blobs"), Some(1));
    let r = dst
        .repository("000000000000", "copy/app")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r, repo);
    let m = dst
        .manifest_by_tag_name("000000000000", "copy/app", "v1", true)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(m.body, b"m1");
    assert_eq!(
        dst.blob_by_repository_name("000000000000", "copy/app", &layer)
            .await
            .unwrap(),
        Some(Some(5))
    );
    // identities continue past the copied rows; a second copy is refused
    let next = dst
        .create_repository("000000000000", "copy/next")
        .await
        .unwrap();
    assert!(next.id > repo.id);
    assert!(matches!(
        src.copy_into(&dst).await,
        Err(MetaError::Unsupported(_))
    ));
}

/// The commit count moves with every write, after it is visible, and not with reads; and the
/// hook that counts still checkpoints the log into the database file, as SQLite's own would.
#[tokio::test]
async fn sqlite_commits_are_counted_and_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let s = MetaStore::open_sqlite(&path).await.unwrap();
    s.ensure_account("000000000000").await.unwrap();
    let c0 = s.commits().unwrap();
    let repo = s.create_repository("000000000000", "c/one").await.unwrap();
    let c1 = s.commits().unwrap();
    assert!(c1 > c0, "{c0} {c1}");
    // visible to a reader by the time the count moved
    assert!(s
        .repository("000000000000", "c/one")
        .await
        .unwrap()
        .is_some());
    assert_eq!(s.commits(), Some(c1));
    // a single statement, outside any explicit transaction, too (repositories are created in one)
    s.set_tag_mutability(repo.id, crate::TagMutability::Immutable, &[])
        .await
        .unwrap();
    assert!(s.commits().unwrap() > c1);
    let before = std::fs::metadata(&path).unwrap().len();
    for i in 0..1500 {
        s.create_repository("000000000000", &format!("c/many-{i:04}"))
            .await
            .unwrap();
    }
    assert!(s.commits().unwrap() >= c1 + 1500);
    let after = std::fs::metadata(&path).unwrap().len();
    assert!(
        after > before,
        "the log was never checkpointed into the database file ({before} -> {after} bytes)"
    );
}
