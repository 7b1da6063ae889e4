//! The behaviour every [`BlobStore`] backend must show. Each backend's tests call [`run`]; it
//! panics on the first deviation.

use berth_oci::{Algorithm, Digest};
use bytes::Bytes;
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{BlobStore, ByteStream, StorageError};

fn body(parts: &[&'static [u8]]) -> ByteStream {
    let items: Vec<std::io::Result<Bytes>> =
        parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
    futures_util::stream::iter(items).boxed()
}

fn failing_body(first: &'static [u8]) -> ByteStream {
    let items: Vec<std::io::Result<Bytes>> = vec![
        Ok(Bytes::from_static(first)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    futures_util::stream::iter(items).boxed()
}

async fn collect(s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut s = s;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.expect("read chunk"));
    }
    out
}

/// Run the whole suite against `store`.
pub async fn run(store: &dyn BlobStore) {
    chunked_upload_and_ranged_read(store).await;
    failed_appends_leave_nothing(store).await;
    digest_mismatch_removes_upload(store).await;
    sha512_and_recomputed_digest(store).await;
    dedup_and_delete(store).await;
    large_blob_reads(store).await;
    large_unaligned_appends(store).await;
    uploads_without_bytes(store).await;
    whole_puts(store).await;
    listings(store).await;
}

/// Listings show exactly the blobs and uploads held, with their sizes.
async fn listings(store: &dyn BlobStore) {
    let data = b"listed blob".to_vec();
    let d = Digest::sha256_of(&data);
    let id = Uuid::new_v4();
    store
        .put(id, &d, chunked(&data, 4), Some(data.len() as u64))
        .await
        .expect("put");
    let pending = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    store
        .append(pending, 0, chunked(b"half", 2), None, &mut h)
        .await
        .expect("append");
    let blobs = store.list_blobs().await.expect("list blobs");
    let found = blobs.iter().find(|b| b.key == d).expect("blob listed");
    assert_eq!(found.size, data.len() as u64);
    let uploads = store.list_uploads().await.expect("list uploads");
    let up = uploads
        .iter()
        .find(|u| u.key == pending)
        .expect("upload listed");
    assert_eq!(up.size, 4);
    // a finished upload is no longer one
    assert!(!uploads.iter().any(|u| u.key == id));
    store.delete(&d).await.expect("delete");
    store.delete_upload(pending).await.expect("delete upload");
    assert!(!store
        .list_blobs()
        .await
        .expect("list")
        .iter()
        .any(|b| b.key == d));
    assert!(!store
        .list_uploads()
        .await
        .expect("list")
        .iter()
        .any(|u| u.key == pending));
}

fn chunked(data: &[u8], size: usize) -> ByteStream {
    let items: Vec<std::io::Result<Bytes>> = data
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(items).boxed()
}

/// Appends of every size class at offsets on and off block boundaries (the filesystem backend
/// writes long appends with O_DIRECT from the enclosing block), one of them failing midway.
async fn large_unaligned_appends(store: &dyn BlobStore) {
    let mib = 1024 * 1024;
    let data: Vec<u8> = (0..14 * mib + 9000).map(|i| (i * 7 % 253) as u8).collect();
    let cuts = [
        0,
        5000,
        5000 + 3 * mib + 123,
        5000 + 5 * mib + 123,
        8 * mib,
        12 * mib + 1,
        data.len(),
    ];
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        // a failing body of the same length first: it must leave the upload as it was
        let mut failing: Vec<std::io::Result<Bytes>> = data[a..b]
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        failing.pop();
        failing.push(Err(std::io::Error::other("client went away")));
        let r = store
            .append(
                id,
                a as u64,
                futures_util::stream::iter(failing).boxed(),
                None,
                &mut h.clone(),
            )
            .await;
        assert!(matches!(r, Err(StorageError::Body(_))), "{a}..{b}");
        assert_eq!(store.upload_size(id).await.expect("size"), a as u64);
        let appended = store
            .append(id, a as u64, chunked(&data[a..b], 100_003), None, &mut h)
            .await
            .expect("append");
        assert_eq!(appended.size, b as u64);
        assert_eq!(store.upload_size(id).await.expect("size"), b as u64);
    }
    let d = Digest::sha256_of(&data);
    store
        .commit(id, &d, Some(h.finish()))
        .await
        .expect("commit");
    assert_eq!(
        collect(store.read(&d, None).await.expect("read")).await,
        data
    );
    store.delete(&d).await.expect("delete");
}

