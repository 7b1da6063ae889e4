"""Secrets Manager with the aws CLI and boto3: secrets created, read, given new values,
described, listed and deleted, as AWS answers (ARNs with six random characters, AWSCURRENT and
AWSPREVIOUS, recovery windows, its errors); values are sealed at rest and never logged; a user
needs the secretsmanager: permissions."""

import base64
import glob
import json
import os
import shutil
import sqlite3

import boto3
import botocore.exceptions
import pytest

from awsapi import validate_output
from conftest import aws_cli, start_berth

LOGIN = {"username": "puller", "accessToken": "dckr_pat_very-secret-token"}


@pytest.fixture(scope="module")
def server():
    b = start_berth()
    yield b
    b.stop()
    shutil.rmtree(b.data_dir, ignore_errors=True)


def client(server, service="secretsmanager", key=None, secret=None):
    return boto3.client(service, endpoint_url=f"http://{server.host}", region_name="us-east-1",
                        aws_access_key_id=key or server.key,
                        aws_secret_access_key=secret or server.secret)


def cli(server, *args):
    return aws_cli(server, "secretsmanager", *args)


def code(e):
    return e.value.response["Error"]["Code"]


def test_secrets_are_created_read_updated_described_listed_and_deleted(server):
    sm = client(server)
    created = cli(server, "create-secret", "--name", "ecr-pullthroughcache/hub",
                  "--description", "Docker Hub", "--secret-string", json.dumps(LOGIN),
                  "--tags", "Key=team,Value=platform")
    validate_output("CreateSecret", created, service="secretsmanager")
    arn = created["ARN"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-")
    assert len(arn.rsplit("-", 1)[1]) == 6
    first = created["VersionId"]
    # by name or ARN
    for sid in ("ecr-pullthroughcache/hub", arn):
        got = cli(server, "get-secret-value", "--secret-id", sid)
        validate_output("GetSecretValue", got, service="secretsmanager")
        assert json.loads(got["SecretString"]) == LOGIN
        assert got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == first
    # a new value: current and previous
    put = sm.put_secret_value(SecretId=arn, SecretString=json.dumps({**LOGIN, "accessToken": "new"}))
    second = put["VersionId"]
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["accessToken"] == "new"
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
    assert previous["VersionId"] == first and json.loads(previous["SecretString"]) == LOGIN
    assert sm.get_secret_value(SecretId=arn, VersionId=first)["VersionId"] == first
    # the same request again changes nothing; the same version with another value is refused
    token = "0" * 32
    sm.put_secret_value(SecretId=arn, SecretString="v3", ClientRequestToken=token)
    sm.put_secret_value(SecretId=arn, SecretString="v3", ClientRequestToken=token)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.put_secret_value(SecretId=arn, SecretString="other", ClientRequestToken=token)
    assert code(e) == "ResourceExistsException"
    described = cli(server, "describe-secret", "--secret-id", arn)
    validate_output("DescribeSecret", described, service="secretsmanager")
    assert described["Description"] == "Docker Hub"
    assert described["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"], second: ["AWSPREVIOUS"]}
    assert "LastAccessedDate" in described
    # binary values, listing, filters
    sm.create_secret(Name="blob", SecretBinary=b"\x00\x01binary")
    assert sm.get_secret_value(SecretId="blob")["SecretBinary"] == b"\x00\x01binary"
    listed = cli(server, "list-secrets")
    validate_output("ListSecrets", listed, service="secretsmanager")
    assert [s["Name"] for s in listed["SecretList"]] == ["blob", "ecr-pullthroughcache/hub"]
    only = sm.list_secrets(Filters=[{"Key": "name", "Values": ["ecr-pull"]}])["SecretList"]
    assert [s["Name"] for s in only] == ["ecr-pullthroughcache/hub"]
    paged = sm.list_secrets(MaxResults=1)
    rest = sm.list_secrets(MaxResults=1, NextToken=paged["NextToken"])
    assert [s["Name"] for s in paged["SecretList"] + rest["SecretList"]] == [
        "blob", "ecr-pullthroughcache/hub"]
    # deletion: scheduled (the name stays taken), or at once
    deleted = cli(server, "delete-secret", "--secret-id", "blob", "--recovery-window-in-days", "7")
    validate_output("DeleteSecret", deleted, service="secretsmanager")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.get_secret_value(SecretId="blob")
    assert code(e) == "InvalidRequestException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.create_secret(Name="blob", SecretString="x")
    assert code(e) == "ResourceExistsException"
    assert [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == [
        "blob", "ecr-pullthroughcache/hub"]
    sm.delete_secret(SecretId="blob", ForceDeleteWithoutRecovery=True)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.describe_secret(SecretId="blob")
    assert code(e) == "ResourceNotFoundException"


def test_errors_are_secrets_managers(server):
    sm = client(server)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.get_secret_value(SecretId="nothing-here")
    assert code(e) == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == "Secrets Manager can't find the specified secret."
    sm.create_secret(Name="twice", SecretString="x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.create_secret(Name="twice", SecretString="y")
    assert code(e) == "ResourceExistsException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.create_secret(Name="both", SecretString="x", SecretBinary=b"y")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.create_secret(Name="bad name!", SecretString="x")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.delete_secret(SecretId="twice", RecoveryWindowInDays=3)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.delete_secret(SecretId="twice", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(e) == "InvalidParameterException"
    empty = sm.create_secret(Name="no-value")
    assert "VersionId" not in empty
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.get_secret_value(SecretId="no-value")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.rotate_secret(SecretId="twice")
    assert code(e) == "UnsupportedOperationException"


def test_a_user_needs_secretsmanager_permissions(server):
    iam = client(server, "iam")
    iam.create_user(UserName="reader")
    keys = iam.create_access_key(UserName="reader")["AccessKey"]
    sm_user = client(server, key=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    arn = client(server).create_secret(Name="ecr-pullthroughcache/perm", SecretString="s")["ARN"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm_user.get_secret_value(SecretId=arn)
    assert code(e) == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": "arn:aws:secretsmanager:*:*:secret:ecr-pullthroughcache/*"}]}))
    assert sm_user.get_secret_value(SecretId=arn)["SecretString"] == "s"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm_user.create_secret(Name="mine", SecretString="x")
    assert code(e) == "AccessDeniedException"


@pytest.mark.local_disk
def test_values_are_sealed_at_rest_and_never_logged(server):
    sm = client(server)
    sm.create_secret(Name="ecr-pullthroughcache/sealed", SecretString="plain-text-canary-7731")
    db = sqlite3.connect(glob.glob(os.path.join(server.data_dir, "*.db"))[0])
    rows = db.execute("SELECT value_sealed FROM secret_versions").fetchall()
    assert rows and all(b"plain-text-canary-7731" not in bytes(r[0]) for r in rows)
    with open(server.log_path, "rb") as f:
        assert b"plain-text-canary-7731" not in f.read()
    assert base64.b64encode(b"plain-text-canary-7731") not in open(server.log_path, "rb").read()
