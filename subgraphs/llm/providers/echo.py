"""The offline ``echo`` demo provider: used only when no real provider is configured.

It repeats the last user message word by word so ``quantumlayer up`` works on a
bare machine. It is listed as kind ``echo`` in ``providers`` and its model is
``echo-demo``; it is never presented as a real model, and its usage is flagged
as estimated with zero cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from subgraphs.llm.providers.base import Chunk, ProviderRequest, StreamEnd, TextDelta, Usage, estimate_tokens


class EchoProvider:
    """Echoes the prompt back as a token stream (no network, no cost)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind = "echo"

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        last = request.messages[-1].content if request.messages else ""
        words = f"[echo demo] {last}".split(" ")[: max(1, request.max_tokens)]
        for i, word in enumerate(words):
            await asyncio.sleep(0)
            yield TextDelta(word if i == 0 else " " + word)
        prompt = (request.system or "") + "".join(m.content for m in request.messages)
        finish = "length" if len(words) < len(f"[echo demo] {last}".split(" ")) else "stop"
        yield StreamEnd(finish, Usage(estimate_tokens(prompt), len(words), estimated=True))

    async def close(self) -> None:
        return None
