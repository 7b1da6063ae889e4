"""The ECR API with real AWS clients: boto3, the aws CLI, docker login with
GetAuthorizationToken; every response body checked against botocore's output shapes; SigV4
negative cases and registry-token cases."""

import base64
import datetime
import json
import os
import subprocess

import boto3
import botocore.exceptions
import pytest

from awsapi import call, send, signed_request, validate_output
from conftest import ROOT, import_image, require, run


@pytest.fixture(scope="module")
def ecr(berth):
    return boto3.client(
        "ecr",
        endpoint_url=f"http://{berth.host}",
        region_name="us-east-1",
        aws_access_key_id=berth.key,
        aws_secret_access_key=berth.secret,
    )


def aws_cli():
    venv = os.path.join(ROOT, ".venv", "bin", "aws")
    return venv if os.path.exists(venv) else require("aws")


def cli_env(berth):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=berth.key, AWS_SECRET_ACCESS_KEY=berth.secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return env


def error_code(exc):
    return exc.value.response["Error"]["Code"]


def test_repositories_lifecycle_with_boto3(berth, ecr):
    created = ecr.create_repository(
        repositoryName="team-a/app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest*"}],
        imageScanningConfiguration={"scanOnPush": True},
        tags=[{"Key": "team", "Value": "a"}],
    )["repository"]
    assert created["repositoryArn"] == "arn:aws:ecr:us-east-1:000000000000:repository/team-a/app"
    assert created["repositoryUri"] == "000000000000.dkr.ecr.us-east-1.amazonaws.com/team-a/app"
    assert created["imageScanningConfiguration"] == {"scanOnPush": True}
    assert created["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert isinstance(created["createdAt"], datetime.datetime)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository(repositoryName="team-a/app")
    assert error_code(e) == "RepositoryAlreadyExistsException"
    assert "already exists in the registry with id '000000000000'" in str(e.value)
    got = ecr.describe_repositories(repositoryNames=["team-a/app"])["repositories"]
    assert [r["repositoryName"] for r in got] == ["team-a/app"]
    assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
        {"Key": "team", "Value": "a"}]
    ecr.tag_resource(resourceArn=created["repositoryArn"], tags=[{"Key": "env", "Value": "prod"}])
    ecr.untag_resource(resourceArn=created["repositoryArn"], tagKeys=["team"])
    assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
        {"Key": "env", "Value": "prod"}]
    out = ecr.put_image_tag_mutability(repositoryName="team-a/app", imageTagMutability="IMMUTABLE")
    assert out["imageTagMutability"] == "IMMUTABLE"
    out = ecr.put_image_scanning_configuration(
        repositoryName="team-a/app", imageScanningConfiguration={"scanOnPush": False})
    assert out["imageScanningConfiguration"] == {"scanOnPush": False}
    deleted = ecr.delete_repository(repositoryName="team-a/app")["repository"]
    assert deleted["repositoryName"] == "team-a/app"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories(repositoryNames=["team-a/app"])
    assert error_code(e) == "RepositoryNotFoundException"
    assert str(e.value).endswith(
        "The repository with name 'team-a/app' does not exist in the registry with id '000000000000'")


def test_describe_repositories_pages(berth, ecr):
    names = [f"pages/r{i:02}" for i in range(23)]
    for n in names:
        ecr.create_repository(repositoryName=n)
    seen, token, pages = [], None, 0
    while True:
        kw = {"maxResults": 5}
        if token:
            kw["nextToken"] = token
        out = ecr.describe_repositories(**kw)
        pages += 1
        seen += [r["repositoryName"] for r in out["repositories"]]
        token = out.get("nextToken")
        if not token:
            break
    assert [s for s in seen if s.startswith("pages/")] == names
    assert pages == (len(seen) + 4) // 5
    # the paginator agrees
    paged = [r["repositoryName"] for page in
             ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 7})
             for r in page["repositories"]]
    assert paged == seen
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories(repositoryNames=["pages/r00"], maxResults=5)
    assert error_code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories(nextToken="not-a-token")
    assert error_code(e) == "InvalidParameterException"
    for n in names:
        ecr.delete_repository(repositoryName=n)


