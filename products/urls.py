from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("products/", views.catalog, name="catalog"),
    path("products/new/", views.product_new, name="new"),
    path("products/<slug:slug>/", views.product_detail, name="detail"),
    path("products/<slug:slug>/badge.svg", views.badge, name="badge"),
    path("products/<slug:slug>/edit/", views.product_edit, name="edit"),
    path(
        "products/<slug:slug>/dependencies/",
        views.product_dependencies,
        name="dependencies",
    ),
    path("products/<slug:slug>/assessments/", views.product_assessments, name="assessments"),
]
