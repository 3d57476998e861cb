"""Drives Hearth's tus upload endpoint with the official tus Python client (tuspy), for the Rust tests.

    tus_client.py upload --endpoint URL --token TOKEN --file PATH --chunk-size BYTES
                         [--url UPLOAD_URL] [--metadata key=value ...] [--stop-at BYTES]

Creates an upload (POST, with the metadata; `filename` defaults to the file's name), or with --url
resumes one (tuspy asks the server for its offset with HEAD), then sends PATCH requests of
--chunk-size bytes. Prints one line per event on stdout, each flushed at once so a test can act
mid-upload:
    URL <upload url>    as soon as it is known, before any data is sent
    OFFSET <n>          the server's Upload-Offset after each chunk
    DONE <n>            the whole file is on the server
With --stop-at it stops once the offset reaches that many bytes (exit 0, no DONE), to be resumed.
When the server answers with an error it prints `ERROR <status> <body>` (status 0 when no HTTP
answer came at all) and exits 3.
"""

import argparse
import os
import sys

from tusclient import client
from tusclient.exceptions import TusCommunicationError


def say(*words):
    print(*words, flush=True)


def upload(args):
    metadata = {"filename": os.path.basename(args.file)}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"--metadata wants key=value, got {item!r}")
        metadata[key] = value

    tus = client.TusClient(args.endpoint, headers={"Authorization": f"Bearer {args.token}"})
    # With url=, the constructor already sends the HEAD that fetches the offset to resume from.
    uploader = tus.uploader(file_path=args.file, url=args.url, chunk_size=args.chunk_size,
                            metadata=metadata)
    if not uploader.url:
        uploader.set_url(uploader.create_url())  # the POST that creates the upload
        uploader.offset = 0
    say("URL", uploader.url)

    size = uploader.get_file_size()
    # upload_chunk() never sends past stop_at, so a stopped upload ends exactly at --stop-at.
    uploader.stop_at = min(size, args.stop_at) if args.stop_at is not None else size
    while uploader.offset < uploader.stop_at:
        uploader.upload_chunk()
        say("OFFSET", uploader.offset)
    if uploader.offset >= size:
        say("DONE", uploader.offset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upload", help="create or resume an upload")
    up.add_argument("--endpoint", required=True, help="the tus creation URL")
    up.add_argument("--token", required=True, help="sent as Authorization: Bearer TOKEN")
    up.add_argument("--file", required=True)
    up.add_argument("--chunk-size", type=int, required=True, help="bytes per PATCH")
    up.add_argument("--url", help="resume this upload instead of creating one")
    up.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    up.add_argument("--stop-at", type=int, metavar="BYTES", help="stop (exit 0) at this offset")
    args = parser.parse_args()
    try:
        upload(args)
    except TusCommunicationError as error:  # also TusUploadFailed, raised for a failed PATCH
        body = error.response_content or str(error).encode()
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        say("ERROR", error.status_code or 0, " ".join(body.split()))
        sys.exit(3)


if __name__ == "__main__":
    main()
