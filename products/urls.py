from django.urls import path

from products import views, views_imports, views_waivers

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
    path(
        "products/<slug:slug>/assessments/bulk/",
        views.product_assessments_bulk,
        name="assessments-bulk",
    ),
    path(
        "products/<slug:slug>/import/xsdk/",
        views_imports.compat_import,
        name="import-compat",
    ),
    path("products/<slug:slug>/waivers/new/", views_waivers.waiver_new, name="waiver-new"),
    path(
        "products/<slug:slug>/waivers/<int:pk>/revoke/",
        views_waivers.waiver_revoke,
        name="waiver-revoke",
    ),
    path(
        "products/<slug:slug>/interoperability/new/",
        views_waivers.interoperability_new,
        name="interoperability-new",
    ),
]
