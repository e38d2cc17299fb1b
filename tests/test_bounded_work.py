"""No message can stall the service: huge texts cost about what long ones do, and never hold up other customers.

The bounds below are generous (seconds, on a loaded CI machine); before these fixes the same requests held
the event loop for 22 s. The precise figures are in `python -m bench.bounded`."""

from __future__ import annotations

import asyncio
import time

import httpx

from storage.embeddings import QUERY_WINDOW, LocalEmbedder

# 20,000 characters of digits and spaces: the input that made a budget rule backtrack for 22 s.
DIGITS = "1 " * 10_000
LONG_CHAT = ("Добрий день! Розповім про нашу мережу кав'ярень у Львові та Києві, про клієнтів і плани. " * 90)[:7_900]


async def timed(coro) -> float:
    started = time.perf_counter()
    response = await coro
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


async def test_huge_requests_do_not_hold_up_health_checks_or_other_customers(web: httpx.AsyncClient, session_id):
    async def short_question() -> float:
        return await timed(web.post("/api/v1/chat", json={"session_id": session_id, "text": "What is the warranty?"}))

    idle = min([await short_question() for _ in range(3)])
    heavy = [
        asyncio.create_task(web.post("/api/v1/leads/classify", json={"text": DIGITS})),
        asyncio.create_task(web.post("/api/v1/chat", json={"session_id": f"{session_id}-long", "text": LONG_CHAT})),
    ]
    await asyncio.sleep(0.05)  # both are being worked on now
    health = await timed(web.get("/healthz"))
    busy = await short_question()
    classified, chatted = await asyncio.gather(*heavy)
    assert classified.status_code == 200 and classified.json()["temperature"] in ("hot", "warm", "cold")
    assert chatted.status_code == 200 and chatted.json()["replies"]
    assert health < 1.0, f"/healthz waited {health:.2f} s"
    assert busy < idle + 2.0, f"a short question took {busy:.2f} s beside huge ones (idle {idle:.2f} s)"


def test_the_embedder_reads_at_most_its_window():
    embedder = LocalEmbedder()
    text = "Опишу нашу ситуацію докладно. " * 2000 + "Скільки коштує Office 200?"
    fitted = embedder.fit_window(text, is_query=True)
    assert embedder.token_count(fitted, True) <= QUERY_WINDOW
    assert fitted.startswith("Опишу") and fitted.endswith("Office 200?")  # the opening and the question stay
    assert embedder.fit_window("How much is it?", is_query=True) == "How much is it?"


async def test_short_questions_at_once_use_both_model_instances_and_get_the_same_vectors():
    import numpy as np

    embedder = LocalEmbedder()
    used: list[str] = []
    for name, lane in (("fast", embedder._fast), ("bulk", embedder._bulk)):
        run = lane.run

        async def recording(*args, name=name, run=run):
            used.append(name)
            return await run(*args)

        lane.run = recording  # type: ignore[method-assign]
    alone = await embedder.embed_queries(["Do you deliver to Lviv?"])
    together = await asyncio.gather(
        *(embedder.embed_queries([text]) for text in ("Do you deliver to Lviv?", "Скільки коштує Office 200?"))
    )
    assert used == ["fast", "fast", "bulk"]  # alone on the fast lane; the second at once on the idle one
    assert np.allclose(together[0], alone, atol=1e-6)
    assert np.allclose(together[1], await embedder.embed_queries(["Скільки коштує Office 200?"]), atol=1e-6)
    embedder.close()
