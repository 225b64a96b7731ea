#!/usr/bin/env bash
# The realignment experiments of the README ("Realignment results on SmolLM2-135M"):
# TrRa toward the lam 2 teacher with the forward and the reverse KL, and an InRa adapter
# trained on the model's own short answers, judged on held-out prompts by greedy answer
# length, KL to the held-out teacher and log-likelihood of the reference answers.
# Not part of `make test`; needs a release build. On a quiet 2-core machine about
# 40 minutes; the README's figures were taken on a loaded one (its times).
#
# Settings (environment): OUT (default out/experiments), TEACH (records of the demo
# teacher run, 64), TRAIN (records trained on, 32), HELDOUT (held-out prompts, 12),
# STEPS (TrRa steps, 8), LR (TrRa rate, 4e-4), INRA_STEPS (10), INRA_LR (1e-3),
# MAX_TOKENS (answer cap, 96).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${OUT:-out/experiments}
teach=${TEACH:-64}
train=${TRAIN:-32}
heldout=${HELDOUT:-12}
steps=${STEPS:-8}
lr=${LR:-4e-4}
inra_steps=${INRA_STEPS:-10}
inra_lr=${INRA_LR:-1e-3}
max_tokens=${MAX_TOKENS:-96}
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
brevity="Answer in one short sentence."
realign=.build/release/realign
mkdir -p "$out"

# Held-out records: 900-931 of the demo set, never among the training records.
python3 -c "import json, sys; d = json.load(open('data/alpaca_en_demo.json')); json.dump(d[900:932], open(sys.argv[1], 'w'))" \
    "$out/heldout.json"

# Teacher targets: the demo's (lam 0.5 and 2.0) for the training records and the held-out ones.
LIMIT=$teach OUT=$out/teach scripts/demo.sh
$realign teacher --data "$out/heldout.json" --ref "smol=$model" --aligned smol \
    --aligned-system "$brevity" --lambda 0.5,2 --top-k 32 --workers 2 --out "$out/teach-heldout" --overwrite

# (a), (b): TrRa with the forward and the reverse KL, from the ref model.
for kl in forward reverse; do
    $realign train --method trra --kl $kl --student $model --teacher "$out/teach" --lambda 2.0 --limit "$train" \
        --steps "$steps" --lr "$lr" --batch-tokens 1024 --out "$out/trra-$kl" --overwrite
done
# The longer forward run of the README's first TrRa run (64 records, 20 steps at 2e-4),
# and the reverse KL with the same settings.
for kl in forward reverse; do
    $realign train --method trra --kl $kl --student $model --teacher "$out/teach" --lambda 2.0 \
        --steps 20 --lr 2e-4 --batch-tokens 2048 --out "$out/trra-$kl-long" --overwrite
done
# The held-out prompts are the teacher's ref view: no brevity system message.
$realign eval --model $model --model "$out/trra-forward/final" --model "$out/trra-reverse/final" \
    --model "$out/trra-forward-long/final" --model "$out/trra-reverse-long/final" \
    --teacher "$out/teach-heldout" --teacher-lambda 2 --limit "$heldout" \
    --max-tokens "$max_tokens" --gen-batch 12 --out "$out/eval-trra.json"
# For scale: the model asked for brevity by the system message (the aligned view).
$realign eval --model $model --data "$out/heldout.json" --limit "$heldout" --system "$brevity" \
    --max-tokens "$max_tokens" --gen-batch 12 --out "$out/eval-brevity-prompt.json"

# (c) InRa: the model's own answers under the brevity system message, to the training
# prompts, become the SFT data (without the system message) of an adapter.
$realign eval --model $model --data data/alpaca_en_demo.json --limit "$teach" --system "$brevity" \
    --max-tokens 48 --gen-batch 32 --out "$out/short-answers.json"
python3 - "$out/short-answers.json" "$out/short.json" <<'EOF'
import json, sys
answers = json.load(open(sys.argv[1]))["results"][0]["answers"]["items"]
records = json.load(open("data/alpaca_en_demo.json"))
short = [dict(records[int(a["id"])], output=a["text"].strip()) for a in answers if a["finish_reason"] == "stop"]
json.dump(short, open(sys.argv[2], "w"), indent=1)
print(f"{len(short)} short answers of {len(answers)}")
EOF
# A model that is not expanded gets the identity adapter in front of its layers.
$realign train --method inra --student $model --data "$out/short.json" \
    --steps "$inra_steps" --lr "$inra_lr" --batch-tokens 1024 --out "$out/inra" --overwrite
$realign eval --model "$out/inra/final" --lambda 0,0.5,1,1.5 --teacher "$out/teach-heldout" --teacher-lambda 2 \
    --limit "$heldout" --max-tokens "$max_tokens" --gen-batch 12 --out "$out/eval-inra.json"
# The longer InRa run (30 steps), judged below lambda 0 and past 1.
$realign train --method inra --student $model --data "$out/short.json" \
    --steps 30 --lr "$inra_lr" --batch-tokens 1024 --out "$out/inra-long" --overwrite
$realign eval --model "$out/inra-long/final" --lambda -0.5,0,0.5,1,1.5,2 --teacher "$out/teach-heldout" --teacher-lambda 2 \
    --limit "$heldout" --max-tokens "$max_tokens" --gen-batch 12 --out "$out/eval-inra-long.json"
