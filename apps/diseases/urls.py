from django.urls import path

from apps.diseases import views

app_name = "diseases"

urlpatterns = [
    path("", views.area_list, name="list"),
    path("new/", views.area_create, name="create"),
    path("<slug:slug>/edit/", views.area_edit, name="edit"),
]
