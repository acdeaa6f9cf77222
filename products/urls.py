from django.urls import path

from products import views

urlpatterns = [
    path("products/", views.catalog, name="catalog"),
    path("products/new/", views.product_new, name="product-new"),
    path("products/<slug:slug>/", views.product_detail, name="product-detail"),
    path("products/<slug:slug>/badge.svg", views.badge, name="product-badge"),
    path("products/<slug:slug>/edit/", views.product_edit, name="product-edit"),
    path(
        "products/<slug:slug>/dependencies/",
        views.product_dependencies,
        name="product-dependencies",
    ),
    path(
        "products/<slug:slug>/assessments/", views.product_assessments, name="product-assessments"
    ),
]
