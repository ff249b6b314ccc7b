from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "cyclecrm.contacts"
    label = "contacts"
    verbose_name = "Accounts and contacts"

    def ready(self) -> None:
        from cyclecrm.contacts.models import Account, Contact
        from cyclecrm.core.registry import register

        register("account", "Accounts", Account)
        register("contact", "Contacts", Contact)
