from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def module_world(django_db_setup: None, django_db_blocker: object) -> Iterator[World]:
    """One world per module: built in an outer transaction that is rolled back at the end of the module.
    Each test (with `db`) runs in a savepoint inside it."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # The per-test fast hasher (tests/conftest.py) is not active yet at module scope.
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    return module_world
