"""`@name` in a text, resolved to the accounts that hold those names when it is sent."""

from __future__ import annotations

from api.broker.accounts import AccountStore
from api.domain.conversation import mentioned_names


async def resolve(accounts: AccountStore, text: str) -> list[str]:
    """The user ids `text` mentions: no Redis call unless it holds an '@', else one round trip."""
    if "@" not in text:
        return []
    return await accounts.holders(mentioned_names(text))
