"""Sign in and out, and the account page (API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import SignInForm, TokenForm
from accounts.models import ApiToken
from accounts.services import issue_token, revoke_token


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
    context = {"tokens": tokens, "form": form, "new_key": new_key}
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
