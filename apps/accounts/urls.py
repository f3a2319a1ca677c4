from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_home, name="home"),
    path("profile/", views.profile, name="profile"),
]
