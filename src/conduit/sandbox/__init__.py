"""conduit.sandbox: an OpenAI-compatible **simulation** server for tests and demos.

It speaks the wire format of the real API (the installed ``openai`` SDK's
types and OpenAI's OpenAPI spec) -- validation errors, usage numbers counted
with tiktoken, streaming, multipart uploads, binary audio, 429s with
``Retry-After`` -- but no real model is called: answers are deterministic and
say they are simulated, and every response carries the header
``x-conduit-sandbox: simulation``.

    from conduit.sandbox import Sandbox, Fault, ScriptedReply
    with Sandbox() as sb:
        client = openai.OpenAI(base_url=sb.base_url, api_key=sb.api_key)
        sb.inject(Fault("rate_limit", count=2, retry_after=1.5))
        sb.script(ScriptedReply(tool_calls=[{"name": "read_file", "arguments": {"path": "a.txt"}}]))

Importing this package is cheap (no ``openai``; starlette/uvicorn load on
``start()``).
"""

from __future__ import annotations

from conduit.sandbox.faults import FAULT_KINDS, Fault
from conduit.sandbox.script import ScriptedReply
from conduit.sandbox.server import BANNER, RemoteSandbox, Sandbox
from conduit.sandbox.state import RecordedRequest

__all__ = ["BANNER", "FAULT_KINDS", "Fault", "RecordedRequest", "RemoteSandbox", "Sandbox", "ScriptedReply"]
