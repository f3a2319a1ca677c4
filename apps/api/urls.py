from django.urls import include, path
from django.utils.module_loading import import_string
from rest_framework.routers import SimpleRouter

from apps.api.guide import api_index
from apps.api.views.access import AccessGrantViewSet, AccessRequestViewSet
from apps.api.views.activity import AuditEventViewSet, MilestoneViewSet, NotificationViewSet
from apps.api.views.changes import ChangeFeedView
from apps.api.views.deliverables import DeliverableViewSet
from apps.api.views.multipart import MultipartUploadViewSet
from apps.api.views.organisations import DiseaseAreaViewSet, OrganisationViewSet
from apps.api.views.projects import ProjectViewSet
from apps.api.views.search import SearchView
from apps.core.kinds import shared_parts

app_name = "api"

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("disease-areas", DiseaseAreaViewSet, basename="disease-area")
router.register("projects", ProjectViewSet, basename="project")
# The shared kinds (datasets, protocols, analyses…) and their files or versions, as declared.
for part in shared_parts():
    router.register(part.api_prefix, import_string(part.viewset), basename=part.resource)
router.register("file-uploads", MultipartUploadViewSet, basename="file-upload")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("deliverables", DeliverableViewSet, basename="deliverable")
router.register("access-requests", AccessRequestViewSet, basename="access-request")
router.register("grants", AccessGrantViewSet, basename="grant")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("", api_index, {"prefixes": [prefix for prefix, *_ in router.registry]}, name="index"),
    path("changes/", ChangeFeedView.as_view(), name="changes"),
    path("search/", SearchView.as_view(), name="search"),
    path("", include(router.urls)),
]
