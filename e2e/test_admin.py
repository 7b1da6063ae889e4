"""`berth admin`: accounts, IAM users and access keys on the data directory and through the running
server; the keys then used by boto3 and docker; another account's token and keys refused on this
account's registry."""

import base64
import json
import os
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest

from awsapi import call
from conftest import ROOT, run


def berth_bin():
    return os.environ.get("BERTH_BIN", os.path.join(ROOT, "target", "debug", "berth"))


def admin(berth, *args, endpoint=False, creds=None, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    where = ["--endpoint", f"http://{berth.host}"] if endpoint else ["--data-dir", berth.data_dir, *berth.admin_args]
    if not endpoint:
        env.update(berth.admin_env)
    if endpoint:
        key, secret = creds or (berth.key, berth.secret)
        env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    p = run(berth_bin(), "admin", *where, *args, env=env, check=check)
    return json.loads(p.stdout) if p.returncode == 0 else p


def ecr_client(berth, key, secret):
    return boto3.client("ecr", endpoint_url=f"http://{berth.host}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


@pytest.mark.local_disk
def test_users_and_keys_on_the_data_directory(berth):
    user = admin(berth, "create-user", "--user-name", "alice")["User"]
    assert user["Arn"] == "arn:aws:iam::000000000000:user/alice"
    assert user["UserId"].startswith("AIDA")
    key = admin(berth, "create-access-key", "--user-name", "alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    # the running server accepts the new key at once (SigV4 reads the key from the database)
    ecr = ecr_client(berth, key["AccessKeyId"], key["SecretAccessKey"])
    # a new user may do nothing until a policy allows it
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository(repositoryName="alice/app")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert e.value.response["Error"]["Message"] == (
        "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: "
        "ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:000000000000:repository/alice/app")
    # an inline policy scoped by the user's own name (a policy variable), from a file; through
    # the server, which applies it at once (written on the data directory, a running server
    # sees it within its 5 s policy cache)
    doc = os.path.join(berth.data_dir, "alice-policy.json")
    with open(doc, "w") as f:
        json.dump({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ecr:*",
            "Resource": "arn:aws:ecr:*:000000000000:repository/${aws:username}/*"}]}, f)
    admin(berth, "put-user-policy", "--user-name", "alice", "--policy-name", "own",
          "--policy-document", "file://" + doc, endpoint=True)
    repo = ecr.create_repository(repositoryName="alice/app")["repository"]
    assert repo["registryId"] == "000000000000"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository(repositoryName="bob/app")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    # a listing needs ecr:DescribeRepositories on repository/* (as AWS); named, it is allowed
    ecr_client(berth, berth.key, berth.secret).create_repository(repositoryName="other/app")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    named = ecr.describe_repositories(repositoryNames=["alice/app"])["repositories"]
    assert [r["repositoryName"] for r in named] == ["alice/app"]
    ecr_client(berth, berth.key, berth.secret).delete_repository(repositoryName="other/app")
    # a malformed policy is refused with IAM's message
    p = admin(berth, "put-user-policy", "--user-name", "alice", "--policy-name", "bad",
              "--policy-document", '{"Statement":{"Effect":"Allow","Action":"PutImage","Resource":"*"}}',
              check=False)
    assert p.returncode != 0 and "MalformedPolicyDocument" in p.stderr
    assert "must be prefaced by a vendor" in p.stderr
    second = admin(berth, "create-access-key", "--user-name", "alice")["AccessKey"]
    # at most two keys per user, as IAM
    p = admin(berth, "create-access-key", "--user-name", "alice", check=False)
    assert p.returncode != 0 and "LimitExceeded" in p.stderr
    listed = admin(berth, "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)
    assert [u["UserName"] for u in admin(berth, "list-users")["Users"]] == ["alice"]
    # the secret is sealed in the database, never stored in clear
    with open(os.path.join(berth.data_dir, "berth.db"), "rb") as f:
        db = f.read()
    assert key["SecretAccessKey"].encode() not in db
    # an inactive key is refused
    admin(berth, "update-access-key", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.describe_repositories()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    p = admin(berth, "delete-user", "--user-name", "alice", check=False)
    assert p.returncode != 0 and "DeleteConflict" in p.stderr
    for k in (key, second):
        admin(berth, "delete-access-key", "--access-key-id", k["AccessKeyId"])
    # the inline policy still holds the user
    p = admin(berth, "delete-user", "--user-name", "alice", check=False)
    assert p.returncode != 0 and "DeleteConflict" in p.stderr
    admin(berth, "delete-user-policy", "--user-name", "alice", "--policy-name", "own")
    admin(berth, "delete-user", "--user-name", "alice")
    assert admin(berth, "list-users")["Users"] == []
    ecr_client(berth, berth.key, berth.secret).delete_repository(repositoryName="alice/app")


def test_accounts_through_the_server(berth):
    out = admin(berth, "create-account", "--new-account-id", "111122223333", endpoint=True)
    assert out["Account"]["AccountId"] == "111122223333"
    b_key, b_secret = out["AccessKey"]["AccessKeyId"], out["AccessKey"]["SecretAccessKey"]
    accounts = [a["AccountId"] for a in admin(berth, "list-accounts", endpoint=True)["Accounts"]]
    assert accounts == ["000000000000", "111122223333"]
    p = admin(berth, "create-account", "--new-account-id", "111122223333", endpoint=True, check=False)
    assert p.returncode != 0 and "EntityAlreadyExists" in p.stderr

    # account B's root manages its own users, but not the installation's accounts
    bob = admin(berth, "create-user", "--user-name", "bob", endpoint=True, creds=(b_key, b_secret))["User"]
    assert bob["Arn"] == "arn:aws:iam::111122223333:user/bob"
    p = admin(berth, "list-accounts", endpoint=True, creds=(b_key, b_secret), check=False)
    assert p.returncode != 0 and "AccessDenied" in p.stderr
    p = admin(berth, "list-users", "--account-id", "000000000000", endpoint=True,
              creds=(b_key, b_secret), check=False)
    assert p.returncode != 0 and "AccessDenied" in p.stderr
    bob_key = admin(berth, "create-access-key", "--user-name", "bob", endpoint=True,
                    creds=(b_key, b_secret))["AccessKey"]
    admin(berth, "attach-user-policy", "--user-name", "bob", "--policy-arn",
          "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess", endpoint=True,
          creds=(b_key, b_secret))
    p = admin(berth, "attach-user-policy", "--user-name", "bob", "--policy-arn",
              "arn:aws:iam::aws:policy/NoSuchPolicy", endpoint=True, creds=(b_key, b_secret),
              check=False)
    assert p.returncode != 0 and "NoSuchEntity" in p.stderr
    # an IAM user may not call the admin API
    p = admin(berth, "list-users", endpoint=True,
              creds=(bob_key["AccessKeyId"], bob_key["SecretAccessKey"]), check=False)
    assert p.returncode != 0 and "AccessDenied" in p.stderr

    # B's repositories are B's: same name as one of A's, separate
    a = ecr_client(berth, berth.key, berth.secret)
    b = ecr_client(berth, bob_key["AccessKeyId"], bob_key["SecretAccessKey"])
    a.create_repository(repositoryName="shared/name")
    made = b.create_repository(repositoryName="shared/name")["repository"]
    assert made["repositoryArn"] == "arn:aws:ecr:us-east-1:111122223333:repository/shared/name"
    assert made["repositoryUri"] == "111122223333.dkr.ecr.us-east-1.amazonaws.com/shared/name"
    assert [r["registryId"] for r in b.describe_repositories()["repositories"]] == ["111122223333"]
    # B cannot reach A's registry through the API
    with pytest.raises(botocore.exceptions.ClientError) as e:
        b.describe_repositories(registryId="000000000000")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "arn:aws:iam::111122223333:user/bob" in e.value.response["Error"]["Message"]

    # nor through /v2/ with B's registry token on A's virtual host; B's own host and a plain
    # host select B's registry
    token = b.get_authorization_token()["authorizationData"][0]["authorizationToken"]

    def get(path, host):
        req = urllib.request.Request(f"http://{berth.host}{path}",
                                     headers={"Authorization": "Basic " + token, "Host": host})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def catalog(host):
        return get("/v2/_catalog", host)

    # A's catalog through A's host is refused to B (authorised on A's repository/*), and A's
    # images are denied
    status, body = catalog("000000000000.dkr.ecr.us-east-1.amazonaws.com")
    assert status == 403 and body["errors"][0]["code"] == "DENIED"
    assert body["errors"][0]["message"] == (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "
        "ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:000000000000:repository/*")

    status, body = get("/v2/shared/name/manifests/latest", "000000000000.dkr.ecr.us-east-1.amazonaws.com")
    assert status == 403 and body["errors"][0]["code"] == "DENIED"
    assert body["errors"][0]["message"] == (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ecr:BatchGetImage "
        "on resource: arn:aws:ecr:us-east-1:000000000000:repository/shared/name")
    assert catalog("111122223333.dkr.ecr.us-east-1.amazonaws.com") == (200, {"repositories": ["shared/name"]})
    assert catalog(berth.host) == (200, {"repositories": ["shared/name"]})
    # and the installation's root sees its own repository under the same name
    basic = base64.b64encode(berth.creds.encode()).decode()
    req = urllib.request.Request(f"http://{berth.host}/v2/_catalog", headers={"Authorization": "Basic " + basic})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert "shared/name" in json.loads(r.read())["repositories"]
    a.delete_repository(repositoryName="shared/name")
    b.delete_repository(repositoryName="shared/name")


def test_admin_api_errors(berth):
    status, _, out = call(berth, "ListUsers", {}, service="berth", target_prefix="BerthAdmin_20261123.")
    assert status == 200 and "Users" in out
    status, _, out = call(berth, "NoSuchThing", {}, service="berth", target_prefix="BerthAdmin_20261123.")
    assert (status, out["__type"]) == (400, "UnknownOperationException")
    status, _, out = call(berth, "CreateUser", {"UserName": "bad name"}, service="berth",
                          target_prefix="BerthAdmin_20261123.")
    assert (status, out["__type"]) == (400, "ValidationError")
    status, _, out = call(berth, "DeleteAccessKey", {"AccessKeyId": "AKIANOSUCHKEY0000000"}, service="berth",
                          target_prefix="BerthAdmin_20261123.")
    assert (status, out["__type"]) == (400, "NoSuchEntity")
