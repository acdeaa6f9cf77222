from django.urls import path

from funding import views

app_name = "funding"

urlpatterns = [
    path("funding/", views.call_list, name="call-list"),
    path("funding/proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("funding/proposals/<int:pk>/review/", views.proposal_review, name="proposal-review"),
    path("funding/proposals/<int:pk>/comment/", views.proposal_comment, name="proposal-comment"),
    path(
        "funding/proposals/<int:pk>/<str:action>/",
        views.proposal_action,
        name="proposal-action",
    ),
    path("funding/<slug:slug>/", views.call_detail, name="call-detail"),
]
