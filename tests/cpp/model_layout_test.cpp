// The model-directory layout (src/model/model_layout.h) on the shared cases of tests/fixtures/model_layout/,
// which tests/js/model_layout.test.mjs runs through js/model_layout.js + js/manifest.js: file lists, the
// Pooling folder, the tokenizer choice, shards, the files read from a directory, and manifest.json bytes.
#include "model/model_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/model_files.h"
#include "test_files.h"

namespace kfembed {
namespace {

const std::string kDir = KF_FIXTURES_DIR "/model_layout/";
const nlohmann::json& expectations() {
  static const nlohmann::json j = read_json(kDir + "expectations.json");
  return j;
}

// Runs `f` for a case: its result must equal `expected`, or it must fail with a message containing `error`.
void expect_case(const nlohmann::json& c, const std::string& result_key,
                 const std::function<nlohmann::json()>& f) {
  const std::string name = c.value("case", c.dump());
  if (c.contains("error")) {
    try {
      f();
      ADD_FAILURE() << name << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c["error"].get<std::string>()), std::string::npos)
          << name << ": " << e.what();
    }
  } else {
    EXPECT_EQ(f(), c[result_key]) << name;
  }
}

TEST(ModelLayout, FileLists) {
  EXPECT_EQ(nlohmann::json(layout::text_files()), expectations()["text_files"]);
  EXPECT_EQ(nlohmann::json(layout::weight_files()), expectations()["weight_files"]);
  EXPECT_EQ(nlohmann::json(layout::carried_files()), expectations()["carried_files"]);
  EXPECT_EQ(nlohmann::json(layout::tokenizer_sources()), expectations()["tokenizer_sources"]);
}

TEST(ModelLayout, PoolingDir) {
  for (const auto& c : expectations()["pooling_dir"]) {
    expect_case(c, "dir", [&] {
      std::optional<std::string> text;
      if (!c["modules"].is_null()) text = c["modules"].get<std::string>();
      return nlohmann::json(
          layout::pooling_dir(text ? std::optional<std::string_view>(*text) : std::nullopt));
    });
  }
}

TEST(ModelLayout, TokenizerFile) {
  for (const auto& c : expectations()["tokenizer_file"]) {
    const auto files = c["files"].get<std::vector<std::string>>();
    const std::string* file = layout::tokenizer_file(
        [&](const std::string& name) { return std::find(files.begin(), files.end(), name) != files.end(); });
    EXPECT_EQ(file ? nlohmann::json(*file) : nlohmann::json(), c["file"]) << c.dump();
  }
}

TEST(ModelLayout, ShardFiles) {
  for (const auto& c : expectations()["shard_files"])
    expect_case(c, "shards",
                [&] { return nlohmann::json(layout::shard_files(c["index"].get<std::string>())); });
}

TEST(ModelLayout, FilesReadFromADirectory) {
  for (const auto& c : expectations()["directories"]) {
    const ModelFiles files = ModelFiles::from_directory(kDir + c["dir"].get<std::string>());
    EXPECT_EQ(nlohmann::json(files.names()), c["files"]) << c["dir"];
  }
}

TEST(ModelLayout, ManifestBytes) {
  for (const auto& c : expectations()["manifests"]) {
    const auto& m = c["manifest"];
    layout::Manifest manifest{m["source"], m.value("dtype", ""), m.value("embeddings", ""), {}};
    for (const auto& f : m["files"]) manifest.files.push_back({f["path"], f["size"], f["sha256"]});
    EXPECT_EQ(layout::manifest_json(manifest), read_text(kDir + c["file"].get<std::string>())) << c["file"];
  }
}

TEST(ModelLayout, PlainRelativePaths) {
  for (const char* ok : {"1_Pooling", "a/b.json", "x..y", "c"})
    EXPECT_TRUE(layout::is_plain_relative_path(ok)) << ok;
  for (const char* bad :
       {"", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\\b", "http:x", "C:x", "a?b", "a#b"})
    EXPECT_FALSE(layout::is_plain_relative_path(bad)) << bad;
}

}  // namespace
}  // namespace kfembed
