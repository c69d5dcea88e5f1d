"""A real S3-protocol server for the tests: moto's server mode on 127.0.0.1, at a port the
system picks, as dvc-s3's and dvc-data's own test suites start it."""

import hashlib
import logging
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from tests.commands import run

# Any key will do while moto checks none (see refusing_credentials).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint URL, and the credentials it accepts."""

    endpoint: str
    credentials: dict[str, str]

    def env(self, home: Path) -> dict[str, str]:
        """The environment that gives DVC the credentials, as CI passes its secrets, and
        nothing else of the machine's: no ~/.aws files (``home`` has none), and no question to
        the cloud's instance-metadata address when the credentials are missing."""
        return {
            **self.credentials,
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self):
        """A boto3 S3 client of this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        """A new, empty bucket of a name no other test uses."""
        name = f"team-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def _no_auth_actions(self, count: str) -> None:
        """moto checks every request's key once this many requests went unchecked ("inf":
        never). Its own API, /moto-api/reset-auth, sets it on the running server."""
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},  # a form's body would reach moto empty
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()

    @contextmanager
    def refusing_credentials(self) -> Iterator[None]:
        """Within: every key is checked against moto's IAM users, and with none created every
        key is refused, with a 403 as AWS refuses a key it does not know."""
        self._no_auth_actions("0")
        try:
            yield
        finally:
            self._no_auth_actions("inf")


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 at a free port, stopped on leaving."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line a request buries failures
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}", dict(CREDENTIALS))
    finally:
        server.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the system's next free one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_s3(repo, url, endpoint):
    """The committed default remote pointed at a bucket, in the untracked local config."""
    run(["dvc", "remote", "modify", "--local", "storage", "url", url], repo)
    run(["dvc", "remote", "modify", "--local", "storage", "endpointurl", endpoint], repo)


def on_s3(s3, url, content):
    """Whether the bucket holds ``content`` where DVC 3 keeps a file: files/md5/<md5>."""
    bucket, folder = url.removeprefix("s3://").split("/", 1)
    digest = hashlib.md5(content).hexdigest()
    key = f"{folder}/files/md5/{digest[:2]}/{digest[2:]}"
    return s3.client().list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 1
