"""skopeo against Berth: OCI layout round trips with identical digests, inspect, list-tags, delete,
and a multi-arch index pulled by platform."""

import json
import os
import tempfile

import pytest

from conftest import require, run
from ocilayout import Layout, manifest_digest


@pytest.fixture(scope="module")
def skopeo():
    return require("skopeo")


def tls_args(berth, direction):
    return [f"--{direction}-tls-verify=false", f"--{direction}-creds", berth.creds]


def test_oci_layout_round_trip_keeps_digests(berth, skopeo):
    tmp = tempfile.mkdtemp()
    src = Layout(os.path.join(tmp, "src"))
    img = src.image({"hello": b"hello from skopeo\n", "etc/os-release": b"ID=berth\n"})
    src.tag(img, "v1")
    dest = f"docker://{berth.host}/e2e/skopeo:v1"
    run(skopeo, "copy", "--preserve-digests", *tls_args(berth, "dest"), f"oci:{src.path}:v1", dest)
    out = os.path.join(tmp, "out")
    run(skopeo, "copy", "--preserve-digests", *tls_args(berth, "src"), dest, f"oci:{out}:v1")
    assert manifest_digest(out, "v1") == img["digest"]
    # every blob came back byte-identical
    for name in os.listdir(os.path.join(src.path, "blobs", "sha256")):
        with open(os.path.join(src.path, "blobs", "sha256", name), "rb") as a, open(
            os.path.join(out, "blobs", "sha256", name), "rb"
        ) as b:
            assert a.read() == b.read()

    info = json.loads(
        run(skopeo, "inspect", "--tls-verify=false", "--creds", berth.creds, dest).stdout
    )
    assert info["Digest"] == img["digest"]
    assert info["Architecture"] == "amd64"
    raw = run(skopeo, "inspect", "--raw", "--tls-verify=false", "--creds", berth.creds, dest).stdout
    with open(os.path.join(src.path, "blobs", "sha256", img["digest"].split(":")[1])) as f:
        assert raw == f.read(), "the exact manifest bytes are served"


def test_list_tags_and_delete(berth, skopeo):
    tmp = tempfile.mkdtemp()
    src = Layout(os.path.join(tmp, "src"))
    img = src.image({"a": b"tags\n"})
    src.tag(img, "v1")
    for tag in ["v1", "v2", "latest"]:
        run(
            skopeo, "copy", *tls_args(berth, "dest"),
            f"oci:{src.path}:v1", f"docker://{berth.host}/e2e/tags:{tag}",
        )
    tags = json.loads(
        run(
            skopeo, "list-tags", "--tls-verify=false", "--creds", berth.creds,
            f"docker://{berth.host}/e2e/tags",
        ).stdout
    )
    assert tags["Tags"] == ["latest", "v1", "v2"]
    run(
        skopeo, "delete", "--tls-verify=false", "--creds", berth.creds,
        f"docker://{berth.host}/e2e/tags@{img['digest']}",
    )
    gone = run(
        skopeo, "inspect", "--tls-verify=false", "--creds", berth.creds,
        f"docker://{berth.host}/e2e/tags:v1", check=False,
    )
    assert gone.returncode != 0
    tags = json.loads(
        run(
            skopeo, "list-tags", "--tls-verify=false", "--creds", berth.creds,
            f"docker://{berth.host}/e2e/tags",
        ).stdout
    )
    assert tags["Tags"] == []


def test_multi_arch_index_by_platform(berth, skopeo):
    tmp = tempfile.mkdtemp()
    src = Layout(os.path.join(tmp, "src"))
    amd = src.image({"arch": b"amd64\n"}, arch="amd64")
    arm = src.image({"arch": b"arm64\n"}, arch="arm64")
    idx = src.index([amd, arm])
    src.tag(idx, "multi")
    dest = f"docker://{berth.host}/e2e/multiarch:v1"
    run(skopeo, "copy", "--all", "--preserve-digests", *tls_args(berth, "dest"), f"oci:{src.path}:multi", dest)
    raw = json.loads(
        run(skopeo, "inspect", "--raw", "--tls-verify=false", "--creds", berth.creds, dest).stdout
    )
    assert [m["digest"] for m in raw["manifests"]] == [amd["digest"], arm["digest"]]
    for arch, want in [("arm64", arm), ("amd64", amd)]:
        out = os.path.join(tmp, f"out-{arch}")
        run(
            skopeo, "--override-arch", arch, "--override-os", "linux", "copy",
            "--preserve-digests", *tls_args(berth, "src"), dest, f"oci:{out}:x",
        )
        assert manifest_digest(out, "x") == want["digest"]
