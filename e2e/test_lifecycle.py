"""Lifecycle policies with boto3 and the aws CLI: Put/Get/Delete, previews (with filters and
pages) that change nothing, runs by `berth admin lifecycle run` on the data directory and through
the server, age-based rules under a clock 30 days ahead (faketime), images in an index kept while
the index stays, and the record of every expiry."""

import json
import os

import botocore.exceptions
import pytest

from conftest import require, run
from test_admin import admin, berth_bin
from test_ecr import aws_cli, cli_env, ecr  # noqa: F401  (the `ecr` fixture)
from test_ecr_images import OCI_INDEX, OCI_MANIFEST, image


def rules(*rs):
    return json.dumps({"rules": list(rs)})


def rule(priority, action="expire", **selection):
    return {"rulePriority": priority, "description": f"rule {priority}",
            "selection": selection, "action": {"type": action}}


def tags_of(ecr, repo):
    """The repository's images as {digest: sorted tags}."""
    out = {}
    for page in ecr.get_paginator("describe_images").paginate(repositoryName=repo):
        for d in page["imageDetails"]:
            out[d["imageDigest"]] = sorted(d.get("imageTags", []))
    return out


def test_policy_operations_and_validation(berth, ecr):
    repo = "lifecycle/ops"
    ecr.create_repository(repositoryName=repo)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_lifecycle_policy(repositoryName=repo)
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyNotFoundException"
    assert e.value.response["Error"]["Message"] == (
        f"Lifecycle policy does not exist for the repository with name '{repo}' in the registry with id '000000000000'")
    text = rules(rule(1, tagStatus="untagged", countType="sinceImagePushed", countUnit="days", countNumber=14))
    out = ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    assert (out["registryId"], out["repositoryName"], out["lifecyclePolicyText"]) == ("000000000000", repo, text)
    got = ecr.get_lifecycle_policy(repositoryName=repo)
    assert got["lifecyclePolicyText"] == text and "lastEvaluatedAt" not in got

    bad = rules(rule(1, tagStatus="tagged", countType="imageCountMoreThan", countNumber=1))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=bad + " " * 10)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
        "validation failure: tagPrefixList or tagPatternList is required when tagStatus is 'tagged''")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.put_lifecycle_policy(repositoryName="lifecycle/none", lifecyclePolicyText=text)
    assert e.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.get_lifecycle_policy_preview(repositoryName=repo)
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyPreviewNotFoundException"

    deleted = ecr.delete_lifecycle_policy(repositoryName=repo)
    assert deleted["lifecyclePolicyText"] == text
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecr.delete_lifecycle_policy(repositoryName=repo)
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyNotFoundException"
    # the aws CLI, with the policy from a file
    aws = aws_cli()
    ep = ["--endpoint-url", f"http://{berth.host}"]
    path = f"{berth.data_dir}/lifecycle.json"
    with open(path, "w") as f:
        f.write(text)
    run(aws, "ecr", "put-lifecycle-policy", "--repository-name", repo, "--lifecycle-policy-text",
        f"file://{path}", *ep, env=cli_env(berth))
    out = json.loads(run(aws, "ecr", "get-lifecycle-policy", "--repository-name", repo, *ep,
                         env=cli_env(berth)).stdout)
    assert out["lifecyclePolicyText"] == text
    ecr.delete_repository(repositoryName=repo, force=True)


