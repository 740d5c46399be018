// Building a Tokenizer from tokenizer.json, or from vocab.txt + tokenizer_config.json the way transformers'
// BertTokenizer (tokenizers backend) builds its tokenizers.Tokenizer.
#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "common/json_fields.h"
#include "text/utf8.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json_stages.h"

namespace kfembed {

using nlohmann::json;

namespace {

constexpr const char* kTokenizerJson = Tokenizer::kJsonFile;
constexpr const char* kTokenizerConfig = Tokenizer::kConfigFile;
constexpr const char* kVocabTxt = Tokenizer::kVocabFile;
constexpr const char* kSpmModel = Tokenizer::kSentencePieceFile;

json parse_json(std::string_view text, const char* file) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(file, std::string("malformed JSON: ") + e.what());
  }
}

// A special token in tokenizer_config.json: a string, or an AddedToken object {"content": ..., flags}.
std::optional<AddedToken> config_token(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  AddedToken t;
  const std::string path = std::string(key) + ".";
  if (it->is_string()) {
    t.content = it->get<std::string>();
  } else if (it->is_object()) {
    const JsonFields r(*it, kTokenizerConfig, path);
    t.content = r.string("content", "");
    t.single_word = r.boolean("single_word", false);
    t.lstrip = r.boolean("lstrip", false);
    t.rstrip = r.boolean("rstrip", false);
    t.normalized = r.boolean("normalized", false);
  } else {
    fail(kTokenizerConfig, std::string(key) + " must be a string or a token object");
  }
  if (t.content.empty()) return std::nullopt;
  t.special = true;
  return t;
}

AddedToken added_token_from_json(const json& obj, const char* file, const std::string& path) {
  if (!obj.is_object()) fail(file, path + " must be an object");
  AddedToken t;
  const JsonFields r(obj, file, path + ".");
  t.content = r.string("content", "");
  if (t.content.empty()) fail(file, path + ".content is missing or empty");
  t.single_word = r.boolean("single_word", false);
  t.lstrip = r.boolean("lstrip", false);
  t.rstrip = r.boolean("rstrip", false);
  t.special = r.boolean("special", false);
  t.normalized = r.boolean("normalized", !t.special);
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  return std::ifstream(path).good();
}

}  // namespace

// Collects the pieces of a Tokenizer, then derives the lookup tables (friend of Tokenizer).
class TokenizerBuilder {
 public:
  Tokenizer tok;
  VocabMap model_vocab;
  std::string unk_token = "[UNK]";
  std::string prefix = "##";
  size_t max_input_chars_per_word = 100;
  std::string config_file = kTokenizerConfig;
  std::string model_file = kTokenizerJson;
  // Unigram model (when `unigram`): pieces by id, the unk piece's id, byte fallback.
  bool unigram = false;
  std::vector<std::pair<std::string, double>> pieces;
  int32_t unigram_unk = -1;
  bool byte_fallback = false;
  // Special token names (for cls_id() etc.), from tokenizer_config.json when given.
  std::string cls_name = "[CLS]", sep_name = "[SEP]", pad_name = "[PAD]";

  // HF AddedVocabulary::add_tokens: the id is the existing one (added or model vocab), else the next free id.
  void add_token(AddedToken t) {
    for (AddedToken& existing : tok.added_tokens_) {
      if (existing.content == t.content) {
        t.id = t.id >= 0 ? t.id : existing.id;
        existing = t;
        return;
      }
    }
    if (t.id < 0) t.id = model_vocab.find(t.content);
    if (t.id < 0) {
      int32_t next = static_cast<int32_t>(max_model_id() + 1);
      for (const AddedToken& a : tok.added_tokens_) next = std::max(next, a.id + 1);
      t.id = next;
    }
    tok.added_tokens_.push_back(std::move(t));
  }

  int64_t max_model_id() const {
    int64_t max_id = -1;
    model_vocab.for_each([&](std::string_view, int32_t id) { max_id = std::max<int64_t>(max_id, id); });
    return max_id;
  }

