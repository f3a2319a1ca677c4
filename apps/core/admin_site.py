import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from apps.core.guard import system_reads


class StratumAdminSite(admin.AdminSite):
    """The staff-only admin. Its views read every row: staff see every row by role in the
    policy too (each rule starts `if is_staff(user): return Q()`), and the site lets in only
    active staff (`has_permission`) before the view runs."""

    def admin_view(self, view, cacheable=False):
        @functools.wraps(view)
        def staff_view(request, *args, **kwargs):
            with system_reads("the staff-only Django admin: staff may see every row"):
                response = view(request, *args, **kwargs)
                # Admin pages are TemplateResponses, rendered after the view returns: render
                # inside the block, where their choice lists and inlines are read.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response

        return super().admin_view(staff_view, cacheable)


class StratumAdminConfig(AdminConfig):
    """Django's admin on StratumAdminSite (INSTALLED_APPS names this instead of the admin)."""

    default_site = "apps.core.admin_site.StratumAdminSite"
