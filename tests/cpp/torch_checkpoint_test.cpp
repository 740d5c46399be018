// pytorch_model.bin: the zip container and the restricted unpickler (torch_checkpoint.h). The reference
// checkpoints (tiny-bert-bin, tiny-roberta-bin) hold the same tensors as their safetensors twins, byte for
// byte; hand-made pickles check that everything a state dict does not need is refused with an Error naming
// the file: other globals (os.system, builtins.eval), REDUCE of anything but the two allowed callables,
// other opcodes, nesting bombs, sizes, offsets and storages out of range.
#include "model/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/zip_archive.h"

namespace kfembed {
namespace {

const std::string kBertDir = KF_SHARED_DIR "/reference/bert/";

TEST(TorchCheckpoint, ReferenceBinEqualsSafetensors) {
  for (const std::string model : {"tiny-bert", "tiny-roberta"}) {
    ModelFiles bin = ModelFiles::from_directory(kBertDir + model + "-bin");
    ModelFiles st = ModelFiles::from_directory(kBertDir + model);
    ASSERT_TRUE(bin.has(kTorchCheckpointFile));
    const SafetensorsModel a = SafetensorsModel::open(bin);
    const SafetensorsModel b = SafetensorsModel::open(st);
    EXPECT_EQ(a.file_names(), std::vector<std::string>{kTorchCheckpointFile});
    const auto& want = b.file(0).tensors();
    const auto& got = a.file(0).tensors();
    EXPECT_EQ(got.size(), want.size()) << model;
    for (const auto& [name, t] : want) {
      ASSERT_TRUE(a.has(name)) << model << " " << name;
      const TensorView& g = a.get(name);
      EXPECT_EQ(g.dtype, t.dtype) << name;
      EXPECT_EQ(g.shape, t.shape) << name;
      ASSERT_EQ(g.nbytes, t.nbytes) << name;
      EXPECT_EQ(std::memcmp(g.data, t.data, t.nbytes), 0) << name;
    }
  }
}

// --- hand-made checkpoints ---

void put_le(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A zip of stored entries (CRCs left 0: the reader does not check them), optionally one compressed.
std::vector<uint8_t> zip_of(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files,
                            uint16_t method = 0) {
  std::vector<uint8_t> out, dir;
  for (const auto& [name, bytes] : files) {
    const size_t local = out.size();
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 2), put_le(out, 0, 2), put_le(out, method, 2), put_le(out, 0, 4), put_le(out, 0, 4);
    put_le(out, bytes.size(), 4), put_le(out, bytes.size(), 4), put_le(out, name.size(), 2),
        put_le(out, 0, 2);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), bytes.begin(), bytes.end());
    put_le(dir, 0x02014b50, 4);
    put_le(dir, 20, 2), put_le(dir, 20, 2), put_le(dir, 0, 2), put_le(dir, method, 2), put_le(dir, 0, 4);
    put_le(dir, 0, 4), put_le(dir, bytes.size(), 4), put_le(dir, bytes.size(), 4),
        put_le(dir, name.size(), 2);
    put_le(dir, 0, 2), put_le(dir, 0, 2), put_le(dir, 0, 2), put_le(dir, 0, 2), put_le(dir, 0, 4);
    put_le(dir, local, 4);
    dir.insert(dir.end(), name.begin(), name.end());
  }
  const size_t dir_at = out.size();
  out.insert(out.end(), dir.begin(), dir.end());
  put_le(out, 0x06054b50, 4), put_le(out, 0, 2), put_le(out, 0, 2), put_le(out, files.size(), 2);
  put_le(out, files.size(), 2), put_le(out, dir.size(), 4), put_le(out, dir_at, 4), put_le(out, 0, 2);
  return out;
}

