//! berth-client against a real server: the registry token from SigV4-signed
//! GetAuthorizationToken, blobs sent in chunks with an upload that resumes after its body
//! broke, mounts, manifests and tags, and the errors it reports.

mod common;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use berth_client::{BlobSource, Client, ClientError, ClientOptions, Credentials, Upload};
use bytes::Bytes;
use common::{sha256, Srv, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};

fn client(srv: &Srv, secret: &str) -> Client {
    Client::new(
        &srv.base,
        "us-east-1",
        Credentials {
            access_key_id: srv.key.clone(),
            secret_access_key: secret.to_string(),
            session_token: None,
        },
        &ClientOptions::default(),
    )
    .expect("client")
}

/// A blob in memory whose stream breaks once, after 1 MiB of the range that starts at
/// `break_at`: the upload must resume from what the registry kept.
struct Flaky {
    data: Bytes,
    break_at: u64,
    broke: AtomicBool,
}

impl BlobSource for Flaky {
    fn read(
        &self,
        range: Range<u64>,
    ) -> BoxFuture<'_, std::io::Result<BoxStream<'static, std::io::Result<Bytes>>>> {
        let part = self.data.slice(range.start as usize..range.end as usize);
        let breaks = range.start == self.break_at && !self.broke.swap(true, Ordering::SeqCst);
        Box::pin(async move {
            let frames: Vec<std::io::Result<Bytes>> = if breaks {
                vec![
                    Ok(part.slice(..1 << 20)),
                    Err(std::io::Error::other("the source broke")),
                ]
            } else {
                (0..part.len())
                    .step_by(1 << 20)
                    .map(|i| Ok(part.slice(i..(i + (1 << 20)).min(part.len()))))
                    .collect()
            };
            Ok(stream::iter(frames).boxed())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_resume_mounts_manifests_and_tags() {
    let srv = Srv::start().await;
    let c = client(&srv, &srv.secret);
    let repo = c.repository(None, "client/app");
    // 150 MiB: three chunks of 64 MiB at most; the second breaks once
    let data: Bytes = (0..150u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect::<Vec<u8>>()
        .into();
    let digest = sha256(&data);
    assert_eq!(repo.blob_size(&digest).await.unwrap(), None);
    let source = Flaky {
        data: data.clone(),
        break_at: 64 << 20,
        broke: AtomicBool::new(false),
    };
    let sent = repo
        .upload(&digest, data.len() as u64, &source, None)
        .await
        .expect("upload resumes");
    assert!(
        source.broke.load(Ordering::SeqCst),
        "the source never broke"
    );
    assert!(sent >= data.len() as u64);
    assert_eq!(
        repo.blob_size(&digest).await.unwrap(),
        Some(data.len() as u64)
    );
    // another repository of the account mounts it; a blob nobody has opens a session
    let other = c.repository(None, "client/other");
    assert_eq!(other.mount(&digest, None).await.unwrap(), Upload::Mounted);
    let missing = sha256(b"nobody has this");
    assert!(matches!(
        other.mount(&missing, None).await.unwrap(),
        Upload::Session(_)
    ));
    // a small blob in one request, then an image under a tag
    let config = Bytes::from_static(br#"{"architecture":"amd64","os":"linux"}"#);
    let config_digest = sha256(&config);
    let whole = Flaky {
        data: config.clone(),
        break_at: u64::MAX,
        broke: AtomicBool::new(false),
    };
    repo.upload(&config_digest, config.len() as u64, &whole, None)
        .await
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": OCI_LAYER, "digest": digest, "size": data.len()}],
    });
    let body = Bytes::from(serde_json::to_vec(&manifest).unwrap());
    let m = sha256(&body);
    repo.put_manifest(&m, OCI_MANIFEST, body.clone())
        .await
        .unwrap();
    repo.put_manifest("v1", OCI_MANIFEST, body.clone())
        .await
        .unwrap();
    repo.put_manifest("v2", OCI_MANIFEST, body).await.unwrap();
    assert_eq!(repo.manifest_digest("v1").await.unwrap(), Some(m.clone()));
    assert_eq!(repo.tags_of(&m).await.unwrap(), ["v1", "v2"]);
    assert!(repo.delete_tag("v2").await.unwrap());
    assert!(!repo.delete_tag("v2").await.unwrap());
    assert_eq!(repo.tags_of(&m).await.unwrap(), ["v1"]);
    assert!(repo.delete_manifest(&m).await.unwrap());
    assert_eq!(repo.manifest_digest("v1").await.unwrap(), None);
    assert!(repo.tags_of(&m).await.unwrap().is_empty());
}

#[tokio::test]
async fn refusals_are_reported_as_the_registry_words_them() {
    let srv = Srv::start().await;
    let wrong = client(&srv, "not the secret");
    let e = wrong
        .repository(None, "client/app")
        .blob_size(&sha256(b"x"))
        .await
        .unwrap_err();
    assert!(e.is_denied(), "{e}");
    assert!(!e.is_transient());
    match e {
        ClientError::Refused { status, code, .. } => {
            assert_eq!(status, 403);
            assert_eq!(code, "InvalidSignatureException");
        }
        other => panic!("{other}"),
    }
    let c = client(&srv, &srv.secret);
    let bad = c
        .repository(None, "client/app")
        .put_manifest("v1", OCI_MANIFEST, Bytes::from_static(b"{not json"))
        .await
        .unwrap_err();
    assert!(!bad.is_denied() && !bad.is_transient(), "{bad}");
    // nothing listens: worth another try later
    let nowhere = Client::new(
        "http://127.0.0.1:9",
        "us-east-1",
        Credentials {
            access_key_id: srv.key.clone(),
            secret_access_key: srv.secret.clone(),
            session_token: None,
        },
        &ClientOptions::default(),
    )
    .unwrap();
    let down = nowhere.registry_authorization().await.unwrap_err();
    assert!(down.is_transient(), "{down}");
}