  void apply_config(const json& config) {
    if (!config.is_object()) fail(kTokenizerConfig, "top level must be a JSON object");
    if (auto it = config.find("model_max_length"); it != config.end() && it->is_number()) {
      const double v = it->get<double>();
      // transformers writes a huge sentinel (1e30) when the length is unknown.
      tok.model_max_length_ = (v > 0 && v < 1e9) ? static_cast<size_t>(v) : 0;
    }
    if (auto t = config_token(config, "cls_token")) cls_name = t->content;
    if (auto t = config_token(config, "sep_token")) sep_name = t->content;
    if (auto t = config_token(config, "pad_token")) pad_name = t->content;
  }

  // The tokens transformers registers as special: added_tokens_decoder, then the named special tokens.
  void add_config_tokens(const json& config, bool only_missing) {
    if (auto it = config.find("added_tokens_decoder"); it != config.end() && it->is_object()) {
      for (auto& [key, value] : it->items()) {
        AddedToken t = added_token_from_json(value, kTokenizerConfig, "added_tokens_decoder." + key);
        // Digits only, at most 10 of them, ≤ INT32_MAX: no sign, no wrap of a 64-bit long into int32.
        const bool digits = !key.empty() && key.size() <= 10 &&
                            std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || std::stoll(key) > INT32_MAX)
          fail(kTokenizerConfig, "added_tokens_decoder key '" + key + "' is not an id");
        t.id = static_cast<int32_t>(std::stoll(key));
        if (!only_missing || token_missing(t.content)) add_token(std::move(t));
      }
    }
    for (const char* key : {"unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (auto t = config_token(config, key)) {
        if (!only_missing || token_missing(t->content)) add_token(std::move(*t));
      }
    }
    for (const char* key : {"additional_special_tokens", "extra_special_tokens"}) {
      auto it = config.find(key);
      if (it == config.end() || !it->is_array()) continue;
      for (const json& v : *it) {
        json wrapper = {{"t", v}};
        if (auto t = config_token(wrapper, "t")) {
          if (!only_missing || token_missing(t->content)) add_token(std::move(*t));
        }
      }
    }
  }

  int32_t lookup(const std::string& content) const {
    for (const AddedToken& a : tok.added_tokens_) {
      if (a.content == content) return a.id;
    }
    return model_vocab.find(content);
  }

  bool token_missing(const std::string& content) const {
    for (const AddedToken& a : tok.added_tokens_) {
      if (a.content == content) return false;
    }
    return true;
  }

  Tokenizer finish() {
    int32_t unk = -1;
    if (unigram) {
      unk = unigram_unk;
      tok.model_ = Unigram(pieces, unk, byte_fallback);
    } else {
      unk = model_vocab.find(unk_token);
      if (unk < 0) fail(model_file, "unk token '" + unk_token + "' is not in the vocabulary");
      tok.model_ = WordPiece(model_vocab, unk, prefix, max_input_chars_per_word);
    }
    const int64_t max_id = max_model_id();

    size_t size = static_cast<size_t>(max_id + 1);
    for (const AddedToken& a : tok.added_tokens_) size = std::max(size, static_cast<size_t>(a.id) + 1);
    check_id_range(size);
    tok.id_to_token_.assign(size, std::string());
    tok.id_known_.assign(size, 0);
    model_vocab.for_each([&](std::string_view token, int32_t id) {
      // A duplicated vocab.txt line keeps its own text for its id (the map keeps the last id per text).
      tok.token_to_id_.insert(token, id);
      tok.id_to_token_[static_cast<size_t>(id)] = std::string(token);
      tok.id_known_[static_cast<size_t>(id)] = 1;
    });
    for (size_t id = 0; id < pieces.size(); ++id) {  // Unigram: every id has its piece, duplicates included
      tok.id_to_token_[id] = pieces[id].first;
      tok.id_known_[id] = 1;
    }
    for (const AddedToken& a : tok.added_tokens_) {  // added tokens take precedence, as in HF
      tok.token_to_id_.insert(a.content, a.id);
      tok.id_to_token_[static_cast<size_t>(a.id)] = a.content;
      tok.id_known_[static_cast<size_t>(a.id)] = 1;
      AddedTokenMatcher::Pattern p{decode_utf8(a.content), a.id, a.single_word, a.lstrip, a.rstrip};
      if (!a.normalized) {
        tok.raw_matcher_.add(std::move(p));
      } else {
        // Matched against its normalized form (HF normalized_cache).
        std::vector<char32_t> normalized;
        NormalizerScratch scratch;
        tok.normalizer_.normalize(p.cps.data(), p.cps.data() + p.cps.size(), normalized, scratch);
        p.cps = std::move(normalized);
        tok.normalized_matcher_.add(std::move(p));
      }
    }
    tok.unk_id_ = unk;
    tok.cls_id_ = tok.token_to_id(cls_name);
    tok.sep_id_ = tok.token_to_id(sep_name);
    tok.pad_id_ = tok.token_to_id(pad_name);
    if (tok.cls_id_ < 0 && !tok.template_.prefix.empty()) tok.cls_id_ = tok.template_.prefix.front();
    if (tok.sep_id_ < 0 && !tok.template_.suffix.empty()) tok.sep_id_ = tok.template_.suffix.back();
    // The post-processor's special ids must be tokens, else encode() would emit ids no model row exists for.
    for (const std::vector<int32_t>* ids : {&tok.template_.prefix, &tok.template_.suffix}) {
      for (const int32_t id : *ids) {
        if (static_cast<size_t>(id) >= size || !tok.id_known_[static_cast<size_t>(id)])
          fail(model_file, "post_processor special token id " + std::to_string(id) + " is not in the vocabulary");
      }
    }
    return std::move(tok);
  }

 private:
  // The id table is dense (one slot per id up to the largest): ids far beyond the number of tokens would make
  // a small file allocate gigabytes (an id of 2147483647: 2^31 slots). Refused naming the token.
  void check_id_range(size_t size) const {
    const size_t entries = model_vocab.size() + tok.added_tokens_.size();
    if (size <= 2 * entries + 1024) return;
    std::string field;
    model_vocab.for_each([&](std::string_view token, int32_t id) {
      if (static_cast<size_t>(id) + 1 == size) field = "model.vocab[" + nlohmann::json(std::string(token)).dump() + "]";
    });
    for (size_t i = 0; i < tok.added_tokens_.size(); ++i)
      if (static_cast<size_t>(tok.added_tokens_[i].id) + 1 == size) field = "added token " + nlohmann::json(tok.added_tokens_[i].content).dump();
    fail(model_file, field + ": id " + std::to_string(size - 1) + " is beyond the vocabulary (" +
                         std::to_string(entries) + " tokens; ids must stay below " + std::to_string(2 * entries + 1024) + ")");
  }

 public:
};

