from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        # The compliance read model follows every write that can change it.
        from products import compliance_store

        compliance_store.connect()
