"""Replication with the aws CLI, boto3 and skopeo: between two installations (us-east-1 and
us-west-2, each the other's peer) and between two accounts of one installation. A multi-arch
index with a referrer arrives whole, by digest and tag; filters choose the repositories; a
replication's arrival is not replicated back; a peer that is down catches up when it returns;
a cross-account destination without a registry policy fails with ACCESS_DENIED and completes
by a backfill once the policy allows it, into a repository made from a REPLICATION template
(whose immutable tag stays where it is, as ECR keeps it); a backfill of 200 images reports
progress and stops when asked."""

import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest

from awsapi import validate_output
from conftest import aws_cli, ROOT, require, run, start_berth
from ocilayout import Layout

ACCOUNT = "000000000000"
OTHER = "222233334444"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def ecr_client(server, region="us-east-1", key=None, secret=None):
    return boto3.client("ecr", endpoint_url=f"http://{server.host}", region_name=region,
                        aws_access_key_id=key or server.key,
                        aws_secret_access_key=secret or server.secret)


def cli(server, region, *args):
    return aws_cli(server, "ecr", *args, region=region)


def peer_credentials(path, **servers):
    """A shared-credentials file with a profile per region: the root keys of its server."""
    with open(path, "w") as f:
        for region, server in servers.items():
            f.write(f"[{region}]\naws_access_key_id = {server.key}\n"
                    f"aws_secret_access_key = {server.secret}\n")
    return path


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class V2:
    """The OCI API of a server, with Basic access-key credentials."""

    def __init__(self, server, key=None, secret=None):
        self.base = f"http://{server.host}"
        creds = f"{key or server.key}:{secret or server.secret}"
        self.auth = "Basic " + base64.b64encode(creds.encode()).decode()

    def call(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"Authorization": self.auth, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def blob(self, repo, data: bytes) -> dict:
        status, headers, _ = self.call("POST", f"/v2/{repo}/blobs/uploads/")
        assert status == 202
        location = headers["Location"]
        if "://" in location:
            rest = location.split("://", 1)[1]
            location = rest[rest.index("/"):]
        sep = "&" if "?" in location else "?"
        status, _, body = self.call("PUT", f"{location}{sep}digest={sha(data)}", data,
                                    {"Content-Type": "application/octet-stream"})
        assert status == 201, body
        return {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(data),
                "size": len(data)}

    def manifest(self, repo, ref, doc: dict, media_type=OCI_MANIFEST) -> str:
        """Put a manifest under `ref`, or its digest; its digest."""
        body = json.dumps(doc).encode()
        ref = ref or sha(body)
        status, _, answer = self.call("PUT", f"/v2/{repo}/manifests/{ref}", body,
                                      {"Content-Type": media_type})
        assert status == 201, answer
        return sha(body)

    def image(self, repo, tag, text: str, arch="amd64") -> str:
        """A one-layer image; its digest."""
        layer = self.blob(repo, text.encode())
        config = self.blob(repo, json.dumps({"architecture": arch, "os": "linux", "rootfs": {
            "type": "layers", "diff_ids": [layer["digest"]]}}).encode())
        config["mediaType"] = "application/vnd.oci.image.config.v1+json"
        doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}
        return self.manifest(repo, tag, doc)

    def get(self, repo, ref):
        """(status, digest) of a manifest."""
        status, headers, body = self.call("GET", f"/v2/{repo}/manifests/{ref}", headers={
            "Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"})
        return status, (sha(body) if status == 200 else None)

    def referrers(self, repo, digest):
        status, _, body = self.call("GET", f"/v2/{repo}/referrers/{digest}")
        assert status == 200
        return [m["digest"] for m in json.loads(body)["manifests"]]


def statuses(ecr, repo, digest, registry=None):
    kw = {"registryId": registry} if registry else {}
    return ecr.describe_image_replication_status(
        repositoryName=repo, imageId={"imageDigest": digest}, **kw)["replicationStatuses"]


def wait_status(ecr, repo, digest, want, timeout=90):
    deadline = time.time() + timeout
    while True:
        got = statuses(ecr, repo, digest)
        if got and all(s["status"] == want for s in got):
            return got
        if time.time() > deadline:
            raise AssertionError(f"replication of {repo}@{digest} is {got}, not {want}")
        time.sleep(0.1)


