"""What the scanner finds in images of every package kind, built here with real tools: rpm's own
database (rpmbuild and rpm installing into an AlmaLinux root), a Python site-packages, an npm
tree, a Rust binary built by `cargo auditable`, and a fat jar; each scanned on push and matched
against the shared data, and exported as CycloneDX and SPDX SBOMs (checked by the formats' own
Python libraries) attached to the image as OCI referrers."""

import json
import os
import subprocess

import boto3
import yaml

from conftest import require, run
from ocilayout import Layout
from test_admin import admin
from test_scanning import VULNDATA, aws, all_findings, push_layout, scanning_repository, wait_for_scan

ALMA_94 = b'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n'


def rpmdb(tmp_path, packages):
    """An rpmdb.sqlite made by rpm itself: each (name, epoch, version, release) built as an
    empty noarch package by rpmbuild and installed into a root (database only)."""
    top, root = tmp_path / "rpmbuild", tmp_path / "root"
    root.mkdir()
    rpms = []
    for name, epoch, version, release in packages:
        spec = tmp_path / f"{name}.spec"
        spec.write_text(f"Name: {name}\n" + (f"Epoch: {epoch}\n" if epoch else "") +
                        f"Version: {version}\nRelease: {release}\nSummary: test\nLicense: MIT\n"
                        "BuildArch: noarch\n%description\ntest\n%files\n")
        run(require("rpmbuild"), "-bb", "--define", f"_topdir {top}", str(spec))
        rpms.append(str(top / "RPMS" / "noarch" / f"{name}-{version}-{release}.noarch.rpm"))
    run(require("rpm"), "--root", str(root), "--dbpath", "/var/lib/rpm", "--nodeps", "--justdb", "-i", *rpms)
    db = root / "var" / "lib" / "rpm" / "rpmdb.sqlite"
    wal = db.with_name("rpmdb.sqlite-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "rpm left its changes in the WAL"
    return db.read_bytes()


def names_by_package(findings):
    out = {}
    for f in findings:
        attrs = {a["key"]: a["value"] for a in f["attributes"]}
        out.setdefault(attrs["package_name"], set()).add(f["name"])
    return out


def scanned(berth, repo, src, tag, digest):
    scanning_repository(berth, repo)
    push_layout(berth, src, tag, repo)
    status = wait_for_scan(berth, repo, digest)["imageScanStatus"]
    assert status["status"] == "COMPLETE", status
    return status, all_findings(berth, repo, digest)[1]


def test_rpm_packages_of_an_almalinux_image(berth, tmp_path):
    admin(berth, "vulndb", "import", os.path.join(VULNDATA, "osv", "almalinux"), endpoint=True)
    db = rpmdb(tmp_path, [("openssl-libs", 1, "3.0.1", "41.el9_0"), ("tar", 2, "1.34", "8.el9"),
                          ("zlib", None, "1.2.11", "32.el9_0"), ("less", None, "600", "1.el9")])
    src = Layout(str(tmp_path / "src"))
    img = src.image({"etc/os-release": ALMA_94, "var/lib/rpm/rpmdb.sqlite": db})
    src.tag(img, "v1")
    # an older image whose database is Berkeley DB: said, not passed over
    bdb = src.image({"etc/os-release": ALMA_94, "var/lib/rpm/Packages": b"\x00" * 4096})
    src.tag(bdb, "bdb")
    _, findings = scanned(berth, "scan/alma", src, "v1", img["digest"])
    by_package = names_by_package(findings)
    related = {}
    for f in os.listdir(os.path.join(VULNDATA, "osv", "almalinux")):
        record = json.load(open(os.path.join(VULNDATA, "osv", "almalinux", f)))
        related[record["id"]] = set(record["related"])
    # openssl-libs 1:3.0.1-41 is below every fix of the three openssl advisories: a finding per
    # CVE; tar without... epoch 2 below 2:1.34-9; zlib at its fix and less above it are clean
    assert by_package == {
        "openssl-libs": related["ALSA-2022:7288"] | related["ALSA-2024:6783"] | related["ALSA-2026:25239"],
        "tar": related["ALSA-2026:0067"],
    }
    for f in findings:
        attrs = {a["key"]: a["value"] for a in f["attributes"]}
        if attrs["package_name"] == "openssl-libs":
            assert attrs["package_version"] == "1:3.0.1-41.el9_0"

    push_layout(berth, src, "bdb", "scan/alma")
    status = wait_for_scan(berth, "scan/alma", bdb["digest"])["imageScanStatus"]
    assert status == {"status": "COMPLETE", "description": "The scan was completed successfully. "
                      "Not scanned: rpm BDB (var/lib/rpm/Packages)."}


def site_packages():
    meta = lambda name, version: f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    base = "usr/local/lib/python3.11/site-packages/"
    return {
        base + "urllib3-1.26.16.dist-info/METADATA": meta("urllib3", "1.26.16"),
        base + "PyYAML-5.3.egg-info/PKG-INFO": meta("PyYAML", "5.3"),
        base + "requests-2.31.0.dist-info/METADATA": meta("requests", "2.31.0"),
    }


def cves(directory, *ids):
    """The CVE each record is an alias of."""
    out = set()
    for i in ids:
        record = yaml.safe_load(open(os.path.join(VULNDATA, "osv", directory, f"{i}.yaml")))
        out.add(next(a for a in record["aliases"] if a.startswith("CVE-")))
    return out


def test_python_site_packages_and_sboms_attached_as_referrers(berth, tmp_path):
    admin(berth, "vulndb", "import", os.path.join(VULNDATA, "osv", "pypi"), endpoint=True)
    src = Layout(str(tmp_path / "src"))
    img = src.image(site_packages())
    src.tag(img, "v1")
    repo = "scan/python"
    _, findings = scanned(berth, repo, src, "v1", img["digest"])
    assert names_by_package(findings) == {
        "urllib3": cves("pypi", "PYSEC-2023-192", "PYSEC-2023-212"),
        "pyyaml": cves("pypi", "PYSEC-2020-96", "PYSEC-2021-142"),
    }

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    bom = admin(berth, "scan", "sbom", f"{repo}:v1", "--format", "cyclonedx", "--attach", endpoint=True)
    errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(json.dumps(bom))
    assert errors is None, errors
    purls = {c.get("purl") for c in bom["components"]}
    assert {"pkg:pypi/urllib3@1.26.16", "pkg:pypi/pyyaml@5.3", "pkg:pypi/requests@2.31.0"} <= purls
    assert bom["metadata"]["component"]["version"] == img["digest"]

    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    spdx = admin(berth, "scan", "sbom", f"{repo}@{img['digest']}", "--format", "spdx", "--attach", endpoint=True)
    path = tmp_path / "sbom.spdx.json"
    path.write_text(json.dumps(spdx))
    assert validate_full_spdx_document(parse_file(str(path))) == []
    names = {p["name"] for p in spdx["packages"]}
    assert {"urllib3", "pyyaml", "requests"} <= names  # PyPI's canonical names

    report = admin(berth, "scan", "report", f"{repo}:v1", "--attach", endpoint=True)
    assert report["imageDigest"] == img["digest"] and len(report["findings"]) == 4

    # the three documents are the image's referrers, by their artifact types
    ecr = boto3.client("ecr", endpoint_url=f"http://{berth.host}", region_name="us-east-1",
                       aws_access_key_id=berth.key, aws_secret_access_key=berth.secret)
    refs = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": img["digest"]})["referrers"]
    assert sorted(r["artifactType"] for r in refs) == [
        "application/spdx+json", "application/vnd.berth.scan-report.v1+json", "application/vnd.cyclonedx+json"]
    # the OCI referrers API, as oras discover reads it
    import urllib.request
    import base64
    req = urllib.request.Request(f"http://{berth.host}/v2/{repo}/referrers/{img['digest']}")
    req.add_header("Authorization", "Basic " + base64.b64encode(berth.creds.encode()).decode())
    index = json.load(urllib.request.urlopen(req))
    assert len(index["manifests"]) == 3
    # an artifact has no packages: no SBOM of it
    out = admin(berth, "scan", "sbom", f"{repo}@{refs[0]['digest']}", endpoint=True, check=False)
    assert out.returncode != 0 and "UnsupportedImageTypeException" in out.stderr


def test_an_npm_tree_and_a_fat_jar_in_the_sbom(berth, tmp_path):
    pkg = lambda name, version: json.dumps({"name": name, "version": version}).encode()
    # a fat jar made by the JDK's jar tool: a library jar (deflated entries, their sizes in data
    # descriptors, as ZipOutputStream writes them) stored inside the application's jar
    def jar(name, files, *flags):
        root = tmp_path / f"{name}.d"
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(text if isinstance(text, bytes) else text.encode())
        run(require("jar"), *flags, "--create", "--file", str(tmp_path / name), "-C", str(root), ".")
        return (tmp_path / name).read_bytes()

    lib = jar("log4j-core-2.14.1.jar", {"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties":
                                        "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n"})
    fat = jar("app.jar", {"META-INF/maven/com.example/app/pom.properties":
                          "groupId=com.example\nartifactId=app\nversion=1.0.0\n",
                          "BOOT-INF/lib/log4j-core-2.14.1.jar": lib}, "--no-compress")
    src = Layout(str(tmp_path / "src"))
    img = src.image({
        "app/node_modules/lodash/package.json": pkg("lodash", "4.17.20"),
        "app/node_modules/@babel/core/package.json": pkg("@babel/core", "7.22.0"),
        "app/node_modules/@babel/core/node_modules/semver/package.json": pkg("semver", "6.3.0"),
        "opt/app/app.jar": fat,
    })
    src.tag(img, "v1")
    repo = "scan/tree"
    # no npm or Maven advisories in the shared data: a clean scan, and every package in the SBOM
    _, findings = scanned(berth, repo, src, "v1", img["digest"])
    assert findings == []
    bom = admin(berth, "scan", "sbom", f"{repo}:v1", endpoint=True)
    purls = {c.get("purl") for c in bom["components"]}
    assert {"pkg:npm/lodash@4.17.20", "pkg:npm/%40babel/core@7.22.0", "pkg:npm/semver@6.3.0",
            "pkg:maven/com.example/app@1.0.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"} <= purls


def auditable_binary(tmp_path):
    """A Rust program built here by `cargo auditable` with two old crates."""
    cargo = require("cargo")
    src = tmp_path / "app"
    (src / "src").mkdir(parents=True)
    (src / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n'
                                    '[dependencies]\nsmallvec = "=0.6.10"\natty = "=0.2.14"\n')
    (src / "src" / "main.rs").write_text(
        'fn main() { let v: smallvec::SmallVec<[u8; 4]> = smallvec::SmallVec::new(); '
        'println!("{} {}", v.len(), atty::is(atty::Stream::Stdout)); }\n')
    env = dict(os.environ, CARGO_TARGET_DIR=str(tmp_path / "target"))
    subprocess.run([cargo, "auditable", "build", "--release", "--quiet"], cwd=src, env=env, check=True)
    return (tmp_path / "target" / "release" / "app").read_bytes()


def test_a_rust_binary_built_by_cargo_auditable(berth, tmp_path):
    admin(berth, "vulndb", "import", os.path.join(VULNDATA, "osv", "crates"), endpoint=True)
    src = Layout(str(tmp_path / "src"))
    img = src.image({"usr/local/bin/app": auditable_binary(tmp_path)})
    src.tag(img, "v1")
    _, findings = scanned(berth, "scan/rust", src, "v1", img["digest"])
    severities = {}
    for f in findings:
        attrs = {a["key"]: a["value"] for a in f["attributes"]}
        severities.setdefault(attrs["package_name"], []).append(f["severity"])
    # smallvec 0.6.10: RUSTSEC-2021-0003 (a vulnerability) and RUSTSEC-2018-0018 (unsound);
    # atty 0.2.14: unsound and unmaintained notices
    assert sorted(severities) == ["atty", "smallvec"]
    assert sorted(severities["atty"]) == ["INFORMATIONAL", "INFORMATIONAL"]
    assert len(severities["smallvec"]) == 2 and "INFORMATIONAL" in severities["smallvec"]
    assert any(s != "INFORMATIONAL" for s in severities["smallvec"])
