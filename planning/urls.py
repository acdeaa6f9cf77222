from django.urls import path

from planning import views

app_name = "planning"

plan = "plans/<slug:community>/<int:year>/"

urlpatterns = [
    path("plans/", views.plan_index, name="plan-index"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path(plan, views.plan_detail, name="plan-detail"),
    path(plan + "milestones/new/", views.milestone_new, name="milestone-new"),
    path(plan + "milestones/<int:pk>/progress/", views.progress_new, name="progress-new"),
    path(plan + "changes/new/", views.change_new, name="change-new"),
    path(plan + "changes/<int:pk>/<str:decision>/", views.change_decide, name="change-decide"),
    path(plan + "assessment/", views.assess, name="assess"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="meeting-detail"),
]
