#!/usr/bin/env python3
"""Checks that `realign expand` writes a model Hugging Face transformers loads as an
ordinary model: the expanded SmolLM2-135M-Instruct (identity adapter, 31 layers) must
give the logits of the original model (the fixtures' transformers goldens), its
tokenizer the goldens' ids and its chat template the goldens' prompt text, and
`generate` the greedy goldens.

Not part of `make test` (PyPI's torch is several GB). Usage:
    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers safetensors numpy
    swift build -c release
    /tmp/hf/bin/python scripts/check_inra_transformers.py [--fixtures ../shared/fixtures]
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

LOGIT_TOLERANCE = 2e-3  # the fixtures' README bound for SmolLM2 logits


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", default=os.path.join(root, "..", "shared", "fixtures"))
    parser.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--realign", default=os.path.join(root, ".build", "release", "realign"))
    args = parser.parse_args()

    goldens = json.load(open(os.path.join(args.fixtures, "smollm2", "logits-goldens.json")))
    tensors = load_file(os.path.join(args.fixtures, "smollm2", "logits-goldens.safetensors"))
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as out:
        directory = os.path.join(out, "smol-inra")
        subprocess.run([args.realign, "expand", "--model", args.model, "--out", directory], check=True,
                       stdout=subprocess.DEVNULL)
        config = json.load(open(os.path.join(directory, "config.json")))
        check(config["num_hidden_layers"] == 31 and config["realign_inra"]["adapter_layer"] == 0,
              f"config.json: {config['num_hidden_layers']} layers, realign_inra {config['realign_inra']}")

        torch.set_num_threads(os.cpu_count() or 1)
        model = AutoModelForCausalLM.from_pretrained(directory, torch_dtype=torch.float32)
        model.eval()
        tokenizer = AutoTokenizer.from_pretrained(directory)
        check(len(model.model.layers) == 31, f"transformers built {len(model.model.layers)} decoder layers")

        for prompt in goldens["prompts"]:
            name = prompt["name"]
            ids = tokenizer(prompt["text"])["input_ids"]
            check(ids == prompt["ids"], f"{name}: tokenizer ids equal the goldens'")
            if prompt["kind"] == "chat":
                text = tokenizer.apply_chat_template(prompt["messages"], add_generation_prompt=True, tokenize=False)
                check(text == prompt["text"], f"{name}: chat template renders the goldens' text")
            with torch.no_grad():
                logits = model(torch.tensor([prompt["ids"]])).logits[0].numpy()
            lse = torch.logsumexp(torch.from_numpy(logits), dim=-1).numpy()
            lse_error = float(np.abs(lse - tensors[f"logsumexp/{name}"]).max())
            last_error = float(np.abs(logits[-1] - tensors[f"last_logits/{name}"]).max())
            check(max(lse_error, last_error) <= LOGIT_TOLERANCE,
                  f"{name}: logsumexp max error {lse_error:.2e}, last-row logits max error {last_error:.2e} (bound {LOGIT_TOLERANCE})")

        for case in goldens["greedy"]:
            with torch.no_grad():
                generated = model.generate(torch.tensor([case["prompt_ids"]]), max_new_tokens=len(case["generated_ids"]),
                                           do_sample=False, eos_token_id=None)
            new = generated[0, len(case["prompt_ids"]):].tolist()
            check(new == case["generated_ids"], f"{case['name']}: greedy generate equals the goldens' {len(new)} tokens")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
