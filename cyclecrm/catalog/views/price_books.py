"""Settings: price books and their prices (everyone may look; administrators change them)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.forms import EntryForm, PriceBookForm, add_service_errors
from cyclecrm.catalog.models import PriceBook
from cyclecrm.catalog.pricing import amount_text
from cyclecrm.core.errors import (
    CrmError,
    Forbidden,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

ALREADY_PRICED = "This product already has a price in this book: change it in its row above."

TYPE = PriceBook.record_type


@crm_view
def price_book_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, TYPE))
    books = selectors.price_book_list(actor=request.user)
    return render_settings(
        request,
        "catalog/price_book_list.html",
        {
            "books": list(books.prefetch_related("entries")),
            "can_create": can_manage(request.user, TYPE, Action.CREATE),
        },
    )


@crm_view
def price_book_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.CREATE))
    form = PriceBookForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            book = services.price_book_create(actor=request.user, data=form.service_data())
        except CrmError as exc:
            if isinstance(exc, Forbidden):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Price book {book} created; add its prices below.")
            return redirect("price_book_edit", book.pk)
    return render_settings(request, "catalog/price_book_form.html", {"form": form, "book": None})


@crm_view
def price_book_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The book's settings and its prices; `POST` saves the settings."""
    actor = request.user
    book = selectors.price_book_get(actor=actor, pk=pk)
    can_edit = can_manage(actor, TYPE, Action.EDIT)
    form = PriceBookForm(request.POST or None, instance=book)
    status = 200
    if request.method == "POST":
        require(can_edit)
        if form.is_valid():
            try:
                services.price_book_update(
                    actor=actor,
                    price_book=book,
                    data=form.service_data(),
                    version=posted_version(request),
                )
            except VersionConflict:
                stale_version_error(form, "price book")
            except CrmError as exc:
                if isinstance(exc, Forbidden):
                    raise
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Price book {book} saved.")
                return redirect("price_book_edit", book.pk)
        status = 422
    return _render_book(request, book, form, EntryForm(), can_edit=can_edit, status=status)


def _render_book(
    request: HttpRequest,
    book: PriceBook,
    form: PriceBookForm,
    entry_form: EntryForm,
    *,
    can_edit: bool,
    status: int = 200,
) -> HttpResponse:
    entries = [
        (entry, amount_text(entry.unit_price, book.currency))
        for entry in selectors.price_book_entries(actor=request.user, price_book=book)
    ]
    return render_settings(
        request,
        "catalog/price_book_form.html",
        {
            "form": form,
            "book": book,
            "entries": entries,
            "entry_form": entry_form,
            "can_edit": can_edit,
            "can_delete": can_manage(request.user, TYPE, Action.DELETE),
        },
        status=status,
    )


@require_POST
@crm_view
def price_book_entry_set(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    book = selectors.price_book_get(actor=actor, pk=pk)
    require(can_manage(actor, TYPE, Action.EDIT))
    entry_form = EntryForm(request.POST)
    if entry_form.is_valid():
        try:
            product = selectors.product_get(actor=actor, pk=entry_form.cleaned_data["product"])
            services.price_book_entry_set(
                actor=actor,
                price_book=book,
                product=product,
                unit_price=entry_form.cleaned_data["unit_price"],
                version=posted_version(request),
            )
        except NotFound:
            entry_form.add_error("product", "No product with this id.")
        except VersionConflict:
            stale_version_error(entry_form, "price")
        except ValidationFailed as exc:
            if "version" in (exc.fields or {}):
                entry_form.add_error("product", ALREADY_PRICED)
            else:
                add_service_errors(entry_form, exc)
        except CrmError as exc:
            if isinstance(exc, Forbidden):
                raise
            add_service_errors(entry_form, exc)
        else:
            messages.success(request, f"Price of {product.sku} set in {book}.")
            return redirect("price_book_edit", book.pk)
    form = PriceBookForm(instance=book)
    return _render_book(request, book, form, entry_form, can_edit=True, status=422)


@require_POST
@crm_view
def price_book_entry_delete(request: HttpRequest, pk: int, product_id: int) -> HttpResponse:
    actor = request.user
    book = selectors.price_book_get(actor=actor, pk=pk)
    entry = (
        selectors.price_book_entries(actor=actor, price_book=book)
        .filter(product_id=product_id)
        .first()
    )
    if entry is None:
        raise NotFound("The product is not in this price book.")
    services.price_book_entry_delete(actor=actor, entry=entry)
    messages.success(request, f"{entry.product.sku} removed from {book}.")
    return redirect("price_book_edit", book.pk)


@require_POST
@crm_view
def price_book_delete(request: HttpRequest, pk: int) -> HttpResponse:
    book = selectors.price_book_get(actor=request.user, pk=pk)
    services.price_book_delete(actor=request.user, price_book=book)
    messages.success(request, f"Price book {book} deleted.")
    return redirect("price_book_list")
