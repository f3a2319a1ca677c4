from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Keeps allauth's behaviour; the hook point for affiliation-on-verification lives in signals."""

    def is_open_for_signup(self, request) -> bool:
        return True
