from django.urls import include, path

from cyclecrm.api.root import api
from cyclecrm.core.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("", include("cyclecrm.identity.urls")),
    path("", include("cyclecrm.contacts.urls")),
    path("", include("cyclecrm.leads.urls")),
    path("", include("cyclecrm.leads.capture.urls")),
    path("", include("cyclecrm.pipeline.urls")),
    path("", include("cyclecrm.catalog.urls")),
    path("", include("cyclecrm.activities.urls")),
    path("", include("cyclecrm.support.urls")),
    path("", include("cyclecrm.integrations.urls")),
    path("", include("cyclecrm.feedback.urls")),
    path("", include("cyclecrm.segments.urls")),
    path("", include("cyclecrm.jobs.urls")),
    path("", include("cyclecrm.nurture.urls")),
    path("", include("cyclecrm.mailings.urls")),
    path("", include("cyclecrm.campaigns.urls")),
    path("", include("cyclecrm.automation.urls")),
    path("", include("cyclecrm.intelligence.cluster_urls")),
    path("", include("cyclecrm.intelligence.urls")),
    path("", include("cyclecrm.loyalty.program_urls")),
    path("", include("cyclecrm.loyalty.reward_urls")),
    path("", include("cyclecrm.loyalty.referral_urls")),
    path("", include("cyclecrm.advocacy.review_urls")),
    path("", include("cyclecrm.advocacy.advocate_urls")),
    path("", include("cyclecrm.analytics.urls")),
    path("", include("cyclecrm.dataquality.urls")),
    path("", include("cyclecrm.web.urls")),
]