namespace {

BertNormalizerOptions bert_normalizer_options(bool lowercase, bool chinese,
                                              std::optional<bool> strip_accents) {
  BertNormalizerOptions o;
  o.clean_text = true;
  o.handle_chinese_chars = chinese;
  o.lowercase = lowercase;
  o.strip_accents = strip_accents.value_or(lowercase);  // HF: strip_accents null follows lowercase
  return o;
}

void parse_post_processor(const json& pp, SingleSequenceTemplate& out) {
  const char* f = kTokenizerJson;
  if (pp.is_null()) return;
  if (!pp.is_object()) fail(f, "post_processor must be an object or null");
  const std::string type = JsonFields(pp, f, "post_processor.").string("type", "");
  if (type == "TemplateProcessing") {
    auto single = pp.find("single");
    if (single == pp.end() || !single->is_array()) fail(f, "post_processor.single must be an array");
    auto specials = pp.find("special_tokens");
    bool seen_sequence = false;
    for (const json& item : *single) {
      if (item.contains("Sequence")) {
        const std::string id =
            JsonFields(item["Sequence"], f, "post_processor.single[].Sequence.").string("id", "");
        if (id != "A") fail(f, "post_processor.single uses sequence '" + id + "'; only $A is supported");
        seen_sequence = true;
      } else if (item.contains("SpecialToken")) {
        const std::string name =
            JsonFields(item["SpecialToken"], f, "post_processor.single[].SpecialToken.").string("id", "");
        if (specials == pp.end() || !specials->is_object() || !specials->contains(name)) {
          fail(f, "post_processor.special_tokens has no entry '" + name + "'");
        }
        // find(), not operator[]: a const operator[] on a missing key is undefined (an assert in our builds).
        const json& entry = specials->at(name);
        const auto ids = entry.find("ids");  // end() when entry is not an object
        if (ids == entry.end() || !ids->is_array())
          fail(f, "post_processor.special_tokens." + name + ".ids must be an array");
        for (const json& id : *ids) {
          (seen_sequence ? out.suffix : out.prefix)
              .push_back(json_token_id(id, f, "post_processor.special_tokens." + name + ".ids[]"));
        }
      } else {
        fail(f, "post_processor.single has an item that is neither Sequence nor SpecialToken");
      }
    }
    if (!seen_sequence) fail(f, "post_processor.single has no $A");
  } else if (type == "BertProcessing" || type == "RobertaProcessing") {
    for (const char* key : {"cls", "sep"}) {
      auto it = pp.find(key);
      if (it == pp.end() || !it->is_array() || it->size() != 2) {
        fail(f, std::string("post_processor.") + key + " must be [token, id]");
      }
      (std::string(key) == "cls" ? out.prefix : out.suffix)
          .push_back(json_token_id((*it)[1], f, std::string("post_processor.") + key));
    }
  } else {
    fail(f, "post_processor.type '" + type + "' is not supported (TemplateProcessing, BertProcessing)");
  }
}

// model: {"type": "Unigram", "unk_id": 3, "vocab": [[piece, score], ...], "byte_fallback": false}.
void read_unigram(const json& model, TokenizerBuilder& b) {
  const char* f = kTokenizerJson;
  auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_array() || vocab->empty()) fail(f, "model.vocab is missing or empty");
  b.unigram = true;
  b.pieces.reserve(vocab->size());
  for (size_t i = 0; i < vocab->size(); ++i) {
    const json& entry = (*vocab)[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      fail(f, "model.vocab[" + std::to_string(i) + "] must be [piece, score]");
    }
    const auto id = static_cast<int32_t>(i);
    b.pieces.emplace_back(entry[0].get<std::string>(), entry[1].get<double>());
    b.model_vocab.insert(b.pieces.back().first, id);
  }
  const JsonFields m(model, f, "model.");
  if (!m.present("unk_id")) fail(f, "model.unk_id is missing (a Unigram model without unk is not supported)");
  const int64_t unk = m.integer("unk_id", -1);
  if (unk < 0 || static_cast<size_t>(unk) >= b.pieces.size()) {
    fail(f, "model.unk_id " + std::to_string(unk) + " is not a piece id (vocab has " +
                std::to_string(b.pieces.size()) + ")");
  }
  b.unigram_unk = static_cast<int32_t>(unk);
  b.unk_token = b.pieces[static_cast<size_t>(unk)].first;
  b.byte_fallback = m.boolean("byte_fallback", false);
}

}  // namespace

