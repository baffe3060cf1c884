"""The program library: a clinic's own programs and components beside the built-in library (read-only for
clinics; "Copy into my clinic" makes an editable copy). Writes with rules go through `programs.services`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import capfirst

from cft.stale_edits import StaleEditGuardMixin
from clinics.admin_scoping import Can, ScopedAdminMixin, ScopedInlineMixin, clinics_where
from clinics.models import Clinic
from programs import quotas, services
from programs.models import (
    PLAN_FIELDS,
    Belief,
    CopingStrategy,
    CopingStrategyTranslation,
    GradedActivity,
    GradedActivityTranslation,
    Narrative,
    NarrativeVersion,
    Program,
    ProgramItem,
    language_name,
)

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class ItemCount(TypedDict):
        n_items: int


def own_clinic(request: HttpRequest) -> Clinic | None:
    """The clinic a staff member's new library entries go to: their only clinic with the capability."""
    ids = clinics_where(request.user, Can.CHANGE_LIBRARY)
    return Clinic.objects.get(pk=ids[0]) if len(ids) == 1 and not request.user.is_superuser else None


class LibraryFilter(admin.SimpleListFilter):
    title = "library"
    parameter_name = "library"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("builtin", "Built-in"), ("clinic", "My clinic")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "builtin":
            return queryset.filter(clinic__isnull=True)
        if self.value() == "clinic":
            return queryset.filter(clinic__isnull=False)
        return queryset


