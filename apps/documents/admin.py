"""Admin for protocols (`apps.items.admin`): read-only; versions are created, approved and
deleted through the services, and approved ones never change."""

from django.contrib import admin

from apps.documents.models import Protocol, ProtocolVersion
from apps.items.admin import ItemAdmin, VersionAdmin, VersionInline


class ProtocolVersionInline(VersionInline):
    model = ProtocolVersion


@admin.register(Protocol)
class ProtocolAdmin(ItemAdmin):
    inlines = [ProtocolVersionInline]


admin.site.register(ProtocolVersion, VersionAdmin)