Tokenizer Tokenizer::from_tokenizer_json(std::string_view tokenizer_json,
                                         std::string_view tokenizer_config_json) {
  const char* f = kTokenizerJson;
  const json j = parse_json(tokenizer_json, f);
  const json config =
      tokenizer_config_json.empty() ? json::object() : parse_json(tokenizer_config_json, kTokenizerConfig);
  try {
    if (!j.is_object()) fail(f, "top level must be a JSON object");
    TokenizerBuilder b;

    auto model = j.find("model");
    if (model == j.end() || !model->is_object()) fail(f, "model is missing");
    const JsonFields m(*model, f, "model.");
    const std::string model_type = m.string("type", "WordPiece");
    if (model_type == "WordPiece") {
      auto vocab = model->find("vocab");
      if (vocab == model->end() || !vocab->is_object() || vocab->empty())
        fail(f, "model.vocab is missing or empty");
      for (auto& [token, id] : vocab->items())
        b.model_vocab.insert(token, json_token_id(id, f, "model.vocab." + token));
      b.unk_token = m.string("unk_token", "[UNK]");
      b.prefix = m.string("continuing_subword_prefix", "##");
      if (auto it = model->find("max_input_chars_per_word"); it != model->end() && !it->is_null()) {
        b.max_input_chars_per_word =
            static_cast<size_t>(json_token_id(*it, f, "model.max_input_chars_per_word"));
      }
    } else if (model_type == "Unigram") {
      read_unigram(*model, b);
    } else {
      fail(f, "model.type '" + model_type + "' is not supported (WordPiece, Unigram)");
    }

    b.tok.normalizer_ = normalizer_from_json(j.contains("normalizer") ? j["normalizer"] : json(), f);
    b.tok.pre_tokenizer_ = pre_tokenizer_from_json(j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json(), f);

    if (auto pp = j.find("post_processor"); pp != j.end()) parse_post_processor(*pp, b.tok.template_);

    if (auto added = j.find("added_tokens"); added != j.end() && !added->is_null()) {
      if (!added->is_array()) fail(f, "added_tokens must be an array");
      for (size_t i = 0; i < added->size(); ++i) {
        const std::string path = "added_tokens[" + std::to_string(i) + "]";
        AddedToken t = added_token_from_json((*added)[i], f, path);
        if (!(*added)[i].contains("id")) fail(f, path + ".id is missing");
        t.id = json_token_id((*added)[i]["id"], f, path + ".id");
        b.add_token(std::move(t));
      }
    }
    b.apply_config(config);
    b.add_config_tokens(config, /*only_missing=*/true);
    return b.finish();
  } catch (const json::exception& e) {
    fail(f, std::string("unexpected JSON content: ") + e.what());
  }
}

