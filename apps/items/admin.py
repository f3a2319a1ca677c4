"""The admin of every shared kind: items, files and versions, read-only (writes go through the
services, which validate, hash, store, audit and notify) and listed through the policy. A
kind's admin module registers its models with these bases and adds its own columns."""

from apps.access.admin_base import ReadOnlyInline, ReadOnlyPolicyAdmin


class ItemAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "project", "access_tier", "created_at")
    list_filter = ("access_tier",)
    search_fields = ("title", "project__acronym")
    raw_id_fields = ("project", "created_by")
    filter_horizontal = ("allowed_organisations",)
    list_select_related = ("project",)


class PartAdmin(ReadOnlyPolicyAdmin):
    """A file or version (`item_field` names its item)."""

    def get_list_select_related(self, request):
        return (self.model.item_field,)

    def get_search_fields(self, request):
        return (f"{self.model.item_field}__title", "file_name", "sha256")


class VersionAdmin(PartAdmin):
    list_filter = ("status",)

    def get_list_display(self, request):
        return (self.model.item_field, "number", "status", "file_name", "size", "approved_at")


class VersionInline(ReadOnlyInline):
    """Set `model`."""

    show_change_link = True
    fields = ("number", "status", "file_name", "size", "sha256", "approved_at")
    readonly_fields = fields