// Pickle bytes, written opcode by opcode.
struct Pickle {
  std::vector<uint8_t> b;
  Pickle() { op(0x80).op(2); }  // PROTO 2
  Pickle& op(uint8_t o) { return b.push_back(o), *this; }
  Pickle& str(const std::string& s) {
    op('X'), put_le(b, s.size(), 4);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Pickle& global(const std::string& module, const std::string& name) {
    op('c');
    for (char c : module + "\n" + name + "\n") b.push_back(static_cast<uint8_t>(c));
    return *this;
  }
  Pickle& int1(uint8_t v) { return op('K').op(v); }
  Pickle& int4(int32_t v) { return op('J'), put_le(b, static_cast<uint32_t>(v), 4), *this; }
  // ('storage', torch.<type>, key, 'cpu', numel) BINPERSID
  Pickle& storage(const std::string& type, const std::string& key, int32_t numel) {
    op('(').str("storage").global("torch", type).str(key).str("cpu").int4(numel).op('t');
    return op('Q');
  }
  // _rebuild_tensor_v2(storage, offset, (rows, cols), (cols, 1), False, OrderedDict())
  Pickle& tensor(const std::string& key, int32_t numel, int32_t offset, int32_t rows, int32_t cols,
                 int32_t stride0 = -1) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    storage("FloatStorage", key, numel).int4(offset);
    int4(rows).int4(cols).op(0x86).int4(stride0 < 0 ? cols : stride0).int1(1).op(0x86).op(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  std::vector<uint8_t> stop() { return op('.').b; }
};

std::vector<uint8_t> floats_bytes(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.5f;
  std::vector<uint8_t> out(n * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

SafetensorsFile read(const std::vector<uint8_t>& pickle, size_t storage_floats = 6) {
  static std::vector<uint8_t> keep;  // the views point into it until the next call
  keep = zip_of({{"archive/data.pkl", pickle},
                 {"archive/data/0", floats_bytes(storage_floats)},
                 {"archive/version", {'3', '\n'}}});
  return read_torch_checkpoint(keep.data(), keep.size(), kTorchCheckpointFile);
}

std::string error_of(const std::vector<uint8_t>& pickle) {
  try {
    read(pickle);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_REFUSED(pickle, text)                                   \
  do {                                                                 \
    const std::string message = error_of(pickle);                      \
    EXPECT_EQ(message.rfind("pytorch_model.bin: ", 0), 0u) << message; \
    EXPECT_NE(message.find(text), std::string::npos) << message;       \
  } while (0)

TEST(TorchCheckpoint, HandMadeStateDictReads) {
  // {"w": rows 1..2 of a [3, 2] storage}, plus a BUILD of the OrderedDict's _metadata, as transformers saves.
  Pickle p;
  p.global("collections", "OrderedDict").op(')').op('R').op('q').op(0);
  p.op('(').str("w").tensor("0", 6, 2, 2, 2).op('u');
  p.op('}').str("_metadata").op('}').op('s').op('b');
  const SafetensorsFile f = read(p.stop());
  const TensorView& w = f.get("w");
  EXPECT_EQ(w.shape, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(w.to_float(), (std::vector<float>{1.0f, 1.5f, 2.0f, 2.5f}));
}

TEST(TorchCheckpoint, RefusesOtherGlobals) {
  // The classic: os.system("…") through REDUCE.
  EXPECT_REFUSED(Pickle().global("os", "system").str("touch /tmp/pwned").op(0x85).op('R').stop(),
                 "global os.system is not allowed");
  EXPECT_REFUSED(Pickle().global("builtins", "eval").str("1").op(0x85).op('R').stop(),
                 "global builtins.eval is not allowed");
  EXPECT_REFUSED(Pickle().global("torch", "load").stop(), "global torch.load is not allowed");
  // The allowed module with another name, and a name with a newline smuggled in.
  EXPECT_REFUSED(Pickle().global("collections", "OrderedDict.__init__").stop(), "is not allowed");
}

TEST(TorchCheckpoint, RefusesReduceOfOtherCallables) {
  // A storage type is an allowed global, but not as a callable.
  EXPECT_REFUSED(Pickle().global("torch", "FloatStorage").op(')').op('R').stop(),
                 "REDUCE of a torch.FloatStorage is not allowed");
  // A string or a dict as the callable (what __reduce__ of an arbitrary object would produce).
  EXPECT_REFUSED(Pickle().str("os.system").op(')').op('R').stop(), "REDUCE of a str is not allowed");
  EXPECT_REFUSED(Pickle().op('}').op(')').op('R').stop(), "REDUCE of a dict is not allowed");
  // OrderedDict with arguments, _rebuild_tensor_v2 with the wrong arguments.
  EXPECT_REFUSED(Pickle().global("collections", "OrderedDict").str("x").op(0x85).op('R').stop(),
                 "collections.OrderedDict called with arguments");
  EXPECT_REFUSED(Pickle().global("torch._utils", "_rebuild_tensor_v2").str("x").op(0x85).op('R').stop(),
                 "_rebuild_tensor_v2 arguments are not");
}

TEST(TorchCheckpoint, RefusesOtherOpcodes) {
  EXPECT_REFUSED(Pickle().str("os").str("system").op(0x93).stop(), "opcode 0x93");  // STACK_GLOBAL
  EXPECT_REFUSED(Pickle().op('(').str("x").op('i').stop(), "opcode 0x69 ('i')");    // INST
  EXPECT_REFUSED(Pickle().op('(').op('}').op('o').stop(), "opcode 0x6f ('o')");     // OBJ
  EXPECT_REFUSED(Pickle().op(']').stop(), "opcode 0x5d (']')");                     // EMPTY_LIST
  EXPECT_REFUSED(Pickle().op('c').stop(), "truncated");
  EXPECT_REFUSED(Pickle().op('}').b, "pickle ends without STOP");
  EXPECT_REFUSED(Pickle().op('R').stop(), "pops an empty stack");
  EXPECT_REFUSED(Pickle().op('h').op(7).stop(), "memo entry 7 read before it was written");
}

TEST(TorchCheckpoint, RefusesNestingBombs) {
  // Tuples in tuples, 1000 deep.
  Pickle deep;
  deep.op(')');
  for (int i = 0; i < 1000; ++i) deep.op(0x85);
  EXPECT_REFUSED(deep.stop(), "nested deeper than");
  // The memo bomb: t = (t, t) forty times is 2^40 leaves if expanded; refused at depth 17.
  Pickle memo;
  memo.op(')').op('q').op(0);
  for (int i = 0; i < 40; ++i) memo.op('h').op(0).op('h').op(0).op(0x86).op('q').op(0);
  EXPECT_REFUSED(memo.stop(), "nested deeper than");
}

TEST(TorchCheckpoint, RefusesSizesAndOffsetsOutOfRange) {
  auto dict_of = [](Pickle&& p) { return p.op('s').stop(); };
  auto one = [&](int32_t numel, int32_t offset, int32_t rows, int32_t cols, int32_t stride0 = -1) {
    Pickle p;
    p.op('}').str("w").tensor("0", numel, offset, rows, cols, stride0);
    return dict_of(std::move(p));
  };
  EXPECT_EQ(error_of(one(6, 0, 2, 2)), "(no error)");  // the helper builds a valid one…
  EXPECT_REFUSED(one(6, 4, 2, 2), "offset 4 + 4 elements is outside its storage of 6");
  EXPECT_REFUSED(one(6, 0, 0x40000000, 0x40000000), "is outside its storage");
  EXPECT_REFUSED(one(0x7fffffff, 0, 2, 2), "elements does not match its 24 bytes");
  EXPECT_REFUSED(one(6, 0, 2, 2, 3), "is not contiguous");
  EXPECT_REFUSED(one(6, -1, 2, 2), "_rebuild_tensor_v2 arguments are not");
  // A state dict entry that is not a tensor, and a storage the archive lacks.
  EXPECT_REFUSED(Pickle().op('}').str("w").int1(3).op('s').stop(), "tensor w is a int, not a tensor");
  Pickle missing;
  missing.op('}').str("w").tensor("9", 6, 0, 2, 2).op('s');
  EXPECT_REFUSED(missing.stop(), "storage 9 missing from the archive");
}

TEST(TorchCheckpoint, RefusesWhatIsNotAStoredZip) {
  const std::vector<uint8_t> pickle = Pickle().op('}').stop();
  auto compressed = zip_of({{"archive/data.pkl", pickle}}, 8);
  try {
    read_torch_checkpoint(compressed.data(), compressed.size(), kTorchCheckpointFile);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "pytorch_model.bin: entry archive/data.pkl is compressed (method 8); only stored entries are read, "
        "as torch.save writes them");
  }
  const std::vector<uint8_t> junk(100, 7);
  EXPECT_THROW(read_torch_checkpoint(junk.data(), junk.size(), kTorchCheckpointFile), Error);
  auto no_pickle = zip_of({{"archive/data/0", floats_bytes(2)}});
  try {
    read_torch_checkpoint(no_pickle.data(), no_pickle.size(), kTorchCheckpointFile);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no data.pkl"), std::string::npos) << e.what();
  }
  // Every truncation of a valid checkpoint is an Error, never a crash.
  Pickle p;
  p.op('}').str("w").tensor("0", 6, 0, 2, 2).op('s');
  const auto whole = zip_of({{"archive/data.pkl", p.stop()}, {"archive/data/0", floats_bytes(6)}});
  for (size_t n = 0; n < whole.size(); ++n)
    EXPECT_THROW(read_torch_checkpoint(whole.data(), n, kTorchCheckpointFile), Error) << n;
}

// Mutations of a real checkpoint: random bytes written over the pickle, the central directory or the local
// headers, a few at a time. Each read either succeeds (the bytes hit only tensor data or names) or is an
// Error naming the file; none may crash or read outside the buffer (run under ASan to see the latter).
TEST(TorchCheckpoint, MutatedCheckpointsAreErrorsOrReads) {
  ModelFiles files = ModelFiles::from_directory(kBertDir + "tiny-bert-bin");
  const std::vector<uint8_t> original = files.get(kTorchCheckpointFile);
  // The regions worth hitting: the pickle (the first entry, ~4 KB after its local header) and the last
  // ~4 KB (central directory and end records).
  const size_t head = std::min<size_t>(original.size(), 4400), tail = std::min<size_t>(original.size(), 4400);
  std::mt19937 rng(17);
  size_t errors = 0, reads = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = original;
    const int hits = 1 + static_cast<int>(rng() % 4);
    for (int h = 0; h < hits; ++h) {
      const size_t at = rng() % 2 ? rng() % head : original.size() - 1 - rng() % tail;
      bytes[at] = static_cast<uint8_t>(rng() % 4 == 0 ? 0xff : rng());
    }
    try {
      const SafetensorsFile f = read_torch_checkpoint(bytes.data(), bytes.size(), kTorchCheckpointFile);
      for (const auto& [name, t] : f.tensors())  // every view lies inside the buffer
        ASSERT_TRUE(t.data >= bytes.data() && t.data + t.nbytes <= bytes.data() + bytes.size()) << name;
      ++reads;
    } catch (const Error& e) {
      ASSERT_EQ(std::string(e.what()).rfind("pytorch_model.bin: ", 0), 0u) << e.what();
      ++errors;
    }
  }
  std::printf("3000 mutated checkpoints: %zu errors, %zu reads\n", errors, reads);
  EXPECT_GT(errors, 1000u);
}

}  // namespace
}  // namespace kfembed