def test_output_shapes_match_the_model(berth):
    ops = [
        ("CreateRepository", {"repositoryName": "shapes/one", "tags": [{"Key": "k", "Value": "v"}]}),
        ("DescribeRepositories", {}),
        ("DescribeRepositories", {"repositoryNames": ["shapes/one"]}),
        ("ListTagsForResource", {"resourceArn": "arn:aws:ecr:us-east-1:000000000000:repository/shapes/one"}),
        ("TagResource", {"resourceArn": "arn:aws:ecr:us-east-1:000000000000:repository/shapes/one",
                         "tags": [{"Key": "a", "Value": ""}]}),
        ("UntagResource", {"resourceArn": "arn:aws:ecr:us-east-1:000000000000:repository/shapes/one",
                           "tagKeys": ["a"]}),
        ("PutImageTagMutability", {"repositoryName": "shapes/one", "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
                                   "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "v*"}]}),
        ("PutImageScanningConfiguration", {"repositoryName": "shapes/one",
                                           "imageScanningConfiguration": {"scanOnPush": True}}),
        ("GetAuthorizationToken", {}),
        ("DescribeRegistry", {}),
        ("GetAccountSetting", {"name": "REGISTRY_POLICY_SCOPE"}),
        ("PutAccountSetting", {"name": "BLOB_MOUNTING", "value": "DISABLED"}),
        ("DeleteRepository", {"repositoryName": "shapes/one", "force": True}),
    ]
    for op, body in ops:
        status, headers, out = call(berth, op, body)
        assert status == 200, (op, out)
        assert headers["content-type"] == "application/x-amz-json-1.1"
        assert headers.get("x-amzn-requestid")
        validate_output(op, out)


@pytest.mark.parametrize("op,body,code,text", [
    ("CreateRepository", {"repositoryName": "Upper/Case"}, "InvalidParameterException",
     "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression"),
    ("CreateRepository", {"repositoryName": "a"}, "ValidationException",
     "Member must have length greater than or equal to 2"),
    ("CreateRepository", {"repositoryName": "x" * 257}, "ValidationException",
     "Member must have length less than or equal to 256"),
    ("CreateRepository", {}, "ValidationException", "Value null at 'repositoryName'"),
    ("CreateRepository", {"repositoryName": "ok/name", "imageTagMutability": "SOMETIMES"},
     "ValidationException", "Member must satisfy enum value set"),
    ("CreateRepository", {"repositoryName": "ok/name", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"},
     "InvalidParameterException", "imageTagMutabilityExclusionFilters must be specified"),
    ("CreateRepository", {"repositoryName": "ok/name", "imageTagMutability": "IMMUTABLE",
                          "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "a"}]},
     "InvalidParameterException", "can only be specified"),
    ("CreateRepository", {"repositoryName": "ok/name", "tags": [{"Key": "k" * 129, "Value": "v"}]},
     "InvalidTagParameterException", "128"),
    ("CreateRepository", {"repositoryName": "ok/name",
                          "tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
     "TooManyTagsException", "50"),
    ("CreateRepository", {"repositoryName": 5}, "SerializationException", "repositoryName"),
    ("DescribeImages", {"repositoryName": "ok/name", "filter": {"tagStatus": 5}}, "SerializationException",
     "Unexpected value type for 'filter.tagStatus': expected a string"),
    ("BatchGetImage", {"repositoryName": "ok/name", "imageIds": ["x"]}, "ValidationException",
     "Value at 'imageIds.1.member' failed to satisfy constraint: Member must be a structure"),
    ("CreateRepository", {"repositoryName": "ok/name", "encryptionConfiguration": {"encryptionType": "RSA"},
                          "imageTagMutability": "NEVER"}, "ValidationException",
     "2 validation errors detected: Value 'NEVER' at 'imageTagMutability' failed to satisfy constraint: "
     "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]; "
     "Value 'RSA' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint"),
    ("CreateRepository", {"repositoryName": "ok/name", "registryId": "12"}, "InvalidParameterException",
     "'registryId' failed to satisfy constraint"),
    ("CreateRepository", {"repositoryName": "ok/name", "registryId": "123456789012"},
     "AccessDeniedException", "is not authorized to perform: ecr:CreateRepository"),
    ("DescribeRepositories", {"maxResults": 1001}, "ValidationException",
     "Member must have value less than or equal to 1000"),
    ("DescribeRepositories", {"repositoryNames": []}, "ValidationException",
     "Member must have length greater than or equal to 1"),
    ("DeleteRepository", {"repositoryName": "not/there"}, "RepositoryNotFoundException",
     "The repository with name 'not/there' does not exist in the registry with id '000000000000'"),
    ("ListTagsForResource", {"resourceArn": "arn:aws:s3:::bucket"}, "InvalidParameterException", "Invalid ARN"),
    ("GetAccountSetting", {"name": "NOPE"}, "ValidationException", "NOPE"),
    ("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io"},
     "InvalidParameterException", "A credential ARN is required for the upstream registry docker-hub"),
    ("GetSigningConfiguration", {}, "UnknownOperationException", "GetSigningConfiguration"),
    ("StartImageScan", {"repositoryName": "not/there", "imageId": {"imageTag": "x"}},
     "RepositoryNotFoundException", "not/there"),
    ("NoSuchOperation", {}, "UnknownOperationException", "NoSuchOperation"),
])
def test_errors(berth, op, body, code, text):
    status, headers, out = call(berth, op, body)
    assert status == 400, out
    assert headers["x-amzn-errortype"] == code
    assert out["__type"] == code
    assert text in out["message"], out["message"]


def test_sigv4_refusals(berth):
    url = f"http://{berth.host}"
    body = {"repositoryName": "sig/v4"}
    # wrong secret
    status, h, out = send(*signed_request(url, "CreateRepository", body, berth.key, "wrong"))
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    assert out["message"].startswith("The request signature we calculated does not match")
    # unknown key
    status, h, out = send(*signed_request(url, "CreateRepository", body, "AKIANOTAREALKEY00000", "x"))
    assert (status, out["__type"]) == (403, "UnrecognizedClientException")
    # altered body after signing
    u, data, headers = signed_request(url, "CreateRepository", body, berth.key, berth.secret)
    status, h, out = send(u, data.replace(b"sig/v4", b"sig/v5"), headers)
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    # altered signed header (the operation)
    u, data, headers = signed_request(url, "DescribeRepositories", {}, berth.key, berth.secret)
    headers["X-Amz-Target"] = "AmazonEC2ContainerRegistry_V20150921.DeleteRepository"
    status, h, out = send(u, data, headers)
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    # no signature at all
    status, h, out = send(url + "/", b"{}", {"Content-Type": "application/x-amz-json-1.1",
                                             "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRegistry"})
    assert (status, out["__type"]) == (403, "MissingAuthenticationTokenException")
    # malformed Authorization
    status, h, out = send(url + "/", b"{}", {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/ecr/aws4_request"})
    assert (status, out["__type"]) == (400, "IncompleteSignatureException")
    # a date 20 minutes old, and a request replayed after the window
    stale = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    status, h, out = send(*signed_request(url, "DescribeRegistry", {}, berth.key, berth.secret, when=stale))
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    assert out["message"].startswith("Signature expired: ")
    future = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
    status, h, out = send(*signed_request(url, "DescribeRegistry", {}, berth.key, berth.secret, when=future))
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    assert out["message"].startswith("Signature not yet current: ")
    # a good request goes through (the same signer, the current time)
    status, h, out = send(*signed_request(url, "DescribeRegistry", {}, berth.key, berth.secret))
    assert status == 200, out


def test_no_secret_in_the_log(berth):
    with open(berth.log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert berth.secret not in log


def make_image(docker, env, image):
    import_image(docker, image, env)


def test_docker_login_with_get_login_password(berth, ecr, tmp_path):
    docker = require("docker")
    if subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the Docker Engine is required in CI")
        pytest.skip("no Docker Engine")
    aws = aws_cli()
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path))
    endpoint = f"http://{berth.host}"
    run(aws, "ecr", "create-repository", "--repository-name", "login/app",
        "--endpoint-url", endpoint, env=cli_env(berth))
    password = run(aws, "ecr", "get-login-password", "--endpoint-url", endpoint,
                   env=cli_env(berth)).stdout.strip()
    assert password.startswith("v1.")
    run(docker, "login", "--username", "AWS", "--password-stdin", berth.host, input=password, env=env)
    image = f"{berth.host}/login/app:v1"
    make_image(docker, env, image)
    try:
        run(docker, "push", image, env=env)

        def cli(*args):
            return json.loads(run(aws, "ecr", *args, "--repository-name", "login/app",
                                  "--endpoint-url", endpoint, env=cli_env(berth)).stdout)

        # the pushed image, with ECR's sizes: config and layers as its manifest lists them
        ids = cli("list-images")["imageIds"]
        assert [i["imageTag"] for i in ids] == ["v1"]
        digest = ids[0]["imageDigest"]
        detail = cli("describe-images")["imageDetails"][0]
        assert (detail["imageDigest"], detail["imageTags"]) == (digest, ["v1"])
        assert detail["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
        assert detail["artifactMediaType"] == "application/vnd.docker.container.image.v1+json"
        manifest = json.loads(cli("batch-get-image", "--image-ids", "imageTag=v1")["images"][0]["imageManifest"])
        assert detail["imageSizeInBytes"] == manifest["config"]["size"] + sum(l["size"] for l in manifest["layers"])
        out = cli("batch-delete-image", "--image-ids", "imageTag=v1")
        assert out["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}] and out["failures"] == []
        run(docker, "rmi", image, env=env)
        pulled = run(docker, "pull", image, env=env, check=False)
        assert pulled.returncode != 0
        assert "Requested image not found" in pulled.stderr, pulled.stderr
        make_image(docker, env, image)
        run(docker, "push", image, env=env)
        # deleting a repository with an image needs force
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecr.delete_repository(repositoryName="login/app")
        assert error_code(e) == "RepositoryNotEmptyException"
        assert "cannot be deleted because it still contains images" in str(e.value)
        out = json.loads(run(aws, "ecr", "delete-repository", "--repository-name", "login/app",
                             "--force", "--endpoint-url", endpoint, env=cli_env(berth)).stdout)
        assert out["repository"]["repositoryName"] == "login/app"
        run(docker, "rmi", image, env=env)
        pulled = run(docker, "pull", image, env=env, check=False)
        assert pulled.returncode != 0
        assert "does not exist in the registry" in pulled.stderr
    finally:
        subprocess.run([docker, "rmi", "-f", image], capture_output=True, env=env)


def test_registry_tokens(berth, ecr):
    import urllib.request
    import urllib.error
    data = ecr.get_authorization_token()["authorizationData"][0]
    token = data["authorizationToken"]
    assert "+" not in token and "/" not in token
    user, password = base64.b64decode(token).decode().split(":")
    assert user == "AWS"
    assert data["proxyEndpoint"] == "https://000000000000.dkr.ecr.us-east-1.amazonaws.com"
    lifetime = data["expiresAt"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=11, minutes=59) < lifetime <= datetime.timedelta(hours=12)

    def v2(auth):
        req = urllib.request.Request(f"http://{berth.host}/v2/_catalog",
                                     headers={"Authorization": "Basic " + auth})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    assert v2(token)[0] == 200
    # tampered: one character of the payload changed
    head, payload, mac = password.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    bad = base64.b64encode(f"AWS:{head}.{flipped}.{mac}".encode()).decode()
    status, body = v2(bad)
    assert status == 403
    assert body["errors"][0]["code"] == "DENIED"
    assert body["errors"][0]["message"] == "Your authorization token has expired. Reauthenticate and try again."
    # junk after AWS:
    status, body = v2(base64.b64encode(b"AWS:not-a-token").decode())
    assert status == 403


def test_immutable_tags_on_docker_push(berth, ecr, tmp_path):
    docker = require("docker")
    if subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the Docker Engine is required in CI")
        pytest.skip("no Docker Engine")
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path))
    ecr.create_repository(
        repositoryName="immutable/app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
    )
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":")[1]
    run(docker, "login", "--username", "AWS", "--password-stdin", berth.host, input=password, env=env)
    images = []
    try:
        for tag in ["v1", "latest"]:
            for attempt in range(2):
                image = f"{berth.host}/immutable/app:{tag}"
                make_image(docker, env, image)  # different content every time
                images.append(image)
                pushed = run(docker, "push", image, env=env, check=False)
                if tag == "v1" and attempt == 1:
                    assert pushed.returncode != 0
                    assert ("tag invalid: The image tag 'v1' already exists in the 'immutable/app' "
                            "repository and cannot be overwritten because the tag is immutable.") in pushed.stderr
                else:
                    assert pushed.returncode == 0, pushed.stderr
        # the same image pushed again to its immutable tag is fine
        make_image(docker, env, f"{berth.host}/immutable/app:v2")
        images.append(f"{berth.host}/immutable/app:v2")
        run(docker, "push", f"{berth.host}/immutable/app:v2", env=env)
        run(docker, "push", f"{berth.host}/immutable/app:v2", env=env)
    finally:
        for image in images:
            subprocess.run([docker, "rmi", "-f", image], capture_output=True, env=env)
        ecr.delete_repository(repositoryName="immutable/app", force=True)
