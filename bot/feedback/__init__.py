"""好差评: "有用 / 没用" on answers and the five-level rating at the end, kept durably."""
