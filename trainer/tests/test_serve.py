"""Chat messages become prompts the way ShareGPT turns do in training."""

from __future__ import annotations

import pytest

from olp_trainer.errors import BAD_REQUEST, TrainerError
from olp_trainer.serve import messages_prompt


def test_one_user_message_is_its_content_with_the_system_message_first():
    assert messages_prompt([{"role": "user", "content": "Write ad copy.\ntype: coat"}]) == "Write ad copy.\ntype: coat"
    assert messages_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]) == "Be brief.\nHi"


def test_a_conversation_becomes_sharegpt_lines():
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert messages_prompt(messages) == "human: a\ngpt: b\nhuman: c"


@pytest.mark.parametrize("messages", [[], [{"role": "tool", "content": "x"}], [{"role": "user", "content": 1}], "hi"])
def test_malformed_messages_are_a_bad_request(messages):
    with pytest.raises(TrainerError) as err:
        messages_prompt(messages)
    assert err.value.code == BAD_REQUEST
