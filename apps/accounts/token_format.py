"""What an API token looks like: `strat_`, 32 random characters, a 6-character checksum.

Shared by issuing and checking tokens (`apps.api.tokens`) and by the audit of refused ones
(`apps.security.services`), which sits below the API and must not import it.
"""

TOKEN_PREFIX = "strat_"  # noqa: S105 (a public marker, not a secret)
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(TOKEN_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
# The public part kept on the row and in audit events: never enough to guess the secret.
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