/// A blob larger than any read or send chunk, read whole and by ranges that cross chunk edges.
async fn large_blob_reads(store: &dyn BlobStore) {
    let data: Vec<u8> = (0..5 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    let body: ByteStream = futures_util::stream::iter(
        data.chunks(100_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    )
    .boxed();
    store
        .append(id, 0, body, Some(data.len() as u64), &mut h)
        .await
        .expect("append");
    let d = Digest::sha256_of(&data);
    store
        .commit(id, &d, Some(h.finish()))
        .await
        .expect("commit");
    assert_eq!(
        collect(store.read(&d, None).await.expect("read")).await,
        data
    );
    let (a, b) = (2 * 1024 * 1024 - 3, 4 * 1024 * 1024 + 5);
    assert_eq!(
        collect(store.read(&d, Some(a..b)).await.expect("range")).await,
        &data[a as usize..b as usize]
    );
    store.delete(&d).await.expect("delete");
}

async fn chunked_upload_and_ranged_read(store: &dyn BlobStore) {
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    let a = store
        .append(id, 0, body(&[b"hello ", b"wor"]), Some(9), &mut h)
        .await
        .expect("append 1");
    assert_eq!(a.size, 9);
    assert!(matches!(
        store
            .append(id, 3, body(&[b"x"]), None, &mut h.clone())
            .await,
        Err(StorageError::OffsetMismatch {
            expected: 3,
            actual: 9
        })
    ));
    let a = store
        .append(id, 9, body(&[b"ld"]), None, &mut h)
        .await
        .expect("append 2");
    assert_eq!(a.size, 11);
    assert_eq!(store.upload_size(id).await.expect("size"), 11);
    let d = Digest::sha256_of(b"hello world");
    assert_eq!(
        store.stat(&d).await.expect("stat"),
        None,
        "not visible before commit"
    );
    let size = store
        .commit(id, &d, Some(h.finish()))
        .await
        .expect("commit");
    assert_eq!(size, 11);
    assert_eq!(store.stat(&d).await.expect("stat"), Some(11));
    assert_eq!(
        collect(store.read(&d, None).await.expect("read")).await,
        b"hello world"
    );
    assert_eq!(
        collect(store.read(&d, Some(6..11)).await.expect("range")).await,
        b"world"
    );
    assert_eq!(store.upload_size(id).await.expect("size"), 0);
}

async fn failed_appends_leave_nothing(store: &dyn BlobStore) {
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    store
        .append(id, 0, body(&[b"abc"]), None, &mut h)
        .await
        .expect("append");
    let r = store
        .append(id, 3, body(&[b"de"]), Some(5), &mut h.clone())
        .await;
    assert!(matches!(
        r,
        Err(StorageError::BodyTooShort {
            declared: 5,
            received: 2
        })
    ));
    assert_eq!(store.upload_size(id).await.expect("size"), 3);
    let r = store
        .append(id, 3, body(&[b"defgh"]), Some(2), &mut h.clone())
        .await;
    assert!(matches!(r, Err(StorageError::BodyTooLong { declared: 2 })));
    assert_eq!(store.upload_size(id).await.expect("size"), 3);
    let r = store
        .append(id, 3, failing_body(b"zzzz"), None, &mut h.clone())
        .await;
    assert!(matches!(r, Err(StorageError::Body(_))));
    assert_eq!(store.upload_size(id).await.expect("size"), 3);
    store.delete_upload(id).await.expect("delete");
    store.delete_upload(id).await.expect("delete twice");
}

async fn digest_mismatch_removes_upload(store: &dyn BlobStore) {
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    store
        .append(id, 0, body(&[b"payload"]), None, &mut h)
        .await
        .expect("append");
    let wrong = Digest::sha256_of(b"something else");
    match store.commit(id, &wrong, Some(h.finish())).await {
        Err(StorageError::DigestMismatch { expected, actual }) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, Digest::sha256_of(b"payload"));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_eq!(store.stat(&wrong).await.expect("stat"), None);
    assert_eq!(store.upload_size(id).await.expect("size"), 0);
}

async fn sha512_and_recomputed_digest(store: &dyn BlobStore) {
    let id = Uuid::new_v4();
    let mut h = Algorithm::Sha256.hasher();
    store
        .append(id, 0, body(&[b"five", b"twelve"]), None, &mut h)
        .await
        .expect("append");
    let rehashed = crate::hash_stream(
        store.read_upload(id).await.expect("read upload"),
        Algorithm::Sha256.hasher(),
    )
    .await
    .expect("hash");
    assert_eq!(rehashed, h.finish());
    // a sha512 digest is verified by hashing the upload again
    let d = Algorithm::Sha512.digest(b"fivetwelve");
    assert_eq!(store.commit(id, &d, None).await.expect("commit"), 10);
    assert_eq!(store.stat(&d).await.expect("stat"), Some(10));
}

async fn dedup_and_delete(store: &dyn BlobStore) {
    let d = Digest::sha256_of(b"same");
    for _ in 0..2 {
        let id = Uuid::new_v4();
        let mut h = Algorithm::Sha256.hasher();
        store
            .append(id, 0, body(&[b"same"]), Some(4), &mut h)
            .await
            .expect("append");
        assert_eq!(
            store
                .commit(id, &d, Some(h.finish()))
                .await
                .expect("commit"),
            4
        );
    }
    assert_eq!(store.stat(&d).await.expect("stat"), Some(4));
    store.delete(&d).await.expect("delete");
    store.delete(&d).await.expect("delete twice");
    assert_eq!(store.stat(&d).await.expect("stat"), None);
}

/// An upload the store holds nothing for is empty: its size is 0, an append at offset 0 starts it,
/// one at a later offset is refused, and committing it stores the empty blob.
async fn uploads_without_bytes(store: &dyn BlobStore) {
    let d = Digest::sha256_of(b"never stored");
    assert!(matches!(
        store.read(&d, None).await,
        Err(StorageError::BlobNotFound)
    ));
    let id = Uuid::new_v4();
    assert_eq!(store.upload_size(id).await.expect("size"), 0);
    assert!(collect(store.read_upload(id).await.expect("read"))
        .await
        .is_empty());
    assert!(matches!(
        store
            .append(id, 4, body(&[b"x"]), None, &mut Algorithm::Sha256.hasher())
            .await,
        Err(StorageError::OffsetMismatch {
            expected: 4,
            actual: 0
        })
    ));
    assert!(matches!(
        store.commit(id, &d, None).await,
        Err(StorageError::DigestMismatch { .. })
    ));
    let empty = Digest::sha256_of(b"");
    let id = Uuid::new_v4();
    assert_eq!(store.commit(id, &empty, None).await.expect("commit"), 0);
    assert_eq!(store.stat(&empty).await.expect("stat"), Some(0));
    assert!(collect(store.read(&empty, None).await.expect("read"))
        .await
        .is_empty());
    store.delete(&empty).await.expect("delete");
}

/// `put` stores a whole body in one step, short or long, declared or not; a failed put leaves
/// nothing behind, and a put of a stored blob keeps it.
async fn whole_puts(store: &dyn BlobStore) {
    let long: Vec<u8> = (0..3 * 1024 * 1024 + 11).map(|i| (i % 249) as u8).collect();
    let cases: [(&[u8], bool); 4] = [
        (b"a short blob", true),
        (b"a short blob without a declared length", false),
        (&long, true),
        (&long[1..], false),
    ];
    for (data, declare) in cases {
        let d = Digest::sha256_of(data);
        let declared = declare.then_some(data.len() as u64);
        for _ in 0..2 {
            let id = Uuid::new_v4();
            let size = store
                .put(id, &d, chunked(data, 70_001), declared)
                .await
                .expect("put");
            assert_eq!(size, data.len() as u64);
            assert_eq!(store.upload_size(id).await.expect("size"), 0);
        }
        assert_eq!(
            collect(store.read(&d, None).await.expect("read")).await,
            data
        );
        // wrong digest, short body, long body, failing body: nothing stored, nothing left
        let wrong = Digest::sha256_of(b"other");
        let id = Uuid::new_v4();
        assert!(matches!(
            store.put(id, &wrong, chunked(data, 70_001), declared).await,
            Err(StorageError::DigestMismatch { .. })
        ));
        assert_eq!(store.stat(&wrong).await.expect("stat"), None);
        assert_eq!(store.upload_size(id).await.expect("size"), 0);
        if declare {
            let fresh = Digest::sha256_of(&data[1..]);
            let r = store
                .put(id, &fresh, chunked(&data[1..], 70_001), declared)
                .await;
            assert!(matches!(r, Err(StorageError::BodyTooShort { .. })), "{r:?}");
            let r = store
                .put(
                    id,
                    &fresh,
                    chunked(data, 70_001),
                    Some(data.len() as u64 - 1),
                )
                .await;
            assert!(matches!(r, Err(StorageError::BodyTooLong { .. })), "{r:?}");
            let r = store.put(id, &fresh, failing_body(b"abc"), declared).await;
            assert!(matches!(r, Err(StorageError::Body(_))), "{r:?}");
            assert_eq!(store.stat(&fresh).await.expect("stat"), None);
            assert_eq!(store.upload_size(id).await.expect("size"), 0);
        }
        store.delete(&d).await.expect("delete");
    }
}
