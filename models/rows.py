"""New row objects for the hottest paths, at a fiftieth of SQLModel's constructor's cost.

SQLModel's constructor walks every field of a table model through pydantic's default resolution and
sets each through two layers of `__setattr__` (pydantic's, then SQLAlchemy's change tracking):
about 100 µs for a chat identity or a conversation state, which every turn from someone new builds
(a quarter of a `/start` turn's CPU). A table model is not validated on construction anyway, so
`new_row` makes the same object the way SQLAlchemy makes one it loads (`ClassManager.new_instance`:
`__new__` and the instance state, no `__init__`) and fills its `__dict__` with the fields' defaults
and the values given: 2 µs. The object is transient, as a constructed one; `session.add` inserts
it from those values.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from functools import cache, partial
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Executable
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlmodel import Session, SQLModel

Model = TypeVar("Model", bound=SQLModel)


@cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    """A model's fixed defaults and its default factories (called for each new row)."""
    configure_mappers()  # new_instance needs the mapper ready, as a first query would make it
    fixed: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif isinstance(field.default, (list, dict, set)):  # a fresh copy for each row, as pydantic does
            factories[name] = partial(copy, field.default)
        elif field.default is not PydanticUndefined:
            fixed[name] = field.default
    return fixed, factories


def new_row(model: type[Model], **values: Any) -> Model:
    """`model(**values)` for a table model, without SQLModel's per-field work."""
    fixed, factories = _defaults(model)
    row: Model = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    state = row.__dict__
    state.update(fixed)
    for name, factory in factories.items():
        if name not in values:
            state[name] = factory()
    state.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


def read_row(
    session: Session, model: type[Model], statement: Executable, params: dict[str, Any]
) -> Model | None:
    """The one row of `model` that a Core `statement` (selecting the model's table) finds, attached
    to the session as an ORM query would attach it: persistent, its changes flushed as an UPDATE.

    A Core statement on the session's connection costs a third of the same ORM query, which builds
    an ORM context for every execution; the object is then made with `new_row` and
    `make_transient_to_detached` (all its attributes loaded, no history) and added. The session
    must not hold the same row already (a turn reads its chat identity and person first)."""
    found = session.connection().execute(statement, params).first()
    if found is None:
        return None
    row = new_row(model, **found._mapping)
    make_transient_to_detached(row)
    session.add(row)
    return row
