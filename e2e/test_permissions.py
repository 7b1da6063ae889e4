"""Permissions end to end: the IAM Query API with boto3 and the aws CLI; repository and registry
policies; docker as a read-only user, as a user limited to `team-a/*`, behind a SourceIp deny,
and as an assumed role; a second account pulling only after a repository policy grants it."""

import base64
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import import_image, require, run, start_berth
from test_admin import admin
from test_docker import docker  # noqa: F401  (the Docker Engine fixture)
from test_cli import request
from test_ecr import aws_cli, cli_env

ACCOUNT = "000000000000"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


def client(berth, service, key, secret, token=None):
    return boto3.client(service, endpoint_url=f"http://{berth.host}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)


def code(exc):
    return exc.value.response["Error"]["Code"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def new_user(iam, name, *, policy=None, attach=()):
    """An IAM user with a key, an inline policy and attached managed policies."""
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
    for arn in attach:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture(scope="module")
def root_iam(berth):
    return client(berth, "iam", berth.key, berth.secret)


def docker_env():
    return dict(os.environ, DOCKER_CONFIG=tempfile.mkdtemp(prefix="berth-docker-"))


def make_image(docker_path, image, env):
    """`docker import` a one-file image tagged `image`."""
    import_image(docker_path, image, env)


def cli_login(berth, docker_path, env, key, secret, token=None):
    """`aws ecr get-login-password | docker login -u AWS --password-stdin` with these
    credentials."""
    aws_env = cli_env(berth)
    aws_env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    if token:
        aws_env["AWS_SESSION_TOKEN"] = token
    password = run(aws_cli(), "ecr", "get-login-password", "--endpoint-url", f"http://{berth.host}",
                   env=aws_env).stdout.strip()
    run(docker_path, "login", "-u", "AWS", "--password-stdin", berth.host, input=password, env=env)
    return password


def push_as_root(berth, docker_path, images, repo, tag="v1"):
    env = docker_env()
    run(docker_path, "login", "-u", berth.key, "--password-stdin", berth.host, input=berth.secret, env=env)
    image = f"{berth.host}/{repo}:{tag}"
    make_image(docker_path, image, env)
    images.append(image)
    run(docker_path, "push", image, env=env)
    return image


def test_iam_api_with_boto3(berth, root_iam):
    iam = root_iam
    user = iam.create_user(UserName="iam-alice", Path="/people/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/people/iam-alice"
    assert user["UserId"].startswith("AIDA")
    assert iam.get_user(UserName="iam-alice")["User"]["Path"] == "/people/"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="iam-alice")
    assert code(e) == "EntityAlreadyExists"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_user(UserName="nobody")
    assert code(e) == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == "The user with name nobody cannot be found."
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/people/")["Users"]] == ["iam-alice"]

    # keys: create, list, deactivate, delete; a third key is over the quota
    k1 = iam.create_access_key(UserName="iam-alice")["AccessKey"]
    k2 = iam.create_access_key(UserName="iam-alice")["AccessKey"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_access_key(UserName="iam-alice")
    assert code(e) == "LimitExceeded"
    listed = iam.list_access_keys(UserName="iam-alice")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([k1["AccessKeyId"], k2["AccessKeyId"]])
    iam.update_access_key(UserName="iam-alice", AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", k2["AccessKeyId"], k2["SecretAccessKey"]).get_caller_identity()
    assert code(e) == "UnrecognizedClientException"
    iam.delete_access_key(UserName="iam-alice", AccessKeyId=k2["AccessKeyId"])

    # the new user may do nothing, IAM included, until a policy says so
    alice_iam = client(berth, "iam", k1["AccessKeyId"], k1["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        alice_iam.list_users()
    assert code(e) == "AccessDenied"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/people/iam-alice is not authorized to perform: "
        "iam:ListUsers on resource: *")
    # a policy letting users manage their own keys (the AWS documentation's example)
    own_keys = doc({"Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:GetUser"],
                    "Resource": "arn:aws:iam::*:user/people/${aws:username}"})
    iam.put_user_policy(UserName="iam-alice", PolicyName="own-keys", PolicyDocument=own_keys)
    got = iam.get_user_policy(UserName="iam-alice", PolicyName="own-keys")
    assert got["PolicyDocument"] == json.loads(own_keys)  # URL-encoded by IAM, decoded by botocore
    assert iam.list_user_policies(UserName="iam-alice")["PolicyNames"] == ["own-keys"]
    assert alice_iam.get_user()["User"]["UserName"] == "iam-alice"
    assert len(alice_iam.list_access_keys()["AccessKeyMetadata"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        alice_iam.list_access_keys(UserName="iam-bob")
    assert code(e) == "AccessDenied"

    # malformed documents, with IAM's messages
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_user_policy(UserName="iam-alice", PolicyName="bad",
                            PolicyDocument=doc({"Effect": "Allow", "Action": "PutImage", "Resource": "*"}))
    assert code(e) == "MalformedPolicyDocument"
    assert "must be prefaced by a vendor" in e.value.response["Error"]["Message"]

    # managed policies: a built-in one, a customer one with its version
    iam.attach_user_policy(UserName="iam-alice", PolicyArn=READ_ONLY)
    mine = iam.create_policy(PolicyName="describe-only", Description="describe",
                             PolicyDocument=doc({"Effect": "Allow", "Action": "ecr:Describe*", "Resource": "*"}))["Policy"]
    assert mine["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/describe-only"
    iam.attach_user_policy(UserName="iam-alice", PolicyArn=mine["Arn"])
    attached = iam.list_attached_user_policies(UserName="iam-alice")["AttachedPolicies"]
    assert {p["PolicyArn"] for p in attached} == {READ_ONLY, mine["Arn"]}
    assert iam.get_policy(PolicyArn=mine["Arn"])["Policy"]["AttachmentCount"] == 1
    version = iam.get_policy_version(PolicyArn=mine["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"]["Statement"][0]["Action"] == "ecr:Describe*"
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["describe-only"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy(PolicyArn=mine["Arn"])
    assert code(e) == "DeleteConflict"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.attach_user_policy(UserName="iam-alice", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert code(e) == "NoSuchEntity"

    # groups: a group's policy reaches its members
    iam.create_group(GroupName="deployers")
    iam.put_group_policy(GroupName="deployers", PolicyName="repos",
                         PolicyDocument=doc({"Effect": "Allow", "Action": "ecr:CreateRepository", "Resource": "*"}))
    ecr = client(berth, "ecr", k1["AccessKeyId"], k1["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository(repositoryName="iam/group-made")
    assert code(e) == "AccessDeniedException"
    iam.add_user_to_group(GroupName="deployers", UserName="iam-alice")
    assert [u["UserName"] for u in iam.get_group(GroupName="deployers")["Users"]] == ["iam-alice"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="iam-alice")["Groups"]] == ["deployers"]
    ecr.create_repository(repositoryName="iam/group-made")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_group(GroupName="deployers")
    assert code(e) == "DeleteConflict"
    iam.remove_user_from_group(GroupName="deployers", UserName="iam-alice")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository(repositoryName="iam/group-made-2")
    assert code(e) == "AccessDeniedException"
    assert iam.list_group_policies(GroupName="deployers")["PolicyNames"] == ["repos"]
    iam.delete_group_policy(GroupName="deployers", PolicyName="repos")
    iam.delete_group(GroupName="deployers")

    # paginated listings (botocore's paginator follows Marker)
    for i in range(3):
        iam.create_user(UserName=f"iam-page-{i}", Path="/paged/")
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 2}))
    assert [len(p["Users"]) for p in pages] == [2, 1]
    assert [u["UserName"] for p in pages for u in p["Users"]] == [f"iam-page-{i}" for i in range(3)]

    # a user with keys, policies or groups cannot be deleted
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="iam-alice")
    assert code(e) == "DeleteConflict"
    iam.detach_user_policy(UserName="iam-alice", PolicyArn=mine["Arn"])
    iam.detach_user_policy(UserName="iam-alice", PolicyArn=READ_ONLY)
    iam.delete_user_policy(UserName="iam-alice", PolicyName="own-keys")
    iam.delete_access_key(UserName="iam-alice", AccessKeyId=k1["AccessKeyId"])
    iam.delete_user(UserName="iam-alice")
    iam.delete_policy(PolicyArn=mine["Arn"])
    client(berth, "ecr", berth.key, berth.secret).delete_repository(repositoryName="iam/group-made")


def test_iam_with_the_aws_cli(berth, tmp_path):
    aws = aws_cli()
    env = cli_env(berth)
    ep = ["--endpoint-url", f"http://{berth.host}"]
    out = json.loads(run(aws, "iam", "create-user", "--user-name", "cli-user", *ep, env=env).stdout)
    assert out["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli-user"
    policy = tmp_path / "policy.json"
    policy.write_text(doc({"Effect": "Allow", "Action": "ecr:DescribeRepositories", "Resource": "*"}))
    run(aws, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "describe",
        "--policy-document", f"file://{policy}", *ep, env=env)
    got = json.loads(run(aws, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name",
                         "describe", *ep, env=env).stdout)
    assert got["PolicyDocument"]["Statement"][0]["Action"] == "ecr:DescribeRepositories"
    key = json.loads(run(aws, "iam", "create-access-key", "--user-name", "cli-user", *ep, env=env).stdout)["AccessKey"]
    user_env = dict(env, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    run(aws, "ecr", "describe-repositories", *ep, env=user_env)
    denied = run(aws, "ecr", "create-repository", "--repository-name", "cli/denied", *ep, env=user_env, check=False)
    assert denied.returncode != 0 and "AccessDeniedException" in denied.stderr
    missing = run(aws, "iam", "get-user", "--user-name", "cli-nobody", *ep, env=env, check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
    trust = tmp_path / "trust.json"
    trust.write_text(doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/cli-user"},
                          "Action": "sts:AssumeRole"}))
    role = json.loads(run(aws, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document",
                          f"file://{trust}", "--max-session-duration", "7200", *ep, env=env).stdout)["Role"]
    assert role["MaxSessionDuration"] == 7200
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    names = [r["RoleName"] for r in json.loads(run(aws, "iam", "list-roles", *ep, env=env).stdout)["Roles"]]
    assert "cli-role" in names
    run(aws, "iam", "delete-role", "--role-name", "cli-role", *ep, env=env)


def test_iam_and_sts_validate_as_the_query_protocol_does(berth):
    """What botocore would refuse itself, sent anyway: IAM and STS name the member and the
    constraint in a ValidationError (member names as the services write them), and pages follow
    the Marker."""
    config = botocore.config.Config(parameter_validation=False)
    iam, sts = (boto3.client(s, endpoint_url=f"http://{berth.host}", region_name="us-east-1",
                             aws_access_key_id=berth.key, aws_secret_access_key=berth.secret,
                             config=config) for s in ("iam", "sts"))
    cases = [
        (lambda: iam.list_users(MaxItems=0),
         "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        (lambda: iam.list_policies(Scope="Everything"),
         "Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"),
        (lambda: iam.create_user(),
         "Value null at 'userName' failed to satisfy constraint: Member must not be null"),
        (lambda: iam.update_access_key(AccessKeyId="AKIAEXAMPLE", Status="Off"),
         "Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"),
        (lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/x", RoleSessionName="a"),
         "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"),
    ]
    for call, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code(e) == "ValidationError"
        assert e.value.response["Error"]["Message"] == f"1 validation error detected: {message}"
    for name in ("page-a", "page-b", "page-c"):
        iam.create_user(UserName=name, Path="/query-paging/")
    seen, marker = [], None
    while True:
        page = iam.list_users(PathPrefix="/query-paging/", MaxItems=2, **({"Marker": marker} if marker else {}))
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == ["page-a", "page-b", "page-c"]
    for name in seen:
        iam.delete_user(UserName=name)


def test_repository_and_registry_policies(berth, root_iam):
    ecr = client(berth, "ecr", berth.key, berth.secret)
    ecr.create_repository(repositoryName="policies/app")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_repository_policy(repositoryName="policies/app")
    assert code(e) == "RepositoryPolicyNotFoundException"
    assert e.value.response["Error"]["Message"] == (
        "Repository policy does not exist for the repository with name 'policies/app' "
        f"in the registry with id '{ACCOUNT}'")
    grant = doc({"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
                 "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})
    out = ecr.set_repository_policy(repositoryName="policies/app", policyText=grant)
    assert (out["registryId"], out["repositoryName"], out["policyText"]) == (ACCOUNT, "policies/app", grant)
    assert ecr.get_repository_policy(repositoryName="policies/app")["policyText"] == grant

    invalid = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
    for bad in ["not json",
                doc({"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}),          # bare "*"
                doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "ecr:*",
                     "Resource": "*"}),                                                     # a Resource
                doc({"Effect": "Allow", "Action": "ecr:*"})]:                               # no Principal
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecr.set_repository_policy(repositoryName="policies/app", policyText=bad)
        assert (code(e), e.value.response["Error"]["Message"]) == ("InvalidParameterException", invalid)
    # a principal of this installation that does not exist
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.set_repository_policy(repositoryName="policies/app", policyText=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ghost"}, "Action": "ecr:*"}))
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.set_repository_policy(repositoryName="policies/none", policyText=grant)
    assert code(e) == "RepositoryNotFoundException"

    # lock-out protection: a policy denying the caller SetRepositoryPolicy needs force
    lock = doc({"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "ecr:SetRepositoryPolicy"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.set_repository_policy(repositoryName="policies/app", policyText=lock)
    assert code(e) == "InvalidParameterException" and "force" in e.value.response["Error"]["Message"]
    ecr.set_repository_policy(repositoryName="policies/app", policyText=lock, force=True)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.set_repository_policy(repositoryName="policies/app", policyText=grant, force=True)
    assert code(e) == "AccessDeniedException"
    assert e.value.response["Error"]["Message"].endswith("with an explicit deny")
    # the deny covers only SetRepositoryPolicy: deleting the policy is still allowed
    assert ecr.delete_repository_policy(repositoryName="policies/app")["policyText"] == lock
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.delete_repository_policy(repositoryName="policies/app")
    assert code(e) == "RepositoryPolicyNotFoundException"

    # the registry policy, and its V1 scope's limits
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_registry_policy()
    assert code(e) == "RegistryPolicyNotFoundException"
    registry = doc({"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                    "Action": ["ecr:BatchGetImage"], "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*"})
    assert ecr.put_registry_policy(policyText=registry)["registryId"] == ACCOUNT
    assert ecr.get_registry_policy()["policyText"] == registry
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_registry_policy(policyText=registry)
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'")
    replicate = doc({"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                     "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"], "Resource": "*"})
    ecr.put_registry_policy(policyText=replicate)
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
    assert ecr.delete_registry_policy()["policyText"] == replicate
    ecr.delete_repository(repositoryName="policies/app")


def test_read_only_user_pulls_but_cannot_push(berth, root_iam, docker):
    path, _, images = docker
    image = push_as_root(berth, path, images, "perm/readonly")
    key, secret = new_user(root_iam, "reader", attach=[READ_ONLY])
    env = docker_env()
    cli_login(berth, path, env, key, secret)
    run(path, "rmi", image, env=env)
    run(path, "pull", image, env=env)
    other = f"{berth.host}/perm/readonly:v2"
    run(path, "tag", image, other, env=env)
    images.append(other)
    pushed = run(path, "push", other, env=env, check=False)
    assert pushed.returncode != 0
    assert "denied" in (pushed.stdout + pushed.stderr).lower()
    # nothing changed: v2 does not exist
    tags = client(berth, "ecr", berth.key, berth.secret).list_images(repositoryName="perm/readonly")["imageIds"]
    assert [t.get("imageTag") for t in tags] == ["v1"]


def test_user_limited_to_team_a(berth, root_iam, docker):
    path, _, images = docker
    policy = doc({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                 {"Effect": "Allow", "Action": "ecr:*",
                  "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team-a/*"})
    key, secret = new_user(root_iam, "team-a-ci", policy=policy)
    env = docker_env()
    cli_login(berth, path, env, key, secret)
    ours = f"{berth.host}/team-a/service:v1"
    theirs = f"{berth.host}/team-b/service:v1"
    make_image(path, ours, env)
    run(path, "tag", ours, theirs, env=env)
    images.extend([ours, theirs])
    assert "digest: sha256:" in run(path, "push", ours, env=env).stdout
    pushed = run(path, "push", theirs, env=env, check=False)
    assert pushed.returncode != 0 and "denied" in (pushed.stdout + pushed.stderr).lower()
    ecr = client(berth, "ecr", berth.key, berth.secret)
    names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    assert "team-a/service" in names and "team-b/service" not in names
    # the same user through the ECR API
    user_ecr = client(berth, "ecr", key, secret)
    # as AWS: a listing without names is authorised on repository/*, which a policy scoped to
    # team-a/* does not cover; named, the user's repositories are described
    with pytest.raises(botocore.exceptions.ClientError) as e:
        user_ecr.describe_repositories()
    assert code(e) == "AccessDeniedException"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/team-a-ci is not authorized to perform: "
        f"ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*")
    named = user_ecr.describe_repositories(repositoryNames=["team-a/service"])["repositories"]
    assert [r["repositoryName"] for r in named] == ["team-a/service"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        user_ecr.create_repository(repositoryName="team-b/other")
    assert code(e) == "AccessDeniedException"


def test_source_ip_deny_blocks_the_same_user(berth, root_iam, docker):
    path, _, images = docker
    image = push_as_root(berth, path, images, "perm/sourceip")
    key, secret = new_user(root_iam, "roaming", attach=[READ_ONLY])
    env = docker_env()
    cli_login(berth, path, env, key, secret)
    run(path, "rmi", image, env=env)
    run(path, "pull", image, env=env)
    # deny everything from loopback, where the tests run: no allow can override it
    root_iam.put_user_policy(UserName="roaming", PolicyName="office-only", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "ecr:*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}))
    run(path, "rmi", image, env=env)
    pulled = run(path, "pull", image, env=env, check=False)
    assert pulled.returncode != 0 and "denied" in (pulled.stdout + pulled.stderr).lower()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "ecr", key, secret).describe_images(repositoryName="perm/sourceip")
    assert code(e) == "AccessDeniedException"
    assert e.value.response["Error"]["Message"].endswith("with an explicit deny")
    # a deny for another network leaves the user's access as it was
    root_iam.put_user_policy(UserName="roaming", PolicyName="office-only", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "ecr:*", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}))
    run(path, "pull", image, env=env)


def test_second_account_pulls_after_a_repository_policy(berth, root_iam, docker):
    path, _, images = docker
    image = push_as_root(berth, path, images, "perm/shared")
    other = admin(berth, "create-account", "--new-account-id", "222233334444")
    o_key, o_secret = other["AccessKey"]["AccessKeyId"], other["AccessKey"]["SecretAccessKey"]
    # a user of the second account whose own policies allow pulling from anywhere
    o_iam = client(berth, "iam", o_key, o_secret)
    key, secret = new_user(o_iam, "puller", attach=[READ_ONLY])
    ecr = client(berth, "ecr", key, secret)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    host = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"

    def v2(p):
        req = urllib.request.Request(f"http://{berth.host}/v2/perm/shared/{p}", headers={
            "Authorization": "Basic " + token, "Host": host,
            "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    status, body = v2("manifests/v1")
    assert status == 403 and json.loads(body)["errors"][0]["code"] == "DENIED"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.batch_get_image(registryId=ACCOUNT, repositoryName="perm/shared", imageIds=[{"imageTag": "v1"}])
    assert code(e) == "AccessDeniedException"

    owner = client(berth, "ecr", berth.key, berth.secret)
    owner.set_repository_policy(repositoryName="perm/shared", policyText=doc(
        {"Sid": "second-account-pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"},
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]}))
    # the whole image now pulls through /v2/ on the owner's registry host, every blob by digest
    status, body = v2("manifests/v1")
    assert status == 200
    manifest = json.loads(body)
    for d in [manifest["config"]["digest"]] + [l["digest"] for l in manifest["layers"]]:
        status, blob = v2(f"blobs/{d}")
        assert status == 200 and "sha256:" + hashlib.sha256(blob).hexdigest() == d
    got = ecr.batch_get_image(registryId=ACCOUNT, repositoryName="perm/shared", imageIds=[{"imageTag": "v1"}])
    assert len(got["images"]) == 1 and not got["failures"]
    # the grant is for pulling: pushing and deleting stay denied
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.batch_delete_image(registryId=ACCOUNT, repositoryName="perm/shared", imageIds=[{"imageTag": "v1"}])
    assert code(e) == "AccessDeniedException"
    # and both sides must allow: without the user's own ReadOnly the grant is not enough
    o_iam.detach_user_policy(UserName="puller", PolicyArn=READ_ONLY)
    status, _ = v2("manifests/v1")
    assert status == 403
    _ = image


def test_assumed_role_logs_docker_in_and_expires(berth, root_iam, docker, tmp_path):
    path, _, images = docker
    image = push_as_root(berth, path, images, "perm/role")
    key, secret = new_user(root_iam, "deploy-bot")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/deploy-bot"},
                 "Action": "sts:AssumeRole"})
    role = root_iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]
    root_iam.attach_role_policy(RoleName="deployer", PolicyArn=READ_ONLY)

    # someone the trust policy does not name cannot assume it
    stranger = new_user(root_iam, "stranger", attach=[READ_ONLY])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", *stranger).assume_role(RoleArn=role["Arn"], RoleSessionName="x1")
    assert code(e) == "AccessDenied"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/stranger is not authorized to perform: sts:AssumeRole "
        f"on resource: {role['Arn']}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", key, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="x2",
                                                      DurationSeconds=7200)
    assert code(e) == "ValidationError"  # over the role's MaxSessionDuration (1 h)

    aws = aws_cli()
    user_env = cli_env(berth)
    user_env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    out = json.loads(run(aws, "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name",
                         "release-7", "--duration-seconds", "900", "--endpoint-url", f"http://{berth.host}",
                         env=user_env).stdout)
    creds = out["Credentials"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/release-7"
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    me = client(berth, "sts", *session).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/release-7"
    assert me["UserId"] == f"{role['RoleId']}:release-7"
    # the registry token lasts no longer than the credentials it came from
    auth = client(berth, "ecr", *session).get_authorization_token()["authorizationData"][0]
    assert abs(auth["expiresAt"].timestamp() - time.time() - 900) < 60

    env = docker_env()
    cli_login(berth, path, env, *session)
    run(path, "rmi", image, env=env)
    run(path, "pull", image, env=env)
    pushed_tag = f"{berth.host}/perm/role:pushed"
    run(path, "tag", image, pushed_tag, env=env)
    images.append(pushed_tag)
    pushed = run(path, "push", pushed_tag, env=env, check=False)
    assert pushed.returncode != 0 and "denied" in (pushed.stdout + pushed.stderr).lower()
    # denials name the session
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "ecr", *session).create_repository(repositoryName="perm/role-made")
    assert f"assumed-role/deployer/release-7 is not authorized" in e.value.response["Error"]["Message"]

    # Expiry: a second server on the same data directory whose clock (libfaketime) is 16
    # minutes ahead sees both the credentials and the registry token expired. The aws CLI runs
    # under the same offset so that its signature is not simply stale.
    faketime = require("faketime")
    later = start_berth(data_dir=berth.data_dir, wrapper=[faketime, "-f", "+16m"])
    try:
        late_env = dict(user_env, AWS_ACCESS_KEY_ID=session[0], AWS_SECRET_ACCESS_KEY=session[1],
                        AWS_SESSION_TOKEN=session[2])
        expired = run(faketime, "-f", "+16m", aws, "ecr", "describe-repositories", "--endpoint-url",
                      f"http://{later.host}", env=late_env, check=False)
        assert expired.returncode != 0 and "ExpiredTokenException" in expired.stderr
        basic = base64.b64encode(f"AWS:{base64.b64decode(auth['authorizationToken']).decode().split(':', 1)[1]}".encode()).decode()
        req = urllib.request.Request(f"http://{later.host}/v2/perm/role/manifests/v1",
                                     headers={"Authorization": "Basic " + basic})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 403
        assert json.loads(e.value.read())["errors"][0]["message"] == (
            "Your authorization token has expired. Reauthenticate and try again.")
        later_env = docker_env()
        login = run(path, "login", "-u", "AWS", "--password-stdin", later.host,
                    input=base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)[1],
                    env=later_env, check=False)
        assert login.returncode != 0
    finally:
        later.stop()


def test_listings_are_authorised_on_the_registry_first(berth, root_iam):
    """A new user with no policy is refused a listing (AccessDeniedException on repository/*,
    as AWS), through the API and `_catalog`; a user allowed everything but denied one prefix
    sees the listing without it."""
    ecr = client(berth, "ecr", berth.key, berth.secret)
    for name in ("listing/open", "listing/secret"):
        ecr.create_repository(repositoryName=name)
    key, secret = new_user(root_iam, "no-policy")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "ecr", key, secret).describe_repositories()
    assert code(e) == "AccessDeniedException"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/no-policy is not authorized to perform: "
        f"ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*")
    status, body = request(berth.host, "/v2/_catalog", f"{key}:{secret}")
    assert status == 403
    assert json.loads(body)["errors"][0]["code"] == "DENIED"
    policy = doc({"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "ecr:*",
                  "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/listing/secret"})
    key, secret = new_user(root_iam, "all-but-secret", policy=policy)
    names = [r["repositoryName"] for r in client(berth, "ecr", key, secret).describe_repositories()["repositories"]]
    assert "listing/open" in names and "listing/secret" not in names
    status, body = request(berth.host, "/v2/_catalog", f"{key}:{secret}")
    assert status == 200
    listed = json.loads(body)["repositories"]
    assert "listing/open" in listed and "listing/secret" not in listed


def test_external_id_and_deleting_a_role_ends_its_sessions(berth, root_iam):
    """`sts:ExternalId` in a trust policy is checked; a deleted role's sessions, and the registry
    tokens they obtained, are refused from the next request."""
    key, secret = new_user(root_iam, "partner")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/partner"},
                 "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "shared-secret-42"}}})
    role = root_iam.create_role(RoleName="partner-role", AssumeRolePolicyDocument=trust)["Role"]
    root_iam.put_role_policy(RoleName="partner-role", PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["ecr:DescribeRepositories", "ecr:GetAuthorizationToken",
                                       "ecr:BatchGetImage"], "Resource": "*"}))
    sts = client(berth, "sts", key, secret)
    for kw in ({}, {"ExternalId": "wrong-id-00"}):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="px", **kw)
        assert code(e) == "AccessDenied"
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="px",
                            ExternalId="shared-secret-42")["Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    ecr = client(berth, "ecr", *session)
    ecr.describe_repositories()
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    login = base64.b64decode(token).decode()
    assert request(berth.host, "/v2/", login)[0] == 200

    root_iam.delete_role_policy(RoleName="partner-role", PolicyName="read")
    root_iam.delete_role(RoleName="partner-role")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", *session).get_caller_identity()
    assert code(e) in ("UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId"), code(e)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories()
    assert code(e) in ("UnrecognizedClientException", "ExpiredTokenException")
    assert request(berth.host, "/v2/", login)[0] in (401, 403)


@pytest.mark.local_disk
def test_secrets_on_disk_are_private(berth):
    for name in ("master.key", "root-credentials"):
        mode = os.stat(os.path.join(berth.data_dir, name)).st_mode & 0o777
        assert mode == 0o600, f"{name}: {oct(mode)}"
