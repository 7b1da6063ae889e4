//! The OCI Distribution API conformance suite: every endpoint and error, against the real server.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

// ---------- base, auth, routing ----------

#[tokio::test]
async fn base_endpoint_and_authentication() {
    let s = Srv::start().await;
    let r = s.client.get(s.url("/v2/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
    assert!(challenge.contains("service=\"ecr.amazonaws.com\""));
    assert_eq!(
        r.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert_eq!(error_code(r).await, "UNAUTHORIZED");

    let r = s.get("/v2/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert!(r.headers().contains_key("x-request-id"));

    let wrong = s
        .client
        .get(s.url("/v2/"))
        .basic_auth(&s.key, Some("not-the-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let unknown = s
        .client
        .get(s.url("/v2/_catalog"))
        .basic_auth("AKIAAAAAAAAAAAAAAAAA", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let bearer = s
        .client
        .get(s.url("/v2/"))
        .bearer_auth("token")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);

    // every /v2/ resource needs credentials
    let r = s
        .client
        .get(s.url("/v2/a/b/tags/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // unknown endpoints and methods
    let r = s.get("/v2/a/b/nothing/here").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "UNSUPPORTED");
    let r = s.call(Method::POST, "/v2/a/b/tags/list").await;
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "UNSUPPORTED");
}

#[tokio::test]
async fn invalid_names_and_paths_are_refused() {
    let s = Srv::start().await;
    let long = "a".repeat(257);
    // sent raw: an HTTP client would resolve `..` before sending
    for name in [
        "Upper/case",
        "a/../b",
        "a/./b",
        "..",
        "a//b",
        "-ab",
        long.as_str(),
        "a%2F..%2Fb",
    ] {
        let (status, body) = s.raw_get(&format!("/v2/{name}/tags/list")).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body.contains("\"NAME_INVALID\""), "{name}: {body}");
    }
    let r = s.call(Method::POST, "/v2/Bad/blobs/uploads/").await;
    assert_eq!(r.status(), 400);
    // digests are validated before they could name a file
    for d in [
        "sha256:..%2F..%2Fetc%2Fpasswd",
        "sha256:abc",
        "md5:abcd",
        "nocolon",
    ] {
        let (status, body) = s.raw_get(&format!("/v2/repo/blobs/{d}")).await;
        assert_eq!(status, 400, "{d}: {body}");
        assert!(body.contains("\"DIGEST_INVALID\""), "{d}: {body}");
    }
    // a path that climbs out of /v2/ names no endpoint of the API
    let (status, body) = s.raw_get("/v2/../../../etc/passwd").await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"UNSUPPORTED\""), "{body}");
    let (status, body) = s.raw_get("/v2/a/../../blobs/sha256:..%2F..%2Fx").await;
    assert_eq!(status, 400, "{body}");
}

// ---------- blobs and uploads ----------

#[tokio::test]
async fn monolithic_push_and_ranged_pull() {
    let s = Srv::start().await;
    let data = b"0123456789abcdef";
    let d = s.push_blob("team/app", data).await;

    let r = s
        .call(Method::HEAD, &format!("/v2/team/app/blobs/{d}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "16");
    assert_eq!(r.headers()["docker-content-digest"], d.as_str());

    let r = s.get(&format!("/v2/team/app/blobs/{d}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), data);

    let r = s
        .req(Method::GET, &format!("/v2/team/app/blobs/{d}"))
        .header("range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 4-7/16");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"4567");
    let r = s
        .req(Method::GET, &format!("/v2/team/app/blobs/{d}"))
        .header("range", "bytes=-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"def");
    let r = s
        .req(Method::GET, &format!("/v2/team/app/blobs/{d}"))
        .header("range", "bytes=16-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], "bytes */16");

    let unknown = sha256(b"unknown");
    let r = s.get(&format!("/v2/team/app/blobs/{unknown}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UNKNOWN");
    // a blob is readable only through repositories that link it
    s.push_blob("team/other", b"x").await;
    let r = s.get(&format!("/v2/team/other/blobs/{d}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UNKNOWN");
    let r = s.get(&format!("/v2/never/pushed/blobs/{d}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn wrong_digest_leaves_nothing_behind() {
    let s = Srv::start().await;
    let wrong = sha256(b"something else");
    let r = s
        .req(
            Method::POST,
            &format!("/v2/repo/blobs/uploads/?digest={wrong}"),
        )
        .body(b"payload".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = s
        .call(Method::HEAD, &format!("/v2/repo/blobs/{wrong}"))
        .await;
    assert_eq!(r.status(), 404);
    assert!(files_under(&s.data_dir().join("uploads")).is_empty());
    assert!(files_under(&s.data_dir().join("blobs")).is_empty());

    // same through a session
    let loc = s.start_upload("repo").await;
    let r = s
        .req(Method::PUT, &format!("{loc}?digest={wrong}"))
        .body(b"payload".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    assert!(files_under(&s.data_dir().join("uploads")).is_empty());
    let r = s.get(&loc).await;
    assert_eq!(r.status(), 404, "the session is over");
    // malformed digest on finish
    let loc = s.start_upload("repo").await;
    let r = s
        .call(Method::PUT, &format!("{loc}?digest=sha256:zz"))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = s.call(Method::PUT, &loc).await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
}

#[tokio::test]
async fn post_then_put_and_chunked_uploads() {
    let s = Srv::start().await;
    // POST then PUT with the whole body
    let r = s.call(Method::POST, "/v2/a/b/blobs/uploads/").await;
    assert_eq!(r.status(), 202);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/v2/a/b/blobs/uploads/"));
    assert!(r.headers().contains_key("docker-upload-uuid"));
    let d = sha256(b"whole");
    let r = s.finish_upload(&loc, &d, b"whole").await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        format!("/v2/a/b/blobs/{d}").as_str()
    );
    assert_eq!(r.headers()["docker-content-digest"], d.as_str());

    // chunked with Content-Range, status, out-of-order chunk, final PUT with the last chunk
    let loc = s.start_upload("a/b").await;
    let r = s
        .req(Method::PATCH, &loc)
        .header("content-range", "0-4")
        .header("content-type", "application/octet-stream")
        .body(b"hello".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], "0-4");
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let r = s.get(&loc).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["range"], "0-4");
    let r = s
        .req(Method::PATCH, &loc)
        .header("content-range", "10-14")
        .body(b"wrong".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["range"], "0-4");
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_INVALID");
    let r = s
        .req(Method::PATCH, &loc)
        .header("content-range", "5-5")
        .body(b" ".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // a PATCH without Content-Range streams on
    let r = s
        .req(Method::PATCH, &loc)
        .body(b"wor".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], "0-8");
    let d = sha256(b"hello world");
    // a final PUT whose chunk is out of order is 416 too, and the session stays as it was
    let r = s
        .req(Method::PUT, &format!("{loc}?digest={d}"))
        .header("content-range", "20-21")
        .body(b"ld".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["range"], "0-8");
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_INVALID");
    let r = s
        .req(Method::PUT, &format!("{loc}?digest={d}"))
        .header("content-range", "9-10")
        .body(b"ld".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let loc = s.start_upload("a/b").await;
    let r = s.finish_upload(&loc, &d, b"hello world").await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        s.get(&format!("/v2/a/b/blobs/{d}"))
            .await
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"hello world"
    );
    assert!(files_under(&s.data_dir().join("uploads")).is_empty());

    // sha512 digests are verified too
    use sha2::Digest as _;
    let d512 = format!("sha512:{}", hex::encode(sha2::Sha512::digest(b"five12")));
    let r = s
        .req(
            Method::POST,
            &format!("/v2/a/b/blobs/uploads/?digest={d512}"),
        )
        .body(b"five12".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s.call(Method::HEAD, &format!("/v2/a/b/blobs/{d512}")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn upload_cancel_and_unknown_sessions() {
    let s = Srv::start().await;
    let loc = s.start_upload("repo").await;
    s.req(Method::PATCH, &loc)
        .body(b"abc".to_vec())
        .send()
        .await
        .unwrap();
    let r = s.call(Method::DELETE, &loc).await;
    assert_eq!(r.status(), 204);
    for method in [Method::GET, Method::PATCH, Method::PUT, Method::DELETE] {
        let r = s.call(method.clone(), &loc).await;
        assert_eq!(r.status(), 404, "{method}");
        assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");
    }
    assert!(files_under(&s.data_dir().join("uploads")).is_empty());
    let r = s.get("/v2/repo/blobs/uploads/not-a-uuid").await;
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");
    let r = s
        .get("/v2/repo/blobs/uploads/3f1a3c9e-55c9-4b1e-9d8f-111111111111")
        .await;
    assert_eq!(r.status(), 404);
    // an upload belongs to its repository
    let r = s.call(Method::POST, "/v2/repo/blobs/uploads/").await;
    let id = r.headers()["docker-upload-uuid"]
        .to_str()
        .unwrap()
        .to_string();
    s.push_blob("other", b"o").await;
    let r = s.get(&format!("/v2/other/blobs/uploads/{id}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");
}

/// On SQLite a session is held in memory until its first bytes: a blob pushed in one `PUT` writes
/// nothing for its session. Such a session answers like any other, can be cancelled, and is
/// abandoned with the collector's abandoned uploads.
#[tokio::test]
async fn sessions_are_recorded_with_their_first_bytes() {
    let s = Srv::start().await;
    let rows = || async { s.registry().meta().upload_ids().await.unwrap() };
    let loc = s.start_upload("repo").await;
    let r = s.get(&loc).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["range"], "0-0");
    assert!(rows().await.is_empty(), "a row for a session with no bytes");
    let r = s
        .req(Method::PATCH, &loc)
        .body(b"abc".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(rows().await.len(), 1);
    let r = s.get(&loc).await;
    assert_eq!(r.headers()["range"], "0-2");
    let d = sha256(b"abcdef");
    let r = s.finish_upload(&loc, &d, b"def").await;
    assert_eq!(r.status(), 201);
    assert!(rows().await.is_empty());
    let r = s.get(&format!("/v2/repo/blobs/{d}")).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"abcdef");

    // one PUT, then the session is over
    let loc = s.start_upload("repo").await;
    let d = sha256(b"whole");
    let r = s.finish_upload(&loc, &d, b"whole").await;
    assert_eq!(r.status(), 201);
    assert!(rows().await.is_empty());
    assert_eq!(error_code(s.get(&loc).await).await, "BLOB_UPLOAD_UNKNOWN");

    // cancelled before any byte, and known only to its own repository
    let loc = s.start_upload("repo").await;
    let elsewhere = loc.replace("/v2/repo/", "/v2/other/");
    s.push_blob("other", b"o").await;
    assert_eq!(
        error_code(s.get(&elsewhere).await).await,
        "BLOB_UPLOAD_UNKNOWN"
    );
    assert_eq!(s.call(Method::DELETE, &loc).await.status(), 204);
    for method in [Method::GET, Method::PATCH, Method::PUT, Method::DELETE] {
        let r = s.call(method.clone(), &loc).await;
        assert_eq!(r.status(), 404, "{method}");
        assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");
    }

    // abandoned: the collector forgets it with the rows of abandoned uploads
    let loc = s.start_upload("repo").await;
    let report = s
        .registry()
        .gc(berth_registry::gc::GcOptions {
            grace: std::time::Duration::from_secs(3600),
            upload_ttl: std::time::Duration::ZERO,
            dry_run: false,
        })
        .await
        .unwrap();
    assert_eq!(report.uploads_deleted, 1);
    assert_eq!(error_code(s.get(&loc).await).await, "BLOB_UPLOAD_UNKNOWN");
}

#[tokio::test]
async fn cross_repository_mount() {
    let s = Srv::start().await;
    let d = s.push_blob("source/repo", b"shared layer").await;
    let r = s
        .req(
            Method::POST,
            &format!("/v2/target/repo/blobs/uploads/?mount={d}&from=source/repo"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        format!("/v2/target/repo/blobs/{d}").as_str()
    );
    assert_eq!(
        s.get(&format!("/v2/target/repo/blobs/{d}")).await.status(),
        200
    );
    // mount without from, where the blob is known to the registry
    let r = s
        .req(
            Method::POST,
            &format!("/v2/third/repo/blobs/uploads/?mount={d}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // unknown blob or wrong source: an upload session instead
    let unknown = sha256(b"nobody has this");
    let r = s
        .req(
            Method::POST,
            &format!("/v2/target/repo/blobs/uploads/?mount={unknown}&from=source/repo"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/v2/target/repo/blobs/uploads/"));
    let r = s
        .req(
            Method::POST,
            &format!("/v2/target/repo/blobs/uploads/?mount={d}&from=does/not/exist"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        files_under(&s.data_dir().join("blobs")).len(),
        1,
        "mounts copy nothing"
    );
}

#[tokio::test]
async fn bodies_shorter_than_declared_leave_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Srv::start().await;
    let d = sha256(&[7u8; 100]);
    // monolithic: declare 100 bytes, send 10, hang up; then a chunk that dies half way
    let loc = s.start_upload("repo").await;
    s.req(Method::PATCH, &loc)
        .body(vec![1u8; 5])
        .send()
        .await
        .unwrap();
    for (method, path, declared, sent) in [
        (
            "POST",
            format!("/v2/repo/blobs/uploads/?digest={d}"),
            100,
            vec![7u8; 10],
        ),
        ("PATCH", loc.clone(), 1000, vec![2u8; 300]),
    ] {
        let mut tcp = s.partial_request(method, &path, declared, &sent).await;
        tcp.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tcp.read_to_end(&mut sink),
        )
        .await;
    }

    // the server notices the disconnect asynchronously
    let mut ok = false;
    for _ in 0..50 {
        let r = s.get(&loc).await;
        if r.headers()["range"] == "0-4" {
            let uploads = files_under(&s.data_dir().join("uploads"));
            let sizes: Vec<u64> = uploads
                .iter()
                .map(|p| std::fs::metadata(p).unwrap().len())
                .collect();
            if sizes == vec![5] {
                ok = true;
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "the failed chunk was not rolled back");
    let r = s.call(Method::HEAD, &format!("/v2/repo/blobs/{d}")).await;
    assert_eq!(r.status(), 404);
    assert!(files_under(&s.data_dir().join("blobs")).is_empty());
}

// ---------- manifests ----------

#[tokio::test]
async fn manifest_push_pull_by_tag_and_digest() {
    let s = Srv::start().await;
    let (m, d) = s.push_image("lib/app", "v1", b"layer-1").await;
    for reference in ["v1", d.as_str()] {
        let r = s
            .req(Method::GET, &format!("/v2/lib/app/manifests/{reference}"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], OCI_MANIFEST);
        assert_eq!(r.headers()["docker-content-digest"], d.as_str());
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            m.as_slice(),
            "exact bytes"
        );
        let r = s
            .call(Method::HEAD, &format!("/v2/lib/app/manifests/{reference}"))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-length"], m.len().to_string().as_str());
        assert_eq!(r.headers()["docker-content-digest"], d.as_str());
    }
    let r = s.get("/v2/lib/app/manifests/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    let r = s
        .get(&format!("/v2/lib/app/manifests/{}", sha256(b"x")))
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    let r = s.get("/v2/lib/nothing/manifests/v1").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
    // a reference that cannot exist is an unknown manifest (the spec's suites expect 404)
    let r = s.get("/v2/lib/app/manifests/-bad-tag").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");

    // push by digest, and a digest that does not match the body
    let r = s.put_manifest("lib/app", &d, OCI_MANIFEST, &m).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        format!("/v2/lib/app/manifests/{d}").as_str()
    );
    let r = s
        .put_manifest("lib/app", &sha256(b"other"), OCI_MANIFEST, &m)
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");

    // the pull was recorded (flushed in batches)
    let server = s.server.as_ref().unwrap();
    server.registry.flush_pulls().await.unwrap();
    let repo = server
        .registry
        .meta()
        .repository("000000000000", "lib/app")
        .await
        .unwrap()
        .unwrap();
    let digest = d.parse().unwrap();
    assert!(server
        .registry
        .meta()
        .last_pulled_at(repo.id, &digest)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn manifest_validation_errors() {
    let s = Srv::start().await;
    let cd = s.push_blob("repo", b"{}").await;
    let missing = sha256(b"missing layer");
    let m = image_manifest(&cd, 2, &[(missing.clone(), 13)], None);
    let r = s.put_manifest("repo", "v1", OCI_MANIFEST, &m).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "MANIFEST_BLOB_UNKNOWN");
    assert_eq!(body["errors"][0]["detail"]["digest"], missing.as_str());
    // a blob of another repository does not count
    s.push_blob("elsewhere", b"missing layer").await;
    let r = s.put_manifest("repo", "v1", OCI_MANIFEST, &m).await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");

    let schema1 = br#"{"schemaVersion":1,"name":"repo","tag":"v1","fsLayers":[],"history":[]}"#;
    let r = s
        .put_manifest(
            "repo",
            "v1",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            schema1,
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("schema 1"));
    let r = s
        .put_manifest("repo", "v1", OCI_MANIFEST, b"{not json")
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = s
        .put_manifest(
            "repo",
            "v1",
            OCI_MANIFEST,
            br#"{"schemaVersion":2,"layers":[]}"#,
        )
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = s.put_manifest("repo", "v1", "text/plain", b"{}").await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    let r = s.put_manifest("repo", "v1", OCI_MANIFEST, &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let r = s.put_manifest("repo", "bad..tag!", OCI_MANIFEST, &m).await;
    assert_eq!(error_code(r).await, "TAG_INVALID");
    let r = s.get("/v2/repo/tags/list").await;
    let tags: Value = r.json().await.unwrap();
    assert_eq!(tags["tags"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn docker_schema2_and_indexes() {
    let s = Srv::start().await;
    let cfg = br#"{"architecture":"amd64","os":"linux"}"#;
    let cd = s.push_blob("multi", cfg).await;
    let ld = s.push_blob("multi", b"docker layer").await;
    let docker = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd, "size": cfg.len()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": 12},
                   {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": sha256(b"foreign"), "size": 7, "urls": ["https://example.com/foreign"]}]
    }))
    .unwrap();
    let r = s
        .put_manifest(
            "multi",
            "docker",
            "application/vnd.docker.distribution.manifest.v2+json",
            &docker,
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (oci, oci_d) = s.push_image("multi", "oci", b"oci layer").await;
    let docker_d = sha256(&docker);
    let list = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": docker_d, "size": docker.len(), "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": oci_d, "size": oci.len(), "platform": {"architecture": "arm64", "os": "linux"}}
        ]
    }))
    .unwrap();
    let r = s
        .put_manifest(
            "multi",
            "list",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            &list,
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = s.get("/v2/multi/manifests/list").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), list.as_slice());

    // an index whose child is missing
    let idx = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha256(b"absent"), "size": 3}]
    }))
    .unwrap();
    let r = s.put_manifest("multi", "idx", OCI_INDEX, &idx).await;
    assert_eq!(r.status(), 400, "refused for its content");
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");

    // a child cannot be deleted while the index stays
    let r = s
        .call(Method::DELETE, &format!("/v2/multi/manifests/{oci_d}"))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(error_code(r).await, "DENIED");
    let r = s
        .req(
            Method::DELETE,
            &format!("/v2/multi/manifests/{}", sha256(&list)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = s
        .call(Method::DELETE, &format!("/v2/multi/manifests/{oci_d}"))
        .await;
    assert_eq!(r.status(), 202);
}

#[tokio::test]
async fn deletes_of_tags_manifests_and_blobs() {
    let s = Srv::start().await;
    let (_, d) = s.push_image("del", "v1", b"del layer").await;
    let r = s
        .put_manifest(
            "del",
            "v2",
            OCI_MANIFEST,
            &s.get(&format!("/v2/del/manifests/{d}"))
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), 201);
    // deleting a tag leaves the manifest and the other tag
    let r = s.call(Method::DELETE, "/v2/del/manifests/v1").await;
    assert_eq!(r.status(), 202);
    assert_eq!(s.get("/v2/del/manifests/v1").await.status(), 404);
    assert_eq!(s.get("/v2/del/manifests/v2").await.status(), 200);
    let r = s.call(Method::DELETE, "/v2/del/manifests/v1").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    // a blob in use cannot be unlinked: 405 UNSUPPORTED, the spec's "deletion not allowed"
    let layer = sha256(b"del layer");
    let r = s
        .call(Method::DELETE, &format!("/v2/del/blobs/{layer}"))
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "UNSUPPORTED");
    assert_eq!(
        s.call(Method::HEAD, &format!("/v2/del/blobs/{layer}"))
            .await
            .status(),
        200
    );
    // deleting by digest takes the remaining tags too
    let r = s
        .call(Method::DELETE, &format!("/v2/del/manifests/{d}"))
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(s.get("/v2/del/manifests/v2").await.status(), 404);
    assert_eq!(s.get(&format!("/v2/del/manifests/{d}")).await.status(), 404);
    let r = s
        .call(Method::DELETE, &format!("/v2/del/blobs/{layer}"))
        .await;
    assert_eq!(r.status(), 202);
    let r = s.get(&format!("/v2/del/blobs/{layer}")).await;
    assert_eq!(error_code(r).await, "BLOB_UNKNOWN");
    let r = s
        .call(Method::DELETE, &format!("/v2/del/blobs/{layer}"))
        .await;
    assert_eq!(r.status(), 404);
    let r = s.call(Method::DELETE, "/v2/nope/manifests/v1").await;
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

// ---------- listings ----------

#[tokio::test]
async fn tags_list_in_lexical_order_with_pagination() {
    let s = Srv::start().await;
    let (m, _) = s.push_image("paged", "b", b"l").await;
    for t in ["a", "C", "a.1", "z", "_u", "0"] {
        assert_eq!(
            s.put_manifest("paged", t, OCI_MANIFEST, &m).await.status(),
            201
        );
    }
    let all: Value = s.get("/v2/paged/tags/list").await.json().await.unwrap();
    assert_eq!(all["name"], "paged");
    assert_eq!(all["tags"], json!(["0", "C", "_u", "a", "a.1", "b", "z"]));
    let r = s.get("/v2/paged/tags/list?n=3").await;
    assert_eq!(
        r.headers()["link"],
        "</v2/paged/tags/list?n=3&last=_u>; rel=\"next\""
    );
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["tags"], json!(["0", "C", "_u"]));
    let r = s.get("/v2/paged/tags/list?n=3&last=_u").await;
    assert!(r.headers().contains_key("link"));
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["tags"], json!(["a", "a.1", "b"]));
    let r = s.get("/v2/paged/tags/list?n=3&last=b").await;
    assert!(!r.headers().contains_key("link"));
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["tags"], json!(["z"]));
    let page: Value = s.get("/v2/paged/tags/list?n=0").await.json().await.unwrap();
    assert_eq!(page["tags"], json!([]));
    let r = s.get("/v2/paged/tags/list?n=-1").await;
    assert_eq!(r.status(), 400);
    let r = s.get("/v2/unknown/repo/tags/list").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn catalog_in_lexical_order_with_pagination() {
    let s = Srv::start().await;
    for repo in ["bb", "a/z", "aa", "a-b", "c/d/e"] {
        s.push_blob(repo, b"x").await;
    }
    let all: Value = s.get("/v2/_catalog").await.json().await.unwrap();
    assert_eq!(
        all["repositories"],
        json!(["a-b", "a/z", "aa", "bb", "c/d/e"])
    );
    let r = s.get("/v2/_catalog?n=2").await;
    assert_eq!(
        r.headers()["link"],
        "</v2/_catalog?n=2&last=a/z>; rel=\"next\""
    );
    let r = s.get("/v2/_catalog?n=2&last=a/z").await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["repositories"], json!(["aa", "bb"]));
    let page: Value = s
        .get("/v2/_catalog?n=2&last=bb")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["repositories"], json!(["c/d/e"]));
}

// ---------- referrers ----------

#[tokio::test]
async fn referrers_api() {
    let s = Srv::start().await;
    let (subject, sd) = s.push_image("ref", "v1", b"base layer").await;
    let empty = s.push_blob("ref", b"{}").await;
    let sig_layer = s.push_blob("ref", b"signature").await;
    let mut artifact: Value = serde_json::from_slice(&image_manifest(
        &empty,
        2,
        &[(sig_layer, 9)],
        Some((&sd, subject.len())),
    ))
    .unwrap();
    artifact["artifactType"] = json!("application/vnd.example.signature");
    artifact["config"]["mediaType"] = json!("application/vnd.oci.empty.v1+json");
    artifact["annotations"] = json!({"org.example.signer": "ci"});
    let sig = serde_json::to_vec(&artifact).unwrap();
    let r = s
        .put_manifest("ref", &sha256(&sig), OCI_MANIFEST, &sig)
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["oci-subject"], sd.as_str());
    // an SBOM whose artifact type comes from its config media type
    let mut sbom: Value =
        serde_json::from_slice(&image_manifest(&empty, 2, &[], Some((&sd, subject.len()))))
            .unwrap();
    sbom["config"]["mediaType"] = json!("application/spdx+json");
    let sbom = serde_json::to_vec(&sbom).unwrap();
    assert_eq!(
        s.put_manifest("ref", &sha256(&sbom), OCI_MANIFEST, &sbom)
            .await
            .status(),
        201
    );

    let r = s.get(&format!("/v2/ref/referrers/{sd}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], OCI_INDEX);
    assert!(!r.headers().contains_key("oci-filters-applied"));
    let idx: Value = r.json().await.unwrap();
    assert_eq!(idx["schemaVersion"], 2);
    assert_eq!(idx["mediaType"], OCI_INDEX);
    let ms = idx["manifests"].as_array().unwrap();
    assert_eq!(ms.len(), 2);
    let sig_entry = ms
        .iter()
        .find(|m| m["digest"] == sha256(&sig).as_str())
        .unwrap();
    assert_eq!(
        sig_entry["artifactType"],
        "application/vnd.example.signature"
    );
    assert_eq!(sig_entry["annotations"]["org.example.signer"], "ci");
    assert_eq!(sig_entry["size"], sig.len());
    assert_eq!(sig_entry["mediaType"], OCI_MANIFEST);
    let sbom_entry = ms
        .iter()
        .find(|m| m["digest"] == sha256(&sbom).as_str())
        .unwrap();
    assert_eq!(sbom_entry["artifactType"], "application/spdx+json");

    let r = s
        .get(&format!(
            "/v2/ref/referrers/{sd}?artifactType=application/spdx%2Bjson"
        ))
        .await;
    assert_eq!(r.headers()["oci-filters-applied"], "artifactType");
    let idx: Value = r.json().await.unwrap();
    assert_eq!(idx["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(idx["manifests"][0]["digest"], sha256(&sbom).as_str());

    let none: Value = s
        .get(&format!("/v2/ref/referrers/{}", sha256(b"nothing")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["manifests"], json!([]));
    let r = s.get("/v2/ref/referrers/sha256:bad").await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");

    // a subject that does not exist (yet) is accepted
    let mut dangling: Value = serde_json::from_slice(&image_manifest(
        &empty,
        2,
        &[],
        Some((&sha256(b"later"), 5)),
    ))
    .unwrap();
    dangling["artifactType"] = json!("application/x");
    let dangling = serde_json::to_vec(&dangling).unwrap();
    assert_eq!(
        s.put_manifest("ref", &sha256(&dangling), OCI_MANIFEST, &dangling)
            .await
            .status(),
        201
    );
}

// ---------- settings ----------

#[tokio::test]
async fn strict_mode_refuses_pushes_to_unknown_repositories() {
    let s = Srv::start_with(|c| c.create_on_push = false).await;
    let d = sha256(b"x");
    let r = s
        .req(
            Method::POST,
            &format!("/v2/team/new/blobs/uploads/?digest={d}"),
        )
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "NAME_UNKNOWN");
    assert_eq!(
        body["errors"][0]["message"],
        "The repository with name 'team/new' does not exist in the registry with id '000000000000'"
    );
    let r = s.call(Method::POST, "/v2/team/new/blobs/uploads/").await;
    assert_eq!(r.status(), 404);
    let r = s.put_manifest("team/new", "v1", OCI_MANIFEST, b"{}").await;
    assert_eq!(r.status(), 400, "manifest validation comes first");
    let catalog: Value = s.get("/v2/_catalog").await.json().await.unwrap();
    assert_eq!(catalog["repositories"], json!([]));
}

#[tokio::test]
async fn a_stalled_upload_is_rolled_back_after_the_idle_timeout() {
    use tokio::io::AsyncReadExt;
    let s = Srv::start_with(|c| c.upload_idle_timeout = std::time::Duration::from_secs(1)).await;
    let loc = s.start_upload("repo").await;
    s.req(Method::PATCH, &loc)
        .body(vec![1u8; 5])
        .send()
        .await
        .unwrap();
    // declare 1000 bytes, send 100, then go silent with the connection open
    let mut tcp = s.partial_request("PATCH", &loc, 1000, &[2u8; 100]).await;
    let mut response = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut response))
        .await
        .expect("the server answers the stalled request")
        .unwrap();
    let text = String::from_utf8_lossy(&response[..n]);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("BLOB_UPLOAD_INVALID"), "{text}");
    let r = s.get(&loc).await;
    assert_eq!(
        r.headers()["range"],
        "0-4",
        "the stalled chunk was rolled back"
    );
}

/// Manifests are served from memory between changes (on SQLite): every change shows at once,
/// whichever path made it (a tag moved by a push, the ECR API deleting an image, the
/// repository deleted), and a HEAD answers what a GET just read.
#[tokio::test]
async fn manifest_reads_see_every_change_at_once() {
    let s = Srv::start().await;
    let (_, d1) = s.push_image("cache/app", "latest", b"layer one").await;
    let digest_of = |r: &reqwest::Response| {
        r.headers()
            .get("docker-content-digest")
            .map(|v| v.to_str().unwrap_or_default().to_string())
    };
    for _ in 0..3 {
        let r = s.get("/v2/cache/app/manifests/latest").await;
        assert_eq!(r.status(), 200);
        assert_eq!(digest_of(&r).as_deref(), Some(d1.as_str()));
    }
    let r = s.call(Method::HEAD, "/v2/cache/app/manifests/latest").await;
    assert_eq!(digest_of(&r).as_deref(), Some(d1.as_str()));
    // the tag moves: the next read has the new manifest
    let (m2, d2) = s.push_image("cache/app", "latest", b"layer two").await;
    let r = s.get("/v2/cache/app/manifests/latest").await;
    assert_eq!(digest_of(&r).as_deref(), Some(d2.as_str()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &m2[..]);
    // by digest, then deleted by digest: gone at once
    assert_eq!(
        s.get(&format!("/v2/cache/app/manifests/{d2}"))
            .await
            .status(),
        200
    );
    let r = s
        .call(Method::DELETE, &format!("/v2/cache/app/manifests/{d2}"))
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        s.get(&format!("/v2/cache/app/manifests/{d2}"))
            .await
            .status(),
        404
    );
    assert_eq!(s.get("/v2/cache/app/manifests/latest").await.status(), 404);
    // the first image, still there by digest, goes with its repository
    assert_eq!(
        s.get(&format!("/v2/cache/app/manifests/{d1}"))
            .await
            .status(),
        200
    );
    s.registry()
        .delete_repository("000000000000", &"cache/app".parse().unwrap(), true)
        .await
        .unwrap();
    let r = s.get(&format!("/v2/cache/app/manifests/{d1}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

/// A reference that cannot name a manifest is a manifest that does not exist (404), for GET and
/// HEAD, in an existing repository or not.
#[tokio::test]
async fn invalid_references_are_unknown_manifests() {
    let s = Srv::start().await;
    s.push_image("refs", "v1", b"refs layer").await;
    for path in [
        "/v2/refs/manifests/.INVALID_MANIFEST_NAME",
        "/v2/refs/manifests/sha256:abc",
        "/v2/none/manifests/.INVALID_MANIFEST_NAME",
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        let code = error_code(r).await;
        assert!(
            code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN",
            "{path}: {code}"
        );
        assert_eq!(s.call(Method::HEAD, path).await.status(), 404, "{path}");
    }
    let r = s.get("/v2/refs/manifests/.INVALID_MANIFEST_NAME").await;
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    // a PUT with such a tag is still refused for its tag
    let r = s
        .put_manifest("refs", ".INVALID_MANIFEST_NAME", OCI_MANIFEST, b"{}")
        .await;
    assert_eq!(r.status(), 400);
}

/// The referrers of a digest in a repository that does not exist (yet) are an empty index.
#[tokio::test]
async fn referrers_of_a_missing_repository_are_an_empty_index() {
    let s = Srv::start().await;
    let d = sha256(b"nothing");
    let r = s.get(&format!("/v2/not/yet/referrers/{d}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.oci.image.index.v1+json"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["schemaVersion"], 2);
    assert_eq!(body["manifests"], json!([]));
}
