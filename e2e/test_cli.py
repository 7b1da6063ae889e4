"""`berth serve` configuration on the real binary: root credentials from the environment,
`BERTH_*` variables, the TOML file, and the create-on-push switch."""

import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.request

from conftest import ROOT, free_port, start_berth


def request(berth_host, path, creds, method="GET", data=None):
    req = urllib.request.Request(f"http://{berth_host}{path}", method=method, data=data)
    req.add_header("Authorization", "Basic " + base64.b64encode(creds.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def stop(b):
    b.proc.terminate()
    b.proc.wait(timeout=30)


def test_root_credentials_from_the_environment(tmp_path):
    env = {
        "BERTH_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "BERTH_ROOT_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    data_dir = str(tmp_path)
    port = free_port()
    # no root-credentials file is written for credentials the operator chose
    binary = os.environ.get("BERTH_BIN", os.path.join(ROOT, "target", "debug", "berth"))
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}, **env,
             "BERTH_ADDR": f"127.0.0.1:{port}"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        status = None
        for _ in range(200):
            assert proc.poll() is None, "berth exited"
            try:
                status, _ = request(
                    f"127.0.0.1:{port}", "/v2/",
                    "AKIAIOSFODNN7EXAMPLE:" + env["BERTH_ROOT_SECRET_ACCESS_KEY"],
                )
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        assert status == 200, "BERTH_ADDR and the root key from the environment work"
        assert not os.path.exists(os.path.join(data_dir, "root-credentials"))
        status, _ = request(f"127.0.0.1:{port}", "/v2/", "AKIAIOSFODNN7EXAMPLE:wrong")
        assert status == 401
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert env["BERTH_ROOT_SECRET_ACCESS_KEY"].encode() not in out + err


def test_toml_file_and_strict_create_on_push():
    cfg = tempfile.mktemp(suffix=".toml")
    with open(cfg, "w") as f:
        f.write('create_on_push = false\naccount_id = "123456789012"\nlog_format = "json"\n')
    b = start_berth(["--config", cfg])
    try:
        status, body = request(b.host, "/v2/team/app/blobs/uploads/", b.creds, method="POST", data=b"")
        assert status == 404
        err = json.loads(body)["errors"][0]
        assert err["code"] == "NAME_UNKNOWN"
        assert err["message"] == (
            "The repository with name 'team/app' does not exist in the registry with id '123456789012'"
        )
        with open(b.log_path) as f:
            first = f.readline()
        assert "level" in json.loads(first), "log_format from the file applies"
    finally:
        stop(b)
    # the flag beats the file
    b = start_berth(["--config", cfg, "--create-on-push=true"])
    try:
        status, _ = request(b.host, "/v2/team/app/blobs/uploads/", b.creds, method="POST", data=b"")
        assert status == 202
    finally:
        stop(b)


def berth_bin():
    return os.environ.get("BERTH_BIN", os.path.join(ROOT, "target", "debug", "berth"))


def test_global_options_after_the_subcommand_and_durations_with_units():
    """`berth admin lifecycle run --data-dir DIR REPO` parses as `aws` and `docker` would; the
    durations take 90, 90s, 15m, 24h (flags and the TOML file), and a bad one is refused."""
    cfg = tempfile.mktemp(suffix=".toml")
    with open(cfg, "w") as f:
        f.write('gc_grace = "24h"\nupload_ttl = 3600\n')
    b = start_berth(["--config", cfg, "--gc-interval", "15m", "--upload-idle-timeout", "90s",
                     "--lifecycle-interval", "0"])
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BERTH_"))}
        env.update(b.admin_env)
        admin_args = ["--data-dir", b.data_dir, *b.admin_args]
        import boto3
        ecr = boto3.client("ecr", endpoint_url=f"http://{b.host}", region_name="us-east-1",
                           aws_access_key_id=b.key, aws_secret_access_key=b.secret)
        ecr.create_repository(repositoryName="cli/app")
        ecr.put_lifecycle_policy(repositoryName="cli/app", lifecyclePolicyText=json.dumps({"rules": [{
            "rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                             "countUnit": "days", "countNumber": 1},
            "action": {"type": "expire"}}]}))
        for args in (["admin", "lifecycle", "run", *admin_args, "cli/app"],
                     ["admin", "lifecycle", "run", "cli/app", *admin_args],
                     ["admin", *admin_args, "lifecycle", "run", "cli/app"],
                     ["admin", "list-users", *admin_args]):
            p = subprocess.run([berth_bin(), *args], capture_output=True, text=True, env=env,
                               timeout=60)
            assert p.returncode == 0, (args, p.stderr)
        endpoint = ["--endpoint", f"http://{b.host}"]
        p = subprocess.run([berth_bin(), "admin", "gc", "--dry-run", "--grace", "15m", *endpoint],
                           capture_output=True, text=True, timeout=60,
                           env={**env, "AWS_ACCESS_KEY_ID": b.key, "AWS_SECRET_ACCESS_KEY": b.secret})
        assert p.returncode == 0, p.stderr
    finally:
        stop(b)
    p = subprocess.run([berth_bin(), "serve", "--gc-grace", "soon"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode != 0 and "invalid duration 'soon'" in p.stderr
