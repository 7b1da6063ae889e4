"""The ECR image and layer operations with boto3 and the aws CLI: the layer upload API, PutImage,
BatchGetImage, ListImages, DescribeImages, BatchDeleteImage, GetDownloadUrlForLayer and
ListImageReferrers, with pagination and error cases; every response body checked against
botocore's output shape."""

import base64
import hashlib
import json
import os
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from awsapi import call, validate_output
from conftest import run
from test_ecr import aws_cli, cli_env, ecr  # noqa: F401  (the `ecr` fixture)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def upload_layer(ecr, repo, data, part=None):
    """Upload `data` with InitiateLayerUpload, UploadLayerPart (in parts) and
    CompleteLayerUpload; return its digest."""
    up = ecr.initiate_layer_upload(repositoryName=repo)
    assert up["partSize"] > 0
    part = part or len(data)
    for first in range(0, len(data), part):
        chunk = data[first:first + part]
        out = ecr.upload_layer_part(repositoryName=repo, uploadId=up["uploadId"],
                                    partFirstByte=first, partLastByte=first + len(chunk) - 1,
                                    layerPartBlob=chunk)
        assert out["lastByteReceived"] == first + len(chunk) - 1
    done = ecr.complete_layer_upload(repositoryName=repo, uploadId=up["uploadId"],
                                     layerDigests=[sha256(data)])
    assert done["layerDigest"] == sha256(data)
    return done["layerDigest"]


