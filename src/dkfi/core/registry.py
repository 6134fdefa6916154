"""The domain registry: each domain declares in one place what it brings; the shells read it.

A domain is a sub-package of :mod:`dkfi` with a ``domain.py`` module holding ``DOMAIN``, a :class:`Domain`
(or a package installed elsewhere that names such a module under the ``dkfi.domains`` entry-point group).
:func:`start` finds them, imports their tables, installs the session hooks (access filter, audit, and whatever
the registered parts install, e.g. sharing's outbox) and is called once, explicitly, by whoever starts the
node: the web app, the CLI, the migrations and :func:`dkfi.core.db.get_engine`. The web app, the CLI, the
navigation, the page banner, the Alembic metadata, the federation outbox and the exports read the registry, so
``core`` and ``sharing`` never import a domain, and adding a domain means writing its folder, nothing else
(docs/architecture.md, "Adding a domain").

Everything a domain names is resolved lazily (``"module:attribute"`` strings or callables), so the registry
itself is cheap to load: the CLI does not import FastAPI to print ``--help``.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dkfi.domains"
DOMAIN_MODULE = "domain"


class RegistryError(RuntimeError):
    """A domain could not be loaded or declares something inconsistent (the message names domain and part)."""


Ref = str | Callable[..., Any]  # "package.module:attribute", or the object itself


def resolve(ref: Ref) -> Any:
    """The object a ``"module:attribute"`` reference names (callables and objects are returned as they are)."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class NavEntry:
    """A link in the navigation bar: ``page`` is the name a page passes to mark it current."""

    label: str
    href: str
    page: str
    order: int = 100
    badge: str | None = None  # id of a badge element the page scripts fill (e.g. new alerts)


@dataclass(frozen=True)
class BannerSource:
    """A labelled table whose rows a page shows: the page banner is at least their highest classification.

    ``pages``: the page names this applies to (``None``: every page); ``where``: a reference to a function
    returning an extra SQL condition on the model (e.g. only open alerts), or ``None``."""

    model: Ref
    pages: tuple[str, ...] | None = None
    where: Ref | None = None


@dataclass(frozen=True)
class Federated:
    """A labelled record type that travels to partner nodes through the outbox (``sharing.outbox.register``)."""

    model: Ref
    key_attr: str
    keep_local: tuple[str, ...] = ()
    live_subject: str | None = None   # received records are published on this bus subject ...
    live_message: Ref | None = None   # ... as this function of the record makes them


@dataclass(frozen=True)
class ExportLayer:
    """A layer allies can export: ``geojson`` / ``cot`` are references to ``f(session, **options)``
    returning a labelled FeatureCollection dict / a :class:`dkfi.sharing.exports.CotExport`."""

    name: str
    geojson: Ref | None = None
    cot: Ref | None = None
    options: tuple[str, ...] = ()     # keyword options the functions accept (e.g. "statuses")
    description: str = ""


@dataclass(frozen=True)
class Stream:
    """A live stream route (server-sent events) that forwards bus messages of ``subject`` to the users who may
    see them; ``message`` makes the stream's message of a stored ``model`` record (the contract tests publish it)."""

    path: str
    subject: str
    model: Ref
    message: Ref


@dataclass(frozen=True)
class CliGroup:
    """A Typer sub-app (``dkfi NAME ...``) or, with ``command=True``, one top-level command."""

    name: str
    app: Ref
    command: bool = False


