#!/usr/bin/env python3
"""Drives `realign serve` with the official openai client; prints one JSON object of
what it saw (the Swift integration test judges it). Usage: openai-client-check.py URL
MESSAGES_JSON MAX_TOKENS."""
import json
import sys
import threading
import time

import openai

base_url, messages, max_tokens = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)
out = {"openai_version": openai.__version__}

out["models"] = [m.id for m in client.models.list().data]

chat = client.chat.completions.create(model="smol", messages=messages, max_tokens=max_tokens, temperature=0)
out["chat"] = {"content": chat.choices[0].message.content, "finish_reason": chat.choices[0].finish_reason,
               "usage": chat.usage.model_dump(), "object": chat.object}

pieces, finish, usage = [], None, None
for chunk in client.chat.completions.create(model="smol", messages=messages, max_tokens=max_tokens, temperature=0,
                                            stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        pieces.append(choice.delta.content or "")
        finish = choice.finish_reason or finish
out["chat_stream"] = {"content": "".join(pieces), "finish_reason": finish, "usage": usage,
                      "chunks": len([p for p in pieces if p])}

prompt = "The capital of France is"
completion = client.completions.create(model="smol", prompt=prompt, max_tokens=max_tokens, temperature=0)
out["completion"] = {"text": completion.choices[0].text, "finish_reason": completion.choices[0].finish_reason,
                     "usage": completion.usage.model_dump(), "object": completion.object}
texts = [c.choices[0].text for c in client.completions.create(model="smol", prompt=prompt, max_tokens=max_tokens,
                                                              temperature=0, stream=True) if c.choices]
out["completion_stream"] = {"text": "".join(texts)}

try:
    client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=4)
    out["unknown_model"] = {"raised": None}
except openai.APIStatusError as error:
    out["unknown_model"] = {"raised": type(error).__name__, "status": error.status_code, "body": error.body}

# A streaming client that hangs up after its first text, while another request is in
# flight: the other must finish with exactly the greedy answer.
first_text, other = threading.Event(), {}

def run_other():
    first_text.wait(60)
    answer = client.chat.completions.create(model="smol", messages=messages, max_tokens=max_tokens, temperature=0)
    other["content"] = answer.choices[0].message.content

thread = threading.Thread(target=run_other)
thread.start()
stream = client.chat.completions.create(model="smol", messages=[{"role": "user", "content": "Tell me a very long story."}],
                                        max_tokens=400, temperature=0, stream=True)
received = ""
for chunk in stream:
    received += "".join(choice.delta.content or "" for choice in chunk.choices)
    if received:
        first_text.set()
        time.sleep(0.5)
        break
stream.response.close()
out["disconnect"] = {"request_id": stream.response.headers.get("x-request-id"), "received": received}
thread.join(120)
out["disconnect"]["other_content"] = other.get("content")
print(json.dumps(out))
