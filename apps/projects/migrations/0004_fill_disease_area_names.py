"""Fill the searchable disease-area names of projects created before the column existed."""

from django.db import migrations


def fill_names(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.prefetch_related("disease_areas").iterator(chunk_size=500):
        names = ", ".join(sorted(area.name for area in project.disease_areas.all()))
        if names != project.disease_area_names:
            Project.objects.filter(pk=project.pk).update(disease_area_names=names)


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_project_search_index")]

    operations = [migrations.RunPython(fill_names, migrations.RunPython.noop)]