@dataclass
class Domain:
    """What one domain brings. Every field but ``name`` and ``title`` is optional."""

    name: str
    title: str
    description: str = ""
    requires: tuple[str, ...] = ()                 # domains whose public services this one uses
    models: tuple[str, ...] = ()                   # modules defining its tables
    routers: tuple[Ref, ...] = ()                  # FastAPI APIRouters (API routes)
    pages: tuple[Ref, ...] = ()                    # FastAPI APIRouters of HTML pages
    templates: Path | None = None                  # folder of its Jinja templates
    nav: tuple[NavEntry, ...] = ()
    banner: tuple[BannerSource, ...] = ()
    cli: tuple[CliGroup, ...] = ()
    federated: tuple[Federated, ...] = ()
    exports: tuple[ExportLayer, ...] = ()
    streams: tuple[Stream, ...] = ()
    live: tuple[Ref, ...] = ()                     # async f(ctx: LiveContext) run while the web app serves
    install: tuple[Ref, ...] = ()                  # f() run once at start (session hooks, registrations)
    checks: tuple[Ref, ...] = ()                   # f(options: dict) raising ValueError on a bad serve option
    demo: tuple[Ref, ...] = ()                     # f(settings, options: dict) adding to the demo's live options
    extensions: dict[str, tuple[Ref, ...]] = field(default_factory=dict)  # named extension points of other domains


@dataclass
class LiveContext:
    """What a live task gets: the node's engine, settings and bus, a stop event, and the serve options."""

    engine: Any
    settings: Any
    bus: Any
    stop: Any
    options: dict[str, Any]


_domains: dict[str, Domain] = {}
_lock = threading.RLock()
_started = False
_loaded = False
_listeners: list[Callable[[], None]] = []


