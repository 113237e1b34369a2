"""The site's URL map: pages per section, the admin, the API."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from activecitizen.accounts.views import admin_sign_in
from activecitizen.api import api

handler400 = "activecitizen.core.views.bad_request"
handler403 = "activecitizen.core.views.permission_denied"
handler404 = "activecitizen.core.views.page_not_found"
handler500 = "activecitizen.core.views.server_error"

urlpatterns = [
    # Staff sign in like everyone else: by phone and SMS code.
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("activecitizen.accounts.urls")),
    path("city/", include("activecitizen.geo.urls")),
    path("notifications/", include("activecitizen.notifications.urls")),
    path("rewards/", include("activecitizen.rewards.urls")),
    path("polls/", include("activecitizen.polls.urls")),
    path("house/", include("activecitizen.house.urls")),
    path("pulse/", include("activecitizen.pulse.urls")),
    path("decisions/", include("activecitizen.decisions.urls")),
    path("discussions/", include("activecitizen.discussions.urls")),
    path("novelties/", include("activecitizen.novelties.urls")),
    path("news/", include("activecitizen.news.urls")),
    path("insights/", include("activecitizen.insights.urls")),
    path("", include("activecitizen.transparency.urls")),
    path("", include("activecitizen.core.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
