"""Web pages of the catalog: products, price books (settings), quotes and orders."""
