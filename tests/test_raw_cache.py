"""The in-process message cache: bounded in bytes, in message size and in age."""
from maildesk_mail_client.infrastructure.raw_cache import RawCache


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_a_message_is_kept_until_it_is_too_old():
    clock = Clock()
    cache = RawCache(max_bytes=100, max_message=50, ttl=10, clock=clock)
    cache.put("a", b"x" * 10)
    clock.now = 9
    assert cache.get("a") == b"x" * 10
    clock.now = 21
    assert cache.get("a") is None and len(cache) == 0


def test_the_least_recently_used_go_first_and_large_messages_never_stay():
    cache = RawCache(max_bytes=30, max_message=20, ttl=100, clock=Clock())
    cache.put("a", b"a" * 10)
    cache.put("b", b"b" * 10)
    cache.get("a")
    cache.put("c", b"c" * 15)  # 35 bytes: "b" (least recently used) goes
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    cache.put("big", b"z" * 21)
    assert cache.get("big") is None
    cache.put("a", b"A" * 5)  # replacing keeps the count right
    assert cache.get("a") == b"A" * 5 and cache._size == 20