Tokenizer Tokenizer::from_vocab(std::string_view vocab_txt, std::string_view tokenizer_config_json) {
  const json config =
      tokenizer_config_json.empty() ? json::object() : parse_json(tokenizer_config_json, kTokenizerConfig);
  try {
    TokenizerBuilder b;
    b.model_file = kVocabTxt;
    // Python readlines() in text mode: lines end at \n, \r\n or \r; only the line break is removed.
    int32_t index = 0;
    size_t pos = 0;
    while (pos < vocab_txt.size()) {
      size_t end = vocab_txt.find_first_of("\r\n", pos);
      if (end == std::string_view::npos) end = vocab_txt.size();
      b.model_vocab.insert(vocab_txt.substr(pos, end - pos), index++);
      if (end == vocab_txt.size()) break;
      const bool crlf = vocab_txt[end] == '\r' && end + 1 < vocab_txt.size() && vocab_txt[end + 1] == '\n';
      pos = end + (crlf ? 2 : 1);
    }
    if (index == 0) fail(kVocabTxt, "vocabulary is empty");

    if (!config.is_object()) fail(kTokenizerConfig, "top level must be a JSON object");
    const JsonFields c(config, kTokenizerConfig);
    const bool lowercase = c.boolean("do_lower_case", true);
    const bool chinese = c.boolean("tokenize_chinese_chars", true);
    const std::optional<bool> strip = c.optional_boolean("strip_accents");
    b.tok.normalizer_.add(BertNormalizer(bert_normalizer_options(lowercase, chinese, strip)));
    b.tok.pre_tokenizer_.add({PreTokenizer::Kind::kBert, {}});
    if (auto unk = config_token(config, "unk_token")) b.unk_token = unk->content;

    b.apply_config(config);
    b.add_config_tokens(config, /*only_missing=*/false);
    // BertTokenizer's default special tokens for those the config does not name.
    if (config.find("unk_token") == config.end())
      b.add_token(AddedToken{b.unk_token, -1, false, false, false, false, true});
    if (config.find("sep_token") == config.end())
      b.add_token(AddedToken{"[SEP]", -1, false, false, false, false, true});
    if (config.find("pad_token") == config.end())
      b.add_token(AddedToken{"[PAD]", -1, false, false, false, false, true});
    if (config.find("cls_token") == config.end())
      b.add_token(AddedToken{"[CLS]", -1, false, false, false, false, true});
    if (config.find("mask_token") == config.end())
      b.add_token(AddedToken{"[MASK]", -1, false, false, false, false, true});

    // TemplateProcessing "[CLS]:0 $A:0 [SEP]:0" with ids looked up as transformers does (fallback 2 and 3).
    const int32_t cls = b.lookup(b.cls_name);
    const int32_t sep = b.lookup(b.sep_name);
    b.tok.template_.prefix = {cls >= 0 ? cls : 2};
    b.tok.template_.suffix = {sep >= 0 ? sep : 3};
    return b.finish();
  } catch (const json::exception& e) {
    fail(kTokenizerConfig, std::string("unexpected JSON content: ") + e.what());
  }
}

