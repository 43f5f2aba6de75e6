"""``workbench calculator``: the power calculator as a local web page.

Starts Voila on 127.0.0.1 (a free port unless ``--port`` names one), prints the page's address and
serves until interrupted (Ctrl-C), which stops the server and exits with 0.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calculator`` verb to the command's subparsers."""
    p = sub.add_parser(
        "calculator",
        help="the power calculator for grant writers, as a local web page",
        description=(
            "Serve the power calculator (sample size, power curve, sensitivity, grant paragraph "
            "and downloads for time-to-event, rates and continuous end points) as a web page on "
            "127.0.0.1 with Voila, print its address and serve until Ctrl-C."
        ),
    )
    p.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds to wait for the page to answer (default 120)")
    p.add_argument("--json", action="store_true",
                   help="print the address as one JSON object ({\"url\", \"port\", \"pid\"})")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import signal
    import subprocess
    import sys
    import webbrowser

    from ..calculator.server import serve
    from ..exceptions import InvalidParameterError
    from ._common import print_json

    if args.port is not None and not 0 < args.port < 65536:
        raise InvalidParameterError(f"`--port` must be in 1 ... 65535; got {args.port}.")
    process, url = serve(args.port, timeout=args.timeout, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)

    def stop(signum, frame):  # a termination request stops the server as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if args.json:
            print_json({"url": url, "port": int(url.rsplit(":", 1)[1].strip("/")),
                        "pid": process.pid})
            sys.stdout.flush()
        else:
            print(f"The power calculator is at {url} (Ctrl-C stops it).", flush=True)
        if args.open:
            webbrowser.open(url)
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0
