"""Two `berth serve` nodes on one PostgreSQL database and one S3 bucket (Garage), as behind a load
balancer: docker pushes through node A and pulls through node B; a chunked upload begun on A is
finished on B; A is killed (SIGKILL) in the middle of 20 concurrent pushes, whose clients retry
against B; afterwards every acknowledged image pulls intact through B and fsck is clean; a scan
whose node is killed mid-scan is completed by the other. And `berth admin migrate` of a
single-node installation into a cluster."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import botocore.exceptions

import pytest

from conftest import (cluster_node, import_image, postgres_database, require, run,
                      s3_settings, start_berth)
from test_admin import admin, berth_bin
from test_gc import V2, fsck, sha, stop
from test_permissions import client, doc, new_user
from test_replication import V2 as ReplicationV2, ecr_client, peer_credentials, rule, wait_status
from test_scanning import push_layout
from ocilayout import Layout


def start_node(s3, database, key, prefix, first=None, extra=()):
    """A node of the cluster; a later node gets the first one's root credentials file (the
    root principal is created once, by the first node, in the shared database)."""
    data_dir = tempfile.mkdtemp(prefix="berth-cluster-")
    if first is not None:
        shutil.copy(os.path.join(first.data_dir, "root-credentials"), data_dir)
    args, env = cluster_node(data_dir, s3, database, key, prefix)
    return start_berth([*args, "--gc-interval", "0", "--lifecycle-interval", "0", *extra],
                       extra_env=env, data_dir=data_dir)


@pytest.fixture
def cluster():
    s3 = s3_settings()
    database = postgres_database()
    key = os.urandom(32).hex()
    prefix = f"cluster-{uuid.uuid4()}"
    a = start_node(s3, database, key, prefix)
    b = start_node(s3, database, key, prefix, first=a)
    yield a, b
    for n in (a, b):
        if n.proc.poll() is None:
            stop(n)
        shutil.rmtree(n.data_dir, ignore_errors=True)


def docker_env():
    path = require("docker")
    info = subprocess.run([path, "info"], capture_output=True, text=True)
    if info.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Docker Engine is required in CI: {info.stderr}")
        pytest.skip("no Docker Engine")
    return path, dict(os.environ, DOCKER_CONFIG=tempfile.mkdtemp(prefix="berth-docker-"))


def test_push_through_one_node_pull_through_the_other(cluster):
    a, b = cluster
    docker, env = docker_env()
    for node in (a, b):
        run(docker, "login", "-u", node.key, "--password-stdin", node.host, input=node.secret, env=env)
    pushed, pulled = f"{a.host}/cluster/app:v1", f"{b.host}/cluster/app:v1"
    try:
        # a layer of several multipart parts
        image_id = import_image(docker, pushed, env, {"etc/big": os.urandom(7 * 1024 * 1024)})
        run(docker, "push", pushed, env=env)
        run(docker, "pull", pulled, env=env)
        assert run(docker, "image", "inspect", "--format", "{{.Id}}", pulled,
                   env=env).stdout.strip() == image_id
    finally:
        subprocess.run([docker, "rmi", "-f", pushed, pulled], capture_output=True, env=env)


def test_a_chunked_upload_begun_on_one_node_finishes_on_the_other(cluster):
    a, b = cluster
    va, vb = V2(a), V2(b)
    data = os.urandom(11 * 1024 * 1024)
    cut1, cut2 = 5 * 1024 * 1024 + 3, 8 * 1024 * 1024 + 11

    def request(node, method, location, body=None, headers=None):
        r = urllib.request.Request(f"http://{node.host}{location}", data=body, method=method,
                                   headers={"Authorization": V2(node).auth, **(headers or {})})
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.headers

    status, h = request(a, "POST", "/v2/chunks/app/blobs/uploads/")
    assert status == 202
    location = h["Location"]
    # first chunk on A, second on B, status asked of A (B appended since), last chunk and commit on A
    status, h = request(a, "PATCH", location, data[:cut1], {
        "Content-Type": "application/octet-stream", "Content-Range": f"0-{cut1 - 1}"})
    assert status == 202, status
    status, h = request(b, "PATCH", h["Location"], data[cut1:cut2], {
        "Content-Type": "application/octet-stream", "Content-Range": f"{cut1}-{cut2 - 1}"})
    assert status == 202, status
    status, h = request(a, "GET", h["Location"])
    assert (status, h["Range"]) == (204, f"0-{cut2 - 1}")
    # a chunk at the wrong offset is refused by the node that did not take the last one
    status, _ = request(a, "PATCH", location, data[cut1:cut2], {
        "Content-Type": "application/octet-stream", "Content-Range": f"{cut1}-{cut2 - 1}"})
    assert status == 416
    status, h = request(b, "PUT", f"{location}{'&' if '?' in location else '?'}digest={sha(data)}",
                        data[cut2:], {"Content-Type": "application/octet-stream"})
    assert status == 201, status
    for node in (va, vb):
        status, blob = node.req("GET", f"/chunks/app/blobs/{sha(data)}")
        assert status == 200 and sha(blob) == sha(data)
    # a wrong digest at the commit is refused wherever it lands, and nothing is stored
    status, h = request(b, "POST", "/v2/chunks/app/blobs/uploads/")
    other = h["Location"]
    request(b, "PATCH", other, b"x" * 1000, {"Content-Type": "application/octet-stream"})
    status, _ = request(a, "PUT", f"{other}{'&' if '?' in other else '?'}digest={sha(b'y')}")
    assert status == 400


def test_identity_changes_through_one_node_apply_on_the_other_at_once(cluster):
    """The other node forgets what it cached when notified (PostgreSQL NOTIFY), well before its
    caches would expire (5 s for policies, 30 s for verified keys)."""
    a, b = cluster
    iam = client(a, "iam", a.key, a.secret)
    key, secret = new_user(iam, "dave", policy=doc(
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}))
    on_b = client(b, "ecr", key, secret)
    on_b.get_authorization_token()  # B now caches dave's key and policies

    def seconds_until_refused(expected):
        started = time.time()
        while time.time() - started < 4:
            try:
                on_b.get_authorization_token()
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == expected
                return time.time() - started
            time.sleep(0.05)
        raise AssertionError(f"still allowed after 4 s (expected {expected})")

    iam.put_user_policy(UserName="dave", PolicyName="deny", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}))
    denied_after = seconds_until_refused("AccessDeniedException")
    assert denied_after < 2
    iam.delete_user_policy(UserName="dave", PolicyName="deny")
    on_b.get_authorization_token()
    iam.delete_access_key(UserName="dave", AccessKeyId=key)
    refused_after = seconds_until_refused("UnrecognizedClientException")
    assert refused_after < 2
    print(f"on the other node: denied after {denied_after * 1000:.0f} ms, key refused after "
          f"{refused_after * 1000:.0f} ms")


def test_a_node_killed_during_pushes_loses_no_acknowledged_image(cluster):
    a, b = cluster
    va, vb = V2(a), V2(b)
    shared = os.urandom(64 * 1024)
    acknowledged, failures, retried = [], [], []
    lock = threading.Lock()
    killed = threading.Event()

    kill_started = threading.Event()

    def client(i):
        for n in range(6):
            layers = [shared, os.urandom(20_000 + i * 100 + n)]
            repo, tag = f"kill/app-{i % 5}", f"c{i}-{n}"
            # against A until it is killed, then against B: what a load balancer would do
            node = vb if killed.is_set() else va
            while True:
                try:
                    d = node.push(repo, tag, layers)
                except (OSError, AssertionError) as e:
                    # only a push to A cut short by the kill may fail; it is retried on B
                    if node is va and kill_started.is_set():
                        with lock:
                            retried.append(repr(e))
                        node = vb
                        continue
                    with lock:
                        failures.append((repo, tag, "A" if node is va else "B", repr(e)))
                    return
                with lock:
                    if d is None:
                        failures.append((repo, tag, "refused", None))
                        return
                    acknowledged.append((repo, d))
                break

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    # kill A once some pushes are through, while the rest are in flight
    while True:
        with lock:
            if len(acknowledged) >= 20:
                break
        if not any(t.is_alive() for t in threads):
            break
        time.sleep(0.01)
    kill_started.set()
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=30)
    killed.set()
    assert a.proc.returncode == -signal.SIGKILL, "A was not killed by the signal"
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures[:5]
    assert len(acknowledged) == 120
    # the kill did cut pushes short (they were retried against B)
    assert retried, "no push was in flight when A was killed"
    print(f"pushes retried after the kill: {len(retried)}; acknowledged before it: 20+")
    # every acknowledged image pulls intact through the surviving node
    for repo, d in acknowledged:
        vb.check_image(repo, d)
    report = fsck(b, "--grace", "0")
    assert report["problems"] == [], report["problems"][:5]


def test_a_scan_completes_when_its_node_is_killed_mid_scan(cluster, tmp_path):
    """The node that claimed a scan on push is killed (SIGKILL) while it reads the image; its
    lease runs out and the other node takes the scan over and completes it."""
    from ocilayout import zero_file_layer
    from test_scanning import aws, scanning_repository
    a, b = cluster
    src = Layout(str(tmp_path / "src"))
    # one executable of 1 GiB: every byte is searched as it streams past, which takes seconds
    img = src.image_of_layers([zero_file_layer("usr/bin/big", 1 << 30)])
    src.tag(img, "v1")
    repo = "cluster/scan"
    scanning_repository(a, repo)
    push_layout(a, src, "v1", repo)

    def started(node):
        with open(node.log_path) as f:
            return "scan started" in f.read()

    deadline = time.time() + 30
    while not (started(a) or started(b)):
        assert time.time() < deadline, "no node started the scan"
        time.sleep(0.05)
    scanning, other = (a, b) if started(a) else (b, a)
    scanning.proc.send_signal(signal.SIGKILL)
    scanning.proc.wait(timeout=30)
    with open(scanning.log_path) as f:
        assert "scan finished" not in f.read(), "the scan ended before its node was killed"

    def status():
        out = aws(other, "describe-image-scan-findings", "--repository-name", repo,
                  "--image-id", f"imageDigest={img['digest']}")
        return out["imageScanStatus"]["status"]

    assert status() == "IN_PROGRESS"
    # the lease (30 s, renewed while its holder lives) runs out; the other node takes over
    deadline = time.time() + 120
    while status() == "IN_PROGRESS":
        assert time.time() < deadline, "the scan was never taken over"
        time.sleep(0.5)
    assert status() == "COMPLETE"
    with open(other.log_path) as f:
        log = f.read()
    assert "scan started" in log and "scan finished" in log


@pytest.fixture
def replicating_cluster(tmp_path):
    """Two cluster nodes (us-east-1) whose peer us-west-2 is a single-node installation."""
    west = start_berth(["--region", "us-west-2"])
    creds = peer_credentials(str(tmp_path / "credentials"), **{"us-west-2": west})
    peer = ["--peer", f"us-west-2=http://{west.host}", "--peer-credentials", creds]
    s3, database, key = s3_settings(), postgres_database(), os.urandom(32).hex()
    prefix = f"cluster-{uuid.uuid4()}"
    a = start_node(s3, database, key, prefix, extra=peer)
    b = start_node(s3, database, key, prefix, first=a, extra=peer)
    yield a, b, west
    for n in (a, b, west):
        if n.proc.poll() is None:
            stop(n)
        shutil.rmtree(n.data_dir, ignore_errors=True)


def test_a_replication_completes_when_its_node_is_killed_mid_copy(replicating_cluster, tmp_path):
    """The node that claimed the replication of a 256 MiB image is killed (SIGKILL) while it
    sends the layer to the peer; its lease runs out and the other node copies the image whole."""
    a, b, west = replicating_cluster
    repo = "cluster/copied"
    ecr_client(a).put_replication_configuration(
        replicationConfiguration={"rules": [rule(("us-west-2", "000000000000"))]})
    src = Layout(str(tmp_path / "src"))
    # incompressible, so that sending it takes a while
    layer = os.urandom(256 << 20)
    img = src.image_of_layers([(layer, "sha256:" + "0" * 64)])
    src.tag(img, "v1")
    push_layout(a, src, "v1", repo)

    def started(node):
        with open(node.log_path) as f:
            return "replication started" in f.read()

    deadline = time.time() + 30
    while not (started(a) or started(b)):
        assert time.time() < deadline, "no node started the replication"
        time.sleep(0.02)
    copying, other = (a, b) if started(a) else (b, a)
    copying.proc.send_signal(signal.SIGKILL)
    copying.proc.wait(timeout=30)
    with open(copying.log_path) as f:
        assert ": replicated" not in f.read(), "the copy ended before its node was killed"
    ecr = ecr_client(other)
    got = ecr.describe_image_replication_status(repositoryName=repo,
                                                imageId={"imageDigest": img["digest"]})
    assert got["replicationStatuses"][0]["status"] == "IN_PROGRESS"
    # the lease (30 s, renewed while its holder lives) runs out; the other node takes over
    wait_status(ecr, repo, img["digest"], "COMPLETE", timeout=180)
    with open(other.log_path) as f:
        assert "replication started" in f.read()
    v2w = ReplicationV2(west)
    assert v2w.get(repo, "v1") == (200, img["digest"])
    status, headers, _ = v2w.call("HEAD", f"/v2/{repo}/blobs/sha256:{hashlib.sha256(layer).hexdigest()}")
    assert status == 200 and int(headers["Content-Length"]) == len(layer)


def test_two_nodes_pulling_an_uncached_image_at_once_import_it_once(cluster):
    """20 pulls through each node of an image neither has cached: the upstream serves its
    manifest and each blob once (the import's lock is the cluster's)."""
    import concurrent.futures
    from test_pull_through import Upstream, client as api_client, inspect, push_upstream
    a, b = cluster
    upstream = Upstream()
    try:
        api_client(a).create_pull_through_cache_rule(ecrRepositoryPrefix="up",
                                                     upstreamRegistryUrl=f"http://{upstream.host}")
        top, _ = push_upstream(upstream, "shared/app", "v1", {"big": os.urandom(4 << 20)})
        with open(upstream.log_path, errors="replace") as f:
            before = sum(1 for _ in f)
        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            results = list(pool.map(lambda i: inspect((a, b)[i % 2], "up/shared/app:v1"), range(40)))
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode][:2]
        with open(upstream.log_path, errors="replace") as f:
            lines = [l for l in list(f)[before:] if "/v2/shared/app/" in l and "http.request.uri" in l]
        gets = [l for l in lines if "GET" in l]
        assert sum(1 for l in gets if "/manifests/" in l) == 1, gets
        assert sum(1 for l in gets if "/blobs/" in l) == 2, gets
        assert all(r.stdout == results[0].stdout for r in results)
    finally:
        upstream.stop()


def test_migrate_a_single_node_installation_into_the_cluster():
    s3 = s3_settings()
    single = start_berth()
    v2 = V2(single)
    images = [(f"migrate/app-{i}", v2.push(f"migrate/app-{i}", "v1", [os.urandom(6 * 1024 * 1024 + i), b"shared"]))
              for i in range(3)]
    user = admin(single, "create-user", "--user-name", "carol")["User"]
    stop(single)

    database = postgres_database()
    prefix = f"migrate-{uuid.uuid4()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    env.update(AWS_ACCESS_KEY_ID=s3["ACCESS_KEY_ID"], AWS_SECRET_ACCESS_KEY=s3["SECRET_ACCESS_KEY"],
               AWS_REGION=s3["REGION"])
    migrate = [berth_bin(), "admin", "--data-dir", single.data_dir, "migrate",
               "--to-database-url", database, "--to-storage-url", f"s3://{s3['BUCKET']}/{prefix}",
               "--s3-endpoint", s3["ENDPOINT"]]
    out = json.loads(run(*migrate, env=env).stdout)
    # three own layers, three configs and the shared layer, each written and read back
    assert (out["Blobs"], out["BlobsCopied"], out["BlobsVerified"]) == (7, 7, 7)
    rows = {t["Table"]: t["Rows"] for t in out["Tables"]}
    assert rows["manifests"] == 3 and rows["repositories"] == 3 and rows["principals"] >= 2
    # a second run finds the database in use and refuses
    again = run(*migrate, env=env, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr

    # a cluster node on the copy, with the installation's master key: the root's key (sealed
    # with it) still signs, every image pulls intact, the IAM user is there, fsck is clean
    data_dir = tempfile.mkdtemp(prefix="berth-cluster-")
    shutil.copy(os.path.join(single.data_dir, "root-credentials"), data_dir)
    args, node_env = cluster_node(data_dir, s3, database, "", prefix)
    node_env.pop("BERTH_MASTER_KEY")
    node = start_berth([*args, "--master-key-file", os.path.join(single.data_dir, "master.key"),
                        "--gc-interval", "0"], extra_env=node_env, data_dir=data_dir)
    try:
        for repo, d in images:
            V2(node).check_image(repo, d)
        users = admin(node, "list-users", endpoint=True)["Users"]
        assert [u["UserId"] for u in users if u["UserName"] == "carol"] == [user["UserId"]]
        assert fsck(node, "--grace", "0")["problems"] == []
    finally:
        stop(node)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(single.data_dir, ignore_errors=True)
