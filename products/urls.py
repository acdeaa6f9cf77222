from django.urls import path

from products import views

urlpatterns = [
    path("products/", views.catalog, name="catalog"),
    path("products/<slug:slug>/", views.product_detail, name="product-detail"),
]
