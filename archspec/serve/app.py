"""The web app: one page, and a small JSON API over the static pipeline and the spec folder.

    GET  /               the page (static/index.html; its scripts and styles under /static)
    GET  /api/specs      the spec files in the folder, with their variants
    GET  /api/file       one file's text and the hash a save must quote
    POST /api/analyse    the editor's text → problems, block summary, diff with the saved file
    POST /api/render     the editor's text → the diagram (SVG with hover data, or PNG)
    POST /api/save       write the text if the file is still the one loaded, else 409

Every file name goes through `SpecDir.file`, so no request reaches outside the folder.
Requests must carry the server's own host name (a web page elsewhere cannot reach it by
rebinding a DNS name to 127.0.0.1) and POSTs must be JSON (a cross-site form cannot send
that without the browser asking first, and the server never says yes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archspec.errors import ArchspecError, fail
from archspec.serve import files
from archspec.serve.analysis import SavedAnalyses, Source, analyse, diagram, error_json, report
from archspec.serve.paths import SpecDir
from archspec.spec.resolve import resolve
from archspec.spec.yamlload import load_file

STATIC = Path(__file__).parent / "static"
MAX_BODY = files.MAX_BYTES + (64 << 10)
LOOPBACK = ("127.0.0.1", "localhost")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Body):
    path: str
    text: str | None = None
    """The editor's text; None analyses the file as saved."""
    variant: str | None = None
    overrides: list[str] = []


class RenderRequest(Target):
    expand: list[str] = []
    format: Literal["svg", "png"] = "svg"


class SaveRequest(_Body):
    path: str
    text: str
    base: str | None
    """The hash of the file as the page loaded it; None to create a new file."""


class Refused(Exception):
    def __init__(self, status: int, error: ArchspecError) -> None:
        super().__init__(str(error))
        self.status, self.error = status, error


Handler = Callable[[Request], Awaitable[Response]]


def create_app(folder: str | Path, host: str = "127.0.0.1") -> Starlette:
    specs = SpecDir.open(folder)
    saved_analyses = SavedAnalyses(specs)

    def confined(name: str, must_exist: bool = True) -> Path:
        try:
            real = specs.file(name)
        except ArchspecError as e:
            raise Refused(403, e) from None
        if must_exist and not real.is_file():
            raise Refused(404, fail(f"spec file not found: {name}", hint="pick a file from the list"))
        return real

    def problems(e: ArchspecError, file: Path | None = None) -> dict[str, Any]:
        return error_json(e, specs, file or specs.root)

    def source(t: Target) -> Source:
        return Source(confined(t.path), t.text, t.variant or None, tuple(o for o in t.overrides if o.strip()))

    async def body(request: Request, model: type[_Body]) -> Any:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise Refused(415, fail("requests must be JSON", hint="send Content-Type: application/json"))
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise Refused(413, fail(f"the request is over {MAX_BODY >> 20} MiB", hint="a spec is a short text file"))
        try:
            return model.model_validate_json(raw)
        except ValidationError as e:
            where = ", ".join(".".join(map(str, err["loc"])) or "body" for err in e.errors())
            raise Refused(422, fail(f"malformed request ({where})", hint="this API is meant for the page it serves")) \
                from None

    def api(fn: Handler) -> Handler:
        """Turn refusals and user errors into JSON answers; a user error is never a 500."""
        async def wrapped(request: Request) -> Response:
            try:
                return await fn(request)
            except Refused as r:
                return JSONResponse({"error": problems(r.error)}, r.status)
            except ArchspecError as e:
                return JSONResponse({"error": problems(e)}, 400)
            except OSError as e:  # e.g. a folder named like a spec file: the user's files, not a bug
                return JSONResponse({"error": problems(fail(f"cannot use {e.filename or 'the file'}: {e.strerror}",
                                                            hint="check the file in the spec folder"))}, 400)
        return wrapped

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    def entry(name: str) -> dict[str, Any] | None:
        """A listed spec file: its name and variants, or the problem that hides them."""
        real = specs.file(name)
        try:
            rs = resolve(real)
        except ArchspecError as e:
            try:
                tree = load_file(real)
            except ArchspecError:
                tree = None  # broken YAML: maybe a spec in the middle of an edit, so listed
            if tree is not None and not (isinstance(tree, dict) and {"archspec", "extends"} & tree.keys()):
                return None  # a recipe or other YAML that is not a spec
            title = tree.get("name") if tree is not None else None
            return {"path": name, "name": title if isinstance(title, str) else None, "variants": [],
                    "problem": e.first.message}
        return {"path": name, "name": rs.spec.name, "variants": list(rs.spec.variants), "problem": None}

    @api
    async def list_specs(request: Request) -> Response:
        found = await run_in_threadpool(lambda: [e for e in map(entry, specs.spec_files()) if e is not None])
        return JSONResponse({"root": str(specs.root), "specs": found})

    @api
    async def read_file(request: Request) -> Response:
        name = request.query_params.get("path", "")
        loaded = files.read(confined(name))
        return JSONResponse({"path": name, "text": loaded.text, "sha256": loaded.sha256})

    @api
    async def analyse_text(request: Request) -> Response:
        src = source(await body(request, Target))

        def work() -> dict[str, Any]:
            saved = saved_analyses.get(src) if src.text is not None else None
            return report(analyse(src), saved, specs, src.file)
        return JSONResponse(await run_in_threadpool(work))

    @api
    async def render(request: Request) -> Response:
        req: RenderRequest = await body(request, RenderRequest)
        src = source(req)

        def work() -> Response:
            a = analyse(src)
            if a.ir is None:
                assert a.error is not None
                return JSONResponse({"error": problems(a.error, src.file)}, 400)
            image, boxes = diagram(a.ir, tuple(req.expand), specs, src.file, req.format)
            if req.format == "png":
                return Response(image, media_type="image/png")
            return JSONResponse({"svg": image.decode("utf-8"), "boxes": boxes,
                                 "error": problems(a.error, src.file) if a.error else None})
        return await run_in_threadpool(work)

    @api
    async def save(request: Request) -> Response:
        req: SaveRequest = await body(request, SaveRequest)
        real = confined(req.path, must_exist=False)
        try:
            saved = await run_in_threadpool(files.save, real, req.text, req.base)
        except files.Conflict as c:
            return JSONResponse({"conflict": {"disk": c.disk}, "error": problems(fail(
                f"{req.path} changed on disk since it was opened" if c.disk else f"{req.path} was deleted from disk",
                hint="reload it from disk, or overwrite it with the text in the editor"))}, 409)
        return JSONResponse({"path": req.path, "sha256": saved.sha256})

    hosts = ["*"] if host in ("0.0.0.0", "::", "") else [*LOOPBACK, host]
    return Starlette(routes=[
        Route("/", page),
        Route("/api/specs", list_specs),
        Route("/api/file", read_file),
        Route("/api/analyse", analyse_text, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ], middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])

