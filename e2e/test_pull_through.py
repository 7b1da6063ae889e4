"""Pull-through cache rules with the aws CLI and boto3: created with ECR's validation (the
upstream's kind against its URL, the credentials a kind needs, a Secrets Manager secret named
ecr-pullthroughcache/… that must exist and hold username and accessToken, prefixes), described,
updated, deleted, and validated against real upstreams: Debian's docker-registry (anonymous)
and a second Berth (Basic auth with the secret's login)."""

import concurrent.futures
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest

from awsapi import call, validate_output
from conftest import aws_cli, free_port, require, run, start_berth
from ocilayout import Layout
from test_replication import V2

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def server():
    b = start_berth()
    yield b
    b.stop()
    shutil.rmtree(b.data_dir, ignore_errors=True)


class Upstream:
    """Debian's docker-registry (Distribution) on a free port, anonymous unless given an
    htpasswd file."""

    def __init__(self, htpasswd=None):
        self.dir = tempfile.mkdtemp(prefix="berth-upstream-")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        auth = f"auth: {{ htpasswd: {{ realm: upstream, path: {htpasswd} }} }}\n" if htpasswd else ""
        config = os.path.join(self.dir, "config.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog: {{ level: info }}\n"
                    f"storage: {{ filesystem: {{ rootdirectory: {self.dir}/data }}, delete: {{ enabled: true }} }}\n"
                    f"http: {{ addr: {self.host} }}\n{auth}")
        self.log_path = os.path.join(self.dir, "log")
        self.config = config
        self.start()

    def start(self):
        self.proc = subprocess.Popen([require("docker-registry"), "serve", self.config],
                                     stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.time() < deadline, "docker-registry did not start"
                assert self.proc.poll() is None, "docker-registry exited"
                time.sleep(0.05)

    def restart(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def upstream():
    u = Upstream()
    yield u
    u.stop()


def client(server, service="ecr"):
    return boto3.client(service, endpoint_url=f"http://{server.host}", region_name="us-east-1",
                        aws_access_key_id=server.key, aws_secret_access_key=server.secret)


def cli(server, *args):
    return aws_cli(server, "ecr", *args)


def code(e):
    return e.value.response["Error"]["Code"]


def secret(server, name, login):
    return client(server, "secretsmanager").create_secret(
        Name=name, SecretString=json.dumps(login))["ARN"]


def test_rules_are_created_described_updated_and_deleted(server):
    ecr = client(server)
    hub = secret(server, "ecr-pullthroughcache/hub", {"username": "u", "accessToken": "t"})
    created = cli(server, "create-pull-through-cache-rule", "--ecr-repository-prefix", "docker-hub",
                  "--upstream-registry-url", "registry-1.docker.io",
                  "--upstream-registry", "docker-hub", "--credential-arn", hub)
    validate_output("CreatePullThroughCacheRule", created)
    assert created["ecrRepositoryPrefix"] == "docker-hub"
    assert created["upstreamRepositoryPrefix"] == "ROOT"
    assert created["credentialArn"] == hub and created["registryId"] == ACCOUNT
    public = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public",
                                                upstreamRegistryUrl="public.ecr.aws")
    assert public["upstreamRegistry"] == "ecr-public"
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="k8s/", upstreamRegistryUrl="registry.k8s.io",
                                       upstreamRepositoryPrefix="kube")
    described = cli(server, "describe-pull-through-cache-rules")
    validate_output("DescribePullThroughCacheRules", described)
    rules = described["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in rules] == ["docker-hub", "ecr-public", "k8s"]
    assert rules[2]["upstreamRepositoryPrefix"] == "kube"
    one = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["k8s"])
    assert [r["ecrRepositoryPrefix"] for r in one["pullThroughCacheRules"]] == ["k8s"]
    page = ecr.describe_pull_through_cache_rules(maxResults=2)
    rest = ecr.describe_pull_through_cache_rules(maxResults=2, nextToken=page["nextToken"])
    assert len(page["pullThroughCacheRules"]) == 2 and len(rest["pullThroughCacheRules"]) == 1
    other = secret(server, "ecr-pullthroughcache/hub2", {"username": "v", "accessToken": "w"})
    updated = cli(server, "update-pull-through-cache-rule", "--ecr-repository-prefix", "docker-hub",
                  "--credential-arn", other)
    validate_output("UpdatePullThroughCacheRule", updated)
    assert updated["credentialArn"] == other
    deleted = cli(server, "delete-pull-through-cache-rule", "--ecr-repository-prefix", "k8s")
    validate_output("DeletePullThroughCacheRule", deleted)
    assert deleted["upstreamRegistryUrl"] == "registry.k8s.io"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="k8s")
    assert code(e) == "PullThroughCacheRuleNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["k8s"])
    assert code(e) == "PullThroughCacheRuleNotFoundException"


