"""Helpers for driving Berth's AWS API: raw SigV4-signed requests (botocore's signer) and a
validator of response bodies against botocore's service models (ECR's unless told)."""

import json
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET = "AmazonEC2ContainerRegistry_V20150921."
MODEL = botocore.session.get_session().get_service_model("ecr")


def signed_request(url, op, body, key, secret, region="us-east-1", service="ecr",
                   when=None, token=None, headers=None, target_prefix=TARGET):
    """A signed request (ECR's unless told) as (url, data bytes, headers dict), ready to send or
    to tamper with."""
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    req = AWSRequest(method="POST", url=url + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": target_prefix + op,
        **(headers or {}),
    })
    auth = SigV4Auth(Credentials(key, secret, token), service, region)
    if when is not None:
        # botocore takes the signing time from its clock: pin it for stale-date tests
        import botocore.auth as ba
        real = ba.get_current_datetime
        ba.get_current_datetime = lambda *a, **k: when
        try:
            auth.add_auth(req)
        finally:
            ba.get_current_datetime = real
    else:
        auth.add_auth(req)
    return req.url, data, dict(req.headers.items())


def send(url, data, headers):
    """POST and return (status, headers, parsed JSON body)."""
    r = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read() or b"{}")


def call(berth, op, body, **kw):
    return send(*signed_request(f"http://{berth.host}", op, body, berth.key, berth.secret, **kw))


def validate(shape, value, path="$"):
    """Check a JSON value against a botocore shape: member names, types, enums, lengths."""
    t = shape.type_name
    if t == "structure":
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for k, v in value.items():
            assert k in shape.members, f"{path}: unknown member {k!r} (shape {shape.name})"
            validate(shape.members[k], v, f"{path}.{k}")
        for req in shape.metadata.get("required", []):
            assert req in value, f"{path}: required member {req!r} missing"
    elif t == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for i, v in enumerate(value):
            validate(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        for k, v in value.items():
            validate(shape.value, v, f"{path}[{k!r}]")
    elif t == "string":
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        enum = shape.metadata.get("enum")
        if enum:
            assert value in enum, f"{path}: {value!r} not in {enum}"
        if "min" in shape.metadata:
            assert len(value) >= shape.metadata["min"], f"{path}: shorter than min"
        if "max" in shape.metadata:
            assert len(value) <= shape.metadata["max"], f"{path}: longer than max"
    elif t == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean"
    elif t in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer"
    elif t == "timestamp":
        # the Go SDK (Terraform, the credential helper) needs numbers, not strings
        assert isinstance(value, (int, float)) and not isinstance(value, bool), \
            f"{path}: timestamps must be epoch numbers, got {value!r}"
    elif t == "blob":
        assert isinstance(value, str), f"{path}: blobs are base64 strings"
    else:
        raise AssertionError(f"{path}: unhandled shape type {t}")


def validate_output(op, body, service="ecr"):
    model = MODEL if service == "ecr" else botocore.session.get_session().get_service_model(service)
    validate(model.operation_model(op).output_shape, body)