def test_preview_then_run_by_count_and_tags(berth, ecr):
    repo = "lifecycle/count"
    ecr.create_repository(repositoryName=repo)
    # pushed in this order, so push times increase
    digests = {}
    for name, tag in [("a", "prod-1"), ("b", "prod-2"), ("c", "prod-3"), ("u1", None), ("u2", None),
                      ("d", "dev-1"), ("e", "dev-2")]:
        digests[name] = image(ecr, repo, f"lifecycle {name}", tag=tag)[0]
    # also a tag the rules do not know, on the newest dev image
    ecr.put_image(repositoryName=repo, imageTag="keep-me",
                  imageManifest=ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "dev-2"}])["images"][0]["imageManifest"])
    text = rules(
        rule(1, tagStatus="tagged", tagPrefixList=["prod"], countType="imageCountMoreThan", countNumber=2),
        rule(2, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1),
        rule(3, tagStatus="any", countType="imageCountMoreThan", countNumber=4),
    )
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    before = tags_of(ecr, repo)
    started = ecr.start_lifecycle_policy_preview(repositoryName=repo)
    assert started["status"] == "COMPLETE" and started["lifecyclePolicyText"] == text
    preview = ecr.get_lifecycle_policy_preview(repositoryName=repo)
    assert preview["status"] == "COMPLETE"
    # rule 1 keeps prod-3 and prod-2 and expires prod-1; rule 2 keeps u2 and expires u1; rule 3
    # counts all seven (newest first e, d, u2, u1, c, b, a) and is over its four at c, b, a, which
    # rules 1 and 2 selected: a lower rule never touches what a higher one selected
    expected = {(digests["a"], 1), (digests["u1"], 2)}
    got = {(r["imageDigest"], r["appliedRulePriority"]) for r in preview["previewResults"]}
    assert got == expected
    assert preview["summary"]["expiringImageTotalCount"] == 2
    assert all(r["action"]["type"] == "EXPIRE" for r in preview["previewResults"])
    # filters and pages
    tagged = ecr.get_lifecycle_policy_preview(repositoryName=repo, filter={"tagStatus": "TAGGED"})
    assert [r["imageTags"] for r in tagged["previewResults"]] == [["prod-1"]]
    one = ecr.get_lifecycle_policy_preview(repositoryName=repo, maxResults=1)
    assert len(one["previewResults"]) == 1 and "nextToken" in one
    two = ecr.get_lifecycle_policy_preview(repositoryName=repo, maxResults=1, nextToken=one["nextToken"])
    assert {one["previewResults"][0]["imageDigest"], two["previewResults"][0]["imageDigest"]} == {d for d, _ in expected}
    # the preview changed nothing
    assert tags_of(ecr, repo) == before

    # a run on the data directory (the server keeps serving) does what the preview said
    out = admin(berth, "lifecycle", "run", repo)
    ran = out["Runs"][0]
    assert ran["RepositoryName"] == repo
    assert {(x["ImageDigest"], x["AppliedRulePriority"]) for x in ran["Expired"]} == expected
    after = tags_of(ecr, repo)
    assert set(before) - set(after) == {d for d, _ in expected}
    assert after[digests["e"]] == ["dev-2", "keep-me"]
    assert "lastEvaluatedAt" in ecr.get_lifecycle_policy(repositoryName=repo)
    # a second run finds nothing more
    assert admin(berth, "lifecycle", "run", repo)["Runs"][0]["Expired"] == []
    # every expiry is recorded: which image, its tags, the rule, who ran it
    events = admin(berth, "lifecycle", "events", repo)["Events"]
    assert {(e["ImageDigest"], e["AppliedRulePriority"]) for e in events} == expected
    assert all(e["Actor"] == "operator" for e in events)
    assert any(e["ImageTags"] == ["prod-1"] for e in events)
    # and logged by the server when it runs them itself
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=rules(
        rule(1, tagStatus="tagged", tagPatternList=["prod-*"], countType="imageCountMoreThan", countNumber=1)))
    out = admin(berth, "lifecycle", "run", repo, endpoint=True)
    assert [x["ImageTags"] for x in out["Runs"][0]["Expired"]] == [["prod-2"]]
    events = admin(berth, "lifecycle", "events", repo, endpoint=True)["Events"]
    assert events[0]["Actor"] == "arn:aws:iam::000000000000:root"
    with open(berth.log_path, encoding="utf-8", errors="replace") as f:
        assert "lifecycle policy expired an image" in f.read()
    ecr.delete_repository(repositoryName=repo, force=True)


def test_age_rules_and_indexes_under_a_later_clock(berth, ecr):
    faketime = require("faketime")
    repo = "lifecycle/age"
    ecr.create_repository(repositoryName=repo)
    old, m_old, _ = image(ecr, repo, "age old", tag="v1")
    untagged, _, _ = image(ecr, repo, "age untagged")
    amd, m_amd, _ = image(ecr, repo, "age amd64")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": amd, "size": len(m_amd),
         "platform": {"os": "linux", "architecture": "amd64"}}]}, separators=(",", ":"))
    ecr.put_image(repositoryName=repo, imageManifest=index, imageTag="multi")
    text = rules(
        rule(1, "retain", tagStatus="tagged", tagPatternList=["multi"], countType="imageCountMoreThan", countNumber=1),
        rule(2, tagStatus="untagged", countType="sinceImagePushed", countUnit="days", countNumber=14),
        rule(3, tagStatus="any", countType="sinceImagePulled", countUnit="days", countNumber=20),
    )
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    # today nothing is old enough
    assert admin(berth, "lifecycle", "run", repo)["Runs"][0]["Expired"] == []
    # 30 days later: the untagged image by rule 2, v1 by rule 3; the index is retained by rule 1
    # and its child, an untagged image, stays with it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
    env.update(berth.admin_env)
    p = run(faketime, "-f", "+30d", berth_bin(), "admin", "--data-dir", berth.data_dir,
            *berth.admin_args, "lifecycle", "run", repo, env=env)
    expired = {(x["ImageDigest"], x["AppliedRulePriority"]) for x in json.loads(p.stdout)["Runs"][0]["Expired"]}
    assert expired == {(untagged, 2), (old, 3)}
    left = tags_of(ecr, repo)
    assert amd in left and old not in left and untagged not in left
    assert left[[d for d, t in left.items() if t == ["multi"]][0]] == ["multi"]
    ecr.delete_repository(repositoryName=repo, force=True)
