#include "model/torch_checkpoint.h"

#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/error.h"
#include "model/zip_archive.h"

namespace kfembed {

namespace {

// A state dict pickle nests a tensor's arguments three deep (REDUCE args → size tuple); the _metadata dict a
// few more. Deeper nesting is refused before it can cost anything (a "tuple bomb").
constexpr int kMaxDepth = 16;

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct StorageRef {
  DType dtype = DType::F32;
  std::string key;
  uint64_t numel = 0;
};

struct TensorRef {
  StorageRef storage;
  uint64_t offset = 0;
  std::vector<uint64_t> shape, stride;
};

struct Value {
  enum Kind { kNone, kBool, kInt, kStr, kTuple, kDict, kGlobal, kStorage, kTensor } kind = kNone;
  int64_t i = 0;                                       // kBool, kInt
  std::string s;                                       // kStr; kGlobal: "module.name"
  std::vector<ValuePtr> items;                         // kTuple
  std::vector<std::pair<std::string, ValuePtr>> dict;  // kDict (string keys, in insertion order)
  StorageRef storage;                                  // kStorage; kGlobal of a storage type: its dtype
  TensorRef tensor;                                    // kTensor
  int depth = 1;
};

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::kNone:
      return "None";
    case Value::kBool:
      return "bool";
    case Value::kInt:
      return "int";
    case Value::kStr:
      return "str";
    case Value::kTuple:
      return "tuple";
    case Value::kDict:
      return "dict";
    case Value::kGlobal:
      return "global";
    case Value::kStorage:
      return "storage";
    case Value::kTensor:
      return "tensor";
  }
  return "?";
}

