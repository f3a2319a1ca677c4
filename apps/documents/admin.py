"""Admin for protocols. Versions are read-only here: they are created, approved and deleted
through the services (which hash, store and audit), and approved ones never change."""

from django.contrib import admin

from apps.access.policy import visible
from apps.documents.models import Protocol, ProtocolVersion


class ProtocolVersionInline(admin.TabularInline):
    model = ProtocolVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("number", "status", "file_name", "size", "sha256", "approved_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "access_tier", "created_at")
    list_filter = ("access_tier",)
    search_fields = ("title", "project__acronym")
    raw_id_fields = ("project", "created_by")
    filter_horizontal = ("allowed_organisations",)
    inlines = [ProtocolVersionInline]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request).select_related("project"))

    # Read-only: changes go through the pages' services, which validate, audit and notify.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(admin.ModelAdmin):
    list_display = ("protocol", "number", "status", "file_name", "size", "approved_at")
    list_filter = ("status",)
    search_fields = ("protocol__title", "file_name", "sha256")
    readonly_fields = [field.name for field in ProtocolVersion._meta.fields]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request).select_related("protocol"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View-only: staff read every field; nothing is saved from here.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
