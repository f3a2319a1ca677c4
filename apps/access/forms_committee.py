"""Forms for the committee's work (#18): its decision rule, votes."""

from django import forms

from apps.access.models import DecisionRule, VoteChoice


class CommitteeRulesForm(forms.Form):
    decision_rule = forms.ChoiceField(
        choices=DecisionRule.choices, widget=forms.RadioSelect, label="How the committee decides"
    )
    quorum = forms.IntegerField(
        min_value=1,
        max_value=50,
        initial=1,
        help_text="Votes needed before a decision, counting only members who may vote on the "
        "request (conflicted members never count). Ignored when any one member decides.",
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(
        choices=VoteChoice.choices, widget=forms.RadioSelect, label="Your vote"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Reason for your vote",
        help_text="The committee sees your vote and its reason.",
        error_messages={"required": "Give a reason for your vote."},
    )


class ReturnForm(forms.Form):
    """Return for edits stays a single member's step under every rule."""

    decision = forms.CharField(widget=forms.HiddenInput, initial="return")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="What should the requester change?",
        error_messages={"required": "Give a reason to return the request."},
    )
