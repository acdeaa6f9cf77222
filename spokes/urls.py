from django.urls import path

from spokes import views

urlpatterns = [
    path("communities/<slug:slug>/", views.community_detail, name="community-detail"),
    path("policy-sets/<slug:slug>/", views.policyset_detail, name="policyset-detail"),
]
