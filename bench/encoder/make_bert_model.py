"""A BERT or RoBERTa sentence-transformers model with ko-sbert / ko-sroberta's real geometry (768 hidden, 12 heads,
3072 FFN; --layers of them, 12 for the full size) and deterministic random weights from ../shared/reference's
refweights.py (LayerNorm outlier dimensions as in the DeBERTa reference models), for the benches: latency and
int8-vs-float32 fidelity at the size the model card's ko-sbert-multitask / ko-sroberta-multitask have. The
tokenizer and sentence-transformers files are tiny-bert's / tiny-roberta's (20k WordPiece vocabulary; klue's
special-token order for RoBERTa).

    /usr/bin/python3 bench/encoder/make_bert_model.py bert|roberta OUT_DIR [--layers N]
"""
import json, os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "../../../shared/reference")
sys.path.insert(0, REF)
from refweights import gen_state, save_safetensors  # noqa: E402


def main(arch, out, layers):
    tiny = os.path.join(REF, "bert", "tiny-" + arch)
    config = json.load(open(os.path.join(tiny, "config.json")))
    config.update(hidden_size=768, num_attention_heads=12, intermediate_size=3072, num_hidden_layers=layers)
    h, v, p, t, i = 768, config["vocab_size"], config["max_position_embeddings"], config["type_vocab_size"], 3072
    names = [("embeddings.word_embeddings.weight", (v, h)), ("embeddings.position_embeddings.weight", (p, h)),
             ("embeddings.token_type_embeddings.weight", (t, h)), ("embeddings.LayerNorm.weight", (h,)),
             ("embeddings.LayerNorm.bias", (h,))]
    for l in range(layers):
        q = f"encoder.layer.{l}."
        for part in ("query", "key", "value"):
            names += [(q + f"attention.self.{part}.weight", (h, h)), (q + f"attention.self.{part}.bias", (h,))]
        names += [(q + "attention.output.dense.weight", (h, h)), (q + "attention.output.dense.bias", (h,)),
                  (q + "attention.output.LayerNorm.weight", (h,)), (q + "attention.output.LayerNorm.bias", (h,)),
                  (q + "intermediate.dense.weight", (i, h)), (q + "intermediate.dense.bias", (i,)),
                  (q + "output.dense.weight", (h, i)), (q + "output.dense.bias", (h,)),
                  (q + "output.LayerNorm.weight", (h,)), (q + "output.LayerNorm.bias", (h,))]
    os.makedirs(out, exist_ok=True)
    save_safetensors(os.path.join(out, "model.safetensors"), gen_state(names, 21 if arch == "bert" else 22, True))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "modules.json", "sentence_bert_config.json"):
        shutil.copyfile(os.path.join(tiny, name), os.path.join(out, name))
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    pooling = json.load(open(os.path.join(tiny, "1_Pooling/config.json")))
    pooling["word_embedding_dimension"] = h
    with open(os.path.join(out, "1_Pooling/config.json"), "w") as f:
        json.dump(pooling, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("bert", "roberta"):
        sys.exit(__doc__)
    n = int(sys.argv[sys.argv.index("--layers") + 1]) if "--layers" in sys.argv else 2
    main(sys.argv[1], sys.argv[2], n)
