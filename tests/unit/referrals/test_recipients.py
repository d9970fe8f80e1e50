"""The recipients file is refused, naming the problem, when it is incomplete."""

from __future__ import annotations

from pathlib import Path

import pytest

from movilidad.kernel.errors import ConfigError
from movilidad.referrals.recipients import load_recipients

GOOD = """
recipients:
  - id: org
    names: {en: Org, es: Org, fr: Org, ht: Org, pt: Org}
    government_of: VEN
    countries: [COL]
    pathways: [us-usrap]
    shares: [identity]
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("pt: Org", "pt: ''"), "names missing in pt"),
        (("[us-usrap]", "[no-such-pathway]"), "unknown or missing pathways"),
        (("[identity]", "[identity, biometrics]"), "shares must be"),
        (("VEN", "Venezuela"), "alpha-3"),
    ],
)
def test_an_incomplete_recipient_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "recipients.yaml").write_text(GOOD.replace(*change))
    with pytest.raises(ConfigError) as refused:
        load_recipients(tmp_path, {"us-usrap"})
    assert message in str(refused.value)


def test_a_government_recipient_knows_whose_government_it_is(tmp_path: Path) -> None:
    (tmp_path / "recipients.yaml").write_text(GOOD)
    recipient = load_recipients(tmp_path, {"us-usrap"}).get("org")
    assert recipient is not None
    assert recipient.needs_specific_consent({"VEN", "COL"})
    assert not recipient.needs_specific_consent({"COL"})
