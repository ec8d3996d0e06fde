"""A small in-process cache of whole messages, so that opening a message and then its inline
images and attachments costs one download from the mail server, not one per part.

Bounded in bytes and in age; keyed by whatever identifies one message version exactly (the
caller includes the folder's UIDVALIDITY). The caller checks access before it looks here.
"""
import threading
import time
from collections import OrderedDict

MAX_BYTES = 64 * 1024 * 1024  # per process
MAX_MESSAGE = 16 * 1024 * 1024  # larger messages are never kept
TTL_SECONDS = 300


class RawCache:
    def __init__(self, max_bytes=MAX_BYTES, max_message=MAX_MESSAGE, ttl=TTL_SECONDS,
                 clock=time.monotonic):
        self.max_bytes, self.max_message, self.ttl, self.clock = max_bytes, max_message, ttl, clock
        self._items = OrderedDict()  # key -> (stored_at, raw)
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if self.clock() - item[0] > self.ttl:
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key, raw):
        if raw is None or len(raw) > self.max_message:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (self.clock(), raw)
            self._size += len(raw)
            while self._size > self.max_bytes and self._items:
                self._drop(next(iter(self._items)))

    def _drop(self, key):
        _stored, raw = self._items.pop(key)
        self._size -= len(raw)

    def __len__(self):
        return len(self._items)


messages = RawCache()
