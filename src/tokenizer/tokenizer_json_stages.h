// The normalizer and pre-tokenizer sections of tokenizer.json, read into their stages (tokenizer_loader.cpp
// reads the rest). Errors name tokenizer.json, the JSON path and the reason.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace kfembed {

// `normalizer` may be null (no normalization). path: "normalizer".
Normalizer normalizer_from_json(const nlohmann::json& normalizer, const std::string& file);
// `pre_tokenizer` may be null (the whole text is one word). path: "pre_tokenizer".
PreTokenizer pre_tokenizer_from_json(const nlohmann::json& pre_tokenizer, const std::string& file);
MetaspaceOptions::Prepend metaspace_prepend_scheme(const std::string& scheme, const std::string& file,
                                                   const std::string& path);

}  // namespace kfembed
