from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("me/", views.me, name="me"),
    path("account/", views.account, name="account"),
    path("account/notifications/", views.notifications, name="notifications"),
    path("account/feed/renew/", views.feed_renew, name="feed-renew"),
    path("account/feed/revoke/", views.feed_revoke, name="feed-revoke"),
    path("account/tokens/<int:pk>/revoke/", views.revoke, name="token-revoke"),
]
