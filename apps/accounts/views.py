import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from apps.accounts.forms import ProfileForm
from apps.accounts.selectors import account_sections, user_current_affiliations
from apps.accounts.services import user_update_profile


@login_required
def account_home(request):
    """The account's home: every setting a person has, one card each, with its state."""
    context = {"sections": account_sections(user=request.user)}
    return render(request, "account/home.html", context)


@login_required
def profile(request):
    # The form validates a copy, so a rejected edit never shows up in the page header.
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=request.user, request=request, **form.cleaned_data)
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:profile")
    context = {"form": form, "affiliations": user_current_affiliations(user=request.user)}
    return render(request, "account/profile.html", context, status=400 if form.errors else 200)
