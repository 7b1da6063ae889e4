"""Fixtures for the end-to-end suites: a real `berth serve` process on a free port.

With CI=true a missing client tool fails the suite; elsewhere it skips it.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "local_disk: reads the data directory's database file or blob files, so it applies to "
        "the embedded defaults only (the cluster run deselects it with -m 'not local_disk')")


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is required in CI but is not installed")
    pytest.skip(f"{tool} not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Berth:
    def __init__(self, data_dir: str, port: int, proc: subprocess.Popen, log_path: str):
        self.data_dir = data_dir
        # what `berth admin` on this server's data needs besides --data-dir (cluster mode)
        self.admin_args, self.admin_env = [], {}
        if data_dir in _cluster:
            database, key, _ = _cluster[data_dir]
            self.admin_args, self.admin_env = ["--database-url", database], {"BERTH_MASTER_KEY": key}
        self.log_path = log_path
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.proc = proc
        creds = {}
        with open(os.path.join(data_dir, "root-credentials")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.split("=", 1)
                    creds[k.strip()] = v.strip()
        self.key = creds["aws_access_key_id"]
        self.secret = creds["aws_secret_access_key"]

    @property
    def creds(self) -> str:
        return f"{self.key}:{self.secret}"

    def stop(self):
        """Terminate the server, and with it the wrapper it was started through: a wrapper
        that forks (faketime) is a session of its own, whose whole group is signalled."""
        if os.getpgid(self.proc.pid) == self.proc.pid:
            os.killpg(self.proc.pid, signal.SIGTERM)
        else:
            self.proc.terminate()
        self.proc.wait(timeout=30)


# BERTH_E2E_CLUSTER=1 runs every server of a suite in cluster mode: its metadata in a new
# PostgreSQL database (on BERTH_TEST_POSTGRES_URL's server) and its blobs under a new prefix of
# the S3 bucket (BERTH_TEST_S3_*), with a master key given in the environment. A second server on
# the same data directory gets the same database, prefix and key.
CLUSTER = os.environ.get("BERTH_E2E_CLUSTER") == "1"
_cluster = {}


def s3_settings() -> dict:
    env = {k: os.environ.get(f"BERTH_TEST_S3_{k}") for k in
           ("ENDPOINT", "BUCKET", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "REGION")}
    if not all(env.values()):
        if os.environ.get("CI") == "true":
            pytest.fail("BERTH_TEST_S3_* must be set in CI (scripts/test starts Garage)")
        pytest.skip("no S3-compatible server (scripts/garage start DIR)")
    return env


def postgres_database() -> str:
    """A new database on the test PostgreSQL server, as a URL."""
    base = os.environ.get("BERTH_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("BERTH_TEST_POSTGRES_URL must be set in CI (scripts/test starts PostgreSQL)")
        pytest.skip("no PostgreSQL server (scripts/postgres start DIR)")
    name = f"e2e_{uuid.uuid4().hex}"
    run(require("psql"), base, "-q", "-c", f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


def cluster_node(data_dir: str, s3: dict, database: str, key: str, prefix: str):
    """Arguments and environment of a cluster node."""
    args = ["--database-url", database, "--storage-url", f"s3://{s3['BUCKET']}/{prefix}",
            "--s3-endpoint", s3["ENDPOINT"]]
    env = {"BERTH_MASTER_KEY": key, "AWS_ACCESS_KEY_ID": s3["ACCESS_KEY_ID"],
           "AWS_SECRET_ACCESS_KEY": s3["SECRET_ACCESS_KEY"], "AWS_REGION": s3["REGION"]}
    return args, env


def start_berth(extra_args=(), extra_env=None, data_dir=None, wrapper=(), port=None) -> Berth:
    """Start `berth serve` on a free port (or `port`): on a new data directory unless given one
    (a second server on the same directory), run through `wrapper` if given (e.g. faketime)."""
    binary = os.environ.get("BERTH_BIN", os.path.join(ROOT, "target", "debug", "berth"))
    if not os.path.exists(binary):
        pytest.fail(f"{binary} is missing: build it first (cargo build --bin berth)")
    data_dir = data_dir or tempfile.mkdtemp(prefix="berth-e2e-")
    port = port or free_port()
    log_path = f"{data_dir}.{port}.log"
    out = open(f"{data_dir}.{port}.stdout", "wb")
    log = open(log_path, "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    if CLUSTER and "--database-url" not in extra_args:
        if data_dir not in _cluster:
            _cluster[data_dir] = (postgres_database(), os.urandom(32).hex(), f"e2e-{uuid.uuid4()}")
        database, key, prefix = _cluster[data_dir]
        args, node_env = cluster_node(data_dir, s3_settings(), database, key, prefix)
        extra_args = [*args, *extra_args]
        env.update(node_env)
    env.update(extra_env or {})
    proc = subprocess.Popen(
        # debug logging, so that the check that no secret is logged covers the most output
        [*wrapper, binary, "serve", "--addr", f"127.0.0.1:{port}", "--data-dir", data_dir,
         "--log-level", "debug", *extra_args],
        stdout=out,
        stderr=log,
        env=env,
        # a wrapper that forks leaves the server orphaned when only it is signalled
        start_new_session=bool(wrapper),
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"berth exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
        except urllib.error.HTTPError as e:
            if e.code == 401:
                return Berth(data_dir, port, proc, log_path)
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail("berth did not start within 20 s")


@pytest.fixture(scope="module")
def berth():
    b = start_berth()
    yield b
    b.proc.terminate()
    b.proc.wait(timeout=30)
    shutil.rmtree(b.data_dir, ignore_errors=True)


def import_image(docker: str, image: str, env: dict, files=None) -> str:
    """`docker import` an image of one unique file (`etc/motd`), plus `files` (path: bytes),
    tagged `image`; its image ID."""
    tmp = tempfile.mkdtemp()
    try:
        root = os.path.join(tmp, "rootfs")
        contents = {"etc/motd": f"berth e2e {uuid.uuid4()}\n".encode(), **(files or {})}
        for path, data in contents.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "wb") as f:
                f.write(data)
        tarball = os.path.join(tmp, "rootfs.tar")
        with tarfile.open(tarball, "w") as tar:
            tar.add(root, arcname=".")
        return run(docker, "import", tarball, image, env=env).stdout.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def aws_cli(server, service, *args, region="us-east-1"):
    """`aws <service> …` against a server with its root keys (no profile, no config file);
    the answer's JSON."""
    aws = os.path.join(ROOT, ".venv", "bin", "aws")
    aws = aws if os.path.exists(aws) else require("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=server.key, AWS_SECRET_ACCESS_KEY=server.secret,
               AWS_DEFAULT_REGION=region, AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    out = run(aws, "--endpoint-url", f"http://{server.host}", "--output", "json", service, *args,
              env=env).stdout
    return json.loads(out) if out.strip() else {}


def run(*cmd, check=True, input=None, env=None) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, env=env, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p
