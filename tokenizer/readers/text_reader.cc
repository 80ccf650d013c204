// Plain text: the whole file is one document, its id the path relative to the
// folder it was found in. Reads at most max_doc_bytes (+ a few to detect
// truncation), so a huge file costs no memory.
#include <algorithm>

#include "libvi/base/errors.h"
#include "tokenizer/readers/byte_stream.h"
#include "tokenizer/readers/source_reader.h"

namespace ntm {
namespace {

constexpr size_t kChunk = 64 << 10;

class TextReader final : public SourceReader {
 public:
  TextReader(const InputSource& source, const WorkItem& item, const ReaderOptions& options)
      : SourceReader(source, item, options) {
    if (item.begin != 0) {
      throw ConfigError(source.path + ": a .txt document cannot be split into byte ranges");
    }
  }

  bool Next(RawDocument& doc) override {
    if (done_) return false;
    done_ = true;
    ReadCapped(doc.text);
    if (doc.text.starts_with("\xEF\xBB\xBF")) doc.text.erase(0, 3);
    if (!FinishText(doc.text)) return false;
    doc.id = source_.id;
    FinishDocument(doc, 1, 0);
    return true;
  }

 private:
  // Reads up to max_doc_bytes + 4 bytes: enough for FinishText to see that
  // the text is longer than the cap and to cut it at a code point boundary.
  void ReadCapped(std::string& text) {
    const auto stream = ByteStream::Open(source_.path);
    const size_t cap = static_cast<size_t>(options_.max_doc_bytes) + 4;
    size_t got = 0;
    for (;;) {
      // Grow by chunks: most notes are small, so never zero-fill the whole cap.
      text.resize(std::min(cap, got + kChunk));
      const size_t n = stream->Read(text.data() + got, text.size() - got);
      got += n;
      if (n == 0 || got == cap) break;
    }
    text.resize(got);
    counters_.bytes_read += static_cast<int64_t>(got);
  }

  bool done_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> OpenTextReader(const InputSource& source, const WorkItem& item,
                                               const ReaderOptions& options) {
  return std::make_unique<TextReader>(source, item, options);
}

}  // namespace ntm