def on_change(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever a domain is registered or removed after the node started (e.g. sharing
    re-reads the federated record types)."""
    if callback not in _listeners:
        _listeners.append(callback)


def _changed() -> None:
    for cb in list(_listeners):
        cb()


def register(domain: Domain, *, replace: bool = False) -> Domain:
    """Add a domain (discovery calls this; tests may register toy domains). Once the node has started, its
    tables are imported and its hooks installed at once."""
    with _lock:
        if domain.name in _domains and not replace and _domains[domain.name] is not domain:
            raise RegistryError(f"domain {domain.name!r} is registered twice")
        _domains[domain.name] = domain
        if _started:
            _import_models(domain)
            _install(domain)
            _changed()
    return domain


def _import_models(domain: Domain) -> None:
    for mod in domain.models:
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            raise RegistryError(f"domain {domain.name!r}: its models module {mod!r} failed to import: {exc}") from exc


def unregister(name: str) -> None:
    """Remove a domain (tests that registered a toy domain); its tables stay in the metadata."""
    with _lock:
        if _domains.pop(name, None) is not None and _started:
            _changed()


def _builtin_modules() -> list[str]:
    import dkfi

    return sorted(f"dkfi.{m.name}.{DOMAIN_MODULE}" for m in pkgutil.iter_modules(dkfi.__path__)
                  if m.ispkg and (Path(dkfi.__path__[0]) / m.name / f"{DOMAIN_MODULE}.py").exists())


def discover() -> list[str]:
    """Module names declaring domains: ``dkfi.<package>.domain`` for every sub-package that has one, then
    the ``dkfi.domains`` entry points of installed packages."""
    found = _builtin_modules()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value.split(":")[0] not in found:
            found.append(ep.value)
    return found


def _load(ref: str) -> Domain:
    try:
        obj = resolve(ref if ":" in ref else f"{ref}:DOMAIN")
    except Exception as exc:  # a broken domain stops the node with its name, never silently missing
        raise RegistryError(f"domain module {ref!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, Domain):
        raise RegistryError(f"{ref!r} does not hold a Domain (got {type(obj).__name__})")
    return obj


def _install(domain: Domain) -> None:
    for ref in domain.install:
        resolve(ref)()


def load() -> list[Domain]:
    """Discover and register every domain (cheap: declarations only, nothing of theirs is imported yet)."""
    global _loaded
    with _lock:
        if not _loaded:
            for ref in discover():
                d = _load(ref)
                if d.name not in _domains:
                    _domains[d.name] = d
            _loaded = True
        return _ordered()


def start() -> list[Domain]:
    """Load every domain, import their tables and install the session hooks: once per process, called
    explicitly by whoever starts the node (later calls return the list)."""
    global _started
    with _lock:
        if _started:
            return _ordered()
        from dkfi.core import access, audit, models  # noqa: F401  (core's own tables)

        load()
        for d in _domains.values():
            for need in d.requires:
                if need not in _domains:
                    raise RegistryError(f"domain {d.name!r} requires domain {need!r}, which is not installed")
        ordered = _ordered()
        for d in ordered:
            _import_models(d)
        access.install()
        audit.install()
        for d in ordered:
            _install(d)
        _started = True
        return _ordered()


def started() -> bool:
    return _started


def _ordered() -> list[Domain]:
    """Domains with the ones they require first (stable by name otherwise)."""
    out: list[Domain] = []
    seen: set[str] = set()

    def visit(d: Domain, path: tuple[str, ...]) -> None:
        if d.name in seen:
            return
        if d.name in path:
            raise RegistryError(f"domains require each other in a cycle: {' -> '.join(path + (d.name,))}")
        for need in d.requires:
            if need in _domains:
                visit(_domains[need], path + (d.name,))
        seen.add(d.name)
        out.append(d)

    for name in sorted(_domains):
        visit(_domains[name], ())
    return out


def domains() -> list[Domain]:
    """The registered domains (discovered on first use), those they require first."""
    with _lock:
        if not _loaded:
            load()
        return _ordered()


def get(name: str) -> Domain:
    try:
        return _domains[name]
    except KeyError:
        raise RegistryError(f"no domain {name!r}; registered: {', '.join(sorted(_domains)) or 'none'}") from None


# ---- what the shells read -----------------------------------------------------------------------------

def _all(attr: str) -> list[tuple[Domain, Any]]:
    return [(d, x) for d in domains() for x in getattr(d, attr)]


def routers() -> list[Any]:
    return [resolve(r) for _, r in _all("routers")]


def page_routers() -> list[Any]:
    return [resolve(r) for _, r in _all("pages")]


def template_dirs() -> list[Path]:
    return [d.templates for d in domains() if d.templates is not None]


def nav() -> list[NavEntry]:
    return sorted((n for _, n in _all("nav")), key=lambda n: (n.order, n.label))


def banner_sources(page: str) -> list[tuple[Any, Any]]:
    """(model, extra condition or None) of every labelled table shown on ``page``."""
    out = []
    for _, b in _all("banner"):
        if b.pages is None or page in b.pages:
            out.append((resolve(b.model), resolve(b.where)() if b.where is not None else None))
    return out


def cli_groups() -> list[CliGroup]:
    return [g for _, g in _all("cli")]


def federated() -> list[Federated]:
    return [f for _, f in _all("federated")]


def export_layers() -> dict[str, ExportLayer]:
    out: dict[str, ExportLayer] = {}
    for d, layer in _all("exports"):
        if layer.name in out:
            raise RegistryError(f"export layer {layer.name!r} is declared twice (domain {d.name!r})")
        out[layer.name] = layer
    return out


def streams() -> list[Stream]:
    return [x for _, x in _all("streams")]


def live_tasks() -> list[Callable[..., Any]]:
    return [resolve(r) for _, r in _all("live")]


def check_live_options(options: dict[str, Any]) -> None:
    """Every domain checks the serve options it reads (ValueError naming the option and the reason)."""
    for _, ref in _all("checks"):
        resolve(ref)(options)


def demo_hooks() -> list[Callable[..., Any]]:
    return [resolve(r) for _, r in _all("demo")]


def extensions(point: str) -> list[Any]:
    """What domains contribute to a named extension point (e.g. ``"maritime.feed_taps"``)."""
    return [resolve(r) for d in domains() for r in d.extensions.get(point, ())]


HOME_TILES = "web.home_tiles"  # f(session, principal) -> dkfi.web.home.Tile: a domain's tile on the home page


def home_tiles() -> list[tuple[str, Callable[..., Any]]]:
    """(domain name, tile function) of every domain that puts a tile on the home page (``web.home_tiles``)."""
    return [(d.name, resolve(r)) for d in domains() for r in d.extensions.get(HOME_TILES, ())]


def names(items: Iterable[Domain] | None = None) -> Sequence[str]:
    return [d.name for d in (items if items is not None else domains())]