// transformers 5's DebertaV2Tokenizer (the class DeBERTa-v3 repositories name) built from spm.model: Unigram over
// the model's pieces and scores (byte_fallback off), Lowercase (do_lower_case) + Replace(\s{2,}|[\n\r\t] -> " ")
// + NFC + Strip(right), Punctuation (split_by_punct) + Metaspace (prepend "always" with add_prefix_space, else
// "first"), "[CLS] $A [SEP]"; its special tokens added as tokenizer_config.json names them.
Tokenizer Tokenizer::from_sentencepiece(std::string_view spm_model, std::string_view tokenizer_config_json) {
  const json config =
      tokenizer_config_json.empty() ? json::object() : parse_json(tokenizer_config_json, kTokenizerConfig);
  const SentencePieceModel spm = SentencePieceModel::parse(spm_model, kSpmModel);
  if (spm.model_type != SentencePieceModel::ModelType::kUnigram) {
    fail(kSpmModel, "trainer_spec.model_type " + std::to_string(static_cast<int>(spm.model_type)) +
                        " is not supported (1, Unigram)");
  }
  try {
    if (!config.is_object()) fail(kTokenizerConfig, "top level must be a JSON object");
    const JsonFields c(config, kTokenizerConfig);
    const std::string tokenizer_class = c.string("tokenizer_class", "DebertaV2Tokenizer");
    if (tokenizer_class != "DebertaV2Tokenizer" && tokenizer_class != "DebertaV2TokenizerFast") {
      fail(kTokenizerConfig, "tokenizer_class '" + tokenizer_class + "' is not supported with " + kSpmModel +
                                 " (DebertaV2Tokenizer)");
    }
    TokenizerBuilder b;
    b.model_file = kSpmModel;
    b.unigram = true;
    b.pieces.reserve(spm.pieces.size());
    for (size_t i = 0; i < spm.pieces.size(); ++i) {
      b.pieces.emplace_back(spm.pieces[i].text, static_cast<double>(spm.pieces[i].score));
      b.model_vocab.insert(spm.pieces[i].text, static_cast<int32_t>(i));
    }
    // DebertaV2Tokenizer: the unk id is the index of (unk_token, 0.0) in the vocab, else the unk_id argument.
    const auto unk = config_token(config, "unk_token");
    b.unk_token = unk ? unk->content : "[UNK]";
    int64_t unk_id = -1;
    for (size_t i = 0; i < b.pieces.size() && unk_id < 0; ++i) {
      if (b.pieces[i].first == b.unk_token && b.pieces[i].second == 0.0) unk_id = static_cast<int64_t>(i);
    }
    if (unk_id < 0) unk_id = c.integer("unk_id", 1);
    if (unk_id < 0 || static_cast<size_t>(unk_id) >= b.pieces.size()) {
      fail(kTokenizerConfig, "unk_id " + std::to_string(unk_id) + " is not a piece id of " + kSpmModel + " (" +
                                 std::to_string(b.pieces.size()) + " pieces)");
    }
    b.unigram_unk = static_cast<int32_t>(unk_id);
    b.byte_fallback = false;

    if (c.boolean("do_lower_case", false)) b.tok.normalizer_.add(LowercaseNormalizer{});
    b.tok.normalizer_.add(ReplaceNormalizer::regex("\\s{2,}|[\\n\\r\\t]", " ", kSpmModel));
    b.tok.normalizer_.add(UnicodeNormalizer{unicode::NormalizationForm::kNfc});
    b.tok.normalizer_.add(StripNormalizer{false, true});
    if (c.boolean("split_by_punct", false)) b.tok.pre_tokenizer_.add({PreTokenizer::Kind::kPunctuationIsolated, {}});
    MetaspaceOptions metaspace;
    metaspace.prepend = c.boolean("add_prefix_space", true) ? MetaspaceOptions::Prepend::kAlways
                                                             : MetaspaceOptions::Prepend::kFirst;
    b.tok.pre_tokenizer_.add({PreTokenizer::Kind::kMetaspace, metaspace});

    b.apply_config(config);
    b.add_config_tokens(config, /*only_missing=*/false);
    // DebertaV2Tokenizer's defaults for the special tokens the config does not name.
    for (const auto& [key, content] : {std::pair<const char*, const char*>{"unk_token", "[UNK]"},
                                       {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                                       {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}}) {
      if (config.find(key) == config.end()) b.add_token(AddedToken{content, -1, false, false, false, false, true});
    }
    const int32_t cls = b.lookup(b.cls_name);
    const int32_t sep = b.lookup(b.sep_name);
    if (cls < 0 || sep < 0) fail(kTokenizerConfig, "cls_token / sep_token have no id");
    b.tok.template_.prefix = {cls};
    b.tok.template_.suffix = {sep};
    return b.finish();
  } catch (const json::exception& e) {
    fail(kTokenizerConfig, std::string("unexpected JSON content: ") + e.what());
  }
}

const std::vector<std::string>& Tokenizer::sources() {
  static const std::vector<std::string> files = {kTokenizerJson, kVocabTxt, kSpmModel};
  return files;
}

Tokenizer Tokenizer::from_files(const ReadFile& read, const std::string& dir) {
  const std::string_view config = read(kTokenizerConfig).value_or(std::string_view());
  for (const std::string& name : sources()) {
    const std::optional<std::string_view> text = read(name);
    if (!text) continue;
    if (name == kTokenizerJson) return from_tokenizer_json(*text, config);
    return name == kVocabTxt ? from_vocab(*text, config) : from_sentencepiece(*text, config);
  }
  fail_no_source(dir);
}

void Tokenizer::fail_no_source(const std::string& dir) {
  fail(dir + kTokenizerJson, std::string("file missing (and no ") + kVocabTxt + " or " + kSpmModel + " either)");
}

Tokenizer Tokenizer::from_directory(const std::string& dir) {
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  std::map<std::string, std::string> texts;
  return from_files(
      [&](const std::string& name) -> std::optional<std::string_view> {
        if (!file_exists(base + name)) return std::nullopt;
        return texts[name] = read_file(base + name);
      },
      base);
}

}  // namespace kfembed
