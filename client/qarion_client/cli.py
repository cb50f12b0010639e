"""The `qarion` command."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from . import __version__, config
from .client import Client
from .errors import QarionError, UsageError

EXIT_CODES = """exit codes:
  0  success
  1  other error answered by the server
  2  usage error (bad arguments, or a request the server rejected as invalid)
  3  authentication or permission error (missing or wrong token, no access)
  4  not found (product, artifact, version, space)
  5  checksum mismatch
  6  network failure after retries
  130 interrupted (run the same upload or download again to resume)

configuration: `qarion login --url URL` stores the URL and a token (prompted, or QARION_TOKEN)
in the user config directory (~/.config/qarion/config.json, owner-only); the environment
variables QARION_URL and QARION_TOKEN override it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"qarion: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qarion", description="Command-line client for the Qarion Model Repository.",
                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"qarion {__version__}")
    parser.add_argument("--url", help="server URL (default: QARION_URL or the login config)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--retries", type=int, default=5, help="retries per request after network errors (default 5)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    login = sub.add_parser("login", help="store the server URL and an API token")
    login.add_argument("--url", dest="login_url", required=True, help="server URL, e.g. https://qarion.example.com")

    models = sub.add_parser("models", help="list or show model records")
    models_sub = models.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    listing = models_sub.add_parser("list", help="list model records of a space or an organization")
    scope = listing.add_mutually_exclusive_group(required=True)
    scope.add_argument("--space", help="space slug")
    scope.add_argument("--org", help="organization slug")
    listing.add_argument("--family", help="model family filter (comma-separated values)")
    listing.add_argument("--risk", help="risk classification filter (comma-separated values)")
    listing.add_argument("--search", help="text search")
    listing.add_argument("--json", action="store_true", help="print JSON")
    show = models_sub.add_parser("show", help="show one model record")
    show.add_argument("product_id")

    upload = sub.add_parser("upload", help="upload a file as an artifact (resumable, parallel)")
    upload.add_argument("product_id")
    upload.add_argument("file")
    upload.add_argument("--kind", required=True, help="artifact kind: weights, checkpoint, model_binary, ...")
    upload.add_argument("--version", dest="version_label", metavar="LABEL", help="attach to this version")
    upload.add_argument("--create-version", action="store_true", help="create the version when it does not exist")
    upload.add_argument("--make-current", action="store_true", help="make the artifact current")
    upload.add_argument("--parallel", type=int, default=4, help="chunks sent at once (default 4)")
    upload.add_argument("--content-type", default="application/octet-stream")
    upload.add_argument("--transfer", choices=["direct", "server"],
                        default=os.environ.get("QARION_TRANSFER") or "direct",
                        help="direct (default): send the bytes straight to the server's object store when it "
                             "offers that, else through the server; server: always through the server "
                             "(default from QARION_TRANSFER)")

    download = sub.add_parser("download", help="download an artifact (resumable, verified)")
    download.add_argument("product_id")
    download.add_argument("artifact_id")
    download.add_argument("-o", "--output", help="file or directory (default: current directory)")

    versions = sub.add_parser("versions", help="list or pull versions")
    versions_sub = versions.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    vlist = versions_sub.add_parser("list", help="list a product's versions")
    vlist.add_argument("product_id")
    vlist.add_argument("--json", action="store_true", help="print JSON")
    pull = versions_sub.add_parser("pull", help="download all files of a version")
    pull.add_argument("product_id")
    pull.add_argument("label")
    pull.add_argument("-o", "--output", required=True, help="directory")
    return parser


def _client(args) -> Client:
    url, token = config.resolve(args.url)
    progress = not args.quiet and sys.stderr.isatty()
    return Client(url, token, retries=args.retries, progress=progress)


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def run(args, parser) -> int:
    if args.command == "login":
        token = os.environ.get("QARION_TOKEN") or getpass.getpass("API token: ")
        if not token.strip():
            raise UsageError("No token given.")
        path = config.save(args.login_url.rstrip("/"), token.strip())
        print(f"Saved the server URL and token to {path}")
        return 0
    if args.command == "models" and args.action == "list":
        with _client(args) as client:
            records = client.models(space=args.space, org=args.org, model_family=args.family,
                                    risk_classification=args.risk, search=args.search)
        if args.json:
            print(json.dumps(records, indent=2))
        else:
            rows = [["ID", "NAME", "SPACE", "FAMILY", "CURRENT VERSION"]]
            for r in records:
                current = ((r.get("summary") or {}).get("current_version") or {})
                rows.append([r.get("id", ""), r.get("name", ""), r.get("space", ""), r.get("model_family") or "",
                             current.get("label", "") if isinstance(current, dict) else str(current)])
            print(_table(rows))
        return 0
    if args.command == "models" and args.action == "show":
        with _client(args) as client:
            print(json.dumps(client.model(args.product_id), indent=2))
        return 0
    if args.command == "upload":
        with _client(args) as client:
            artifact = client.upload(args.product_id, args.file, kind=args.kind, version=args.version_label,
                                     make_current=args.make_current, parallel=args.parallel,
                                     content_type=args.content_type, create_version=args.create_version,
                                     transfer=args.transfer)
        print(f"artifact {artifact['id']}")
        print(f"sha256 {artifact['sha256']}")
        if artifact.get("is_current"):
            print("current")
        return 0
    if args.command == "download":
        with _client(args) as client:
            path = client.download(args.product_id, args.artifact_id, args.output)
        print(path)
        return 0
    if args.command == "versions" and args.action == "list":
        with _client(args) as client:
            versions = client.versions(args.product_id)
        if args.json:
            print(json.dumps(versions, indent=2))
        else:
            rows = [["ID", "LABEL", "STATUS", "CURRENT"]]
            rows += [[v["id"], v["label"], v.get("status", ""), "*" if v.get("is_current") else ""] for v in versions]
            print(_table(rows))
        return 0
    if args.command == "versions" and args.action == "pull":
        with _client(args) as client:
            paths = client.pull_version(args.product_id, args.label, args.output)
        for path in paths:
            print(path)
        return 0
    parser.print_help(sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    try:
        return run(args, parser)
    except QarionError as exc:
        sys.stderr.write(f"qarion: error: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("qarion: interrupted; run the same command again to resume.\n")
        return 130
    except OSError as exc:
        sys.stderr.write(f"qarion: error: {exc.strerror or exc}: {exc.filename or ''}\n".replace(": \n", "\n"))
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
