from django.urls import path

from apps.sso import views

app_name = "sso"

urlpatterns = [
    path("sign-in/", views.discover, name="discover"),
    path("sign-in/<slug:slug>/", views.start, name="start"),
    path("providers/", views.staff_list, name="staff_list"),
    path("providers/new/", views.staff_create, name="staff_create"),
    path("providers/<uuid:pk>/", views.staff_edit, name="staff_edit"),
]
