"""Reading (and re-writing) ``multipart/form-data`` request bodies for the meters.

The audio transcription/translation and image edit endpoints take multipart
uploads, so their meters must see the form fields (model, language,
response_format, stream...) and the file bytes (to read an audio duration or
image dimensions) *before* the request is sent. The parser is
python-multipart's streaming ``MultipartParser`` (already installed with
starlette), fed the whole body at once.

Each meter method receives the same :class:`~conduit.meter.base.Payload`; a
per-thread one-entry cache keyed on the body's identity means one request is
parsed once, not once per pipeline stage.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

from conduit.errors import ValidationError

__all__ = ["FilePart", "MultipartForm", "parse_multipart", "encode_multipart", "form_of"]


@dataclass(slots=True)
class FilePart:
    """One uploaded file: the field name it came in, its filename, type and bytes."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class MultipartForm:
    """Text fields (repeated keys collected into lists) and file parts, in order."""

    fields: dict[str, Any] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)

    def get(self, name: str, default: Any = None) -> Any:
        """A text field's value; ``name`` also matches the ``name[]`` array form."""
        if name in self.fields:
            return self.fields[name]
        return self.fields.get(f"{name}[]", default)

    def file(self, name: str) -> FilePart | None:
        """The first file uploaded under ``name`` (or ``name[]``)."""
        for part in self.files:
            if part.name in (name, f"{name}[]"):
                return part
        return None

    def files_named(self, name: str) -> list[FilePart]:
        return [part for part in self.files if part.name in (name, f"{name}[]")]


def _boundary(content_type: str) -> bytes:
    from python_multipart.multipart import parse_options_header

    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise ValidationError(
            f"Expected a multipart/form-data body, got {content_type or 'no content type'!r}.",
            "Upload files as multipart/form-data (the openai SDK does this for file=...).",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise ValidationError("The multipart body has no boundary in its Content-Type.", "Let the HTTP client set it.")
    return boundary


def parse_multipart(raw: bytes, content_type: str) -> MultipartForm:
    """Parse a complete multipart body; raise ValidationError (nothing sent) when it is malformed."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    boundary = _boundary(content_type)
    form = MultipartForm()
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "chunks": []}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["chunks"] = []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"].decode("latin-1")
        state["field"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["chunks"].append(data[start:end])

    def on_part_end() -> None:
        headers: dict[str, str] = state["headers"]
        _, options = parse_options_header(headers.get("content-disposition", ""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        body = b"".join(state["chunks"])
        if b"filename" in options:
            form.files.append(
                FilePart(
                    name=name,
                    filename=options[b"filename"].decode("utf-8", "replace"),
                    content_type=headers.get("content-type", ""),
                    data=body,
                )
            )
            return
        value = body.decode("utf-8", "replace")
        if name.endswith("[]"):
            form.fields.setdefault(name[:-2], []).append(value)
        elif name in form.fields:
            existing = form.fields[name]
            form.fields[name] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            form.fields[name] = value

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
        max_header_count=32,
    )
    try:
        parser.write(raw)
        parser.finalize()
    except (MultipartParseError, ValueError) as exc:
        raise ValidationError(f"The multipart request body is malformed: {exc}", "Send a well-formed multipart/form-data body.") from exc
    return form


def encode_multipart(fields: dict[str, Any], files: Iterable[FilePart]) -> tuple[bytes, str]:
    """(body, content type) for ``fields`` and ``files`` -- used when a stage must change a field."""
    boundary = uuid.uuid4().hex
    out: list[bytes] = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        key = f"{name}[]" if isinstance(value, list) else name
        for item in values:
            out.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(key)}"\r\n\r\n'.encode()
                + str(item).encode()
                + b"\r\n"
            )
    for part in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(part.name)}"; '
            f'filename="{_quote(part.filename)}"\r\nContent-Type: {part.content_type or "application/octet-stream"}\r\n\r\n'
        )
        out.append(head.encode() + part.data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


_cache = threading.local()


def form_of(payload: Any) -> MultipartForm:
    """The parsed form of a multipart :class:`Payload`, parsed once per body (per thread)."""
    cached = getattr(_cache, "entry", None)
    if cached is not None and cached[0] is payload.raw:
        return cached[1]
    form = parse_multipart(payload.raw, payload.content_type)
    _cache.entry = (payload.raw, form)
    return form
