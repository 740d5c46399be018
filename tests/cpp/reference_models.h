// Reference models that tests materialise from ../shared with its generator (make_model.py, Debian's numpy).
// ctest runs test processes in parallel, so a model directory is built under a private name and renamed into
// place: a reader never sees a half-written model.safetensors.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace kfembed {

// The directory of preset `name` ("base2", "full"), generated on first use; "" when generation failed, after
// saying on stderr what is missing (the tests then fail on the empty path).
inline std::string reference_model_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string dir = std::string(KF_TEST_TMP_DIR) + "/" + name;
  if (fs::exists(dir + "/model.safetensors")) return dir;
  const std::string generator = KF_SHARED_DIR "/reference/make_model.py";
  if (!fs::exists(generator)) {
    std::fprintf(stderr, "%s not found: this test needs the project's shared/ folder beside the repository\n",
                 generator.c_str());
    return "";
  }
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    std::fprintf(stderr, "%s needs /usr/bin/python3 with numpy (Debian python3-numpy; scripts/setup.sh)\n",
                 generator.c_str());
    return "";
  }
  const std::string tmp = dir + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::create_directories(KF_TEST_TMP_DIR, ec);
  fs::remove_all(tmp, ec);
  const std::string cmd = "/usr/bin/python3 " + generator + " " + name + " " + tmp;
  if (std::system(cmd.c_str()) != 0) {
    fs::remove_all(tmp, ec);
    return "";
  }
  fs::rename(tmp, dir, ec);  // fails when another process got there first: its copy is as good as ours
  fs::remove_all(tmp, ec);
  return fs::exists(dir + "/model.safetensors") ? dir : "";
}

}  // namespace kfembed
