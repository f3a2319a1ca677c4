"""Forms for the committee's work (#18): its decision rule, votes."""

from django import forms

from apps.access.models import DecisionRule, DocumentKind, Thread, VoteChoice


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


class ReviewAskForm(forms.Form):
    reviewer = forms.EmailField(
        label="Reviewer's email address",
        help_text="Anyone with a Stratum account, from any organisation, who has no conflict "
        "of interest on this request.",
    )
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="What should they look at?",
        error_messages={"required": "Say what you would like the reviewer to look at."},
    )

    def clean_reviewer(self):
        from apps.accounts.models import User

        email = self.cleaned_data["reviewer"]
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError("Nobody with this email address has a Stratum account.")
        return user


class ReviewForm(forms.Form):
    review = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        label="Your review",
        error_messages={"required": "Write your review."},
    )


class MessageForm(forms.Form):
    thread = forms.ChoiceField(choices=Thread.choices, widget=forms.HiddenInput)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
        label="Message",
        error_messages={"required": "Write a message."},
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Kind of document")
    file = forms.FileField(label="Document")

    def __init__(self, *args, **kwargs):
        from django.template.defaultfilters import filesizeformat

        from apps.access.services.documents import accepted_document_types_text, document_max_bytes

        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = (
            f"Up to {filesizeformat(document_max_bytes())}: {accepted_document_types_text()}."
        )
        self.fields["file"].widget.attrs["data-upload-max-bytes"] = str(document_max_bytes())


class AgreementForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Data use agreement")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=100_000,
        help_text="Markdown: headings (#), lists (-), emphasis (*…*). Saving makes a new "
        "version; requests submitted from then on accept the new version.",
        error_messages={"required": "Write the agreement's text."},
    )


class RenewalForm(forms.Form):
    report = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        label="How was the data used, and what was published?",
        help_text="The committee reads this beside your earlier request and its decision.",
        error_messages={"required": "Say how the data was used and what was published."},
    )
