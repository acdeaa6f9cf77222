from django.urls import path

from hub import views
from hub import views_stakeholders as stakeholders

app_name = "hub"

urlpatterns = [
    path("hub/", views.hub, name="hub"),
    path("releases/", views.release_list, name="release-list"),
    path("releases/new/", views.release_new, name="release-new"),
    path("releases/<str:slug>/", views.release_detail, name="release-detail"),
    path("releases/<str:slug>/edit/", views.release_edit, name="release-edit"),
    path("releases/<str:slug>/delete/", views.release_delete, name="release-delete"),
    path("communities/<slug:slug>/delivery/", views.delivery_health, name="delivery-health"),
    path("stakeholders/", stakeholders.stakeholder_list, name="stakeholder-list"),
    path("stakeholders/new/", stakeholders.stakeholder_new, name="stakeholder-new"),
    path("stakeholders/<slug:slug>/", stakeholders.stakeholder_detail, name="stakeholder-detail"),
    path("stakeholders/<slug:slug>/edit/", stakeholders.stakeholder_edit, name="stakeholder-edit"),
    path("stakeholders/<slug:slug>/uses/", stakeholders.stakeholder_use, name="stakeholder-use"),
    path(
        "stakeholders/<slug:slug>/uses/<slug:product>/remove/",
        stakeholders.use_remove,
        name="use-remove",
    ),
    path("products/<slug:slug>/uses/", stakeholders.product_use, name="product-use"),
]
