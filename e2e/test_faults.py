"""Faults and hostile input: request bodies bounded before they are parsed, requests signed for
another region, a full disk, many connections at once and more idle ones than the default
open-file limit."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest

from awsapi import call, send, signed_request
from conftest import require, start_berth
from test_cli import request


def client(berth, service="ecr", region="us-east-1", key=None, secret=None):
    return boto3.client(service, endpoint_url=f"http://{berth.host}", region_name=region,
                        aws_access_key_id=key or berth.key,
                        aws_secret_access_key=secret or berth.secret)


def status_kib(pid: int, field: str) -> int:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM: the peak) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field}")


def test_a_request_signed_for_another_region_is_refused(berth):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, region="eu-west-1").describe_repositories()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "Credential should be scoped to a valid region" in e.value.response["Error"]["Message"]
    client(berth).describe_repositories()
    # an installation in eu-west-1: its own region, and us-east-1 for the global services (IAM,
    # STS's global endpoint), where the SDKs sign them
    b = start_berth(extra_args=["--region", "eu-west-1"])
    try:
        client(b, region="eu-west-1").describe_repositories()
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client(b, region="us-east-1").describe_repositories()
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
        client(b, service="iam", region="us-east-1").list_users()
        client(b, service="iam", region="eu-west-1").list_users()
        client(b, service="sts", region="us-east-1").get_caller_identity()
        client(b, service="sts", region="eu-west-1").get_caller_identity()
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client(b, service="sts", region="ap-south-1").get_caller_identity()
        assert "Credential should be scoped to a valid region" in e.value.response["Error"]["Message"]
    finally:
        b.proc.terminate()
        b.proc.wait(timeout=30)


def send_head_only(host, port, headers, length):
    """Send a request head that declares `length` body bytes and none of them; the answer."""
    import socket
    with socket.create_connection((host, port), timeout=30) as s:
        head = "POST / HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length")
        s.sendall((head + f"Host: {host}:{port}\r\nContent-Length: {length}\r\n\r\n").encode())
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        head, _, rest = got.partition(b"\r\n\r\n")
        length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")][0])
        while len(rest) < length:
            rest += s.recv(65536)
        return int(head.split()[1]), json.loads(rest)


def test_oversized_and_huge_array_bodies_are_refused_with_bounded_memory(berth):
    url = f"http://{berth.host}"
    ids = [{"imageTag": f"t{i}"} for i in range(1_700_000)]
    huge = json.dumps({"repositoryName": "any/repo", "imageIds": ids}).encode()
    assert len(huge) > 30_000_000
    iam = client(berth, service="iam")
    iam.create_user(UserName="nobody")
    k = iam.create_access_key(UserName="nobody")["AccessKey"]
    before = status_kib(berth.proc.pid, "VmRSS")

    def huge_request(key, secret):
        _, data, headers = signed_request(url, "BatchGetImage", huge, key, secret)
        return send_head_only("127.0.0.1", berth.port, headers, len(data))

    started = time.time()
    for key, secret in [(k["AccessKeyId"], k["SecretAccessKey"]), (berth.key, berth.secret)]:
        status, body = huge_request(key, secret)
        assert status == 413, body
        assert body["__type"] == "SerializationException"
        assert "larger than" in body["message"]
    assert time.time() - started < 10
    # an array far over ECR's 100 image IDs, within the size limit: the model's constraint
    many = {"repositoryName": "any/repo", "imageIds": [{"imageTag": f"t{i}"} for i in range(5000)]}
    status, _, body = call(berth, "BatchGetImage", many)
    assert status == 400 and body["__type"] == "ValidationException", body
    assert "100" in body["message"]
    # four at once, then memory: the server never held a huge body
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: huge_request(berth.key, berth.secret), range(4)))
    assert [r[0] for r in results] == [413] * 4
    # a key that does not exist is refused before anything is read
    status, body = huge_request("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")
    grown_mib = (status_kib(berth.proc.pid, "VmHWM") - before) / 1024
    assert grown_mib < 100, f"peak memory grew by {grown_mib:.0f} MiB"
    assert status_kib(berth.proc.pid, "VmRSS") / 1024 < 200


def as_root(*cmd):
    if os.geteuid() != 0:
        cmd = (require("sudo"), "-n", *cmd)
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.mark.local_disk
def test_a_full_disk_is_a_clear_error_and_not_ready():
    mount = tempfile.mkdtemp(prefix="berth-full-")
    as_root("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount)
    try:
        if os.geteuid() != 0:
            as_root("chown", str(os.getuid()), mount)
        b = start_berth(data_dir=os.path.join(mount, "data"))
        try:
            full_disk_checks(b)
        finally:
            b.proc.terminate()
            b.proc.wait(timeout=30)
    finally:
        as_root("umount", mount)
        shutil.rmtree(mount, ignore_errors=True)


def readyz(berth):
    try:
        with urllib.request.urlopen(f"http://{berth.host}/readyz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def full_disk_checks(b):
    import hashlib
    assert readyz(b)[0] == 200
    big = os.urandom(20 * 1024 * 1024)
    digest = "sha256:" + hashlib.sha256(big).hexdigest()
    for _ in range(3):
        status, body = request(b.host, f"/v2/full/app/blobs/uploads/?digest={digest}", b.creds, "POST", big)
        assert status == 507, body
        err = json.loads(body)["errors"][0]
        assert "insufficient storage" in err["message"], err
    status, ready = readyz(b)
    assert status == 503 and "insufficient storage" in ready["store"]["error"], ready
    # the ECR API names it too
    ecr = client(b)
    upload = ecr.initiate_layer_upload(repositoryName="full/app")["uploadId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.upload_layer_part(repositoryName="full/app", uploadId=upload, partFirstByte=0,
                              partLastByte=len(big[:20 * 1024 * 1024]) - 1,
                              layerPartBlob=big[:20 * 1024 * 1024])
    assert e.value.response["Error"]["Code"] == "ServerException"
    assert "insufficient storage" in e.value.response["Error"]["Message"]
    # logged once, not per request
    with open(b.log_path) as f:
        assert f.read().count("disk is full: pushes fail") == 1
    # a write that fits ends it
    small = b"fits"
    d = "sha256:" + hashlib.sha256(small).hexdigest()
    assert request(b.host, f"/v2/full/app/blobs/uploads/?digest={d}", b.creds, "POST", small)[0] == 201
    assert readyz(b)[0] == 200


def listen_overflows() -> int:
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    raise AssertionError("no TcpExt counters")


def hard_open_files_limit() -> int:
    prlimit = require("prlimit")
    out = subprocess.run([prlimit, "--nofile", "--output=HARD", "--noheadings",
                          f"--pid={os.getpid()}"], capture_output=True, text=True, check=True)
    hard = out.stdout.split()[0]
    return 1 << 20 if hard == "unlimited" else int(hard)


def wrk_millis(text: str, label: str) -> float:
    value = next(l.split()[1] for l in text.splitlines() if l.strip().startswith(label))
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[:-len(unit)]) * factor
    raise AssertionError(value)


def test_two_thousand_connections_at_once_are_all_accepted(berth):
    """wrk with 2,000 connections (loopback, 10 s): the kernel drops no SYN for a full accept
    queue (with a backlog of 128 this load overflowed it thousands of times, and p99 was 65
    times p50: a dropped SYN costs a 1 s retransmission), and p99 stays within 8 times p50. (wrk
    and the server share two cores at saturation: the first burst of 2,000 connections alone
    puts p99 at 3 to 7 times p50 on the CI machine.)"""
    wrk, prlimit = require("wrk"), require("prlimit")
    hard = hard_open_files_limit()
    if hard < 4096:
        pytest.fail(f"the hard open-file limit is {hard}; wrk needs 4096 for 2,000 connections")
    before = listen_overflows()
    out = subprocess.run([prlimit, f"--nofile={hard}:{hard}", wrk, "-t2", "-c2000", "-d10s",
                          "--latency", f"http://{berth.host}/healthz"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    overflows = listen_overflows() - before
    p50, p99 = wrk_millis(out, "50%"), wrk_millis(out, "99%")
    print(f"wrk -c2000: p50 {p50:.0f} ms, p99 {p99:.0f} ms, listen overflows {overflows}")
    assert "Socket errors" not in out, out
    assert overflows == 0, out
    assert p99 <= 8 * max(p50, 20), out


def test_more_idle_connections_than_the_default_open_file_limit():
    prlimit = require("prlimit")
    hard = hard_open_files_limit()
    if hard < 4096:
        pytest.fail(f"the hard open-file limit is {hard}; this test needs 4096")
    b = start_berth(wrapper=(prlimit, f"--nofile=1024:{hard}"))
    try:
        import socket
        idle = []
        for _ in range(1100):
            s = socket.create_connection(("127.0.0.1", b.port))
            idle.append(s)
        status, _ = request(b.host, "/v2/", b.creds)
        assert status == 200
        assert readyz(b)[0] == 200
        for s in idle:
            s.close()
        with open(b.log_path) as f:
            assert "accepting connections failed" not in f.read()
    finally:
        b.proc.terminate()
        b.proc.wait(timeout=30)
