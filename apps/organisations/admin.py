"""Django admin for organisations. State changes go through the services, so the admin writes
the same audit events as the staff console; plain edits are audited in `save_model`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from apps.audit.services import audit_record
from apps.organisations import services
from apps.organisations.models import (
    Affiliation,
    Invitation,
    JoinRequest,
    Organisation,
    OrganisationDomain,
)
from apps.organisations.validators import normalise_domain, normalise_ror


class OrganisationAdminForm(forms.ModelForm):
    """Stores identifiers in their canonical form, as the portal's own forms do."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = (
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "description",
            "ror_id",
            "ods_code",
            "logo",
            "dspt_status",
            "dspt_date",
        )

    def clean_ror_id(self):
        return normalise_ror(self.cleaned_data.get("ror_id", ""))

    def clean_ods_code(self):
        return (self.cleaned_data.get("ods_code") or "").strip().upper()


class DomainAdminForm(forms.ModelForm):
    class Meta:
        model = OrganisationDomain
        fields = ("organisation", "domain")

    def clean_domain(self):
        return normalise_domain(self.cleaned_data.get("domain", ""))


class DomainInline(admin.TabularInline):
    model = OrganisationDomain
    form = DomainAdminForm
    extra = 0


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    fields = ("user", "role", "ended_at", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    show_change_link = True


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


def _each(modeladmin, request, queryset, service, verb: str, **kwargs) -> None:
    done = 0
    for organisation in queryset:
        try:
            service(organisation=organisation, actor=request.user, request=request, **kwargs)
            done += 1
        except ValidationError as error:
            modeladmin.message_user(
                request, f"{organisation.name}: {' '.join(error.messages)}", messages.WARNING
            )
    if done:
        modeladmin.message_user(request, f"{verb} {done} organisation(s).", messages.SUCCESS)


def _with_reason(modeladmin, request, queryset, service, verb: str, action: str):
    """Ask for a reason on an intermediate page, then apply `service` to each organisation."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        _each(modeladmin, request, queryset, service, verb, reason=form.cleaned_data["reason"])
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Why {action} these organisations?",
        "form": form,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/organisations/reason.html", context)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ("name", "kind", "country", "status", "ror_id", "status_changed_at")
    list_filter = ("status", "kind", "country", "dspt_status")
    search_fields = ("name", "slug", "ror_id", "ods_code", "domains__domain")
    readonly_fields = ("status", "status_reason", "status_changed_at", "proposed_by", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DomainInline, AffiliationInline]
    actions = ["approve", "reject", "suspend", "reinstate"]
    date_hierarchy = "created_at"
    list_per_page = 50

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    def get_readonly_fields(self, request, obj=None):
        # Slugs are stable: links and API clients keep working after a rename.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        was_for_profit = change and Organisation.objects.get(pk=obj.pk).is_for_profit
        super().save_model(request, obj, form, change)
        if change:
            services.suspend_grants_if_now_for_profit(
                obj, was_for_profit=was_for_profit, actor=request.user
            )
        audit_record(
            actor=request.user,
            action="organisation.admin_change" if change else "organisation.admin_create",
            target=obj,
            request=request,
            actor_role="staff",
            organisation_id=obj.pk,
            details={"fields": form.changed_data},
        )

    @admin.action(description="Approve selected organisations")
    def approve(self, request, queryset):
        _each(self, request, queryset, services.organisation_approve, "Approved")

    @admin.action(description="Reinstate selected organisations")
    def reinstate(self, request, queryset):
        _each(self, request, queryset, services.organisation_reinstate, "Reinstated")

    @admin.action(description="Reject selected organisations (asks for a reason)")
    def reject(self, request, queryset):
        return _with_reason(
            self, request, queryset, services.organisation_reject, "Rejected", "reject"
        )

    @admin.action(description="Suspend selected organisations (asks for a reason)")
    def suspend(self, request, queryset):
        return _with_reason(
            self, request, queryset, services.organisation_suspend, "Suspended", "suspend"
        )


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "created_at", "ended_at")
    list_filter = ("role", "organisation__status", "organisation__kind")
    search_fields = ("user__email", "user__last_name", "organisation__name")
    raw_id_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")
    actions = ["end_affiliations"]

    @admin.action(description="End selected affiliations (keeps history)")
    def end_affiliations(self, request, queryset):
        ended = 0
        for affiliation in queryset.filter(ended_at__isnull=True):
            try:
                services.affiliation_end(
                    affiliation=affiliation, actor=request.user, request=request
                )
                ended += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
        self.message_user(request, f"Ended {ended} affiliation(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="affiliation.admin_change" if change else "affiliation.admin_create",
            target=obj,
            request=request,
            actor_role="staff",
            organisation_id=obj.organisation_id,
            details={"fields": form.changed_data},
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "state", "expires_at", "accepted_at")
    list_filter = ("role", "organisation__kind")
    search_fields = ("email", "organisation__name")
    list_select_related = ("organisation",)
    readonly_fields = ("token_hash", "invited_by", "accepted_at", "accepted_by", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A token is shown once, in the e-mail: invitations are made on the organisation pages.
        return False

    @admin.action(description="Withdraw selected open invitations")
    def revoke(self, request, queryset):
        revoked = 0
        for invitation in queryset.open():
            services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
            revoked += 1
        self.message_user(request, f"Withdrew {revoked} invitation(s).", messages.SUCCESS)


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__email", "organisation__name")
    list_select_related = ("user", "organisation")
    raw_id_fields = ("user", "organisation", "decided_by")
    readonly_fields = ("status", "decided_by", "decided_at")


@admin.register(OrganisationDomain)
class OrganisationDomainAdmin(admin.ModelAdmin):
    form = DomainAdminForm
    list_display = ("domain", "organisation")
    search_fields = ("domain", "organisation__name")
    list_select_related = ("organisation",)
    raw_id_fields = ("organisation",)
