import Core

print("realign-worker: not yet wired")