def rule(*destinations, filters=()):
    r = {"destinations": [{"region": region, "registryId": account}
                          for region, account in destinations]}
    if filters:
        r["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    return r


@pytest.fixture(scope="module")
def regions():
    """us-east-1 and us-west-2, each the other's peer with the other's root keys."""
    tmp = tempfile.mkdtemp()
    east = start_berth()
    west = start_berth(["--region", "us-west-2"])
    east_port, west_port = east.port, west.port
    east.stop()
    west.stop()
    creds = peer_credentials(os.path.join(tmp, "credentials"), **{"us-east-1": east, "us-west-2": west})
    east = start_berth(["--peer", f"us-west-2=http://127.0.0.1:{west_port}",
                        "--peer-credentials", creds], data_dir=east.data_dir, port=east_port)
    west_args = ["--region", "us-west-2", "--peer", f"us-east-1=http://127.0.0.1:{east_port}",
                 "--peer-credentials", creds]
    west = start_berth(west_args, data_dir=west.data_dir, port=west_port)
    west.args = west_args
    yield east, west
    for s in (east, west):
        s.stop()
        shutil.rmtree(s.data_dir, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)


def test_an_index_with_a_referrer_replicates_to_another_region(regions):
    east, west = regions
    skopeo = require("skopeo")
    e_ecr, w_ecr = ecr_client(east), ecr_client(west, "us-west-2")
    config = {"rules": [rule(("us-west-2", ACCOUNT), filters=["prod"])]}
    put = cli(east, "us-east-1", "put-replication-configuration",
              "--replication-configuration", json.dumps(config))
    validate_output("PutReplicationConfiguration", put)
    described = cli(east, "us-east-1", "describe-registry")
    validate_output("DescribeRegistry", described)
    assert described["replicationConfiguration"] == config
    # the way back: what arrives from east is not sent back to it
    w_ecr.put_replication_configuration(
        replicationConfiguration={"rules": [rule(("us-east-1", ACCOUNT), filters=["prod"])]})
    tmp = tempfile.mkdtemp()
    try:
        src = Layout(os.path.join(tmp, "src"))
        amd = src.image({"app": b"amd64 build\n"}, arch="amd64")
        arm = src.image({"app": b"arm64 build\n"}, arch="arm64")
        index = src.index([amd, arm])
        src.tag(index, "v1")
        for repo in ("prod/app", "dev/app"):
            run(skopeo, "copy", "--all", "--dest-tls-verify=false", "--dest-creds", east.creds,
                f"oci:{src.path}:v1", f"docker://{east.host}/{repo}:v1")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    digest = index["digest"]
    # a signature-like artifact referring to the index, pushed after it
    v2e = V2(east)
    sig = v2e.blob("prod/app", b"signature bytes")
    empty = v2e.blob("prod/app", b"{}")
    empty["mediaType"] = "application/vnd.oci.empty.v1+json"
    referrer = v2e.manifest("prod/app", None, {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature", "config": empty, "layers": [sig],
        "subject": {"mediaType": OCI_INDEX, "digest": digest, "size": index["size"]}})
    done = wait_status(e_ecr, "prod/app", digest, "COMPLETE")
    assert done == [{"region": "us-west-2", "registryId": ACCOUNT, "status": "COMPLETE"}]
    validate_output("DescribeImageReplicationStatus", cli(
        east, "us-east-1", "describe-image-replication-status", "--repository-name", "prod/app",
        "--image-id", f"imageDigest={digest}"))
    wait_status(e_ecr, "prod/app", referrer, "COMPLETE")
    # at the destination: by tag and by digest, the same bytes; children and referrer too
    v2w = V2(west)
    assert v2w.get("prod/app", "v1") == (200, digest)
    assert v2w.get("prod/app", digest) == (200, digest)
    for child in (amd, arm):
        assert v2w.get("prod/app", child["digest"]) == (200, child["digest"])
    assert v2w.referrers("prod/app", digest) == [referrer]
    inspected = json.loads(run(skopeo, "inspect", "--tls-verify=false", "--creds", west.creds,
                               "--raw", f"docker://{west.host}/prod/app:v1").stdout)
    assert [m["digest"] for m in inspected["manifests"]] == [amd["digest"], arm["digest"]]
    run(skopeo, "copy", "--all", "--src-tls-verify=false", "--src-creds", west.creds,
        f"docker://{west.host}/prod/app@{digest}", f"oci:{tempfile.mkdtemp()}:x")
    # the filter: dev/ stays home
    assert statuses(e_ecr, "dev/app", digest) == []
    assert v2w.get("dev/app", "v1")[0] == 404
    # no loop: west does not send the arrival back
    assert statuses(w_ecr, "prod/app", digest) == []


def test_a_peer_that_was_down_catches_up(regions):
    east, west = regions
    e_ecr = ecr_client(east)
    e_ecr.put_replication_configuration(
        replicationConfiguration={"rules": [rule(("us-west-2", ACCOUNT), filters=["late"])]})
    west.stop()
    digest = V2(east).image("late/app", "v1", "pushed while the peer is down")
    time.sleep(1.5)
    pending = statuses(e_ecr, "late/app", digest)
    assert pending == [{"region": "us-west-2", "registryId": ACCOUNT, "status": "IN_PROGRESS"}]
    restarted = start_berth(west.args, data_dir=west.data_dir, port=west.port)
    west.proc = restarted.proc
    wait_status(e_ecr, "late/app", digest, "COMPLETE", timeout=120)
    assert V2(west).get("late/app", "v1") == (200, digest)


def wait_for(check, what, timeout=60):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


def test_deletes_and_tag_removals_replicate_where_the_rule_asks(regions):
    east, west = regions
    e_ecr = ecr_client(east)
    mirror = rule(("us-west-2", ACCOUNT), filters=["mirror"])
    mirror["deleteReplication"] = {"enabled": True}
    config = {"rules": [mirror, rule(("us-west-2", ACCOUNT), filters=["keep"])]}
    # (the aws CLI's older model has no deleteReplication: boto3's has)
    e_ecr.put_replication_configuration(replicationConfiguration=config)
    assert e_ecr.describe_registry()["replicationConfiguration"] == config
    v2e, v2w = V2(east), V2(west)
    mirrored = v2e.image("mirror/app", "v1", "mirrored deletes")
    v2e.manifest("mirror/app", "v2", json.loads(v2e.call(
        "GET", f"/v2/mirror/app/manifests/{mirrored}", headers={"Accept": OCI_MANIFEST})[2]))
    kept = v2e.image("keep/app", "v1", "deletes stay home")
    wait_status(e_ecr, "mirror/app", mirrored, "COMPLETE")
    wait_status(e_ecr, "keep/app", kept, "COMPLETE")
    assert v2w.get("mirror/app", "v2") == (200, mirrored)
    # a tag removed at the source goes at the destination; the image and its other tag stay
    e_ecr.batch_delete_image(repositoryName="mirror/app", imageIds=[{"imageTag": "v2"}])
    wait_for(lambda: v2w.get("mirror/app", "v2")[0] == 404, "the tag's removal at us-west-2")
    assert v2w.get("mirror/app", "v1") == (200, mirrored)
    # the image deleted: gone at the destination too, where the rule says so
    e_ecr.batch_delete_image(repositoryName="mirror/app", imageIds=[{"imageDigest": mirrored}])
    e_ecr.batch_delete_image(repositoryName="keep/app", imageIds=[{"imageDigest": kept}])
    wait_for(lambda: v2w.get("mirror/app", mirrored)[0] == 404, "the deletion at us-west-2")
    time.sleep(1)
    assert v2w.get("keep/app", kept) == (200, kept)


@pytest.fixture(scope="module")
def accounts():
    """One installation with a second account."""
    server = start_berth()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    env.update(server.admin_env)
    binary = os.environ.get("BERTH_BIN", os.path.join(ROOT, "target", "debug", "berth"))
    other = json.loads(run(binary, "admin", "--data-dir", server.data_dir, *server.admin_args,
                           "create-account", "--new-account-id", OTHER, env=env).stdout)
    keys = other["AccessKey"]["AccessKeyId"], other["AccessKey"]["SecretAccessKey"]
    yield server, keys
    server.stop()
    shutil.rmtree(server.data_dir, ignore_errors=True)


def test_cross_account_needs_the_registry_policy_then_a_backfill_completes(accounts):
    server, (key, secret) = accounts
    a = ecr_client(server)
    b = ecr_client(server, key=key, secret=secret)
    b.create_repository_creation_template(
        prefix="shared", appliedFor=["REPLICATION"], imageTagMutability="IMMUTABLE",
        lifecyclePolicy=json.dumps({"rules": [{
            "rulePriority": 1, "selection": {"tagStatus": "untagged", "countType":
                                             "imageCountMoreThan", "countNumber": 5},
            "action": {"type": "expire"}}]}))
    a.put_replication_configuration(
        replicationConfiguration={"rules": [rule(("us-east-1", OTHER), filters=["shared"])]})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        a.put_replication_configuration(
            replicationConfiguration={"rules": [rule(("us-east-1", ACCOUNT))]})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    v2a = V2(server)
    digest = v2a.image("shared/app", "v1", "for the other account")
    failed = wait_status(a, "shared/app", digest, "FAILED")
    assert failed == [{"region": "us-east-1", "registryId": OTHER, "status": "FAILED",
                       "failureCode": "ACCESS_DENIED"}]
    b.put_registry_policy(policyText=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "from-a", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                       "Resource": f"arn:aws:ecr:us-east-1:{OTHER}:repository/*"}]}))
    started = a.start_replication_backfill(
        destination={"region": "us-east-1", "registryId": OTHER})
    backfill = started["replicationBackfillId"]
    wait_status(a, "shared/app", digest, "COMPLETE")
    v2b = V2(server, key, secret)
    assert v2b.get("shared/app", "v1") == (200, digest)
    repo = b.describe_repositories(repositoryNames=["shared/app"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert b.get_lifecycle_policy(repositoryName="shared/app")["lifecyclePolicyText"]
    results = a.describe_replication_backfill_results(replicationBackfillId=backfill)
    assert [(r["repositoryName"], r["imageId"]["imageDigest"], r["status"])
            for r in results["results"]] == [("shared/app", digest, "COMPLETE")]
    # the tag moves at the source; immutable at the destination, it stays where it is
    moved = v2a.image("shared/app", "v1", "a new build under the same tag")
    wait_status(a, "shared/app", moved, "COMPLETE")
    assert v2b.get("shared/app", moved) == (200, moved)
    assert v2b.get("shared/app", "v1") == (200, digest)


def test_a_backfill_of_200_images_reports_progress_and_stops(regions):
    east, west = regions
    e_ecr = ecr_client(east)
    e_ecr.put_replication_configuration(replicationConfiguration={"rules": []})
    v2e = V2(east)
    digests = [v2e.image("fill/app", None, f"image {i}") for i in range(200)]
    e_ecr.put_replication_configuration(
        replicationConfiguration={"rules": [rule(("us-west-2", ACCOUNT), filters=["fill"])]})
    destination = {"region": "us-west-2", "registryId": ACCOUNT}
    first = e_ecr.start_replication_backfill(destination=destination)["replicationBackfillId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        e_ecr.start_replication_backfill(destination=destination)
    assert e.value.response["Error"]["Code"] == "ReplicationBackfillInProgressException"
    stopped = e_ecr.stop_replication_backfill(replicationBackfillId=first)
    assert stopped["status"] in ("STOPPING", "STOPPED")
    deadline = time.time() + 60
    while True:
        listed = e_ecr.list_replication_backfills()["backfills"]
        b = next(b for b in listed if b["replicationBackfillId"] == first)
        if b["status"] == "STOPPED" or time.time() > deadline:
            break
        time.sleep(0.2)
    assert b["status"] == "STOPPED"
    progress = b["progress"]
    assert progress["totalReplicationCount"] == 200
    assert progress["completedReplicationCount"] < 200
    # a second backfill copies everything
    second = e_ecr.start_replication_backfill(destination=destination)["replicationBackfillId"]
    deadline = time.time() + 240
    seen = []
    while True:
        listed = e_ecr.list_replication_backfills()["backfills"]
        b = next(b for b in listed if b["replicationBackfillId"] == second)
        seen.append(b["progress"]["completedReplicationCount"])
        if b["status"] == "COMPLETE" or time.time() > deadline:
            break
        time.sleep(0.2)
    assert b["status"] == "COMPLETE", b
    assert b["progress"]["completedReplicationCount"] == 200
    assert seen == sorted(seen)
    copied = []
    token = {}
    while True:
        page = e_ecr.describe_replication_backfill_results(replicationBackfillId=second, **token)
        copied += [r["imageId"]["imageDigest"] for r in page["results"]
                   if r["status"] == "COMPLETE"]
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    assert sorted(copied) == sorted(digests)
    v2w = V2(west)
    for d in digests[:: 37]:
        assert v2w.get("fill/app", d) == (200, d)
