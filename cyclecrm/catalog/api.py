from ninja import Router

products_router = Router(tags=["products"])
price_books_router = Router(tags=["price books"])
quotes_router = Router(tags=["quotes"])
orders_router = Router(tags=["orders"])