def image(ecr, repo, content, tag=None, subject=None, artifact_type=None):
    """Push an image (config + one layer) through the ECR API; return (digest, manifest, size)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "content": content}).encode()
    layer = f"layer {content}".encode() * 3
    cfg = upload_layer(ecr, repo, config)
    lyr = upload_layer(ecr, repo, layer)
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cfg, "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER, "digest": lyr, "size": len(layer)}],
    }
    if subject:
        manifest["subject"] = subject
    if artifact_type:
        manifest["artifactType"] = artifact_type
    body = json.dumps(manifest, separators=(",", ":"))
    kw = {"imageTag": tag} if tag else {}
    out = ecr.put_image(repositoryName=repo, imageManifest=body, **kw)["image"]
    assert out["imageId"]["imageDigest"] == sha256(body.encode())
    assert out["imageManifest"] == body
    assert out["imageManifestMediaType"] == OCI_MANIFEST
    return sha256(body.encode()), body, len(config) + len(layer)


def error_of(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_layer_upload_api(berth, ecr):
    ecr.create_repository(repositoryName="layers/app")
    data = os.urandom(3 * 1024 * 1024 + 17)
    d = upload_layer(ecr, "layers/app", data, part=1024 * 1024)
    avail = ecr.batch_check_layer_availability(
        repositoryName="layers/app", layerDigests=[d, sha256(b"nope"), "bogus"])
    assert avail["layers"][0] == {"layerDigest": d, "layerAvailability": "AVAILABLE",
                                  "layerSize": len(data)}
    assert avail["layers"][1]["layerAvailability"] == "UNAVAILABLE"
    assert avail["failures"] == [{"layerDigest": "bogus", "failureCode": "InvalidLayerDigest",
                                  "failureReason": "Invalid layer digest"}]
    # the same bytes through /v2/
    req = urllib.request.Request(f"http://{berth.host}/v2/layers/app/blobs/{d}",
                                 headers={"Authorization": "Basic " + base64.b64encode(berth.creds.encode()).decode()})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.read() == data

    up = ecr.initiate_layer_upload(repositoryName="layers/app")["uploadId"]
    ecr.upload_layer_part(repositoryName="layers/app", uploadId=up, partFirstByte=0,
                          partLastByte=9, layerPartBlob=b"0123456789")
    # a part that does not follow the last byte received
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.upload_layer_part(repositoryName="layers/app", uploadId=up, partFirstByte=20,
                              partLastByte=24, layerPartBlob=b"abcde")
    assert error_of(e)[0] == "InvalidLayerPartException"
    assert e.value.response["lastValidByteReceived"] == 9
    # a part whose range does not match its length
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.upload_layer_part(repositoryName="layers/app", uploadId=up, partFirstByte=10,
                              partLastByte=30, layerPartBlob=b"abcde")
    assert error_of(e)[0] == "InvalidLayerPartException"
    # completing with the wrong digest
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.complete_layer_upload(repositoryName="layers/app", uploadId=up,
                                  layerDigests=[sha256(b"something else")])
    assert error_of(e)[0] == "InvalidLayerException"
    # the failed completion ended the upload
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.upload_layer_part(repositoryName="layers/app", uploadId=up, partFirstByte=10,
                              partLastByte=10, layerPartBlob=b"x")
    assert error_of(e)[0] == "UploadNotFoundException"
    # an empty upload, and a layer that is already there
    empty = ecr.initiate_layer_upload(repositoryName="layers/app")["uploadId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.complete_layer_upload(repositoryName="layers/app", uploadId=empty, layerDigests=[d])
    assert error_of(e)[0] == "EmptyUploadException"
    again = ecr.initiate_layer_upload(repositoryName="layers/app")["uploadId"]
    ecr.upload_layer_part(repositoryName="layers/app", uploadId=again, partFirstByte=0,
                          partLastByte=len(data) - 1, layerPartBlob=data)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.complete_layer_upload(repositoryName="layers/app", uploadId=again, layerDigests=[d])
    assert error_of(e)[0] == "LayerAlreadyExistsException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.initiate_layer_upload(repositoryName="layers/app", registryId="12")
    assert error_of(e)[0] == "InvalidParameterException"
    # a layer no image uses cannot be downloaded by URL, as ECR
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_download_url_for_layer(repositoryName="layers/app", layerDigest=d)
    assert error_of(e)[0] == "LayerInaccessibleException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_download_url_for_layer(repositoryName="layers/app", layerDigest=sha256(b"nope"))
    assert error_of(e)[0] == "LayersNotFoundException"
    ecr.delete_repository(repositoryName="layers/app", force=True)


def test_put_get_list_describe_delete(berth, ecr):
    repo = "images/app"
    ecr.create_repository(repositoryName=repo)
    d1, m1, size1 = image(ecr, repo, "one", tag="v1")
    d2, m2, size2 = image(ecr, repo, "two", tag="v2")
    # a second tag on the first image, and an untagged image
    ecr.put_image(repositoryName=repo, imageManifest=m1, imageTag="stable")
    d3, _, _ = image(ecr, repo, "three")

    # same manifest, same tag: nothing to do
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_image(repositoryName=repo, imageManifest=m1, imageTag="v1")
    code, msg = error_of(e)
    assert code == "ImageAlreadyExistsException"
    assert msg == (f"Image with digest '{d1}' and tag 'v1' already exists in the repository with "
                   f"name '{repo}' in registry with id '000000000000'")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_image(repositoryName=repo, imageManifest=m1, imageTag="v9", imageDigest=d2)
    assert error_of(e)[0] == "ImageDigestDoesNotMatchException"
    missing_layer = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                "config": {"mediaType": OCI_CONFIG, "digest": sha256(b"x"), "size": 1},
                                "layers": []})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_image(repositoryName=repo, imageManifest=missing_layer, imageTag="broken")
    assert error_of(e)[0] == "LayersNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_image(repositoryName=repo, imageManifest="{not json", imageTag="broken")
    assert error_of(e)[0] == "InvalidParameterException"

    ids = ecr.list_images(repositoryName=repo)["imageIds"]
    assert sorted((i["imageDigest"], i.get("imageTag")) for i in ids) == sorted(
        [(d1, "stable"), (d1, "v1"), (d2, "v2"), (d3, None)])
    untagged = ecr.list_images(repositoryName=repo, filter={"tagStatus": "UNTAGGED"})["imageIds"]
    assert untagged == [{"imageDigest": d3}]
    tagged = ecr.list_images(repositoryName=repo, filter={"tagStatus": "TAGGED"})["imageIds"]
    assert len(tagged) == 3 and all("imageTag" in i for i in tagged)
    # pages of one, following nextToken
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = ecr.list_images(repositoryName=repo, maxResults=1, **kw)
        assert len(page["imageIds"]) <= 1
        seen += page["imageIds"]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(map(json.dumps, seen)) == sorted(map(json.dumps, ids))
    # the paginator of boto3 gives the same
    pages = ecr.get_paginator("list_images").paginate(repositoryName=repo, PaginationConfig={"PageSize": 2})
    assert sum(len(p["imageIds"]) for p in pages) == 4

    details = {i["imageDigest"]: i for i in ecr.describe_images(repositoryName=repo)["imageDetails"]}
    assert set(details) == {d1, d2, d3}
    one = details[d1]
    assert one["imageTags"] == ["stable", "v1"]
    assert one["imageSizeInBytes"] == size1
    assert one["imageManifestMediaType"] == OCI_MANIFEST
    assert one["artifactMediaType"] == OCI_CONFIG
    assert "imageTags" not in details[d3]
    assert "lastRecordedPullTime" not in one
    by_tag = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v2"}])["imageDetails"]
    assert [i["imageDigest"] for i in by_tag] == [d2]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "nope"}])
    code, msg = error_of(e)
    assert code == "ImageNotFoundException"
    assert msg == ("The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist "
                   f"within the repository with name '{repo}' in the registry with id '000000000000'")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v2"}], maxResults=5)
    assert error_of(e)[0] == "InvalidParameterException"
    pages = list(ecr.get_paginator("describe_images").paginate(
        repositoryName=repo, PaginationConfig={"PageSize": 1}))
    assert [len(p["imageDetails"]) for p in pages] == [1, 1, 1]

    got = ecr.batch_get_image(repositoryName=repo, imageIds=[
        {"imageTag": "v1"}, {"imageDigest": d2}, {"imageTag": "nope"},
        {"imageTag": "v2", "imageDigest": d1}])
    assert [i["imageManifest"] for i in got["images"]] == [m1, m2]
    assert got["images"][0]["imageId"] == {"imageDigest": d1, "imageTag": "v1"}
    assert sorted(f["failureCode"] for f in got["failures"]) == ["ImageNotFound", "ImageTagDoesNotMatchDigest"]
    # a pull through BatchGetImage is recorded (flushed every few seconds)
    import time
    deadline = time.time() + 15
    while time.time() < deadline:
        one = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": d1}])["imageDetails"][0]
        if "lastRecordedPullTime" in one:
            break
        time.sleep(0.5)
    assert "lastRecordedPullTime" in one

    # BatchDeleteImage: a tag of an image with another tag removes only that tag
    out = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "stable"}])
    assert out == {"imageIds": [{"imageDigest": d1, "imageTag": "stable"}], "failures": [],
                   "ResponseMetadata": out["ResponseMetadata"]}
    assert ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": d1}])["imageDetails"][0]["imageTags"] == ["v1"]
    # its last tag removes the image
    out = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert out["imageIds"] == [{"imageDigest": d1, "imageTag": "v1"}]
    with pytest.raises(botocore.exceptions.ClientError):
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": d1}])
    # by digest: the image and all its tags; unknown ids are failures
    out = ecr.batch_delete_image(repositoryName=repo, imageIds=[
        {"imageDigest": d2}, {"imageTag": "gone"}, {"imageDigest": "sha256:zz"}])
    assert out["imageIds"] == [{"imageDigest": d2, "imageTag": "v2"}]
    assert [(f["imageId"], f["failureCode"]) for f in out["failures"]] == [
        ({"imageTag": "gone"}, "ImageNotFound"), ({"imageDigest": "sha256:zz"}, "InvalidImageDigest")]
    assert ecr.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": d3}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.list_images(repositoryName="images/none")
    assert error_of(e)[0] == "RepositoryNotFoundException"
    ecr.delete_repository(repositoryName=repo, force=True)


def test_download_url_is_presigned(berth, ecr):
    repo = "download/app"
    ecr.create_repository(repositoryName=repo)
    d, m, _ = image(ecr, repo, "dl", tag="v1")
    layer = json.loads(m)["layers"][0]["digest"]
    out = ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=layer)
    assert out["layerDigest"] == layer
    url = out["downloadUrl"]
    assert url.startswith(f"http://{berth.host}/v2/{repo}/blobs/{layer}?")
    # no credentials needed
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"layer dl" * 3
    # a tampered signature, or another blob with the same signature, is refused
    for bad in [url[:-2] + ("AA" if not url.endswith("AA") else "BB"),
                url.replace(layer, json.loads(m)["config"]["digest"])]:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad, timeout=10)
        assert e.value.code == 401
    ecr.delete_repository(repositoryName=repo, force=True)


def test_index_and_referrers(berth, ecr):
    repo = "multi/app"
    ecr.create_repository(repositoryName=repo)
    amd, m_amd, size_amd = image(ecr, repo, "amd64")
    arm, m_arm, size_arm = image(ecr, repo, "arm64-bigger-config-" + "x" * 100)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": arm, "size": len(m_arm),
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": OCI_MANIFEST, "digest": amd, "size": len(m_amd),
         "platform": {"os": "linux", "architecture": "amd64"}}]}, separators=(",", ":"))
    idx = ecr.put_image(repositoryName=repo, imageManifest=index, imageTag="latest")["image"]
    assert idx["imageManifestMediaType"] == OCI_INDEX
    # an index is as large as its largest image
    detail = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "latest"}])["imageDetails"][0]
    assert detail["imageSizeInBytes"] == max(size_amd, size_arm)
    # a caller accepting only image manifests gets the linux/amd64 image
    got = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}],
                              acceptedMediaTypes=[OCI_MANIFEST])["images"][0]
    assert got["imageManifest"] == m_amd
    got = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}],
                              acceptedMediaTypes=[OCI_INDEX, OCI_MANIFEST])["images"][0]
    assert got["imageManifest"] == index
    # an image an index lists cannot be deleted by digest
    out = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": amd}])
    assert out["failures"][0]["failureCode"] == "ImageReferencedByManifestList"
    # a referrer (a signature-like artifact) of the amd64 image
    sig, _, _ = image(ecr, repo, "sig", subject={"mediaType": OCI_MANIFEST, "digest": amd, "size": len(m_amd)},
                      artifact_type="application/vnd.example.signature")
    refs = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": amd})["referrers"]
    assert refs == [{"digest": sig, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.signature",
                     "size": refs[0]["size"], "artifactStatus": "ACTIVE"}]
    detail = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": sig}])["imageDetails"][0]
    assert detail["subjectManifestDigest"] == amd
    assert ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": amd},
                                    filter={"artifactTypes": ["other/type"]})["referrers"] == []
    assert ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": arm})["referrers"] == []
    ecr.delete_repository(repositoryName=repo, force=True)


def test_image_output_shapes_match_the_model(berth, ecr):
    repo = "shapes/images"
    ecr.create_repository(repositoryName=repo)
    d, m, _ = image(ecr, repo, "shape", tag="v1")
    layer = json.loads(m)["layers"][0]["digest"]
    ops = [
        ("BatchCheckLayerAvailability", {"repositoryName": repo, "layerDigests": [layer, "x"]}),
        ("InitiateLayerUpload", {"repositoryName": repo}),
        ("ListImages", {"repositoryName": repo, "maxResults": 1}),
        ("ListImages", {"repositoryName": repo, "filter": {"tagStatus": "TAGGED"}}),
        ("DescribeImages", {"repositoryName": repo}),
        ("DescribeImages", {"repositoryName": repo, "imageIds": [{"imageTag": "v1"}]}),
        ("BatchGetImage", {"repositoryName": repo, "imageIds": [{"imageTag": "v1"}, {"imageTag": "x"}]}),
        ("GetDownloadUrlForLayer", {"repositoryName": repo, "layerDigest": layer}),
        ("ListImageReferrers", {"repositoryName": repo, "subjectId": {"imageDigest": d}}),
        ("PutImage", {"repositoryName": repo, "imageManifest": m, "imageTag": "v2"}),
        ("BatchDeleteImage", {"repositoryName": repo, "imageIds": [{"imageTag": "v2"}, {"imageTag": "none"}]}),
    ]
    for op, body in ops:
        status, _, out = call(berth, op, body)
        assert status == 200, (op, out)
        validate_output(op, out)
    up = call(berth, "InitiateLayerUpload", {"repositoryName": repo})[2]["uploadId"]
    data = b"part"
    status, _, out = call(berth, "UploadLayerPart", {
        "repositoryName": repo, "uploadId": up, "partFirstByte": 0, "partLastByte": 3,
        "layerPartBlob": base64.b64encode(data).decode()})
    assert status == 200, out
    validate_output("UploadLayerPart", out)
    status, _, out = call(berth, "CompleteLayerUpload", {
        "repositoryName": repo, "uploadId": up, "layerDigests": [sha256(data)]})
    assert status == 200, out
    validate_output("CompleteLayerUpload", out)
    ecr.delete_repository(repositoryName=repo, force=True)


@pytest.mark.parametrize("op,body,code,text", [
    ("UploadLayerPart", {"repositoryName": "a/b", "uploadId": "not-a-uuid", "partFirstByte": 0,
                         "partLastByte": 0, "layerPartBlob": "eA=="},
     "InvalidParameterException", "uploadId"),
    ("UploadLayerPart", {"repositoryName": "a/b", "uploadId": "00000000-0000-0000-0000-000000000000"},
     "ValidationException", "Value null at 'partFirstByte'"),
    ("CompleteLayerUpload", {"repositoryName": "no/repo", "uploadId": "00000000-0000-0000-0000-000000000000",
                             "layerDigests": ["sha256:" + "0" * 64]},
     "RepositoryNotFoundException", "does not exist in the registry"),
    ("BatchGetImage", {"repositoryName": "a/b"}, "ValidationException", "Value null at 'imageIds'"),
    ("BatchGetImage", {"repositoryName": "a/b", "imageIds": []}, "ValidationException",
     "Member must have length greater than or equal to 1"),
    ("ListImages", {"repositoryName": "a/b", "filter": {"tagStatus": "SOME"}}, "ValidationException",
     "Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]"),
    ("ListImages", {"repositoryName": "a/b", "maxResults": 0}, "ValidationException",
     "greater than or equal to 1"),
    ("ListImages", {"repositoryName": "a/b", "nextToken": "garbage"}, "InvalidParameterException",
     "nextToken"),
    ("PutImage", {"repositoryName": "a/b", "imageManifest": ""}, "ValidationException",
     "Member must have length greater than or equal to 1"),
    ("PutImage", {"repositoryName": "a/b", "imageManifest": "{}", "imageTag": "x" * 301},
     "ValidationException", "less than or equal to 300"),
    ("ListImageReferrers", {"repositoryName": "a/b", "subjectId": {"imageDigest": "sha256:" + "0" * 64},
                            "maxResults": 51}, "ValidationException", "less than or equal to 50"),
    ("GetDownloadUrlForLayer", {"repositoryName": "a/b", "layerDigest": "nope"},
     "InvalidParameterException", "layerDigest"),
])
def test_image_errors(berth, op, body, code, text):
    status, headers, out = call(berth, op, body)
    assert status == 400, out
    assert headers["x-amzn-errortype"] == code
    assert text in out["message"], out["message"]


def test_image_operations_with_the_aws_cli(berth, ecr):
    aws = aws_cli()
    endpoint = f"http://{berth.host}"
    env = cli_env(berth)

    def cli(*args):
        out = run(aws, "ecr", *args, "--endpoint-url", endpoint, "--output", "json", env=env).stdout
        return json.loads(out) if out.strip() else {}

    repo = "cli/images"
    cli("create-repository", "--repository-name", repo)
    d, m, size = image(ecr, repo, "cli", tag="v1")
    layer = json.loads(m)["layers"][0]["digest"]
    assert cli("batch-check-layer-availability", "--repository-name", repo,
               "--layer-digests", layer)["layers"][0]["layerAvailability"] == "AVAILABLE"
    up = cli("initiate-layer-upload", "--repository-name", repo)["uploadId"]
    blob = os.path.join(berth.data_dir, "part.bin")
    with open(blob, "wb") as f:
        f.write(b"cli layer part")
    out = cli("upload-layer-part", "--repository-name", repo, "--upload-id", up,
              "--part-first-byte", "0", "--part-last-byte", "13", "--layer-part-blob", f"fileb://{blob}")
    assert out["lastByteReceived"] == 13
    out = cli("complete-layer-upload", "--repository-name", repo, "--upload-id", up,
              "--layer-digests", sha256(b"cli layer part"))
    assert out["layerDigest"] == sha256(b"cli layer part")
    # the CLI's own pagination walks every page
    assert cli("list-images", "--repository-name", repo, "--page-size", "1")["imageIds"] == [
        {"imageDigest": d, "imageTag": "v1"}]
    details = cli("describe-images", "--repository-name", repo)["imageDetails"]
    assert details[0]["imageSizeInBytes"] == size
    got = cli("batch-get-image", "--repository-name", repo, "--image-ids", "imageTag=v1")
    assert got["images"][0]["imageManifest"] == m
    out = cli("put-image", "--repository-name", repo, "--image-tag", "v2", "--image-manifest", m)
    assert out["image"]["imageId"] == {"imageDigest": d, "imageTag": "v2"}
    url = cli("get-download-url-for-layer", "--repository-name", repo, "--layer-digest", layer)["downloadUrl"]
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"layer cli" * 3
    assert cli("list-image-referrers", "--repository-name", repo,
               "--subject-id", f"imageDigest={d}")["referrers"] == []
    out = cli("batch-delete-image", "--repository-name", repo, "--image-ids", f"imageDigest={d}")
    assert sorted(i["imageTag"] for i in out["imageIds"]) == ["v1", "v2"]
    assert cli("list-images", "--repository-name", repo)["imageIds"] == []
    cli("delete-repository", "--repository-name", repo, "--force")