class LibraryAdmin(StaleEditGuardMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Built-in rows (clinic empty) are view-only for clinic staff; their own rows are editable."""

    view_capability = Can.VIEW_LIBRARY
    add_capability = change_capability = delete_capability = Can.CHANGE_LIBRARY
    list_filter: ClassVar[tuple[Any, ...]] = (LibraryFilter,)
    search_fields = ("title",)

    @admin.display(description="Library", ordering="clinic__name")
    def library(self, obj: Any) -> str:
        return obj.clinic.name if obj.clinic_id else "Built-in"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("clinic")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "clinic" in form.base_fields and not request.user.is_superuser:
            # Staff add to their clinic's library; only a superuser edits the built-in one.
            form.base_fields["clinic"].required = True
            clinic = own_clinic(request)
            if clinic is not None:
                form.base_fields["clinic"].initial = clinic.pk
        return form


# --- components -------------------------------------------------------------------------------------------
def other_language(language: str) -> str:
    """The first language offered other than `language`: the one a form's translation fields start with."""
    return next(code for code, _ in settings.LANGUAGES if code != language)


class NarrativeForm(forms.ModelForm):
    body = forms.CharField(widget=forms.Textarea, help_text="Markdown. Saving a change adds a new version.")
    key_messages = forms.CharField(widget=forms.Textarea, required=False, help_text="One key message per line.")
    beliefs = forms.MultipleChoiceField(
        choices=Belief.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Beliefs addressed",
        help_text=Narrative._meta.get_field("beliefs").help_text,
    )
    # The narrative in another language: a version in that language (saving a change adds one), shown to patients
    # of that language. Empty: they read the narrative's own language, with a note saying so.
    translation_language = forms.ChoiceField(
        label="Other language", choices=settings.LANGUAGES, required=False, help_text="The language of the text below."
    )
    translation_title = forms.CharField(label="Title in the other language", max_length=200, required=False)
    translation_body = forms.CharField(
        label="Text in the other language",
        widget=forms.Textarea,
        required=False,
        help_text="Markdown. Saving a change adds a new version in that language.",
    )
    translation_key_messages = forms.CharField(
        label="Key messages in the other language",
        widget=forms.Textarea,
        required=False,
        help_text="One key message per line.",
    )

    class Meta:
        model = Narrative
        fields = ("clinic", "title", "language", "beliefs")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.current_version() if self.instance.pk else None
        if current is not None:
            self.fields["body"].initial = current.body
            self.fields["key_messages"].initial = current.key_messages
        other = other_language(self.instance.language)
        self.fields["translation_language"].initial = other
        translated = self.instance.current_version(other) if self.instance.pk else None
        if translated is not None:
            self.fields["translation_title"].initial = translated.title
            self.fields["translation_body"].initial = translated.body
            self.fields["translation_key_messages"].initial = translated.key_messages

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        language = data.get("language") or self.instance.language
        other = data.get("translation_language")
        if self.translation() is None:
            return data
        if not other:
            self.add_error("translation_language", "Choose the language of this text.")
        elif other == language:
            self.add_error(
                "translation_language",
                f"The narrative is written in {language_name(language)}: choose another language.",
            )
        if not data.get("translation_title", "").strip():
            self.add_error("translation_title", "Give the title in the other language.")
        if not data.get("translation_body", "").strip():
            self.add_error("translation_body", "Write the text in the other language.")
        return data

    def translation(self) -> dict[str, str] | None:
        """The text in another language to save as a new version, or None when there is nothing new."""
        names = ("translation_title", "translation_body", "translation_key_messages")
        data = self.cleaned_data
        if not any(data.get(name, "").strip() for name in names):
            return None
        language = data.get("translation_language") or ""
        current = self.instance.current_version(language) if self.instance.pk and language else None
        given = {
            "language": language,
            "title": data.get("translation_title", "").strip(),
            "body": data.get("translation_body", ""),
            "key_messages": data.get("translation_key_messages", ""),
        }
        if current is not None and (current.title, current.body, current.key_messages) == (
            given["title"],
            given["body"],
            given["key_messages"],
        ):
            return None
        return given


class NarrativeVersionInline(admin.TabularInline):
    model = NarrativeVersion
    fields = ("version", "language", "created_at", "title", "body", "key_messages")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-version",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Narrative)
class NarrativeAdmin(LibraryAdmin):
    form = NarrativeForm
    list_display = ("title", "library", "language", "languages", "beliefs_addressed", "created_at")
    inlines = (NarrativeVersionInline,)
    fieldsets = (
        (None, {"fields": ("clinic", "title", "language", "body", "key_messages", "beliefs")}),
        (
            "Text in another language",
            {
                "fields": ("translation_language", "translation_title", "translation_body", "translation_key_messages"),
                "description": "Patients whose language has no text read the narrative in its own language, with "
                "a note saying so.",
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Its versions are written in it: the language of a narrative is chosen once.
        return (*super().get_readonly_fields(request, obj), *(("language",) if obj is not None else ()))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description="Texts in")
    def languages(self, obj: Narrative) -> str:
        codes = {v.language for v in obj.versions.all()} | {obj.language}
        return ", ".join(name for code, name in settings.LANGUAGES if code in codes)

    @admin.display(description="Beliefs addressed")
    def beliefs_addressed(self, obj: Narrative) -> str:
        return ", ".join(obj.belief_labels()) or "-"

    def save_model(self, request: HttpRequest, obj: Narrative, form: Any, change: bool) -> None:
        body, key_messages = form.cleaned_data["body"], form.cleaned_data["key_messages"]
        beliefs = form.cleaned_data.get("beliefs", [])
        translation = form.translation()
        with transaction.atomic():  # the narrative and its text in the other language, or nothing
            if not change:
                created = services.create_narrative(
                    clinic=obj.clinic,
                    title=obj.title,
                    body=body,
                    key_messages=key_messages,
                    beliefs=beliefs,
                    language=obj.language,
                )
                obj.pk, obj._state = created.pk, created._state
            else:
                obj.save(update_fields=["title"])
                if "beliefs" in form.changed_data:
                    services.set_narrative_beliefs(narrative=obj, beliefs=beliefs)
                if {"body", "key_messages"} & set(form.changed_data):
                    services.edit_narrative(narrative=obj, body=body, key_messages=key_messages)
            if translation is not None:
                services.translate_narrative(narrative=obj, **translation)


class TranslationFormSet(BaseInlineFormSet):
    """A component's texts in other languages: each language once, none in the component's own (the text above)."""

    def clean(self) -> None:
        super().clean()
        own = self.instance.language
        for form in self.forms:
            if not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            if form.cleaned_data.get("language") == own:
                form.add_error(
                    "language", f"The text above is in {language_name(own)}: choose another language for this one."
                )


class TranslationInline(ScopedInlineMixin, admin.StackedInline):
    formset = TranslationFormSet
    extra = 1
    max_num = len(settings.LANGUAGES) - 1
    verbose_name = "text in another language"
    verbose_name_plural = "texts in other languages"
    view_capability = Can.VIEW_LIBRARY
    add_capability = change_capability = delete_capability = Can.CHANGE_LIBRARY

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # A new row starts in the language the component lacks.
        formset.form.base_fields["language"].initial = other_language(obj.language if obj else settings.LANGUAGE_CODE)
        return formset


class CopingStrategyTranslationInline(TranslationInline):
    model = CopingStrategyTranslation
    fields = ("language", "title", "instructions", "when_to_use")


class GradedActivityTranslationInline(TranslationInline):
    model = GradedActivityTranslation
    fields = ("language", "title", "activity")


@admin.register(CopingStrategy)
class CopingStrategyAdmin(LibraryAdmin):
    list_display = ("title", "library", "language")
    fields = ("clinic", "title", "language", "instructions", "when_to_use")
    inlines = (CopingStrategyTranslationInline,)

    def save_model(self, request: HttpRequest, obj: CopingStrategy, form: Any, change: bool) -> None:
        if change:
            obj.save()
            return
        created = services.create_coping_strategy(
            clinic=obj.clinic,
            title=obj.title,
            instructions=obj.instructions,
            when_to_use=obj.when_to_use,
            language=obj.language,
        )
        obj.pk, obj._state = created.pk, created._state


class GradedActivityForm(forms.ModelForm):
    class Meta:
        model = GradedActivity
        fields = (
            "clinic", "title", "language", "activity", "unit", "baseline", "increase_kind", "increase", "goal",
            "flare_margin", "flare_response",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if all(data.get(name) is not None for name in PLAN_FIELDS):
            plan = quotas.QuotaPlan(**{name: data[name] for name in PLAN_FIELDS})
            try:
                services.validate_activity_plan(plan)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(GradedActivity)
class GradedActivityAdmin(LibraryAdmin):
    form = GradedActivityForm
    list_display = ("title", "activity", "unit", "baseline", "increase", "increase_kind", "goal", "library", "language")
    readonly_fields = ("quota_preview",)
    inlines = (GradedActivityTranslationInline,)

    @admin.display(description="Weekly target by week (no flare)")
    def quota_preview(self, obj: GradedActivity) -> str:
        """The whole-unit targets patients are asked for (docs/clinical-rules.md, graded activity, rule 5)."""
        if not obj.pk:
            return "-"
        return ", ".join(str(quotas.weekly_target(q)) for q in quotas.quota_schedule(obj.quota_plan(), 12))


# --- programs ---------------------------------------------------------------------------------------------
class NamedAutocompleteSelect(AutocompleteSelect):
    """select2 names its combobox by the text it shows, which is nothing in an empty row of a tabular inline
    (the column header is no label): the field's label as the placeholder gives every row's box a name, and
    autocomplete_names.js names the textbox inside it. A placeholder is also what lets select2 clear the
    choice."""

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = capfirst(self.field.verbose_name)
        return attrs

    @property
    def media(self) -> forms.Media:
        # Names select2's textbox, which has no name in an empty row (see the script). Listed with
        # autocomplete.js, as Media keeps the order only within one list: ours must come after it.
        return super().media + forms.Media(
            js=["admin/js/autocomplete.js", "programs/autocomplete_names.js"], css={"all": ["programs/admin.css"]}
        )


class ProgramItemForm(forms.ModelForm):
    class Meta:
        model = ProgramItem
        fields = ("order", "start_week", "end_week", "narrative", "coping_strategy", "graded_activity")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        chosen = [name for name in ("narrative", "coping_strategy", "graded_activity") if data.get(name)]
        if len(chosen) != 1:
            raise ValidationError("Choose exactly one component: a narrative, a coping strategy or an activity.")
        end, start = data.get("end_week"), data.get("start_week")
        if end is not None and start is not None and end < start:
            self.add_error("end_week", "The end week cannot be before the start week.")
        return data


class ProgramItemFormSet(BaseInlineFormSet):
    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        # A tabular inline's rows have column headers, not <label>s: each input carries its column's name
        # (DELETE included, which the formset adds here).
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


class ProgramItemInline(ScopedInlineMixin, admin.TabularInline):
    model = ProgramItem
    form = ProgramItemForm
    formset = ProgramItemFormSet
    extra = 0
    ordering = ("order", "pk")
    autocomplete_fields = ("narrative", "coping_strategy", "graded_activity")
    view_capability = Can.VIEW_LIBRARY
    add_capability = change_capability = delete_capability = Can.CHANGE_LIBRARY

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.autocomplete_fields:
            kwargs.setdefault("widget", NamedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Program)
class ProgramAdmin(LibraryAdmin):
    list_display = ("title", "kind", "weeks", "library", "item_count")
    list_filter = (LibraryFilter, "kind")
    fields = ("clinic", "title", "kind", "weeks", "description", "copied_from")
    readonly_fields = ("copied_from",)
    inlines = (ProgramItemInline,)
    actions = ("copy_to_clinic_action",)
    change_form_template = "admin/programs/program/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(n_items=Count("items"))

    @admin.display(description="Components", ordering="n_items")
    def item_count(self, obj: WithAnnotations[Program, ItemCount]) -> int:
        return obj.n_items

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """New components go through `add_program_item` (it checks the component's clinic and the weeks)."""
        if formset.model is not ProgramItem:
            return super().save_formset(request, form, formset, change)
        items = formset.save(commit=False)
        for item in formset.deleted_objects:
            item.delete()
        for item in items:
            if item.pk:
                item.save()
                continue
            try:
                services.add_program_item(
                    program=form.instance,
                    component=item.component,
                    start_week=item.start_week,
                    end_week=item.end_week,
                    order=item.order,
                )
            except ValidationError as exc:
                messages.error(request, f"{item.component}: {' '.join(exc.messages)}")
        return None

    # --- preview and copy ---------------------------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        program = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if program is not None:
            extra.update(self.preview_context(request, program))
        return super().change_view(request, object_id, form_url, extra)

    def preview_context(self, request: HttpRequest, program: Program) -> dict[str, Any]:
        """This program's plan in one week: what is due and each activity's quota (`programs.quotas`), counted
        from the week the item starts, exactly as a patient's plan is (`quotas.quota_in_week`)."""
        try:
            week = max(1, min(int(request.GET.get("week", 1)), program.weeks or 1))
        except ValueError:
            week = 1
        items = [
            i
            for i in program.items.select_related("narrative", "coping_strategy", "graded_activity")
            if i.start_week <= week and (i.end_week is None or week <= i.end_week)
        ]
        activities = program.activity_targets(week, items)
        return {
            "preview_week": week,
            "preview_weeks": range(1, (program.weeks or 1) + 1),
            "preview_narratives": [i.narrative for i in items if i.narrative_id],
            "preview_coping": [i.coping_strategy for i in items if i.coping_strategy_id],
            "preview_activities": activities,
            "can_copy": program.clinic_id is None and bool(clinics_where(request.user, Can.CHANGE_LIBRARY)),
        }

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="programs_program_copy",
            ),
            *super().get_urls(),
        ]

    def _copy(self, request: HttpRequest, programs: list[Program]) -> list[Program]:
        clinic = own_clinic(request)
        if clinic is None:
            raise ValidationError({"clinic": "Copy from a staff account of exactly one clinic."})
        copies = []
        with transaction.atomic():  # all the selected programs or none
            for program in programs:
                if program.clinic_id is not None:
                    raise ValidationError({"program": f"{program} is not a built-in program."})
                copies.append(services.copy_program_to_clinic(program=program, clinic=clinic))
        return copies

    def copy_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            raise Http404("Use the button on the program page.")
        program = self.get_object(request, object_id)
        if program is None:
            raise Http404("No such program.")
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            (copy,) = self._copy(request, [program])
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:programs_program_change", args=[program.pk]))
        self.message_user(request, f"Copied into {copy.clinic}: you can now edit it.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:programs_program_change", args=[copy.pk]))

    @admin.action(description="Copy into my clinic")
    def copy_to_clinic_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            copies = self._copy(request, list(queryset))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"Copied {len(copies)} program(s) into your clinic.", messages.SUCCESS)
