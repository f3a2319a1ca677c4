from django.contrib import admin

from apps.diseases.models import DiseaseArea
from apps.diseases.services import disease_area_create, disease_area_update


@admin.register(DiseaseArea)
class DiseaseAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "codes")
    search_fields = ("name", "slug", "description")
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "parent", "icd10_codes", "description")

    @admin.display(description="ICD-10 codes")
    def codes(self, area: DiseaseArea) -> str:
        return ", ".join(area.icd10_codes)

    def save_model(self, request, obj, form, change):
        """Through the services, so the change is normalised, audited and reaches search."""
        data = {name: form.cleaned_data[name] for name in self.fields if name in form.cleaned_data}
        if change:
            area = DiseaseArea.objects.get(pk=obj.pk)
            disease_area_update(actor=request.user, area=area, request=request, **data)
        else:
            created = disease_area_create(actor=request.user, request=request, **data)
            obj.pk = created.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        # Areas name datasets' data-use conditions and projects; deleting one would silently
        # widen or narrow those rules. Rename or re-parent instead.
        return False
