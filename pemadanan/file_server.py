"""The files a run writes that hold no personal data (semester reports, Data Docs), served over HTTP on 127.0.0.1.

Browsers refuse `file://` links from an `http://` page such as the Dagster UI, so the UI links here instead. The
coklit lists, the landing files and the warehouse sit beside these folders and are never served: only the folders
in `SHARED` are, and nothing reached through a symlink out of them.
"""

from __future__ import annotations

import html
import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pemadanan import settings

SHARED = ("reports", "data_docs")
DEFAULT_PORT = 3031


def base_url() -> str:
    """Where the links in the Dagster UI point: `$PEMADANAN_FILES_URL`, else this machine's file server."""
    return os.environ.get("PEMADANAN_FILES_URL", f"http://127.0.0.1:{DEFAULT_PORT}").rstrip("/")


def url_for(path: Path) -> str:
    """The link a browser follows to `path`, a file under one of the shared folders of the data folder."""
    relative = Path(path).resolve().relative_to(settings.data_dir().resolve())
    if relative.parts[0] not in SHARED:
        raise ValueError(f"{relative.parts[0]}/ is not served: it may hold personal data")
    return f"{base_url()}/{quote(relative.as_posix())}"


class _SharedFolders(SimpleHTTPRequestHandler):
    def send_head(self):
        parts = Path(unquote(urlsplit(self.path).path)).parts[1:]
        if not parts:
            return self._index()
        self._served = self._shared_file(parts)
        if self._served is None:
            self.send_error(404, "not a shared file")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return str(self._served)  # checked by send_head: what is served is what was checked

    def _shared_file(self, parts: tuple[str, ...]) -> Path | None:
        """The file a request names (a folder's index.html), symlinks resolved, if it lies inside its shared folder;
        a folder asked for without its final `/` (the server redirects). None for anything else."""
        if parts[0] not in SHARED:
            return None
        try:
            return self._inside_shared(parts)
        except (ValueError, OSError):  # a NUL in the path, a name too long: no such file
            return None

    def _inside_shared(self, parts: tuple[str, ...]) -> Path | None:
        root = Path(self.directory).resolve()
        shared = (root / parts[0]).resolve()
        target = (root / Path(*parts)).resolve()
        if target.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return target if target.is_relative_to(shared) else None
            target = (target / "index.html").resolve()  # a symlink named index.html is followed here, and checked
        return target if target.is_file() and target.is_relative_to(shared) else None

    def _index(self):
        """The reports and the Data Docs of every semester, newest first."""
        root = Path(self.directory)
        pages = sorted((p for folder in SHARED for p in (root / folder).rglob("*.html")
                        if folder == "reports" or p.name == "index.html" and p.parent.parent.parent == root / folder),
                       key=lambda p: str(p.relative_to(root)), reverse=True)
        items = "".join(f'<li><a href="/{quote(p.relative_to(root).as_posix())}">'
                        f"{html.escape(p.relative_to(root).as_posix())}</a></li>" for p in pages)
        body = (f"<!doctype html><meta charset=utf-8><title>pemadanan</title><h1>Laporan dan Data Docs / "
                f"Reports and Data Docs</h1><ul>{items or '<li>none yet</li>'}</ul>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def list_directory(self, path):
        self.send_error(404, "not a shared file")

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass  # request lines name report and Data Docs paths only, but a quiet server is what a user expects


def serve(port: int = DEFAULT_PORT, data_dir: Path | None = None) -> ThreadingHTTPServer:
    """Starts serving in a background thread; `shutdown()` on the returned server ends it."""
    handler = partial(_SharedFolders, directory=str(data_dir or settings.data_dir()))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="pemadanan-files", daemon=True).start()
    return server
