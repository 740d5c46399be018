#include "tokenizer/tokenizer_json_stages.h"

#include <optional>

#include "common/error.h"
#include "common/json_fields.h"
#include "text/utf8.h"

namespace kfembed {

using nlohmann::json;

namespace {

// Standard base64 (with or without padding), as tokenizers serializes precompiled_charsmap.
std::string base64_decode(std::string_view text, const std::string& file, const std::string& path) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char ch : text) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else if (ch == '=') {
      ++padding;
      continue;
    } else {
      fail(file, path + " is not base64");
    }
    if (padding) fail(file, path + " is not base64 (data after '=')");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

void add_normalizer(const json& j, const std::string& file, const std::string& path, Normalizer& out) {
  if (!j.is_object()) fail(file, path + " must be an object");
  const JsonFields f(j, file, path + ".");
  const std::string type = f.string("type", "");
  using Form = unicode::NormalizationForm;
  if (type == "Sequence") {
    auto list = j.find("normalizers");
    if (list == j.end() || !list->is_array()) fail(file, path + ".normalizers must be an array");
    for (size_t i = 0; i < list->size(); ++i)
      add_normalizer((*list)[i], file, path + ".normalizers[" + std::to_string(i) + "]", out);
  } else if (type == "BertNormalizer") {
    BertNormalizerOptions o;
    o.clean_text = f.boolean("clean_text", true);
    o.handle_chinese_chars = f.boolean("handle_chinese_chars", true);
    o.lowercase = f.boolean("lowercase", true);
    o.strip_accents = f.optional_boolean("strip_accents").value_or(o.lowercase);  // null follows lowercase
    out.add(BertNormalizer(o));
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    const Form form = type == "NFC"    ? Form::kNfc
                      : type == "NFD"  ? Form::kNfd
                      : type == "NFKC" ? Form::kNfkc
                                       : Form::kNfkd;
    out.add(UnicodeNormalizer{form});
  } else if (type == "Strip") {
    out.add(StripNormalizer{f.boolean("strip_left", true), f.boolean("strip_right", true)});
  } else if (type == "Lowercase") {
    out.add(LowercaseNormalizer{});
  } else if (type == "Precompiled") {
    const std::string field = path + ".precompiled_charsmap";
    const std::string charsmap = base64_decode(f.string("precompiled_charsmap", ""), file, field);
    out.add(PrecompiledNormalizer(charsmap, file + ": " + field));
  } else if (type == "Replace") {
    const std::string content = f.string("content", "");
    auto pattern = j.find("pattern");
    if (pattern == j.end() || !pattern->is_object()) fail(file, path + ".pattern must be an object");
    const JsonFields p(*pattern, file, path + ".pattern.");
    if (p.present("Regex")) {
      out.add(
          ReplaceNormalizer::regex(p.string("Regex", ""), content, file + ": " + path + ".pattern.Regex"));
    } else if (p.present("String")) {
      out.add(ReplaceNormalizer::literal(p.string("String", ""), content,
                                         file + ": " + path + ".pattern.String"));
    } else {
      fail(file, path + ".pattern must hold Regex or String");
    }
  } else {
    fail(file,
         path + ".type '" + type +
             "' is not supported (Sequence, BertNormalizer, Replace, NFC, NFD, NFKC, NFKD, Strip, Lowercase, "
             "Precompiled)");
  }
}

void add_pre_tokenizer(const json& j, const std::string& file, const std::string& path, PreTokenizer& out) {
  if (!j.is_object()) fail(file, path + " must be an object");
  const JsonFields f(j, file, path + ".");
  const std::string type = f.string("type", "");
  if (type == "Sequence") {
    auto list = j.find("pretokenizers");
    if (list == j.end() || !list->is_array()) fail(file, path + ".pretokenizers must be an array");
    for (size_t i = 0; i < list->size(); ++i)
      add_pre_tokenizer((*list)[i], file, path + ".pretokenizers[" + std::to_string(i) + "]", out);
  } else if (type == "BertPreTokenizer") {
    out.add({PreTokenizer::Kind::kBert, {}});
  } else if (type == "Metaspace") {
    MetaspaceOptions o;
    const std::vector<char32_t> replacement = decode_utf8(f.string("replacement", "\xE2\x96\x81"));
    if (replacement.size() != 1) fail(file, path + ".replacement must be one character");
    o.replacement = replacement[0];
    o.split = f.boolean("split", true);
    if (f.present("prepend_scheme")) {
      o.prepend = metaspace_prepend_scheme(f.string("prepend_scheme", ""), file, path + ".prepend_scheme");
    } else {  // tokenizer.json files older than prepend_scheme
      o.prepend = f.boolean("add_prefix_space", true) ? MetaspaceOptions::Prepend::kAlways
                                                      : MetaspaceOptions::Prepend::kNever;
    }
    out.add({PreTokenizer::Kind::kMetaspace, o});
  } else if (type == "WhitespaceSplit") {
    out.add({PreTokenizer::Kind::kWhitespaceSplit, {}});
  } else if (type == "Punctuation") {
    const std::string behavior = f.string("behavior", "Isolated");
    if (behavior != "Isolated") fail(file, path + ".behavior '" + behavior + "' is not supported (Isolated)");
    out.add({PreTokenizer::Kind::kPunctuationIsolated, {}});
  } else {
    fail(file,
         path + ".type '" + type +
             "' is not supported (Sequence, BertPreTokenizer, Metaspace, Punctuation, WhitespaceSplit)");
  }
}

}  // namespace

MetaspaceOptions::Prepend metaspace_prepend_scheme(const std::string& scheme, const std::string& file,
                                                   const std::string& path) {
  if (scheme == "always") return MetaspaceOptions::Prepend::kAlways;
  if (scheme == "first") return MetaspaceOptions::Prepend::kFirst;
  if (scheme == "never") return MetaspaceOptions::Prepend::kNever;
  fail(file, path + " '" + scheme + "' is not one of always, first, never");
}

Normalizer normalizer_from_json(const json& normalizer, const std::string& file) {
  Normalizer out;
  if (!normalizer.is_null()) add_normalizer(normalizer, file, "normalizer", out);
  return out;
}

PreTokenizer pre_tokenizer_from_json(const json& pre_tokenizer, const std::string& file) {
  PreTokenizer out;
  if (!pre_tokenizer.is_null()) add_pre_tokenizer(pre_tokenizer, file, "pre_tokenizer", out);
  return out;
}

}  // namespace kfembed
