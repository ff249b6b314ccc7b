from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "cyclecrm.catalog"
    label = "catalog"
    verbose_name = "Products, quotes and orders"

    def ready(self) -> None:
        from cyclecrm.catalog import registry

        registry.register_record_types()
