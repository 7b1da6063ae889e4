"""Repository creation templates with the aws CLI and boto3: create, describe, update, delete,
ECR's errors; a CREATE_ON_PUSH template creates the repositories its prefix covers on a skopeo
push, with its settings (immutability, lifecycle policy, repository policy, tags), on a server
that otherwise refuses pushes to missing repositories, as ECR does."""

import json
import os
import shutil
import tempfile

import boto3
import botocore.exceptions
import pytest

from awsapi import validate_output
from conftest import aws_cli, require, run, start_berth
from ocilayout import Layout

LIFECYCLE = {
    "rules": [{
        "rulePriority": 1,
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3},
        "action": {"type": "expire"},
    }]
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "pull",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    }],
}


@pytest.fixture(scope="module")
def server():
    b = start_berth(["--create-on-push", "false"])
    yield b
    b.stop()
    shutil.rmtree(b.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ecr(server):
    return boto3.client("ecr", endpoint_url=f"http://{server.host}", region_name="us-east-1",
                        aws_access_key_id=server.key, aws_secret_access_key=server.secret)


def cli(server, *args):
    return aws_cli(server, "ecr", *args)


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_templates_are_created_described_updated_and_deleted(server, ecr):
    created = cli(server, "create-repository-creation-template", "--prefix", "auto",
                  "--applied-for", "CREATE_ON_PUSH", "REPLICATION",
                  "--image-tag-mutability", "IMMUTABLE",
                  "--lifecycle-policy", json.dumps(LIFECYCLE),
                  "--repository-policy", json.dumps(POLICY),
                  "--resource-tags", "Key=team,Value=platform",
                  "--description", "pushed by CI")
    validate_output("CreateRepositoryCreationTemplate", created)
    t = created["repositoryCreationTemplate"]
    assert created["registryId"] == "000000000000"
    assert t["prefix"] == "auto"
    assert t["appliedFor"] == ["CREATE_ON_PUSH", "REPLICATION"]
    assert t["imageTagMutability"] == "IMMUTABLE"
    assert t["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert t["resourceTags"] == [{"Key": "team", "Value": "platform"}]
    assert json.loads(t["lifecyclePolicy"]) == LIFECYCLE
    # a second one of the prefix, an unknown prefix, invalid settings: ECR's errors
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository_creation_template(prefix="auto", appliedFor=["REPLICATION"])
    assert code(e) == "TemplateAlreadyExistsException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.update_repository_creation_template(prefix="nothing", description="x")
    assert code(e) == "TemplateNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository_creation_template(prefix="bad", appliedFor=["REPLICATION"],
                                                lifecyclePolicy='{"rules": []}')
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository_creation_template(prefix="bad", appliedFor=["REPLICATION"],
                                                repositoryPolicy="{not a policy")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository_creation_template(prefix="Bad Prefix", appliedFor=["REPLICATION"])
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.create_repository_creation_template(prefix="x", appliedFor=["SOMETIMES"])
    assert code(e) == "ValidationException"
    # ROOT, and an update that changes only what it names
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["PULL_THROUGH_CACHE"])
    updated = cli(server, "update-repository-creation-template", "--prefix", "auto",
                  "--description", "by CI")
    validate_output("UpdateRepositoryCreationTemplate", updated)
    assert updated["repositoryCreationTemplate"]["description"] == "by CI"
    assert updated["repositoryCreationTemplate"]["imageTagMutability"] == "IMMUTABLE"
    described = cli(server, "describe-repository-creation-templates")
    validate_output("DescribeRepositoryCreationTemplates", described)
    assert [t["prefix"] for t in described["repositoryCreationTemplates"]] == ["ROOT", "auto"]
    only = ecr.describe_repository_creation_templates(prefixes=["auto"])
    assert [t["prefix"] for t in only["repositoryCreationTemplates"]] == ["auto"]
    paged = ecr.describe_repository_creation_templates(maxResults=1)
    assert len(paged["repositoryCreationTemplates"]) == 1 and "nextToken" in paged
    rest = ecr.describe_repository_creation_templates(maxResults=1, nextToken=paged["nextToken"])
    assert [t["prefix"] for t in rest["repositoryCreationTemplates"]] == ["auto"]
    deleted = ecr.delete_repository_creation_template(prefix="ROOT")
    assert deleted["repositoryCreationTemplate"]["prefix"] == "ROOT"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.delete_repository_creation_template(prefix="ROOT")
    assert code(e) == "TemplateNotFoundException"


def test_a_create_on_push_template_creates_repositories_with_its_settings(server, ecr):
    skopeo = require("skopeo")
    tmp = tempfile.mkdtemp()
    try:
        src = Layout(os.path.join(tmp, "src"))
        img = src.image({"hello": b"made by a template\n"})
        src.tag(img, "v1")
        copy = [skopeo, "copy", "--dest-tls-verify=false", "--dest-creds", server.creds,
                f"oci:{src.path}:v1"]
        # outside every template's prefix: refused, as the server does not create on push
        refused = run(*copy, f"docker://{server.host}/manual/app:v1", check=False)
        assert refused.returncode != 0
        assert "NAME_UNKNOWN" in refused.stderr or "name unknown" in refused.stderr.lower()
        # `auto` covers auto/team/app (a namespace), not autonomy
        run(*copy, f"docker://{server.host}/auto/team/app:v1")
        assert run(*copy, f"docker://{server.host}/autonomy:v1", check=False).returncode != 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    repo = ecr.describe_repositories(repositoryNames=["auto/team/app"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert tags == [{"Key": "team", "Value": "platform"}]
    lifecycle = ecr.get_lifecycle_policy(repositoryName="auto/team/app")
    assert json.loads(lifecycle["lifecyclePolicyText"]) == LIFECYCLE
    policy = ecr.get_repository_policy(repositoryName="auto/team/app")
    assert json.loads(policy["policyText"])["Statement"][0]["Sid"] == "pull"
    images = ecr.list_images(repositoryName="auto/team/app")["imageIds"]
    assert [i.get("imageTag") for i in images] == ["v1"]
