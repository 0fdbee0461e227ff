"""A local moto S3 server for the bucket benchmarks, with boto3's environment pointed at it."""

from __future__ import annotations

import os
from typing import Any

import boto3
from moto.server import ThreadedMotoServer


def start_moto() -> tuple[ThreadedMotoServer, str, Any]:
    """(server, endpoint URL, S3 client) of a moto server on loopback; stop it with `server.stop()`."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ENDPOINT_URL=endpoint,
    )
    return server, endpoint, boto3.client("s3", endpoint_url=endpoint)