// The globals a state dict of tensors needs, and nothing else.
struct AllowedGlobal {
  const char* name;
  bool storage;
  DType dtype;
};
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections.OrderedDict", false, DType::F32}, {"torch._utils._rebuild_tensor_v2", false, DType::F32},
    {"torch.FloatStorage", true, DType::F32},       {"torch.HalfStorage", true, DType::F16},
    {"torch.BFloat16Storage", true, DType::BF16},   {"torch.LongStorage", true, DType::I64},
};

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, std::string file)
      : p_(data), size_(size), file_(std::move(file)) {}

  ValuePtr run() {
    while (true) {
      if (at_ >= size_) bad("pickle ends without STOP");
      const size_t op_at = at_;
      const uint8_t op = p_[at_++];
      switch (op) {
        case 0x80: {  // PROTO
          const uint8_t proto = u8();
          if (proto < 2 || proto > 5) bad("pickle protocol " + std::to_string(proto) + " is not supported");
          break;
        }
        case '.': {  // STOP
          ValuePtr result = pop();
          return result;
        }
        case '(':
          marks_.push_back(stack_.size());
          break;
        case '}':
          push(make(Value::kDict));
          break;
        case ')':
          push(make(Value::kTuple));
          break;
        case 't':
          push(tuple(pop_mark()));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t n = op - 0x84u;
          if (stack_.size() < n + floor()) bad("TUPLE" + std::to_string(n) + " on a short stack");
          std::vector<ValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(tuple(std::move(items)));
          break;
        }
        case 'q':
          memo_[u8()] = top();
          break;  // BINPUT
        case 'r':
          memo_[static_cast<uint32_t>(le(4))] = top();
          break;  // LONG_BINPUT
        case 'h':
          push(memo(u8()));
          break;  // BINGET
        case 'j':
          push(memo(static_cast<uint32_t>(le(4))));
          break;  // LONG_BINGET
        case 'X':
          push(str(le(4)));
          break;  // BINUNICODE
        case 0x8c:
          push(str(u8()));
          break;  // SHORT_BINUNICODE
        case 'J':
          push(integer(static_cast<int32_t>(static_cast<uint32_t>(le(4)))));
          break;  // BININT
        case 'K':
          push(integer(u8()));
          break;  // BININT1
        case 'M':
          push(integer(static_cast<int64_t>(le(2))));
          break;      // BININT2
        case 0x8a: {  // LONG1
          const size_t n = u8();
          if (n > 8) bad("LONG1 of " + std::to_string(n) + " bytes is too large for a size or offset");
          uint64_t v = n ? le(n) : 0;
          if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
          push(integer(static_cast<int64_t>(v)));
          break;
        }
        case 'N':
          push(make(Value::kNone));
          break;
        case 0x88:
        case 0x89: {  // NEWTRUE, NEWFALSE
          ValuePtr v = make(Value::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'c':
          push(global());
          break;
        case 'Q':
          push(persistent(pop()));
          break;     // BINPERSID
        case 'R': {  // REDUCE
          ValuePtr args = pop();
          ValuePtr callable = pop();
          push(reduce(*callable, *args));
          break;
        }
        case 's': {  // SETITEM
          ValuePtr value = pop();
          ValuePtr key = pop();
          set_item(*top(), *key, value);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<ValuePtr> kv = pop_mark();
          if (kv.size() % 2) bad("SETITEMS with an odd number of items");
          Value& d = *top();
          for (size_t k = 0; k < kv.size(); k += 2) set_item(d, *kv[k], kv[k + 1]);
          break;
        }
        case 'b': {  // BUILD: the OrderedDict's attributes (_metadata), which carry no weights; ignored
          ValuePtr state = pop();
          if (top()->kind != Value::kDict || (state->kind != Value::kDict && state->kind != Value::kNone))
            bad("BUILD of a " + std::string(kind_name(top()->kind)) + " is not allowed");
          break;
        }
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          bad(std::string("opcode ") + hex +
              (op >= 0x20 && op < 0x7f ? std::string(" ('") + static_cast<char>(op) + "')" : std::string()) +
              " at byte " + std::to_string(op_at) + " is not allowed (a state dict pickle does not need it)");
        }
      }
    }
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { fail(file_, why); }

  uint8_t u8() {
    if (at_ >= size_) bad("pickle truncated");
    return p_[at_++];
  }
  uint64_t le(size_t n) {
    if (size_ - at_ < n) bad("pickle truncated");
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) v = v << 8 | p_[at_ + k];
    at_ += n;
    return v;
  }
  static ValuePtr make(Value::Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
  }
  static ValuePtr integer(int64_t i) {
    ValuePtr v = make(Value::kInt);
    v->i = i;
    return v;
  }
  ValuePtr str(uint64_t n) {
    if (size_ - at_ < n) bad("pickle truncated inside a string of " + std::to_string(n) + " bytes");
    ValuePtr v = make(Value::kStr);
    v->s.assign(reinterpret_cast<const char*>(p_ + at_), static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return v;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    ValuePtr v = make(Value::kTuple);
    for (const auto& item : items) v->depth = std::max(v->depth, item->depth + 1);
    if (v->depth > kMaxDepth)
      bad("tuples nested deeper than " + std::to_string(kMaxDepth) + " are not allowed");
    v->items = std::move(items);
    return v;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.size() <= floor()) bad("pickle pops an empty stack");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  const ValuePtr& top() const {
    if (stack_.size() <= floor()) bad("pickle reads an empty stack");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) bad("pickle has no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  ValuePtr memo(uint32_t i) const {
    auto it = memo_.find(i);
    if (it == memo_.end()) bad("memo entry " + std::to_string(i) + " read before it was written");
    return it->second;
  }

  ValuePtr global() {
    auto line = [&] {
      std::string s;
      while (true) {
        if (at_ >= size_) bad("pickle truncated inside GLOBAL");
        const char c = static_cast<char>(p_[at_++]);
        if (c == '\n') return s;
        if (s.size() >= 200) bad("GLOBAL name too long");
        s += c;
      }
    };
    const std::string module = line();
    const std::string name = module + "." + line();
    for (const auto& g : kAllowedGlobals)
      if (name == g.name) {
        ValuePtr v = make(Value::kGlobal);
        v->s = name;
        v->storage.dtype = g.dtype;
        v->i = g.storage;
        return v;
      }
    bad("global " + name +
        " is not allowed (only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the "
        "Float/Half/BFloat16/Long storage types)");
  }

  // ('storage', <storage type>, key, location, numel)
  ValuePtr persistent(const ValuePtr& pid) {
    const auto& t = pid->items;
    if (pid->kind != Value::kTuple || t.size() != 5 || t[0]->kind != Value::kStr || t[0]->s != "storage" ||
        t[1]->kind != Value::kGlobal || !t[1]->i || t[2]->kind != Value::kStr || t[3]->kind != Value::kStr ||
        t[4]->kind != Value::kInt || t[4]->i < 0)
      bad("persistent id is not a ('storage', <storage type>, key, location, numel) tuple");
    ValuePtr v = make(Value::kStorage);
    v->storage = {t[1]->storage.dtype, t[2]->s, static_cast<uint64_t>(t[4]->i)};
    return v;
  }

  ValuePtr reduce(const Value& callable, const Value& args) {
    if (callable.kind != Value::kGlobal || callable.i)
      bad("REDUCE of a " +
          std::string(callable.kind == Value::kGlobal ? callable.s : kind_name(callable.kind)) +
          " is not allowed");
    if (args.kind != Value::kTuple) bad("REDUCE arguments are not a tuple");
    if (callable.s == "collections.OrderedDict") {
      if (!args.items.empty()) bad("collections.OrderedDict called with arguments");
      return make(Value::kDict);
    }
    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[,
    // metadata])
    const auto& a = args.items;
    auto ints = [&](const ValuePtr& v, const char* what) {
      if (v->kind != Value::kTuple) bad(std::string("tensor ") + what + " is not a tuple");
      std::vector<uint64_t> out;
      for (const auto& d : v->items) {
        if (d->kind != Value::kInt || d->i < 0)
          bad(std::string("tensor ") + what + " has a negative or non-integer entry");
        out.push_back(static_cast<uint64_t>(d->i));
      }
      return out;
    };
    if (a.size() < 6 || a.size() > 7 || a[0]->kind != Value::kStorage || a[1]->kind != Value::kInt ||
        a[1]->i < 0 || a[4]->kind != Value::kBool || a[5]->kind != Value::kDict || !a[5]->dict.empty())
      bad("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, requires_grad, {})");
    ValuePtr v = make(Value::kTensor);
    v->tensor = {a[0]->storage, static_cast<uint64_t>(a[1]->i), ints(a[2], "size"), ints(a[3], "stride")};
    return v;
  }

  void set_item(Value& dict, const Value& key, ValuePtr value) {
    if (dict.kind != Value::kDict) bad("SETITEM on a " + std::string(kind_name(dict.kind)));
    if (key.kind != Value::kStr) bad("dict key is a " + std::string(kind_name(key.kind)) + ", not a string");
    if (dict.dict.size() >= (1u << 20)) bad("more than 2^20 dict entries");
    dict.dict.emplace_back(key.s, std::move(value));
  }

  const uint8_t* p_;
  size_t size_, at_ = 0;
  std::string file_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, ValuePtr> memo_;
};

}  // namespace

