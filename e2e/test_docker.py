"""The Docker Engine against Berth: login, push of an imported image, rmi, pull (same image ID),
and a multi-arch index pulled by platform."""

import json
import os
import subprocess

import pytest

from conftest import import_image, require, run
from ocilayout import Layout


@pytest.fixture(scope="module")
def docker(berth, tmp_path_factory):
    path = require("docker")
    info = subprocess.run([path, "info"], capture_output=True, text=True)
    if info.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Docker Engine is required in CI: {info.stderr}")
        pytest.skip("no Docker Engine")
    config = str(tmp_path_factory.mktemp("docker-config"))
    env = dict(os.environ, DOCKER_CONFIG=config)
    images = []
    yield path, env, images
    for image in images:
        subprocess.run([path, "rmi", "-f", image], capture_output=True, env=env)


def test_login_refuses_a_wrong_secret(berth, docker):
    path, env, _ = docker
    bad = run(path, "login", "-u", berth.key, "--password-stdin", berth.host,
              input="wrong-secret", env=env, check=False)
    assert bad.returncode != 0
    assert "unauthorized" in (bad.stderr + bad.stdout).lower()


def test_push_rmi_pull_keeps_the_image_id(berth, docker):
    path, env, images = docker
    run(path, "login", "-u", berth.key, "--password-stdin", berth.host, input=berth.secret, env=env)
    image = f"{berth.host}/e2e/docker/app:v1"
    images.append(image)
    image_id = import_image(path, image, env)
    push = run(path, "push", image, env=env)
    assert "digest: sha256:" in push.stdout
    run(path, "rmi", image, env=env)
    run(path, "pull", image, env=env)
    pulled_id = run(path, "image", "inspect", "--format", "{{.Id}}", image, env=env).stdout.strip()
    assert pulled_id == image_id
    # pushing again is a no-op for layers that exist
    again = run(path, "push", image, env=env)
    assert "Layer already exists" in again.stdout


def test_pull_by_platform_from_a_multi_arch_index(berth, docker, tmp_path):
    skopeo = require("skopeo")
    path, env, images = docker
    run(path, "login", "-u", berth.key, "--password-stdin", berth.host, input=berth.secret, env=env)
    tmp = str(tmp_path)
    src = Layout(os.path.join(tmp, "src"))
    amd = src.image({"arch": b"amd64\n"}, arch="amd64")
    arm = src.image({"arch": b"arm64\n"}, arch="arm64")
    src.tag(src.index([amd, arm]), "multi")
    image = f"{berth.host}/e2e/docker/multi:v1"
    run(skopeo, "copy", "--all", "--dest-tls-verify=false", "--dest-creds", berth.creds,
        f"oci:{src.path}:multi", f"docker://{image}")
    for arch, want in [("arm64", arm), ("amd64", amd)]:
        images.append(image)
        run(path, "pull", "--platform", f"linux/{arch}", image, env=env)
        info = json.loads(run(path, "image", "inspect", image, env=env).stdout)[0]
        assert info["Architecture"] == arch
        assert info["Id"] == src.config_of[want["digest"]], "the platform's own image"
        run(path, "rmi", image, env=env)


def test_no_secret_reaches_the_log(berth, docker):
    """Runs after the login and pushes above: the debug log holds neither the secret nor the
    Basic credentials docker sent."""
    import base64

    path, env, _ = docker
    run(path, "login", "-u", berth.key, "--password-stdin", berth.host, input=berth.secret, env=env)
    with open(berth.log_path) as f:
        log = f.read()
    assert "finished processing request" in log, "the log is being written"
    assert berth.secret not in log
    assert base64.b64encode(berth.creds.encode()).decode() not in log
