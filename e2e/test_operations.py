"""Each service's typed operation list against botocore's current service model: every
operation of the model is known to Berth (served, or answering that it is not built yet, as
docs/operations.md says), and a name the model does not have is an unknown operation."""

import os
import re

import botocore.session

from awsapi import call
from conftest import ROOT

MODELS = botocore.session.get_session()


def documented(section: str) -> dict:
    """The rows of one service's table in docs/operations.md: name -> served?"""
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        text = f.read()
    rows = re.findall(rf"^\| (\w+) \| (served|not built yet) \|$",
                      text.split(f"| {section} operation |", 1)[1].split("\n\n", 1)[0], re.M)
    return {name: state == "served" for name, state in rows}


def test_ecr_operations_follow_the_model(berth):
    model = sorted(MODELS.get_service_model("ecr").operation_names)
    table = documented("ECR")
    assert sorted(table) == model
    for op in model:
        status, _, body = call(berth, op, {})
        unknown = body.get("__type") == "UnknownOperationException"
        if table[op]:
            assert not unknown, (op, body)
        else:
            assert (status, body["__type"]) == (400, "UnknownOperationException"), (op, body)
            assert body["message"] == f"Berth does not implement the ECR operation {op} yet"
    status, _, body = call(berth, "NoSuchOperation", {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert body["message"] == "Unknown operation 'NoSuchOperation'"
