from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.segments.models import Persona, Segment

    register("segment", "Segments", Segment)
    register("persona", "Personas", Persona)
