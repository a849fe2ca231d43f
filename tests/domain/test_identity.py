import time

import pytest

from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, TokenSigner

SECRET = "s" * 40
WHO = Identity(user_id="u" * 16, name="ann", kind="guest", sid="sess1")


def test_a_token_verifies_again_from_the_cache_while_it_lasts() -> None:
    signer = TokenSigner(SECRET, 60)
    token, _ = signer.issue(WHO)
    assert signer.verify(token) == WHO
    assert signer.verify(token) == WHO


def test_a_remembered_token_still_expires() -> None:
    signer = TokenSigner(SECRET, 1)
    token, exp = signer.issue(WHO)
    assert signer.verify(token) == WHO
    while time.time() < exp:
        time.sleep(0.05)
    with pytest.raises(DomainError) as caught:
        signer.verify(token)
    assert caught.value.code is Code.TOKEN_EXPIRED


@pytest.mark.parametrize("forge", ["other secret", "tampered"])
def test_a_forged_token_is_refused_after_a_good_one_was_remembered(forge: str) -> None:
    signer = TokenSigner(SECRET, 60)
    token, _ = signer.issue(WHO)
    signer.verify(token)
    if forge == "other secret":
        bad, _ = TokenSigner("t" * 40, 60).issue(WHO)
    else:
        head, body, sig = token.split(".")
        bad = f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    with pytest.raises(DomainError) as caught:
        signer.verify(bad)
    assert caught.value.code is Code.INVALID_TOKEN
