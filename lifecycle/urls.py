from django.urls import path

from lifecycle.views import (
    decision_detail,
    decision_vote,
    request_action,
    request_detail,
    request_edit,
    request_list,
    request_new,
    review_queue,
)

app_name = "lifecycle"

urlpatterns = [
    path("requests/", request_list, name="request-list"),
    path("requests/new/", request_new, name="request-new"),
    path("requests/<int:pk>/", request_detail, name="request-detail"),
    path("requests/<int:pk>/edit/", request_edit, name="request-edit"),
    path("requests/<int:pk>/<str:action>/", request_action, name="request-action"),
    path("review/", review_queue, name="review-queue"),
    path("decisions/<int:pk>/", decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/vote/", decision_vote, name="decision-vote"),
]
