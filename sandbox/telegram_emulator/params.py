"""Reading Bot API calls the way Telegram does: query string, JSON, urlencoded form or multipart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, ClientResponse, MultipartReader, web


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": .., "description": .., "parameters": ..}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(what: str, parameters: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {what}", parameters)


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """The arguments of one call, with Telegram's lenient typing (form fields are all strings)."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, Upload] | None = None) -> None:
        self.values = dict(values)
        self.files = dict(files or {})

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1", "yes")

    def json(self, name: str) -> Any:
        """A nested object: native in a JSON body, a JSON string in a form."""
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


async def _read_multipart(reader: MultipartReader) -> tuple[dict[str, Any], dict[str, Upload]]:
    values: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = bytes(await part.read(decode=True))
            files[part.name] = Upload(data, part.filename, part.headers.get("Content-Type"))
        else:
            values[part.name] = await part.text()
    return values, files


async def read_request(request: web.Request) -> Params:
    """All arguments of a Bot API HTTP request, whatever its encoding."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if isinstance(body, dict):
                values.update(body)
        elif content_type.startswith("multipart/"):
            more, files = await _read_multipart(await request.multipart())
            values.update(more)
        elif content_type == "application/x-www-form-urlencoded":
            values.update(await request.post())
    return Params(values, files)


async def read_method_answer(response: ClientResponse) -> tuple[str, Params] | None:
    """A method call in a webhook answer (JSON, or multipart with a ``method`` field), if any."""
    if response.content_type.startswith("multipart/"):
        values, files = await _read_multipart(MultipartReader(response.headers, response.content))
    else:
        body = await response.read()
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            return None
        if not isinstance(parsed, dict):
            return None
        values, files = dict(parsed), {}
    method = values.pop("method", None)
    if not isinstance(method, str) or not method:
        return None
    return method, Params(values, files)
