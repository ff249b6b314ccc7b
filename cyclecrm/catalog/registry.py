from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.catalog.models import Order, PriceBook, Product, Quote

    register("product", "Products", Product)
    register("price_book", "Price books", PriceBook)
    register("quote", "Quotes", Quote)
    register("order", "Orders", Order)
