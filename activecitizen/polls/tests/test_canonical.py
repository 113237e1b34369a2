"""A ballot's bytes in the log are RFC 8785 (JCS) JSON: the fast encoder casting uses gives
byte for byte what the reference implementation gives, for any answers and any origin."""

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from activecitizen.polls.ballots import Answer, canonical_bytes

answers = st.lists(
    st.builds(
        Answer,
        question_id=st.integers(1, 2**31 - 1),
        option_ids=st.lists(st.integers(1, 2**31 - 1), max_size=5, unique=True).map(
            lambda ids: tuple(sorted(ids))
        ),
        text=st.one_of(st.none(), st.text(max_size=20)),
    ),
    max_size=6,
)
# Any text a site's origin or a ballot id might hold, control characters and non-ASCII included
# (lone surrogates are not text a site can have).
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(answers=answers, origin=texts, public_id=texts)
def test_the_fast_encoder_is_rfc_8785(answers, origin, public_id):
    document = {
        "v": 1,
        "poll": origin,
        "ballot": public_id,
        "answers": [
            {"q": a.question_id, "o": list(a.option_ids), **({"t": 1} if a.text else {})}
            for a in answers
        ],
    }
    assert canonical_bytes(origin=origin, public_id=public_id, answers=answers) == rfc8785.dumps(
        document
    )
