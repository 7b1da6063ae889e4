"""Each service's typed operation list against botocore's current service model: every
operation of the model is known to Berth (served, or answering that it is not built yet, as
docs/operations.md says), and a name the model does not have is an unknown operation."""

import os
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi import call
from conftest import ROOT

MODELS = botocore.session.get_session()


def documented(section: str) -> dict:
    """The rows of one service's table in docs/operations.md: name -> served?"""
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        text = f.read()
    table = text.split(f"| {section} operation |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (served|not built yet) \|$", table, re.M)
    return {name: state == "served" for name, state in rows}


def check_json_service(berth, section, service, prefix, not_built_code, label):
    model = sorted(MODELS.get_service_model(service).operation_names)
    table = documented(section)
    assert sorted(table) == model
    for op in model:
        status, _, body = call(berth, op, {}, service=service, target_prefix=prefix)
        if table[op]:
            assert body.get("__type") != "UnknownOperationException", (op, body)
            assert "does not implement" not in body.get("message", ""), (op, body)
        else:
            assert (status, body["__type"]) == (400, not_built_code), (op, body)
            assert body["message"] == f"Berth does not implement the {label} operation {op} yet"
    status, _, body = call(berth, "NoSuchOperation", {}, service=service, target_prefix=prefix)
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_ecr_operations_follow_the_model(berth):
    check_json_service(berth, "ECR", "ecr", "AmazonEC2ContainerRegistry_V20150921.",
                       "UnknownOperationException", "ECR")
    status, _, body = call(berth, "NoSuchOperation", {})
    assert body["message"] == "Unknown operation 'NoSuchOperation'"


def test_ecr_public_operations_follow_the_model(berth):
    check_json_service(berth, "ECR Public", "ecr-public", "SpencerFrontendService.",
                       "UnsupportedCommandException", "ECR Public")


def test_secrets_manager_operations_follow_the_model(berth):
    check_json_service(berth, "Secrets Manager", "secretsmanager", "secretsmanager.",
                       "UnsupportedOperationException", "Secrets Manager")


def query(berth, service, action, version):
    """A signed Query request: (status, error code or None)."""
    data = f"Action={action}&Version={version}".encode()
    req = AWSRequest(method="POST", url=f"http://{berth.host}/", data=data,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(berth.key, berth.secret), service, "us-east-1").add_auth(req)
    r = urllib.request.Request(req.url, data=data, headers=dict(req.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, None, ""
    except urllib.error.HTTPError as e:
        root = ET.fromstring(e.read())
        code = root.find(".//{*}Code").text
        message = root.find(".//{*}Message").text
        return e.code, code, message


def check_query_service(berth, section, service, version, label):
    model = sorted(MODELS.get_service_model(service).operation_names)
    table = documented(section)
    assert sorted(table) == model
    for op in model:
        status, code, message = query(berth, service, op, version)
        if table[op]:
            assert code != "InvalidAction", (op, message)
        else:
            assert (status, code) == (400, "InvalidAction"), (op, code, message)
            assert message == f"Berth does not implement the {label} action {op} yet"
    status, code, message = query(berth, service, "NoSuchAction", version)
    assert (status, code) == (400, "InvalidAction")
    assert message == f"Could not find operation NoSuchAction for version {version}"


def test_iam_operations_follow_the_model(berth):
    check_query_service(berth, "IAM", "iam", "2010-05-08", "IAM")


def test_sts_operations_follow_the_model(berth):
    check_query_service(berth, "STS", "sts", "2011-06-15", "STS")
