"""Builds OCI image layouts on disk (single images and multi-arch indexes) for the e2e suites.

Layers are real gzipped tarballs and configs carry correct diff_ids, so Docker and skopeo accept
them exactly as they would an image from a build.
"""

import gzip
import hashlib
import io
import json
import os
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.refs = []
        # manifest digest -> config digest (Docker's image ID)
        self.config_of = {}

    def blob(self, data: bytes) -> dict:
        d = _sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", d.split(":")[1]), "wb") as f:
            f.write(data)
        return {"digest": d, "size": len(data)}

    def image(self, files: dict, arch: str = "amd64", os_name: str = "linux", layers: list = None) -> dict:
        """Store one image whose single layer holds `files` ({path: bytes}), or whose `layers`
        (lowest first) hold one such dict each; return its descriptor."""
        tars = []
        for layer_files in layers if layers is not None else [files]:
            raw = io.BytesIO()
            with tarfile.open(fileobj=raw, mode="w") as tar:
                for name, content in sorted(layer_files.items()):
                    info = tarfile.TarInfo(name)
                    info.size = len(content)
                    info.mtime = 0
                    # programs are executable, as a build leaves them
                    info.mode = 0o755 if "/bin/" in f"/{name}" else 0o644
                    tar.addfile(info, io.BytesIO(content))
            tars.append(raw.getvalue())
        return self.image_of_layers([(gzip.compress(t, mtime=0), _sha(t)) for t in tars], arch, os_name)

    def image_of_layers(self, layers: list, arch: str = "amd64", os_name: str = "linux") -> dict:
        """Store one image of prepared layers, each (gzipped tar, its diff_id: the digest of
        the tar itself); return its descriptor."""
        config = json.dumps(
            {
                "architecture": arch,
                "os": os_name,
                "config": {"Cmd": ["/hello"]},
                "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in layers]},
                "history": [{"created_by": "berth e2e"} for _ in layers],
            },
            sort_keys=True,
        ).encode()
        cfg = self.blob(config)
        lays = [self.blob(gz) for gz, _ in layers]
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **lay} for lay in lays],
            }
        ).encode()
        m = self.blob(manifest)
        self.config_of[m["digest"]] = cfg["digest"]
        return {"mediaType": OCI_MANIFEST, **m, "platform": {"architecture": arch, "os": os_name}}

    def index(self, manifests: list) -> dict:
        body = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        ).encode()
        return {"mediaType": OCI_INDEX, **self.blob(body)}

    def tag(self, descriptor: dict, name: str) -> None:
        d = {k: v for k, v in descriptor.items() if k != "platform"}
        d["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.refs.append(d)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.refs}, f)


def zero_file_layer(path: str, size: int) -> tuple:
    """A gzipped layer of one executable of `size` zero bytes (made as a stream: the file is
    never held whole), and its diff_id."""
    class Zeros(io.RawIOBase):
        def __init__(self, n):
            self.left = n

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), self.left)
            b[:n] = bytes(n)
            self.left -= n
            return n

    class Hashing(io.RawIOBase):
        """The tar stream: hashed (the diff_id), then compressed."""
        def __init__(self):
            self.sha = hashlib.sha256()
            self.out = io.BytesIO()
            self.gz = gzip.GzipFile(fileobj=self.out, mode="wb", compresslevel=1, mtime=0)

        def writable(self):
            return True

        def write(self, b):
            self.sha.update(b)
            self.gz.write(b)
            return len(b)

    sink = Hashing()
    with tarfile.open(fileobj=sink, mode="w|", bufsize=1 << 20) as tar:
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = size, 0o755, 0
        tar.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))
    sink.gz.close()
    return sink.out.getvalue(), "sha256:" + sink.sha.hexdigest()


def manifest_digest(layout_path: str, name: str) -> str:
    """Digest of the manifest tagged `name` in a layout."""
    with open(os.path.join(layout_path, "index.json")) as f:
        idx = json.load(f)
    for m in idx["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
            return m["digest"]
    raise KeyError(name)
