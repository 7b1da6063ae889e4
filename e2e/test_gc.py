"""Garbage collection and fsck against the real server: what a pass frees (and a dry run does
not), abandoned uploads, the data-directory lock; a stress run of pushes and deletes of images
sharing layers while the collector runs every second with no grace period; SIGKILL in the middle
of pushes and of collection passes. Afterwards every acknowledged image pulls intact and fsck is
clean."""

import base64
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import run, start_berth
from test_admin import admin, berth_bin

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def config_of(layers):
    return json.dumps({"architecture": "amd64", "os": "linux", "layers": [sha(l) for l in layers]}).encode()


class V2:
    """A minimal /v2/ client (Basic auth as the root)."""

    def __init__(self, berth):
        self.base = f"http://{berth.host}/v2"
        self.auth = "Basic " + base64.b64encode(berth.creds.encode()).decode()

    def req(self, method, path, data=None, headers=None):
        r = urllib.request.Request(self.base + path, data=data, method=method,
                                   headers={"Authorization": self.auth, **(headers or {})})
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def put_blob(self, repo, data):
        status, body = self.req("POST", f"/{repo}/blobs/uploads/?digest={sha(data)}", data,
                                {"Content-Type": "application/octet-stream"})
        assert status == 201, (status, body)
        return sha(data)

    def push(self, repo, tag, layers):
        """Push an image of these layers (and a config naming them); the manifest's digest, or
        None when the registry refused the manifest (its blobs were collected meanwhile)."""
        config = config_of(layers)
        for b in [config, *layers]:
            self.put_blob(repo, b)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha(config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": sha(l), "size": len(l)} for l in layers],
        }).encode()
        status, body = self.req("PUT", f"/{repo}/manifests/{tag}", manifest,
                                {"Content-Type": OCI_MANIFEST})
        if status == 400 and b"MANIFEST_BLOB_UNKNOWN" in body:
            return None
        assert status == 201, (status, body)
        return sha(manifest)

    def check_image(self, repo, digest):
        """Pull the image by digest; every blob must come back with its digest."""
        status, body = self.req("GET", f"/{repo}/manifests/{digest}", headers={"Accept": OCI_MANIFEST})
        assert status == 200, (repo, digest, status, body)
        assert sha(body) == digest
        m = json.loads(body)
        for d in [m["config"]["digest"]] + [l["digest"] for l in m["layers"]]:
            status, blob = self.req("GET", f"/{repo}/blobs/{d}")
            assert status == 200, (repo, digest, d, status)
            assert sha(blob) == d, (repo, digest, d)

    def delete(self, repo, digest):
        status, body = self.req("DELETE", f"/{repo}/manifests/{digest}")
        assert status in (202, 404), (status, body)


def fsck(berth, *args, endpoint=True):
    p = admin(berth, "fsck", *args, endpoint=endpoint, check=False)
    if isinstance(p, dict):
        return p
    raise AssertionError(f"fsck failed:\n{p.stdout}\n{p.stderr}")


def stop(b):
    b.proc.terminate()
    b.proc.wait(timeout=30)