def test_rules_are_refused_as_ecr_refuses_them(server):
    ecr = client(server)
    good = secret(server, "ecr-pullthroughcache/refusals", {"username": "u", "accessToken": "t"})
    bad_secret = secret(server, "ecr-pullthroughcache/not-a-login", {"user": "u"})

    def refused(**kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecr.create_pull_through_cache_rule(**kw)
        return code(e)

    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    assert refused(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io") == \
        "PullThroughCacheRuleAlreadyExistsException"
    assert refused(ecrRepositoryPrefix="q2", upstreamRegistryUrl="public.ecr.aws",
                   upstreamRegistry="quay") == "UnsupportedUpstreamRegistryException"
    assert refused(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io") == \
        "InvalidParameterException"
    missing = good.replace("refusals", "missing")
    assert refused(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io",
                   credentialArn=missing) == "SecretNotFoundException"
    assert refused(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io",
                   credentialArn=bad_secret) == "UnableToAccessSecretException"
    assert refused(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io",
                   credentialArn="arn:aws:secretsmanager:us-east-1:000000000000:secret:other/name-x1") == \
        "InvalidParameterException"
    assert refused(ecrRepositoryPrefix="Bad_Prefix", upstreamRegistryUrl="quay.io") == \
        "InvalidParameterException"
    # (boto3 checks lengths itself: a raw request)
    status, _, body = call(server, "CreatePullThroughCacheRule",
                           {"ecrRepositoryPrefix": "x", "upstreamRegistryUrl": "quay.io"})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert refused(ecrRepositoryPrefix="ROOT", upstreamRegistryUrl="quay.io",
                   upstreamRepositoryPrefix="lib") == "InvalidParameterException"
    assert refused(ecrRepositoryPrefix="role", upstreamRegistryUrl="quay.io",
                   customRoleArn="arn:aws:iam::000000000000:role/x") == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="nothing", credentialArn=good)
    assert code(e) == "PullThroughCacheRuleNotFoundException"


def test_validate_asks_the_upstream_with_the_rules_login(server, upstream):
    ecr = client(server)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="local",
                                       upstreamRegistryUrl=f"http://{upstream.host}")
    valid = cli(server, "validate-pull-through-cache-rule", "--ecr-repository-prefix", "local")
    validate_output("ValidatePullThroughCacheRule", valid)
    assert valid["isValid"] is True and "failure" not in valid
    # a Berth upstream, which takes Basic credentials
    other = start_berth()
    try:
        right = secret(server, "ecr-pullthroughcache/berth",
                       {"username": other.key, "accessToken": other.secret})
        wrong = secret(server, "ecr-pullthroughcache/wrong",
                       {"username": other.key, "accessToken": "not-the-secret"})
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="berth",
                                           upstreamRegistryUrl=f"http://{other.host}",
                                           credentialArn=right)
        assert ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="berth")["isValid"] is True
        ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="berth", credentialArn=wrong)
        answer = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="berth")
        assert answer["isValid"] is False and answer["failure"]
    finally:
        other.stop()
        shutil.rmtree(other.data_dir, ignore_errors=True)
    # an upstream that does not answer
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="gone",
                                       upstreamRegistryUrl=f"http://127.0.0.1:{free_port()}")
    answer = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="gone")
    assert answer["isValid"] is False and "127.0.0.1" in answer["failure"]


def skopeo_copy(*args):
    env = dict(os.environ, HOME=tempfile.mkdtemp(prefix="berth-skopeo-"))
    return run(require("skopeo"), "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
               *args, env=env, check=False)


