"""Vulnerability scanning end to end: Alpine's secdb imported with `berth admin vulndb import`,
the saved alpine:3.11 image of the shared test data pushed with skopeo into a repository that
scans on push, and `aws ecr describe-image-scan-findings` answering exactly the findings that
`images/EXPECTED.md` lists (and none of its non-findings); StartImageScan's daily limit; the
registry scanning configuration; a continuous rescan after an import."""

import gzip
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import require, run
from ocilayout import Layout
from test_admin import admin
from test_ecr import aws_cli, cli_env

VULNDATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "vulndata")


def expected_pairs():
    """(origin, CVE) of EXPECTED.md's machine-readable table."""
    md = open(os.path.join(VULNDATA, "images", "EXPECTED.md")).read()
    table = md.split("```tsv", 1)[1].split("```", 1)[0]
    return {tuple(line.split("\t")[i] for i in (0, 3)) for line in table.strip().splitlines()}


def aws(berth, *args, check=True):
    p = run(aws_cli(), "ecr", *args, "--endpoint-url", f"http://{berth.host}", "--output", "json",
            env=cli_env(berth), check=check)
    return json.loads(p.stdout) if check else p


def wait_for_scan(berth, repo, digest, timeout=30):
    deadline = time.time() + timeout
    while True:
        out = aws(berth, "describe-image-scan-findings", "--repository-name", repo,
                  "--image-id", f"imageDigest={digest}")
        if out["imageScanStatus"]["status"] != "IN_PROGRESS" or time.time() > deadline:
            return out
        time.sleep(0.2)


def all_findings(berth, repo, digest):
    """Every finding, following nextToken in pages of 10."""
    findings, token = [], None
    while True:
        args = ["describe-image-scan-findings", "--repository-name", repo, "--image-id",
                f"imageDigest={digest}", "--max-results", "10", "--no-paginate"]
        if token:
            args += ["--next-token", token]
        out = aws(berth, *args)
        findings += out["imageScanFindings"]["findings"]
        token = out.get("nextToken")
        if not token:
            return out, findings


def scanning_repository(berth, repo):
    aws(berth, "create-repository", "--repository-name", repo,
        "--image-scanning-configuration", "scanOnPush=true")


def push_layout(berth, src, tag, repo, *extra):
    """An OCI layout's image (or with --all, index) pushed with skopeo under the same tag."""
    run(require("skopeo"), "copy", *extra, "--preserve-digests", "--dest-tls-verify=false",
        "--dest-creds", berth.creds, f"oci:{src.path}:{tag}", f"docker://{berth.host}/{repo}:{tag}")


def push_alpine(berth, repo, tmp_path):
    archive = tmp_path / "alpine-311.tar"
    with gzip.open(os.path.join(VULNDATA, "images", "alpine-311.tar.gz")) as src, open(archive, "wb") as dst:
        shutil.copyfileobj(src, dst)
    run(require("skopeo"), "copy", "--dest-tls-verify=false", "--dest-creds", berth.creds,
        f"docker-archive:{archive}", f"docker://{berth.host}/{repo}:3.11")
    return aws(berth, "describe-images", "--repository-name", repo)["imageDetails"][0]["imageDigest"]


