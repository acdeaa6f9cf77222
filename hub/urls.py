from django.urls import path

from hub import views

app_name = "hub"

urlpatterns = [
    path("releases/", views.release_list, name="release-list"),
    path("releases/<str:slug>/", views.release_detail, name="release-detail"),
    path("communities/<slug:slug>/delivery/", views.delivery_health, name="delivery-health"),
]