def push_upstream(upstream, repo, tag, files, arches=("amd64",)):
    """An image (an index of several when given several architectures) pushed to the upstream
    with skopeo; its descriptor."""
    tmp = tempfile.mkdtemp()
    try:
        src = Layout(os.path.join(tmp, "src"))
        images = [src.image({**files, "arch": a.encode()}, arch=a) for a in arches]
        top = images[0] if len(images) == 1 else src.index(images)
        src.tag(top, tag)
        pushed = skopeo_copy("--all", "--preserve-digests", f"oci:{src.path}:{tag}",
                             f"docker://{upstream.host}/{repo}:{tag}")
        assert pushed.returncode == 0, pushed.stderr
        return top, images
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def upstream_requests(upstream, repo):
    """How many requests for `repo` the upstream has logged."""
    with open(upstream.log_path, errors="replace") as f:
        return sum(1 for line in f if f"/v2/{repo}/" in line and "http.request.uri" in line)


def inspect(server, ref, creds=None):
    env = dict(os.environ, HOME=tempfile.mkdtemp(prefix="berth-skopeo-"))
    return run(require("skopeo"), "inspect", "--raw", "--tls-verify=false",
               "--creds", creds or server.creds, f"docker://{server.host}/{ref}", env=env,
               check=False)


def test_an_image_is_imported_on_first_pull_then_served_from_the_cache(server, upstream):
    ecr = client(server)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub",
                                       upstreamRegistryUrl=f"http://{upstream.host}")
    top, images = push_upstream(upstream, "library/app", "v1", {"hello": b"from upstream\n"},
                                arches=("amd64", "arm64"))
    before = upstream_requests(upstream, "library/app")
    out = tempfile.mkdtemp()
    try:
        first = skopeo_copy("--all", "--src-creds", server.creds,
                            f"docker://{server.host}/hub/library/app:v1", f"oci:{out}:v1")
        assert first.returncode == 0, first.stderr
        with open(os.path.join(out, "index.json")) as f:
            assert json.load(f)["manifests"][0]["digest"] == top["digest"]
        fetched = upstream_requests(upstream, "library/app")
        assert fetched > before
        # the second pull, by tag and by digest, asks the upstream nothing
        again = skopeo_copy("--all", "--src-creds", server.creds,
                            f"docker://{server.host}/hub/library/app:v1", f"oci:{out}:again")
        assert again.returncode == 0, again.stderr
        by_digest = inspect(server, f"hub/library/app@{images[1]['digest']}")
        assert by_digest.returncode == 0, by_digest.stderr
        assert upstream_requests(upstream, "library/app") == fetched
    finally:
        shutil.rmtree(out, ignore_errors=True)
    # an ordinary image now: described, its repository made by the cache
    described = ecr.describe_images(repositoryName="hub/library/app")["imageDetails"]
    assert {d["imageDigest"] for d in described} == {top["digest"]} | {i["digest"] for i in images}
    assert ecr.describe_repositories(repositoryNames=["hub/library/app"])["repositories"]
    # pushes into a cache repository are refused
    tmp = tempfile.mkdtemp()
    try:
        src = Layout(os.path.join(tmp, "src"))
        src.tag(src.image({"x": b"pushed\n"}), "mine")
        refused = skopeo_copy("--dest-creds", server.creds, f"oci:{src.path}:mine",
                              f"docker://{server.host}/hub/library/app:mine")
        assert refused.returncode != 0 and "pull through cache" in refused.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # an image the upstream does not have: a clear error naming it
    missing = inspect(server, "hub/library/nothing:v1")
    assert missing.returncode != 0 and "manifest unknown" in missing.stderr.lower()


def test_fifty_concurrent_pulls_of_an_uncached_image_fetch_it_once(server, upstream):
    client(server).create_pull_through_cache_rule(ecrRepositoryPrefix="many",
                                                  upstreamRegistryUrl=f"http://{upstream.host}")
    top, _ = push_upstream(upstream, "crowd/app", "v1", {"big": os.urandom(2 << 20)})
    before = upstream_requests(upstream, "crowd/app")
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda _: inspect(server, "many/crowd/app:v1"), range(50)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode][:3]
    assert all(json.loads(r.stdout) == json.loads(results[0].stdout) for r in results)
    # one manifest GET and one GET per blob (config and layer), whatever the crowd
    blob_gets = 0
    with open(upstream.log_path, errors="replace") as f:
        lines = [l for l in f if "/v2/crowd/app/" in l and "http.request.uri" in l][before:]
    manifest_gets = sum(1 for l in lines if "/manifests/" in l and "GET" in l)
    blob_gets = sum(1 for l in lines if "/blobs/" in l and "GET" in l)
    assert manifest_gets == 1, lines
    assert blob_gets == 2, lines


