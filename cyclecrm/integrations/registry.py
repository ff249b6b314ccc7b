from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.integrations.models import EmailTemplate, Mailbox

    register("mailbox", "Mailboxes", Mailbox)
    register("email_template", "E-mail templates", EmailTemplate)
