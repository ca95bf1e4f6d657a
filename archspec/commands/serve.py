from __future__ import annotations

import argparse
import socket
from pathlib import Path

from archspec.errors import fail

HELP = "edit specs in the browser: the diagram, the cost table and the errors as you type"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec_dir", nargs="?", metavar="SPEC_DIR",
                   help="the folder of spec files to edit (default: ./specs if it exists, else .)")
    p.add_argument("--port", type=port, default=8000, help="TCP port 0-65535 (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; the page can write files)")


def port(text: str) -> int:
    """--port's type: argparse reports a bad one as `argument --port: ...` with the usage, exit 2."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a TCP port: give 0-65535 (0 picks a free one)")
    return number


def default_folder() -> Path:
    return Path("specs") if Path("specs").is_dir() else Path(".")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose connections asyncio will set TCP_NODELAY on: it does so only
    for sockets that say IPPROTO_TCP, and `socket.create_server` says 0. Without it a response
    written in two parts waits for the browser's delayed ACK, 40 ms on every kept-alive request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


def run(args: argparse.Namespace) -> int:
    from archspec.serve import require_extra

    require_extra()
    import uvicorn

    from archspec.serve.app import create_app

    folder = Path(args.spec_dir) if args.spec_dir else default_folder()
    app = create_app(folder, args.host)
    try:
        sock = listen(args.host, args.port)
    except socket.gaierror:
        raise fail(f"cannot listen on {args.host}:{args.port}: no such address here",
                   hint="give an address of this machine with --host: 127.0.0.1 (the default), or 0.0.0.0 "
                        "for every interface") from None
    except OSError as e:
        raise fail(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}",
                   hint="another program may use that port: pick another with --port, or --port 0 for a free one"
                   ) from None
    bound = sock.getsockname()[1]
    print(f"archspec serve: editing the specs in {folder.resolve()}", flush=True)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # every interface: open it here
    print(f"open http://{shown}:{bound}/  (Ctrl-C stops)", flush=True)
    if args.host not in ("127.0.0.1", "localhost"):
        print("warning: the page reads and writes the spec files; anyone who can reach this address can too",
              flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0