def test_a_pass_frees_what_nothing_references(berth):
    v2 = V2(berth)
    shared, own = os.urandom(3000), os.urandom(5000)
    a = v2.push("gc/app", "a", [shared, own])
    b = v2.push("gc/app", "b", [shared, os.urandom(7000)])
    v2.delete("gc/app", a)
    # with the default grace period (a day) nothing goes: a's config and layer are only marked
    out = admin(berth, "gc", endpoint=True)
    assert (out["linksMarked"], out["linksDeleted"], out["blobsDeleted"]) == (2, 0, 0)
    # a dry run with no grace reports the two links, and changes nothing
    dry = admin(berth, "gc", "--dry-run", "--grace", "0", endpoint=True)
    assert (dry["dryRun"], dry["linksDeleted"], dry["blobsDeleted"]) == (True, 2, 0)
    v2.check_image("gc/app", b)
    # a client that asks whether a blob is there (HEAD, as docker does before a push) restarts
    # its link's grace period: a manifest pushed on it next is not refused
    status, _ = v2.req("HEAD", f"/gc/app/blobs/{sha(own)}")
    assert status == 200
    dry = admin(berth, "gc", "--dry-run", "--grace", "0", endpoint=True)
    assert dry["linksDeleted"] == 1
    # a real pass deletes the links, then the blobs nothing references any more (the touched
    # link is marked again, and goes in the same pass with no grace)
    done = admin(berth, "gc", "--grace", "0", endpoint=True)
    assert (done["linksDeleted"], done["blobsDeleted"]) == (2, 2)
    assert done["bytesDeleted"] == len(own) + len(config_of([shared, own]))
    assert done["blobsExamined"] >= 5 and isinstance(done["durationMs"], int)
    again = admin(berth, "gc", "--grace", "0", endpoint=True)
    assert again["blobsDeleted"] == 0
    v2.check_image("gc/app", b)
    assert fsck(berth, "--grace", "0")["problems"] == []


