"""STS: GetCallerIdentity and GetSessionToken with boto3 and the aws CLI, and the temporary
credentials (X-Amz-Security-Token) accepted by ECR; tampered and mismatched ones refused (a
valid token may be used any number of times until it expires, as AWS's are)."""

import json

import boto3
import botocore.exceptions
import pytest

from conftest import run
from test_ecr import aws_cli, cli_env


def client(berth, service, key, secret, token=None):
    return boto3.client(service, endpoint_url=f"http://{berth.host}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)


def test_caller_identity_and_session_tokens(berth):
    sts = client(berth, "sts", berth.key, berth.secret)
    me = sts.get_caller_identity()
    assert (me["Account"], me["Arn"]) == ("000000000000", "arn:aws:iam::000000000000:root")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["Expiration"].tzinfo is not None

    key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ecr = client(berth, "ecr", key, secret, token)
    made = ecr.create_repository(repositoryName="session/app")["repository"]
    assert made["registryId"] == "000000000000"
    assert client(berth, "sts", key, secret, token).get_caller_identity()["Account"] == "000000000000"
    # session credentials cannot mint more
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", key, secret, token).get_session_token()
    assert e.value.response["Error"]["Code"] == "AccessDenied"

    # a tampered token, a token for another key ID, and no token at all are refused
    for k, t in [(key, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")),
                 ("ASIA" + "A" * 16, token), (key, None)]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client(berth, "ecr", k, secret, t).describe_repositories()
        assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    # the wrong secret with the right token fails the signature
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "ecr", key, "wrong", token).describe_repositories()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    # STS's own authentication errors come in its XML, which botocore parses
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(berth, "sts", berth.key, "wrong").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(DurationSeconds=200000)  # over the maximum (botocore checks only minimums)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    ecr.delete_repository(repositoryName="session/app")


def test_sts_with_the_aws_cli(berth):
    aws = aws_cli()
    out = json.loads(run(aws, "sts", "get-caller-identity", "--endpoint-url", f"http://{berth.host}",
                         env=cli_env(berth)).stdout)
    assert out["Account"] == "000000000000"
    creds = json.loads(run(aws, "sts", "get-session-token", "--endpoint-url", f"http://{berth.host}",
                           env=cli_env(berth)).stdout)["Credentials"]
    env = cli_env(berth)
    env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    out = json.loads(run(aws, "ecr", "describe-registry", "--endpoint-url", f"http://{berth.host}",
                         env=env).stdout)
    assert out["registryId"] == "000000000000"