SafetensorsFile read_torch_checkpoint(const uint8_t* data, size_t size, const std::string& f) {
  const auto entries = read_stored_zip(data, size, f);
  std::string root;
  const ZipEntry* pickle = nullptr;
  for (const auto& [name, entry] : entries) {
    const std::string suffix = "data.pkl";
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '/')) {
      if (pickle) fail(f, "more than one data.pkl in the archive");
      pickle = &entry;
      root = name.substr(0, name.size() - suffix.size());
    }
  }
  if (!pickle) fail(f, "no data.pkl in the archive (not a torch.save checkpoint)");
  auto order = entries.find(root + "byteorder");
  if (order != entries.end() &&
      std::string(reinterpret_cast<const char*>(order->second.data), order->second.size) != "little")
    fail(f, "byteorder is not little-endian");

  const ValuePtr result = Unpickler(pickle->data, pickle->size, f).run();
  if (result->kind != Value::kDict)
    fail(f, std::string("the pickle holds a ") + kind_name(result->kind) + ", not a state dict");
  std::map<std::string, TensorView> views;
  for (const auto& [name, value] : result->dict) {
    const std::string where = "tensor " + name;
    if (value->kind != Value::kTensor) fail(f, where + " is a " + kind_name(value->kind) + ", not a tensor");
    const TensorRef& t = value->tensor;
    const size_t elem = dtype_size(t.storage.dtype);
    auto storage = entries.find(root + "data/" + t.storage.key);
    if (storage == entries.end()) fail(f, where + ": storage " + t.storage.key + " missing from the archive");
    if (t.storage.numel > storage->second.size / elem || storage->second.size != t.storage.numel * elem)
      fail(f, where + ": storage " + t.storage.key + " of " + std::to_string(t.storage.numel) +
                  " elements does not match its " + std::to_string(storage->second.size) + " bytes");
    if (t.shape.size() != t.stride.size()) fail(f, where + ": size and stride differ in length");
    uint64_t numel = 1;
    for (uint64_t d : t.shape) {
      if (d != 0 && numel > UINT64_MAX / d) fail(f, where + ": size overflows");
      numel *= d;
    }
    uint64_t expected = 1;  // row-major strides (any stride for a dimension of size 1)
    for (size_t k = t.shape.size(); k-- > 0;) {
      if (t.shape[k] != 1 && t.stride[k] != expected && numel != 0)
        fail(f, where + " is not contiguous (stride " + std::to_string(t.stride[k]) + " in dimension " +
                    std::to_string(k) + ")");
      expected *= t.shape[k];
    }
    if (t.offset > t.storage.numel || numel > t.storage.numel - t.offset)
      fail(f, where + ": offset " + std::to_string(t.offset) + " + " + std::to_string(numel) +
                  " elements is outside its storage of " + std::to_string(t.storage.numel));
    TensorView view;
    view.name = name;
    view.file = f;
    view.dtype = t.storage.dtype;
    for (uint64_t d : t.shape) view.shape.push_back(static_cast<size_t>(d));
    view.data = storage->second.data + t.offset * elem;
    view.nbytes = static_cast<size_t>(numel * elem);
    if (!views.emplace(name, std::move(view)).second) fail(f, where + " appears twice");
  }
  return SafetensorsFile::from_views(f, std::move(views));
}

}  // namespace kfembed
