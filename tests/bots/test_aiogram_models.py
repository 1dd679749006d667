"""aiogram's models are built on first use (bots/aiogram_models.py): every type and method must
still resolve its forward references, and updates and answers must parse as before."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import bots
    import pydantic
    import aiogram.methods, aiogram.types
    from aiogram.methods.base import Response
    from aiogram.types import Message, Update

    lazy = [
        name for name in aiogram.types.__all__
        if isinstance(getattr(aiogram.types, name), type)
        and issubclass(getattr(aiogram.types, name), pydantic.BaseModel)
        and not getattr(aiogram.types, name).__pydantic_complete__
    ]
    assert len(lazy) > 300, len(lazy)
    for module in (aiogram.types, aiogram.methods):
        for name in module.__all__:
            model = getattr(module, name)
            if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
                model.model_rebuild(force=True, _parent_namespace_depth=0)
                assert model.__pydantic_complete__, name

    update = Update.model_validate({
        "update_id": 7,
        "callback_query": {
            "id": "1", "chat_instance": "c", "data": "lang:kk",
            "from": {"id": 5, "is_bot": False, "first_name": "Ә"},
            "message": {"message_id": 3, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "?"},
        },
    })
    assert isinstance(update.callback_query.message, Message)
    answer = Response[list[Update]].model_validate({"ok": True, "result": [{"update_id": 8}]})
    assert answer.result[0].update_id == 8
    print("ok", len(lazy))
    """
)


def test_every_aiogram_model_builds_on_first_use_with_its_forward_references() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


KEPT = textwrap.dedent(
    """
    import bots
    from pydantic._internal import _generics
    from aiogram.methods.base import Response
    from aiogram.types import Message

    first = Response[Message]
    _generics._GENERIC_TYPES_CACHE.clear()  # what the garbage collector does to pydantic's weak cache
    assert Response[Message] is first
    assert Response[bool] is Response[bool]
    assert Response[Message].model_validate({"ok": False, "description": "x"}).description == "x"
    print("ok")
    """
)


def test_a_parametrised_bot_api_answer_is_built_once_not_after_every_collection() -> None:
    result = subprocess.run([sys.executable, "-c", KEPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
