"""Berth on an S3-compatible bucket (Garage, started by scripts/test): push and pull, a chunked
upload, and garbage collection removing the objects, checked in the bucket with boto3."""

import os
import shutil
import urllib.error
import urllib.request
import uuid

import boto3
import pytest

from conftest import require, run, s3_settings, start_berth
from test_admin import admin
from test_gc import V2, config_of, fsck, sha, stop


@pytest.fixture(scope="module")
def s3():
    return s3_settings()


def test_push_pull_chunks_and_collection_on_s3(s3):
    prefix = f"e2e-{uuid.uuid4()}"
    b = start_berth(
        ["--storage-url", f"s3://{s3['BUCKET']}/{prefix}", "--s3-endpoint", s3["ENDPOINT"],
         "--gc-interval", "0"],
        extra_env={"AWS_ACCESS_KEY_ID": s3["ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": s3["SECRET_ACCESS_KEY"],
                   "AWS_REGION": s3["REGION"]})
    bucket = boto3.client("s3", endpoint_url=s3["ENDPOINT"], region_name=s3["REGION"],
                          aws_access_key_id=s3["ACCESS_KEY_ID"], aws_secret_access_key=s3["SECRET_ACCESS_KEY"])

    def keys():
        out = bucket.list_objects_v2(Bucket=s3["BUCKET"], Prefix=prefix + "/")
        return {o["Key"][len(prefix) + 1:]: o["Size"] for o in out.get("Contents", [])}

    try:
        v2 = V2(b)
        big = os.urandom(12 * 1024 * 1024)  # more than one multipart part
        small = os.urandom(3000)
        d = v2.push("s3/app", "v1", [big, small])
        v2.check_image("s3/app", d)
        assert keys()[f"blobs/sha256/{sha(big)[7:]}"] == len(big)

        # a chunked upload: POST, two PATCHes, PUT; its chunks are objects until the commit
        data = os.urandom(9 * 1024 * 1024)
        r = urllib.request.Request(f"{v2.base}/s3/app/blobs/uploads/", method="POST",
                                   headers={"Authorization": v2.auth})
        with urllib.request.urlopen(r, timeout=60) as resp:
            location = resp.headers["Location"]
        cut = 5 * 1024 * 1024 + 17
        for start, chunk in [(0, data[:cut]), (cut, data[cut:])]:
            p = urllib.request.Request(f"http://{b.host}{location}", data=chunk, method="PATCH", headers={
                "Authorization": v2.auth, "Content-Type": "application/octet-stream",
                "Content-Range": f"{start}-{start + len(chunk) - 1}"})
            with urllib.request.urlopen(p, timeout=60) as resp:
                location = resp.headers["Location"]
        assert sum(1 for k in keys() if k.startswith("uploads/")) == 2
        sep = "&" if "?" in location else "?"
        put = urllib.request.Request(f"http://{b.host}{location}{sep}digest={sha(data)}", method="PUT",
                                     headers={"Authorization": v2.auth})
        with urllib.request.urlopen(put, timeout=60) as resp:
            assert resp.status == 201
        status, got = v2.req("GET", f"/s3/app/blobs/{sha(data)}")
        assert status == 200 and got == data
        assert not any(k.startswith("uploads/") for k in keys())
        # ranged reads come from the bucket too
        status, part = v2.req("GET", f"/s3/app/blobs/{sha(data)}", headers={"Range": "bytes=100-199"})
        assert status == 206 and part == data[100:200]

        # the image and the loose blob go; a pass with no grace removes their objects
        v2.delete("s3/app", d)
        v2.req("DELETE", f"/s3/app/blobs/{sha(data)}")
        out = admin(b, "gc", "--grace", "0", endpoint=True)
        assert out["blobsDeleted"] == 4  # big, small, the config, the chunked blob
        assert not any(k.startswith("blobs/") for k in keys()), keys()
        assert out["bytesDeleted"] == len(big) + len(small) + len(config_of([big, small])) + len(data)
        assert fsck(b, "--grace", "0")["problems"] == []
    finally:
        stop(b)
        shutil.rmtree(b.data_dir, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_blob_pulls_redirect_to_presigned_urls(s3, tmp_path):
    prefix = f"e2e-{uuid.uuid4()}"
    b = start_berth(
        ["--storage-url", f"s3://{s3['BUCKET']}/{prefix}", "--s3-endpoint", s3["ENDPOINT"],
         "--blob-redirect", "--gc-interval", "0"],
        extra_env={"AWS_ACCESS_KEY_ID": s3["ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": s3["SECRET_ACCESS_KEY"],
                   "AWS_REGION": s3["REGION"]})
    try:
        v2 = V2(b)
        layer = os.urandom(200_000)
        d = v2.push("s3/redirect", "v1", [layer])
        opener = urllib.request.build_opener(NoRedirect)
        r = urllib.request.Request(f"{v2.base}/s3/redirect/blobs/{sha(layer)}", headers={"Authorization": v2.auth})
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(r, timeout=30)
        assert e.value.code == 307
        location = e.value.headers["Location"]
        assert location.startswith(s3["ENDPOINT"]) and "X-Amz-Signature=" in location
        # the presigned URL needs no credentials
        with urllib.request.urlopen(location, timeout=30) as resp:
            assert sha(resp.read()) == sha(layer)
        # skopeo follows the redirect for a whole pull
        skopeo = require("skopeo")
        run(skopeo, "copy", "--src-tls-verify=false", "--src-creds", b.creds,
            f"docker://{b.host}/s3/redirect:v1", f"dir:{tmp_path}/out")
        # the dir: transport keeps the manifest and blobs as they came
        assert sha((tmp_path / "out" / "manifest.json").read_bytes()) == d
        assert (tmp_path / "out" / sha(layer)[7:]).read_bytes() == layer
    finally:
        stop(b)
        shutil.rmtree(b.data_dir, ignore_errors=True)
