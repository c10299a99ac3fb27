"""One worker process of the shared-limit tests: ``calls`` room fetches at ``tasks`` in flight
through a client whose throttle is a RedisThrottle. Prints ``{"done": n, "errors": [...]}``.

Run as ``python -m tests.redis_worker BASE_URL KEY_SID SECRET REDIS_URL ACCOUNT ROOM CALLS TASKS``.
"""

from __future__ import annotations

import asyncio
import json
import sys

from twvideo_async import RedisThrottle, VideoClient


async def main(argv: list[str]) -> None:
    base_url, key_sid, secret, redis_url, account, room = argv[:6]
    calls, tasks = int(argv[6]), int(argv[7])
    throttle = RedisThrottle.from_url(redis_url, key=account, workers=4)
    errors: list[str] = []
    done = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(calls):
        queue.put_nowait(n)
    async with VideoClient(key_sid, secret, base_url=base_url, throttle=throttle) as client:

        async def work() -> None:
            nonlocal done
            while not queue.empty():
                queue.get_nowait()
                try:
                    await client.rooms.fetch(room)
                    done += 1
                except Exception as exc:
                    errors.append(repr(exc))

        await asyncio.gather(*(work() for _ in range(tasks)))
    await throttle.aclose()
    sys.stdout.write(json.dumps({"done": done, "errors": errors}) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
