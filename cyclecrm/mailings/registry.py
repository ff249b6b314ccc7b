from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.mailings.models import Mailing

    register("mailing", "E-mail campaigns", Mailing)