@pytest.mark.local_disk
def test_abandoned_uploads_and_the_data_directory_lock(berth):
    v2 = V2(berth)
    r = urllib.request.Request(f"{v2.base}/gc/uploads/blobs/uploads/", method="POST",
                               headers={"Authorization": v2.auth})
    with urllib.request.urlopen(r, timeout=30) as resp:
        location = resp.headers["Location"]
    patch = urllib.request.Request(f"http://{berth.host}{location}", data=b"x" * 1000, method="PATCH",
                                   headers={"Authorization": v2.auth, "Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(patch, timeout=30) as resp:
        assert resp.status == 202
    out = admin(berth, "gc", "--upload-ttl", "0", endpoint=True)
    assert out["uploadsDeleted"] >= 1 and out["uploadBytesDeleted"] >= 1000
    status, body = v2.req("GET", location.removeprefix("/v2"))
    assert status == 404 and b"BLOB_UPLOAD_UNKNOWN" in body
    # a pass on the data directory is refused while the server serves it
    p = admin(berth, "gc", check=False)
    assert p.returncode != 0 and "run the pass through it" in p.stderr


def test_collector_every_second_with_no_grace_under_pushes_and_deletes():
    seconds = float(os.environ.get("BERTH_GC_STRESS_SECONDS", "20"))
    b = start_berth(["--gc-interval", "1", "--gc-grace", "0"])
    try:
        v2 = V2(b)
        layers = [os.urandom(random.randint(1000, 40000)) for _ in range(8)]
        survivors, lock = {}, threading.Lock()
        stats = {"pushed": 0, "refused": 0, "deleted": 0}
        failures = []

        def worker(n):
            rng = random.Random(n)
            deadline = time.time() + seconds
            mine = []
            try:
                while time.time() < deadline:
                    repo = f"gc/stress-{rng.randrange(3)}"
                    picked = rng.sample(layers, 2) + [os.urandom(500)]
                    tag = f"w{n}-{rng.randrange(10**9)}"
                    digest = v2.push(repo, tag, picked)
                    while digest is None:  # refused: its blobs went meanwhile; push again
                        with lock:
                            stats["refused"] += 1
                        digest = v2.push(repo, tag, picked)
                    mine.append((repo, digest))
                    with lock:
                        stats["pushed"] += 1
                        survivors[(repo, digest)] = True
                    if len(mine) > 3 and rng.random() < 0.6:
                        repo_d, victim = mine.pop(rng.randrange(len(mine)))
                        with lock:
                            survivors.pop((repo_d, victim), None)
                            stats["deleted"] += 1
                        v2.delete(repo_d, victim)
            except Exception as e:  # reported below
                failures.append(repr(e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures[:3]
        assert stats["pushed"] > 50, stats
        with open(b.log_path, encoding="utf-8", errors="replace") as f:
            passes = f.read().count("garbage collection pass finished")
        assert passes >= seconds / 4, passes
        for repo, digest in survivors:
            v2.check_image(repo, digest)
        report = fsck(b, "--grace", "86400")
        assert report["problems"] == [], report["problems"][:5]
        print(f"gc stress: {stats}, {passes} passes, {len(survivors)} images intact")
    finally:
        stop(b)
        shutil.rmtree(b.data_dir, ignore_errors=True)


def gc_passes(log_path):
    """How many collection passes the log shows started and finished."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return text.count("garbage collection pass started"), text.count("garbage collection pass finished")


def test_sigkill_during_pushes_and_during_collection():
    """SIGKILL while pushes, deletes and a collection pass are in progress: until the kill every
    answer is a success, and after a restart every acknowledged image is whole."""
    b = start_berth(["--gc-interval", "1", "--gc-grace", "0"])
    data_dir = b.data_dir
    acknowledged, failures = [], []
    killed = threading.Event()
    try:
        v2 = V2(b)
        layers = [os.urandom(200_000) for _ in range(4)]

        def pusher(n):
            i = 0
            while not killed.is_set():
                i += 1
                try:
                    d = v2.push("gc/crash", f"p{n}-{i}", [layers[i % 4], os.urandom(300_000)])
                    if d and i % 3 == 0:
                        v2.delete("gc/crash", d)
                    elif d:
                        acknowledged.append(d)
                except (AssertionError, OSError) as e:
                    if not killed.is_set():  # a bad answer from a live server is a failure
                        failures.append(repr(e))
                    return

        threads = [threading.Thread(target=pusher, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        # let passes run under the pushes, then kill in the middle of one (a pass started and
        # not finished in the log)
        deadline = time.time() + 30
        while time.time() < deadline and (gc_passes(b.log_path)[1] < 2 or len(acknowledged) < 6):
            time.sleep(0.05)
        mid_pass = False
        while time.time() < deadline and not mid_pass:
            started, finished = gc_passes(b.log_path)
            mid_pass = started > finished
            if not mid_pass:
                time.sleep(0.002)
        b.proc.send_signal(signal.SIGKILL)
        killed.set()
        b.proc.wait(timeout=30)
        for t in threads:
            t.join()
        assert mid_pass, "no collection pass was caught in progress"
        assert not failures, failures[:3]
        assert len(acknowledged) > 5
    finally:
        if b.proc.poll() is None:
            b.proc.kill()

    # restart on the same data directory: the check is clean and every acknowledged image whole
    b2 = start_berth(["--gc-interval", "0"], data_dir=data_dir)
    try:
        assert fsck(b2)["problems"] == []
        v2 = V2(b2)
        for d in acknowledged:
            v2.check_image("gc/crash", d)
        # a pass with no grace then clears what the crash left (marked blobs, bytes without rows)
        admin(b2, "gc", "--grace", "0", "--upload-ttl", "0", endpoint=True)
        report = fsck(b2, "--grace", "0")
        assert [p for p in report["problems"] if p["kind"] != "unreferenced-blob"] == [], report["problems"][:5]
        for d in acknowledged:
            v2.check_image("gc/crash", d)
    finally:
        stop(b2)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.local_disk
def test_fsck_finds_and_repairs(berth):
    v2 = V2(berth)
    layer = os.urandom(4000)
    d = v2.push("gc/fsck", "v1", [layer])
    assert fsck(berth)["problems"] == []
    # damage the stored bytes of the layer: fsck reports it and exits non-zero
    path = os.path.join(berth.data_dir, "blobs", "sha256", sha(layer)[7:9], sha(layer)[7:])
    original = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(b"y" * len(original))
    p = admin(berth, "fsck", endpoint=True, check=False)
    assert p.returncode != 0
    kinds = [x["kind"] for x in json.loads(p.stdout)["problems"]]
    assert kinds == ["blob-digest-mismatch"]
    assert fsck(berth, "--sizes-only")["problems"] == []
    with open(path, "wb") as f:
        f.write(original)
    v2.check_image("gc/fsck", d)
    # a missing link is a reference fsck can repair
    db = sqlite3.connect(os.path.join(berth.data_dir, "berth.db"))
    with db:
        db.execute("DELETE FROM repository_blobs WHERE digest = ?", (sha(layer),))
    db.close()
    p = admin(berth, "fsck", endpoint=True, check=False)
    assert p.returncode != 0 and [x["kind"] for x in json.loads(p.stdout)["problems"]] == ["missing-link"]
    repaired = fsck(berth, "--repair")
    assert [(x["kind"], x["repaired"]) for x in repaired["problems"]] == [("missing-link", True)]
    assert fsck(berth)["problems"] == []
    v2.check_image("gc/fsck", d)


@pytest.mark.local_disk
def test_usage_against_the_bytes_stored():
    b = start_berth(["--gc-interval", "0"])
    try:
        v2 = V2(b)
        l1, l2, l3, l4 = (os.urandom(n) for n in (10_000, 20_000, 30_000, 5_000))
        images = {"usage/a": [[l1, l2], [l1, l3]], "usage/b": [[l1, l4]]}
        manifests = {}
        for repo, layer_sets in images.items():
            for i, layers in enumerate(layer_sets):
                d = v2.push(repo, f"v{i}", layers)
                status, body = v2.req("GET", f"/{repo}/manifests/{d}", headers={"Accept": OCI_MANIFEST})
                manifests.setdefault(repo, []).append(len(body))

        def uses(repo):
            blobs = {sha(l): len(l) for ls in images[repo] for l in ls}
            blobs.update({sha(config_of(ls)): len(config_of(ls)) for ls in images[repo]})
            return sum(blobs.values()) + sum(manifests[repo])

        # pulls are counted against the repository they came through
        for _ in range(2):
            status, _ = v2.req("GET", f"/usage/a/blobs/{sha(l2)}")
            assert status == 200
        price = 1_000_000.0
        deadline = time.time() + 15
        while True:  # pull counters are written every 5 s
            out = admin(b, "usage", "--json", "--storage-price", str(price), "--transfer-price", str(price), endpoint=True)
            repos = {r["repositoryName"]: r for r in out["repositories"]}
            if repos["usage/a"]["bytesPulled"] or time.time() > deadline:
                break
            time.sleep(0.5)
        assert repos["usage/a"]["bytes"] == uses("usage/a")
        assert repos["usage/b"]["bytes"] == uses("usage/b")
        assert (repos["usage/a"]["bytesPulled"], repos["usage/a"]["downloads"]) == (2 * len(l2), 2)
        assert repos["usage/a"]["images"] == 2 and repos["usage/b"]["bytesPulled"] == 0
        # the account counts the layer both repositories use once
        account = out["accounts"][0]
        shared_once = uses("usage/a") + uses("usage/b") - len(l1)
        assert account["bytes"] == shared_once
        gib = float(1 << 30)
        assert account["storageCost"] == round(shared_once / gib * price * 100) / 100
        assert account["transferCost"] == round(2 * len(l2) / gib * price * 100) / 100
        # the store: every blob once, and the bytes really on disk
        on_disk = 0
        for root, _, files in os.walk(os.path.join(b.data_dir, "blobs")):
            on_disk += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        store = out["store"]
        assert store["blobBytes"] == on_disk == store["bytesOnDisk"]
        assert store["blobBytes"] == sum(len(l) for l in (l1, l2, l3, l4)) + sum(
            len(config_of(ls)) for ls in images["usage/a"] + images["usage/b"])
        assert store["manifestBytes"] == sum(sum(v) for v in manifests.values())
        # the table, and ECR's prices by default
        table = admin_text(b, "usage")
        assert "usage/a" in table and "usage/b" in table and "$0.1/GiB-month" in table
    finally:
        stop(b)
        shutil.rmtree(b.data_dir, ignore_errors=True)


def admin_text(berth, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    env.update(AWS_ACCESS_KEY_ID=berth.key, AWS_SECRET_ACCESS_KEY=berth.secret)
    return run(berth_bin(), "admin", "--endpoint", f"http://{berth.host}", *args, env=env).stdout
