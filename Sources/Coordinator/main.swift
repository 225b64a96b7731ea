import Core

print("realign: not yet wired")
