from django.conf import settings


def portal(request):
    return {"SITE_NAME": "Stratum", "DEBUG": settings.DEBUG}