def test_the_upstream_down_serves_what_is_cached_and_a_moved_tag_follows(upstream):
    server = start_berth(["--pull-through-tag-ttl", "1"])
    try:
        ecr = client(server)
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ttl",
                                           upstreamRegistryUrl=f"http://{upstream.host}")
        first, _ = push_upstream(upstream, "moving/app", "v1", {"v": b"one\n"})
        assert json.loads(inspect(server, "ttl/moving/app:v1").stdout)["config"]
        # the tag moves upstream: after the TTL the new image is served
        second, _ = push_upstream(upstream, "moving/app", "v1", {"v": b"two\n"})
        time.sleep(1.5)
        moved = inspect(server, "ttl/moving/app:v1")
        assert moved.returncode == 0, moved.stderr
        assert hashlib_digest(moved.stdout) == second["digest"]
        # upstream down: the cached tag is served (stale), an uncached one fails naming it
        push_upstream(upstream, "other/app", "v1", {"v": b"never pulled\n"})
        upstream.proc.terminate()
        upstream.proc.wait(timeout=30)
        time.sleep(1.5)
        stale = inspect(server, "ttl/moving/app:v1")
        assert stale.returncode == 0, stale.stderr
        assert hashlib_digest(stale.stdout) == second["digest"]
        status, _, body = V2(server).call("GET", "/v2/ttl/other/app/manifests/v1")
        assert status == 502, body
        assert upstream.host in json.loads(body)["errors"][0]["message"]
        with open(server.log_path) as f:
            assert "serving the cached image" in f.read()
        # back up: the image that failed pulls
        upstream.restart()
        back = inspect(server, "ttl/other/app:v1")
        assert back.returncode == 0, back.stderr
    finally:
        if upstream.proc.poll() is not None:
            upstream.restart()
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


def hashlib_digest(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_a_basic_auth_upstream_is_read_with_the_rules_secret(server):
    other = start_berth()
    try:
        tmp = tempfile.mkdtemp()
        src = Layout(os.path.join(tmp, "src"))
        img = src.image({"private": b"behind a login\n"})
        src.tag(img, "v1")
        pushed = skopeo_copy("--dest-creds", other.creds, f"oci:{src.path}:v1",
                             f"docker://{other.host}/team/private:v1")
        assert pushed.returncode == 0, pushed.stderr
        login = secret(server, "ecr-pullthroughcache/other-berth",
                       {"username": other.key, "accessToken": other.secret})
        client(server).create_pull_through_cache_rule(
            ecrRepositoryPrefix="priv", upstreamRegistryUrl=f"http://{other.host}",
            credentialArn=login)
        got = inspect(server, "priv/team/private:v1")
        assert got.returncode == 0, got.stderr
        assert hashlib_digest(got.stdout) == img["digest"]
    finally:
        other.stop()
        shutil.rmtree(other.data_dir, ignore_errors=True)


class CorruptingProxy:
    """A proxy in front of an upstream that flips one byte of the first `bad` blob bodies it
    passes on (keeping their length)."""

    def __init__(self, upstream, bad=1):
        proxy = self
        self.bad = bad
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def relay(self, method):
                req = urllib.request.Request(f"http://{upstream.host}{self.path}", method=method,
                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, headers, body = r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                    status, headers, body = e.code, e.headers, e.read()
                if method == "GET" and "/blobs/" in self.path and proxy.bad > 0 and body:
                    proxy.bad -= 1
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            def do_GET(self):
                self.relay("GET")

            def do_HEAD(self):
                self.relay("HEAD")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def test_a_corrupting_upstream_never_gets_bad_content_stored(server, upstream):
    proxy = CorruptingProxy(upstream, bad=1)
    try:
        ecr = client(server)
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="flaky",
                                           upstreamRegistryUrl=f"http://{proxy.host}")
        img, _ = push_upstream(upstream, "bits/app", "v1", {"data": os.urandom(64 << 10)})
        status, _, body = V2(server).call("GET", "/v2/flaky/bits/app/manifests/v1")
        assert status == 502, body
        assert "nothing was stored" in json.loads(body)["errors"][0]["message"]
        listed = ecr.list_images(repositoryName="flaky/bits/app")["imageIds"]
        assert listed == []
        # the next pull tries again, and the bytes are right this time
        again = inspect(server, "flaky/bits/app:v1")
        assert again.returncode == 0, again.stderr
        assert hashlib_digest(again.stdout) == img["digest"]
    finally:
        proxy.stop()


def test_the_first_pull_needs_batch_import_upstream_image(server, upstream):
    ecr = client(server)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="guarded",
                                       upstreamRegistryUrl=f"http://{upstream.host}")
    img, _ = push_upstream(upstream, "g/app", "v1", {"g": b"guarded\n"})
    iam = client(server, "iam")
    iam.create_user(UserName="puller")
    keys = iam.create_access_key(UserName="puller")["AccessKey"]
    creds = f"{keys['AccessKeyId']}:{keys['SecretAccessKey']}"

    def allow(*actions):
        iam.put_user_policy(UserName="puller", PolicyName="ecr", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))

    pull = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    allow(*pull)
    denied = inspect(server, "guarded/g/app:v1", creds=creds)
    assert denied.returncode != 0 and "denied" in denied.stderr.lower()
    allow(*pull, "ecr:BatchImportUpstreamImage")
    denied = inspect(server, "guarded/g/app:v1", creds=creds)
    assert denied.returncode != 0, "the repository's creation needs ecr:CreateRepository"
    allow(*pull, "ecr:BatchImportUpstreamImage", "ecr:CreateRepository")
    first = inspect(server, "guarded/g/app:v1", creds=creds)
    assert first.returncode == 0, first.stderr
    # cached: pulling needs only the pull permissions
    allow(*pull)
    again = inspect(server, "guarded/g/app:v1", creds=creds)
    assert again.returncode == 0 and hashlib_digest(again.stdout) == img["digest"]


