#!/usr/bin/env python3
"""The peers of `make bench`, on the sequences `realign bench` measured (read from its JSON).

- Hugging Face transformers on PyTorch CPU, the same GGUF file dequantised to float32 by
  transformers' own GGUF loader: a full-sequence forward (logits at every position, as
  `model(input_ids)` returns them) at each length, tokens/s.
- llama.cpp through llama-cpp-python on the same GGUF: greedy generation of as many
  tokens as `realign bench` generated, after the same prompt (its tokens compared with
  ours with weights kept quantised, the same blocks it computes on).

Both get the same thread count as our side (torch.set_num_threads; n_threads and
n_threads_batch) and are timed as our side is: the fastest of several repetitions after
a warm-up (means too). Writes one JSON document.
"""

import argparse
import json
import os
import sys
import time

# transformers' GGUF loader draws progress bars on stderr; the log has its own lines.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def log(line):
    print(f"peers: {line}", file=sys.stderr, flush=True)


def timed(run, minimum_seconds, at_least=2):
    """Seconds of the fastest call of `run()` and the mean, after one untimed warm-up
    call, over repetitions adding up to at least `minimum_seconds` (and at least
    `at_least`), as `realign bench` times its own side."""
    result = run()
    times = []
    while len(times) < at_least or sum(times) < minimum_seconds:
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times), sum(times) / len(times), len(times), result


def torch_forward(model_path, ids, lengths, threads, ours_argmax):
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    transformers.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    directory, name = os.path.split(os.path.abspath(model_path))
    started = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    model.eval()
    log(f"transformers {transformers.__version__} loaded {name} in {time.perf_counter() - started:.1f} s "
        f"(attention: {model.config._attn_implementation})")
    rows = []
    for length in lengths:
        input_ids = torch.tensor([ids[:length]], dtype=torch.long)

        def forward():
            with torch.inference_mode():
                return model(input_ids).logits

        seconds, mean_seconds, repetitions, logits = timed(forward, minimum_seconds=3)
        argmax = logits[0].argmax(dim=-1).tolist()
        row = {"tokens": length, "repetitions": repetitions, "seconds": seconds, "mean_seconds": mean_seconds,
               "tokens_per_second": length / seconds}
        if str(length) in ours_argmax:
            ours = ours_argmax[str(length)]
            row["argmax_agreement"] = sum(a == b for a, b in zip(argmax, ours)) / length
        log(f"torch forward {length} tokens: {length / seconds:.1f} tokens/s")
        rows.append(row)
    return {"torch_version": torch.__version__, "transformers_version": transformers.__version__,
            "torch_threads": torch.get_num_threads(), "forward": rows}


def llama_decode(model_path, prompt, tokens, threads, ours_ids):
    import llama_cpp

    llm = llama_cpp.Llama(model_path=model_path, n_ctx=max(512, 2 * (len(prompt) + tokens)),
                          n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False)

    def generate():
        llm.reset()
        ids = []
        started = time.perf_counter()
        prefill = 0.0
        for token in llm.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
            ids.append(token)
            if len(ids) == 1:
                prefill = time.perf_counter() - started
            if len(ids) == tokens:
                break
        return time.perf_counter() - started, prefill, ids

    _, _, ids = generate()
    runs = [generate() for _ in range(3)]
    seconds, prefill, _ = min(runs)
    mean_seconds = sum(r[0] for r in runs) / len(runs)
    same_prefix = 0
    for a, b in zip(ids, ours_ids):
        if a != b:
            break
        same_prefix += 1
    log(f"llama.cpp decode: {tokens / seconds:.1f} tokens/s")
    return {"llama_cpp_version": llama_cpp.__version__, "prompt_tokens": len(prompt), "generated_tokens": len(ids),
            "repetitions": len(runs), "seconds": seconds, "prefill_seconds": prefill, "mean_seconds": mean_seconds,
            "tokens_per_second": len(ids) / seconds,
            "decode_tokens_per_second": (len(ids) - 1) / (seconds - prefill),
            "token_ids": ids, "same_prefix_as_ours": same_prefix}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", required=True, help="the JSON of `realign bench` (its inputs and figures)")
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--out", required=True, help="where to write the peers' JSON")
    parser.add_argument("--skip", default="", help="comma-separated: torch, llama")
    arguments = parser.parse_args()
    skip = set(filter(None, arguments.skip.split(",")))

    with open(arguments.ours) as file:
        ours = json.load(file)
    threads = ours["threads"]
    inputs = ours["inputs"]
    ids = inputs["ids"]
    result = {"threads": threads}
    if "torch" not in skip:
        ours_argmax = {str(row["tokens"]): row["argmax"] for row in ours.get("teacher_forward", [])}
        result["torch"] = torch_forward(arguments.model, ids, inputs["lengths"], threads, ours_argmax)
    if "llama" not in skip:
        prompt = ids[:inputs["decode_prompt_tokens"]]
        # Ours with weights kept quantised: the same blocks llama.cpp computes on.
        ours_ids = ours.get("decode", {}).get("quantized", {}).get("plain", {}).get("token_ids", [])
        result["llama_cpp"] = llama_decode(arguments.model, prompt, inputs["decode_tokens"], threads, ours_ids)
    with open(arguments.out, "w") as file:
        json.dump(result, file, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
