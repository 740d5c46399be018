// PyTorch's checkpoint file (torch.save of a state dict, "pytorch_model.bin" in older Hugging Face
// repositories): a zip archive (zip_archive.h) of <root>/data.pkl, a pickle (protocol 2) of the state dict,
// and <root>/data/<key>, the raw little-endian bytes of each storage.
//
// The pickle is read by a restricted unpickler that never runs code: it knows only the opcodes a state dict
// of tensors needs (dicts, tuples, strings, ints, bools, memo, persistent ids, REDUCE of two callables) and
// the globals collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the storage types
// torch.{Float,Half,BFloat16}Storage (and torch.LongStorage, for integer buffers such as position_ids that
// older checkpoints carry; the encoder never reads them). Anything else — another global (os.system), REDUCE
// of anything but those two, an opcode outside that set, a non-contiguous tensor, sizes or offsets outside
// their storage, nesting deeper than a state dict has — is an Error naming the file and what was refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/safetensors.h"

namespace kfembed {

constexpr const char* kTorchCheckpointFile = "pytorch_model.bin";

// The tensors of the checkpoint as views into `data` (which must outlive the result), under their state dict
// names.
SafetensorsFile read_torch_checkpoint(const uint8_t* data, size_t size, const std::string& file_name);

}  // namespace kfembed
