"""No lost update in the admin's shared records (a clinic's programs and library, the clinic, its staff): the
change form carries a fingerprint of each field as it was read (`_read_as`, in the submit row); a save whose
fields were changed by someone else since is refused, naming them and who saved last, and nothing of it is
saved. The patient record has a version of its own (`Patient.version`, also in the API); this is for the
records edited only in the admin."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from django import forms
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

READ_AS = "_read_as"


def _digest(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):  # many-to-many: the related objects, in any order
        value = sorted(str(getattr(item, "pk", item)) for item in value)
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode()).hexdigest()[:12]


def fingerprint(obj: models.Model, names: list[str]) -> dict[str, str]:
    """Each model field of `names` as stored now, hashed."""
    fields = {f.name: f for f in obj._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many}
    return {name: _digest(fields[name].value_from_object(obj)) for name in names if name in fields}  # type: ignore[union-attr]


def encode(obj: models.Model, names: list[str]) -> str:
    read = {"at": timezone.now().isoformat(), "fields": fingerprint(obj, names)}
    return base64.urlsafe_b64encode(json.dumps(read).encode()).decode()


def decode(value: str) -> dict[str, Any] | None:
    try:
        read = json.loads(base64.urlsafe_b64decode(value.encode()))
    except ValueError:
        return None
    return read if isinstance(read, dict) and isinstance(read.get("fields"), dict) else None


def last_saved_by(obj: models.Model, since: str, user: Any) -> str:
    """Who saved the record in the admin since `since` (the admin's own log), other than `user`."""
    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            action_flag=CHANGE,
            action_time__gt=since,
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    if entry is None:
        return "Someone else"
    return entry.user.get_full_name() or entry.user.get_username()


class StaleEditGuardMixin:
    """For a ModelAdmin: refuse a change saved on a stale copy (module docstring)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        if obj is None or request.method != "POST" or READ_AS not in request.POST:
            return form_class
        read = decode(request.POST[READ_AS])

        class Guarded(form_class):  # type: ignore[misc,valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                if read is None:
                    return cleaned
                stored = obj.__class__._default_manager.get(pk=obj.pk)
                now = fingerprint(stored, list(read["fields"]))
                changed = [name for name, digest in read["fields"].items() if now.get(name) != digest]
                if changed:
                    labels = ", ".join(str(self.fields[n].label) if n in self.fields else n for n in changed)
                    who = last_saved_by(stored, read.get("at", ""), request.user)
                    raise ValidationError(
                        f"{who} changed {labels} after you opened this page. Nothing you entered was saved: reload "
                        "the page to see the current values, then make your change again."
                    )
                return cleaned

        return Guarded

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if change and obj is not None:
            form: forms.ModelForm = context["adminform"].form
            # Shown again after a refusal, the page keeps the copy it was read at: saving again is refused again.
            context["read_as"] = request.POST.get(READ_AS) or encode(obj, list(form.fields))
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]