def test_docker_pulls_through_the_cache_and_an_index_by_platform(server, upstream):
    from test_cluster import docker_env
    docker, env = docker_env()
    ecr = client(server)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="dk",
                                       upstreamRegistryUrl=f"http://{upstream.host}")
    top, images = push_upstream(upstream, "multi/app", "v1", {"bin/hello": b"#!/bin/sh\n"},
                                arches=("amd64", "arm64"))
    run(docker, "login", "-u", server.key, "--password-stdin", server.host, input=server.secret,
        env=env)
    ref = f"{server.host}/dk/multi/app:v1"
    try:
        run(docker, "pull", "--platform", "linux/arm64", ref, env=env)
        inspected = json.loads(run(docker, "image", "inspect", ref, env=env).stdout)[0]
        assert inspected["Architecture"] == "arm64"
        assert f"{server.host}/dk/multi/app@{top['digest']}" in inspected["RepoDigests"]
    finally:
        run(docker, "image", "rm", "-f", ref, env=env, check=False)
    # the ECR API's pushes into a cache repository are refused too
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.initiate_layer_upload(repositoryName="dk/multi/app")
    assert code(e) == "InvalidParameterException"
    assert "pull through cache" in e.value.response["Error"]["Message"]


def test_batch_get_image_imports_through_the_cache_too(server, upstream):
    ecr = client(server)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="api",
                                       upstreamRegistryUrl=f"http://{upstream.host}")
    img, _ = push_upstream(upstream, "viaapi/app", "v1", {"a": b"through BatchGetImage\n"})
    got = ecr.batch_get_image(repositoryName="api/viaapi/app", imageIds=[{"imageTag": "v1"}])
    assert got["failures"] == []
    assert got["images"][0]["imageId"]["imageDigest"] == img["digest"]
    assert hashlib_digest(got["images"][0]["imageManifest"]) == img["digest"]
    proxy_port = free_port()  # nothing listens there
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="apidown",
                                       upstreamRegistryUrl=f"http://127.0.0.1:{proxy_port}")
    down = ecr.batch_get_image(repositoryName="apidown/x/app", imageIds=[{"imageTag": "v1"}])
    assert down["images"] == []
    assert [f["failureCode"] for f in down["failures"]] == ["UpstreamUnavailable"]
    assert f"127.0.0.1:{proxy_port}" in down["failures"][0]["failureReason"]
