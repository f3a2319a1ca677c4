from django.urls import path

from apps.security import views

app_name = "security"

urlpatterns = [
    path("account/security/", views.account_security, name="account_security"),
    path(
        "account/security/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("account/security/continue/", views.mfa_continue, name="mfa_continue"),
    path("security/people/<uuid:pk>/mfa-reset/", views.mfa_reset, name="mfa_reset"),
    path("security/csp-report/", views.csp_report, name="csp_report"),
]
