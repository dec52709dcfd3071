"""What families and teams receive, whole journeys through the real worker and the local provider
servers (issue 10): the holder named per item."""

from __future__ import annotations

from tests.support.polling import eventually
from tests.workflows.test_delivery_journeys import EMAIL, Wired, guardian, make_case, wired_dev  # noqa: F401
from tests.support.fake_providers import fake_resend, fake_twilio  # noqa: F401


async def test_a_mixed_request_names_the_holder_of_each_item(wired_dev: Wired):  # noqa: F811
    h = wired_dev
    # The car-t example: the local team (no consent yet) holds most records, the family holds
    # the blood counts and the passport copy.
    case = make_case(guardians=[guardian(language="en", channels=["email"])])
    await h.journeys.start(case)
    await eventually(lambda: h.emails_to(EMAIL))
    [request] = h.emails_to(EMAIL)
    text = request["text"]
    team_sentence = text.index("held by your child's treating team at home")
    assert text.index("- Recent blood counts") < team_sentence
    assert text.index("- Pathology report") > team_sentence
    assert text.index("- Bone marrow report") > team_sentence
