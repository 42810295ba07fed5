from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.forms import ThrottledAuthenticationForm
from gridgov.accounts.models import ApiToken


class LoginView(auth_views.LoginView):
    """Django's login page behind the login throttle (gridgov.accounts.throttle)."""

    authentication_form = ThrottledAuthenticationForm


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What is it for?"), max_length=100)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own page: who they act for, and their API tokens."""
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _token, new_token = ApiToken.issue(request.user, form.cleaned_data["name"])
            form = TokenForm()
        else:
            status = 400
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "new_token": new_token, "tokens": request.user.api_tokens.all()},
        status=status,
    )


@login_required
@require_POST
def revoke_token(request, pk):
    count = request.user.api_tokens.filter(pk=pk, revoked_at=None).update(revoked_at=timezone.now())
    if count:
        messages.success(request, _("The token was revoked."))
    else:
        messages.error(request, _("No such active token."))
    return redirect("profile")
