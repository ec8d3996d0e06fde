"""Gmail's quota, in a module of its own: the stand-in and the benchmarks read it without
loading Google's API library (which warns about the Python version when it is imported)."""

# Quota units per method, and the budget per user (units per user per second)
QUOTA_UNITS = {
    "getProfile": 1,
    "labels.list": 1,
    "messages.list": 5,
    "messages.get": 5,
    "messages.modify": 5,
    "messages.batchModify": 50,
    "messages.trash": 5,
    "messages.send": 100,
    "drafts.create": 10,
    "drafts.update": 15,
    "history.list": 2,
}
PER_USER_UNITS_PER_SECOND = 250
