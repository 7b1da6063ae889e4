"""Pull-through cache rules with the aws CLI and boto3: created with ECR's validation (the
upstream's kind against its URL, the credentials a kind needs, a Secrets Manager secret named
ecr-pullthroughcache/… that must exist and hold username and accessToken, prefixes), described,
updated, deleted, and validated against real upstreams: Debian's docker-registry (anonymous)
and a second Berth (Basic auth with the secret's login)."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import boto3
import botocore.exceptions
import pytest

from awsapi import call, validate_output
from conftest import ROOT, free_port, require, run, start_berth

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
        self.proc = subprocess.Popen([require("docker-registry"), "serve", config],
                                     stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.time() < deadline, "docker-registry did not start"
                assert self.proc.poll() is None, "docker-registry exited"
                time.sleep(0.05)

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
    aws = os.path.join(ROOT, ".venv", "bin", "aws")
    aws = aws if os.path.exists(aws) else require("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=server.key, AWS_SECRET_ACCESS_KEY=server.secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    out = run(aws, "--endpoint-url", f"http://{server.host}", "--output", "json", "ecr", *args,
              env=env).stdout
    return json.loads(out) if out.strip() else {}


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
