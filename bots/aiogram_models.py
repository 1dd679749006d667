"""Build aiogram's pydantic models when they are first used, not all ~600 of them at import.

aiogram declares its Telegram types with `defer_build=True` and then, at the end of
`aiogram/types/__init__.py`, calls `model_rebuild()` on every one of them so that their forward
references resolve. That builds a validator and a serialiser for each type and each method,
about 80 MB that a bot using twenty of them never touches (aiogram issue #1513, open). Here the
eager rebuild is skipped during the import, and the names that rebuild would have resolved
forward references against (every aiogram type) are put into the modules of aiogram's types and
methods, where the types import them only for type checking; pydantic then builds a model, with
its forward references resolved, the first time it validates or serialises one.

Must run before anything imports aiogram; if aiogram is already imported it does nothing.

Every answer from the Bot API is parsed as `Response[<what the method returns>]`, a generic model
that pydantic keeps only in a weak cache. Under load the garbage collector empties it and the next
call builds the model again (tens of milliseconds, with the event loop stopped), so the parametrised
responses are kept here once built; there is one per kind of answer the bot gets.
"""

from __future__ import annotations

import sys
from typing import Any, Literal, Optional, Union

import pydantic


def import_aiogram_with_models_built_on_first_use() -> None:
    if "aiogram" in sys.modules:
        return
    eager_rebuild = pydantic.BaseModel.__dict__["model_rebuild"]

    def skip_rebuild(cls: type[pydantic.BaseModel], **_: Any) -> None:
        return None

    pydantic.BaseModel.model_rebuild = classmethod(skip_rebuild)  # type: ignore[assignment,method-assign]
    try:
        import aiogram.methods
        import aiogram.types
        from aiogram.client.default import Default
    finally:
        pydantic.BaseModel.model_rebuild = eager_rebuild  # type: ignore[method-assign]
    # The namespace aiogram's own rebuild passes (aiogram/types/__init__.py).
    namespace: dict[str, Any] = {
        "List": list,
        "Optional": Optional,
        "Union": Union,
        "Literal": Literal,
        "Default": Default,
        **{name: getattr(aiogram.types, name) for name in aiogram.types.__all__},
    }
    for name, module in list(sys.modules.items()):
        if name.startswith(("aiogram.types.", "aiogram.methods.")) and module is not None:
            for symbol, value in namespace.items():
                module.__dict__.setdefault(symbol, value)
    _keep_parametrised_responses()


def _keep_parametrised_responses() -> None:
    from aiogram.methods.base import Response

    build = Response.__class_getitem__
    kept: dict[Any, Any] = {}

    def parametrise(cls: type[Response[Any]], params: Any) -> Any:
        if cls is not Response:
            return build.__func__(cls, params)  # type: ignore[attr-defined]
        try:
            return kept[params]
        except KeyError:
            made = kept[params] = build(params)
            return made
        except TypeError:  # parameters that cannot be a key: not kept
            return build(params)

    Response.__class_getitem__ = classmethod(parametrise)  # type: ignore[method-assign,assignment]
