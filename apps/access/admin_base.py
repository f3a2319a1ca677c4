"""The admin bases for models that change only through their services (which audit them): the
admin shows them read-only and, for access-governed models, lists only the rows the policy
lets the staff member see."""

from django.contrib import admin

from apps.access.policy import visible


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + [
            f.name for f in self.model._meta.many_to_many
        ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyPolicyAdmin(ReadOnlyAdmin):
    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