def test_scan_on_push_gives_the_expected_findings(berth, tmp_path):
    out = admin(berth, "vulndb", "import", os.path.join(VULNDATA, "alpine-secdb", "v3.11"), endpoint=True)
    assert [i["Kind"] for i in out["Imports"]] == ["alpine-secdb", "alpine-secdb"]
    status = admin(berth, "vulndb", "status", endpoint=True)
    assert status["Advisories"] > 1000 and len(status["Imports"]) >= 2

    repo = "scan/alpine"
    scanning_repository(berth, repo)
    digest = push_alpine(berth, repo, tmp_path)
    scanned = wait_for_scan(berth, repo, digest)
    assert scanned["imageScanStatus"] == {"status": "COMPLETE",
                                          "description": "The scan was completed successfully."}
    out, findings = all_findings(berth, repo, digest)
    assert len(findings) == 45  # (binary package, CVE) pairs
    origin = {"apk-tools": "apk-tools", "busybox": "busybox", "ssl_client": "busybox", "musl": "musl",
              "musl-utils": "musl", "libcrypto1.1": "openssl", "libssl1.1": "openssl", "zlib": "zlib"}
    pairs = set()
    for f in findings:
        attrs = {a["key"]: a["value"] for a in f["attributes"]}
        pairs.add((origin[attrs["package_name"]], f["name"]))
        assert f["uri"] == f"https://nvd.nist.gov/vuln/detail/{f['name']}"
    assert pairs == expected_pairs()
    names = {f["name"] for f in findings}
    for absent in ["CVE-2019-1551", "CVE-2019-14697", "CVE-2019-5747", "CVE-2021-42373"]:
        assert absent not in names
    counts = out["imageScanFindings"]["findingSeverityCounts"]
    assert sum(counts.values()) == 45
    assert out["imageScanFindings"]["vulnerabilitySourceUpdatedAt"]
    detail = aws(berth, "describe-images", "--repository-name", repo)["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == counts

    # one manual scan of an image a day with BASIC scanning
    started = aws(berth, "start-image-scan", "--repository-name", repo, "--image-id", "imageTag=3.11")
    assert started["imageScanStatus"]["status"] == "IN_PROGRESS"
    again = aws(berth, "start-image-scan", "--repository-name", repo, "--image-id", "imageTag=3.11",
                check=False)
    assert again.returncode != 0 and "LimitExceededException" in again.stderr
    missing = aws(berth, "describe-image-scan-findings", "--repository-name", repo, "--image-id",
                  "imageTag=nope", check=False)
    assert missing.returncode != 0 and "ImageNotFoundException" in missing.stderr


def test_registry_scanning_configuration_and_continuous_rescans(berth, tmp_path):
    config = {"scanType": "BASIC", "rules": [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "cont/*", "filterType": "WILDCARD"}]}]}
    put = aws(berth, "put-registry-scanning-configuration", "--cli-input-json", json.dumps(config))
    assert put["registryScanningConfiguration"] == config
    got = aws(berth, "get-registry-scanning-configuration")
    assert got["scanningConfiguration"] == config
    repo = "cont/alpine"
    aws(berth, "create-repository", "--repository-name", repo)
    digest = push_alpine(berth, repo, tmp_path)
    batch = aws(berth, "batch-get-repository-scanning-configuration", "--repository-names", repo, "cont/none")
    assert batch["scanningConfigurations"][0]["scanFrequency"] == "CONTINUOUS_SCAN"
    assert batch["failures"][0]["failureCode"] == "REPOSITORY_NOT_FOUND"
    # scanned on push by the rule; then new data arrives and the findings follow without a request
    first = wait_for_scan(berth, repo, digest)
    assert first["imageScanStatus"]["status"] == "COMPLETE"
    before = first["imageScanFindings"]["vulnerabilitySourceUpdatedAt"]
    bump = tmp_path / "extra.json"
    bump.write_text(json.dumps({
        "id": "BERTH-TEST-1", "modified": "2026-12-01T00:00:00Z", "summary": "a test advisory for zlib",
        "affected": [{"package": {"ecosystem": "Alpine:v3.11", "name": "zlib"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.11-r5"}]}]}]}))
    admin(berth, "vulndb", "import", str(bump), endpoint=True)
    deadline = time.time() + 30
    while True:
        out, findings = all_findings(berth, repo, digest)
        if any(f["name"] == "BERTH-TEST-1" for f in findings) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert any(f["name"] == "BERTH-TEST-1" for f in findings)
    assert out["imageScanFindings"]["vulnerabilitySourceUpdatedAt"] > before

    # ENHANCED scanning answers Inspector's shape (botocore parses it against the model)
    enhanced = dict(config, scanType="ENHANCED")
    aws(berth, "put-registry-scanning-configuration", "--cli-input-json", json.dumps(enhanced))
    try:
        out = aws(berth, "describe-image-scan-findings", "--repository-name", repo, "--image-id",
                  f"imageDigest={digest}", "--no-paginate")
        found = out["imageScanFindings"]["enhancedFindings"]
        assert "findings" not in out["imageScanFindings"]
        mine = [f for f in found if f["packageVulnerabilityDetails"]["vulnerabilityId"] == "BERTH-TEST-1"]
        assert mine and mine[0]["fixAvailable"] == "YES" and mine[0]["status"] == "ACTIVE"
        pkg = mine[0]["packageVulnerabilityDetails"]["vulnerablePackages"][0]
        assert (pkg["name"], pkg["fixedInVersion"]) == ("zlib", "1.2.11-r5")
    finally:
        aws(berth, "put-registry-scanning-configuration", "--scan-type", "BASIC", "--rules", "[]")


ALPINE_311 = b"ID=alpine\nVERSION_ID=3.11.5\n"


def apk_db(*packages):
    return "".join(f"P:{name}\nV:{version}\no:{origin}\nA:x86_64\n\n"
                   for name, version, origin in packages).encode()


def test_multi_arch_index_and_whiteouts(berth, tmp_path):
    admin(berth, "vulndb", "import", os.path.join(VULNDATA, "alpine-secdb", "v3.11"), endpoint=True)
    src = Layout(str(tmp_path / "src"))
    amd = src.image({"etc/os-release": ALPINE_311,
                     "lib/apk/db/installed": apk_db(("busybox", "1.31.1-r9", "busybox"))}, arch="amd64")
    arm = src.image({"etc/os-release": ALPINE_311,
                     "lib/apk/db/installed": apk_db(("musl", "1.1.24-r2", "musl"))}, arch="arm64")
    idx = src.index([amd, arm])
    src.tag(idx, "multi")
    # the package database removed by a whiteout in the upper layer: nothing installed
    gone = src.image({}, layers=[
        {"etc/os-release": ALPINE_311, "lib/apk/db/installed": apk_db(("zlib", "1.2.11-r3", "zlib"))},
        {"lib/apk/db/.wh.installed": b""},
    ])
    src.tag(gone, "gone")
    # an opaque directory hides the lower database; the upper layer's own stays
    opaque = src.image({}, layers=[
        {"etc/os-release": ALPINE_311, "lib/apk/db/installed": apk_db(("zlib", "1.2.11-r3", "zlib"))},
        {"lib/apk/db/.wh..wh..opq": b"", "lib/apk/db/installed": apk_db(("musl", "1.1.24-r2", "musl"))},
    ])
    src.tag(opaque, "opaque")
    repo = "scan/multi"
    scanning_repository(berth, repo)
    for tag, extra in [("multi", ["--all"]), ("gone", []), ("opaque", [])]:
        push_layout(berth, src, tag, repo, *extra)

    def names(digest):
        assert wait_for_scan(berth, repo, digest)["imageScanStatus"]["status"] == "COMPLETE"
        return sorted(f["name"] for f in all_findings(berth, repo, digest)[1])

    busybox, musl = names(amd["digest"]), names(arm["digest"])
    assert len(busybox) == 11 and musl == ["CVE-2020-28928"]
    # the index: the findings of every image it lists
    assert names(idx["digest"]) == sorted(busybox + musl)
    assert names(gone["digest"]) == []
    assert names(opaque["digest"]) == ["CVE-2020-28928"]


def go_binary(tmp_path):
    """A program built here by the machine's Go toolchain (Debian bookworm's go1.19.8)."""
    go = require("go")
    src = tmp_path / "hello"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (src / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n')
    env = dict(os.environ, GOFLAGS="-mod=mod", GOCACHE=str(tmp_path / "gocache"), GOPATH=str(tmp_path / "gopath"))
    subprocess.run([go, "build", "-o", "hello", "."], cwd=src, env=env, check=True)
    version = subprocess.run([go, "env", "GOVERSION"], env=env, check=True, capture_output=True,
                             text=True).stdout.strip()
    return (src / "hello").read_bytes(), version


def test_a_go_binary_in_a_scratch_image(berth, tmp_path):
    """A Go binary in an image with no distribution: its toolchain is matched as `stdlib`
    against the shared Go advisories (a directory of OSV records imported file by file)."""
    binary, version = go_binary(tmp_path)
    out = admin(berth, "vulndb", "import", os.path.join(VULNDATA, "osv", "go"), endpoint=True)
    assert len(out["Imports"]) > 10 and all(i["Kind"] == "osv" for i in out["Imports"])
    src = Layout(str(tmp_path / "src"))
    img = src.image({"usr/local/bin/hello": binary})
    src.tag(img, "v1")
    repo = "scan/go"
    scanning_repository(berth, repo)
    push_layout(berth, src, "v1", repo)
    assert wait_for_scan(berth, repo, img["digest"])["imageScanStatus"]["status"] == "COMPLETE"
    findings = all_findings(berth, repo, img["digest"])[1]
    stdlib = [f for f in findings if {"key": "package_name", "value": "stdlib"} in f["attributes"]]
    assert stdlib, findings
    versions = {a["value"] for f in stdlib for a in f["attributes"] if a["key"] == "package_version"}
    assert versions == {version.removeprefix("go")}
    if version == "go1.19.8":
        # EXPECTED.md's 15 stdlib advisories, named by their CVEs
        assert len(stdlib) == 15
        assert "CVE-2023-24539" in {f["name"] for f in stdlib}


def test_debian_packages_against_debian_oval(berth, tmp_path):
    """dpkg packages matched by their source package (`Source: openssl (3.0.8-1)`) against
    Debian's OVAL for bookworm, imported compressed; the release read from usr/lib/os-release
    (where Debian's etc/os-release points); a removed package is not installed."""
    out = admin(berth, "vulndb", "import",
                os.path.join(VULNDATA, "debian-oval", "oval-definitions-bookworm.xml.bz2"), endpoint=True)
    assert out["Imports"][0]["Kind"] == "debian-oval" and out["Imports"][0]["Records"] > 20000
    status = (b"Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.8-1)\n"
              b"Version: 3.0.8-1+b1\nArchitecture: amd64\n\n"
              b"Package: removed\nStatus: deinstall ok config-files\nSource: openssl\nVersion: 1.0.0-1\n")
    src = Layout(str(tmp_path / "src"))
    img = src.image({
        "usr/lib/os-release": b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
        "var/lib/dpkg/status": status,
    })
    src.tag(img, "v1")
    repo = "scan/debian"
    scanning_repository(berth, repo)
    push_layout(berth, src, "v1", repo)
    assert wait_for_scan(berth, repo, img["digest"])["imageScanStatus"]["status"] == "COMPLETE"
    findings = all_findings(berth, repo, img["digest"])[1]
    # the file is of July 2023: 3.0.9-1 fixed the last five openssl CVEs it lists
    assert len(findings) == 5, findings
    for f in findings:
        attrs = {a["key"]: a["value"] for a in f["attributes"]}
        assert (attrs["package_name"], attrs["package_version"]) == ("libssl3", "3.0.8-1+b1")
        assert f["name"].startswith("CVE-")
