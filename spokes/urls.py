from django.urls import path

from spokes import views

app_name = "spokes"

urlpatterns = [
    # Before the detail route: "new" would otherwise be read as a slug.
    path("communities/new/", views.community_new, name="community-new"),
    path("communities/<slug:slug>/", views.community_detail, name="community-detail"),
    path("communities/<slug:slug>/edit/", views.community_edit, name="community-edit"),
    path("communities/<slug:slug>/roles/", views.community_roles, name="community-roles"),
    path(
        "communities/<slug:slug>/governance/",
        views.community_governance,
        name="community-governance",
    ),
    path("policy-sets/<slug:slug>/", views.policyset_detail, name="policyset-detail"),
    path("policy-sets/<slug:slug>/edit/", views.policyset_edit, name="policyset-edit"),
]
