"""Tool-definition pinning: a tool whose definition changed is refused until re-approved.

An MCP server can change a tool's description after the user trusted it (a
"rug pull") and slip instructions to the model. conduit fingerprints each
tool's definition (name, title, description, input schema, annotations) on
first sight -- trust on first use, after a scan for hidden instructions --
and withholds the tool from the model when the fingerprint later differs.
``conduit mcp approve SERVER [TOOL]`` re-pins after review.

Pins live in the ledger database (one table, created on first use) so every
process sharing the ledger shares the approvals.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from conduit.mcp.adapter import ToolSpec

_TABLE = """
CREATE TABLE IF NOT EXISTS mcp_tool_pins (
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    definition TEXT NOT NULL,
    approved_at DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (server, tool)
)
"""


def fingerprint(spec: ToolSpec) -> str:
    """A stable hash of what the model reads about a tool.

    The guard's ``tool_fingerprint`` (SHA-256 of canonical name, description,
    input schema and annotations), so pins and scans agree on what a
    definition is.
    """
    from conduit.guard.tooldefs import tool_fingerprint

    return "sha256:" + tool_fingerprint(spec.raw)


def _canonical(spec: ToolSpec) -> str:
    definition = {
        "name": spec.raw.get("name", spec.name),
        "title": spec.raw.get("title"),
        "description": spec.raw.get("description"),
        "inputSchema": spec.raw.get("inputSchema", spec.input_schema),
        "annotations": spec.raw.get("annotations"),
    }
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


BLOCKING_SEVERITIES = frozenset({"high", "critical"})


def scan_definition(spec: ToolSpec, others: list[ToolSpec] | None = None) -> list[str]:
    """The guard's findings for one definition, as ``severity: message`` lines ([] when clean).

    ``others`` are the tools shown to the same model, so shadowing (a
    description that talks about another tool) is caught too.
    """
    from conduit.guard.tooldefs import scan_tool

    other_tools = [{"server": o.server, "tool": _as_seen(o)} for o in others or [] if o is not spec]
    return [f"{f.severity}: {f.message}" for f in scan_tool(spec.server, _as_seen(spec), other_tools)]


def _as_seen(spec: ToolSpec) -> dict[str, Any]:
    """The definition as the model receives it (cleaned schema: no ``$schema`` URL to trip the URL check)."""
    from conduit.mcp.adapter import clean_schema

    return {**spec.raw, "inputSchema": clean_schema(spec.input_schema)}


def blocking(findings: list[str]) -> list[str]:
    """The findings severe enough to withhold a new tool until a person approves it."""
    return [f for f in findings if f.split(":", 1)[0] in BLOCKING_SEVERITIES]


@dataclass(frozen=True, slots=True)
class Pin:
    server: str
    tool: str
    fingerprint: str
    approved_at: float
    source: str  # "auto" (first use, scan clean) or "user" (conduit mcp approve)
    definition: str


class PinStore:
    """Approved tool fingerprints, in a SQLite database (the ledger's by default)."""

    def __init__(self, connect: Any) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def default(cls) -> PinStore:
        from conduit.ledger import open_ledger

        return cls(open_ledger().connect)

    @classmethod
    def at(cls, path: str) -> PinStore:
        """A store in its own SQLite file (tests, or to keep approvals apart from the ledger)."""

        def _open() -> sqlite3.Connection:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            return conn

        return cls(_open)

    def _conn(self) -> sqlite3.Connection:
        conn = self._connect()
        if not self._ready:
            with self._lock:
                conn.execute(_TABLE)
                self._ready = True
        return conn

    def get(self, server: str, tool: str) -> Pin | None:
        conn = self._conn()
        try:
            row = conn.execute(
                "SELECT server, tool, fingerprint, approved_at, source, definition FROM mcp_tool_pins WHERE server = ? AND tool = ?",
                (server, tool),
            ).fetchone()
        finally:
            conn.close()
        return Pin(*tuple(row)) if row else None

    def all(self, server: str | None = None) -> list[Pin]:
        conn = self._conn()
        try:
            query = "SELECT server, tool, fingerprint, approved_at, source, definition FROM mcp_tool_pins"
            rows = conn.execute(query + " WHERE server = ? ORDER BY tool", (server,)) if server else conn.execute(query + " ORDER BY server, tool")
            return [Pin(*tuple(row)) for row in rows.fetchall()]
        finally:
            conn.close()

    def pin(self, spec: ToolSpec, *, source: str = "user") -> Pin:
        """Approve the current definition of ``spec`` (replacing an older pin)."""
        pin = Pin(spec.server, spec.name, fingerprint(spec), time.time(), source, _canonical(spec))
        conn = self._conn()
        try:
            conn.execute(
                "INSERT INTO mcp_tool_pins (server, tool, fingerprint, definition, approved_at, source) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (server, tool) DO UPDATE SET fingerprint = excluded.fingerprint, definition = excluded.definition, "
                "approved_at = excluded.approved_at, source = excluded.source",
                (pin.server, pin.tool, pin.fingerprint, pin.definition, pin.approved_at, pin.source),
            )
        finally:
            conn.close()
        return pin

    def status(self, spec: ToolSpec, others: list[ToolSpec] | None = None) -> tuple[str, list[str]]:
        """(``pinned`` | ``new`` | ``changed``, scan findings) for one definition."""
        pin = self.get(spec.server, spec.name)
        findings = scan_definition(spec, others)
        if pin is None:
            return "new", findings
        return ("pinned" if pin.fingerprint == fingerprint(spec) else "changed"), findings

    def check(self, spec: ToolSpec, others: list[ToolSpec] | None = None) -> str | None:
        """None if the model may use the tool; otherwise why it is withheld.

        A new tool is pinned automatically when its scan is clean (trust on
        first use); a flagged new tool or a changed one needs ``conduit mcp approve``.
        """
        return self.check_all([spec], others)[spec.name]

    def check_all(self, specs: list[ToolSpec], others: list[ToolSpec] | None = None) -> dict[str, str | None]:
        """``check`` for every tool of one refresh, reading the pins once (a listing may hold many tools)."""
        by_key = {(pin.server, pin.tool): pin for server in {s.server for s in specs} for pin in self.all(server)}
        context = others if others is not None else specs
        verdicts: dict[str, str | None] = {}
        for spec in specs:
            pin = by_key.get((spec.server, spec.name))
            if pin is not None:
                if pin.fingerprint == fingerprint(spec):
                    verdicts[spec.name] = None
                    continue
                when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(pin.approved_at))
                verdicts[spec.name] = (
                    f"the definition of {spec.server}/{spec.name} changed since it was approved ({when}); "
                    f"review it with `conduit mcp scan {spec.server}` and run `conduit mcp approve {spec.server} {spec.name}`"
                )
                continue
            findings = blocking(scan_definition(spec, context))
            if findings:
                verdicts[spec.name] = (
                    f"the definition of {spec.server}/{spec.name} looks like it carries hidden instructions "
                    f"({'; '.join(findings[:3])}); review it and run `conduit mcp approve {spec.server} {spec.name}`"
                )
                continue
            self.pin(spec, source="auto")
            verdicts[spec.name] = None
        return verdicts
