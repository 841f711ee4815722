# Constants a lesson lets the visitor change.
LIMIT: int = 2
NAMES = ["a"]
print(LIMIT, NAMES, type(LIMIT).__name__)
