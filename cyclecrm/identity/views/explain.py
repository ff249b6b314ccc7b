"""Settings: explain access — why a user can or cannot act on one record (admins only)."""

from django.http import HttpRequest, HttpResponse

from cyclecrm.core.registry import record_types
from cyclecrm.identity import access, selectors
from cyclecrm.identity.forms import ExplainForm
from cyclecrm.identity.views.common import is_admin, render_settings, require
from cyclecrm.web.errors import crm_view


@crm_view
def explain_access(request: HttpRequest) -> HttpResponse:
    require(is_admin(request.user))
    types = record_types()
    users = selectors.user_list(actor=request.user).order_by("username")
    form = ExplainForm(request.GET or None, users=users, record_types=types)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        # A fresh user object: rights are cached per object, and the subject's may have changed.
        subject = users.filter(pk=data["user"]).first()
        model = types[data["type"]].model
        record = access.restrict(model._default_manager.all(), request.user).filter(pk=data["id"])
        instance = record.first()
        if subject is None:
            form.add_error("user", "No such user.")
        elif instance is None:
            form.add_error("id", f"No {types[data['type']].label.lower()} record with this id.")
        else:
            context.update(
                subject=subject, instance=instance, lines=access.explain(subject, instance)
            )
    return render_settings(request, "identity/explain.html", context)
