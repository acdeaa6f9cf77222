"""Sign in and out, the account page (API tokens, notification e-mails, the personal feed)
and "My work" (``/me/``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import NotificationsForm, SignInForm, TokenForm
from accounts.models import ApiToken
from accounts.services import (
    issue_token,
    preferences_of,
    renew_feed_key,
    revoke_feed_key,
    revoke_token,
    set_notifications,
)
from funding import mywork as funding_mywork
from lifecycle import mywork
from products.catalog import attach_compliance


class LoginView(auth_views.LoginView):
    """Sign in; a refusal for too many failures answers 429 with Retry-After."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled_for:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled_for)
        return response


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


def _render_account(request: HttpRequest, form: TokenForm, new_key: str = "", status=200):
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    prefs = preferences_of(request.user)
    context = {
        "tokens": tokens,
        "form": form,
        "new_key": new_key,
        "notifications_form": NotificationsForm.for_preferences(prefs),
        "feed_url": _feed_url(request, prefs),
    }
    response = render(request, "accounts/account.html", context, status=status)
    if new_key:
        # The key is shown once: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's API tokens; POST creates one and shows its key once."""
    if request.method != "POST":
        return _render_account(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render_account(request, form, status=400)
    token, key = issue_token(
        user=request.user,
        name=form.cleaned_data["name"],
        expires_days=form.cleaned_data["expires_days"],
    )
    # Rendered, not redirected: the key is shown on this response only.
    messages.success(request, f"Token {token.prefix}… created: copy its key below now.")
    return _render_account(request, TokenForm(), new_key=key)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_token(token=token, by=request.user)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("accounts:account")


@login_required
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    """Turn each kind of notification e-mail on or off (an unticked box: off)."""
    form = NotificationsForm(request.POST)
    form.is_valid()  # Boolean fields: every body is valid (absent means off).
    set_notifications(user=request.user, **form.cleaned_data)
    messages.success(request, "Notification settings saved.")
    return redirect(reverse("accounts:account") + "#notifications")


@login_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    """A new secret address for the personal feed; the previous one stops working."""
    had_feed = bool(preferences_of(request.user).feed_nonce)
    renew_feed_key(user=request.user)
    if had_feed:
        messages.success(
            request, "Your personal feed has a new address; the previous one no longer works."
        )
    else:
        messages.success(request, "Your personal feed is ready: its address is below.")
    return redirect(reverse("accounts:account") + "#feed")


@login_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    revoke_feed_key(user=request.user)
    messages.success(request, "Your personal feed is turned off; its address no longer works.")
    return redirect(reverse("accounts:account") + "#feed")


def _feed_url(request: HttpRequest, prefs) -> str:
    key = prefs.feed_key()
    if not key:
        return ""
    path = reverse("events:personal-feed", kwargs={"user_id": request.user.pk, "key": key})
    return request.build_absolute_uri(path)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """ "My work": the user's products, requests, votes waiting, review queue (leads) and
    assessments due for re-review, each list a fixed number of queries."""
    user = request.user
    products = list(mywork.my_products(user)[: mywork.LIMIT])
    attach_compliance(products)
    leads = mywork.leads_any(user)
    context = {
        "products": products,
        "requests": list(mywork.my_requests(user)[: mywork.LIMIT]),
        "awaiting_vote": list(mywork.awaiting_vote(user)[: mywork.LIMIT]),
        "leads_any": leads,
        "review_queue": list(mywork.review_queue(user)[: mywork.LIMIT]) if leads else [],
        "due": mywork.due_for_review(user),
        "assigned_proposals": funding_mywork.assigned_proposals(user),
        "feed_url": _feed_url(request, preferences_of(user)),
        "limit": mywork.LIMIT,
    }
    response = render(request, "accounts/me.html", context)
    # The page carries the personal feed's secret address: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
