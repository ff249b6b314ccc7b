from cyclecrm.contacts.views import ACCOUNT_UI, CONTACT_UI
from cyclecrm.web.records.urls import record_urls

urlpatterns = [
    *record_urls(ACCOUNT_UI, "accounts"),
    *record_urls(CONTACT_UI, "contacts"),
]
