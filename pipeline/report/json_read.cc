#include "pipeline/report/json_read.h"

#include <cmath>

#include "libvi/base/errors.h"
#include "pipeline/io/atomic_file.h"

namespace ntm::report_json {

namespace fs = std::filesystem;

[[noreturn]] void Malformed(const fs::path& file, const std::string& problem) {
  throw InputError(file.string() + ": " + problem);
}

Json ParseJson(std::string_view text, const fs::path& file, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    Malformed(file, where + "malformed JSON at byte " + std::to_string(e.byte));
  } catch (const Json::exception&) {  // out_of_range: a number such as 1e999
    Malformed(file, where + "malformed JSON (a number out of range)");
  }
}

// Parses a JSON file whose top level must be an object.
Json ReadJsonObject(const fs::path& file) {
  Json root = ParseJson(ReadFileToString(file), file);
  if (!root.is_object()) Malformed(file, "expected a JSON object at the top level");
  return root;
}

// obj[key], or nullptr when obj is not an object or the key is absent or null.
const Json* Find(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> OptNumber(const Json& obj, const std::string& key, const fs::path& file) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) Malformed(file, "\"" + key + "\" is not a number");
  return v->get<double>();
}

double Number(const Json& obj, const std::string& key, const fs::path& file) {
  const auto v = OptNumber(obj, key, file);
  if (!v) Malformed(file, "missing \"" + key + "\"");
  return *v;
}

std::optional<int64_t> OptCount(const Json& obj, const std::string& key, const fs::path& file) {
  const auto v = OptNumber(obj, key, file);
  if (v && (*v < 0 || *v != std::floor(*v))) {
    Malformed(file, "\"" + key + "\" is not a non-negative integer");
  }
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v);
}

int64_t Count(const Json& obj, const std::string& key, const fs::path& file) {
  const auto v = OptCount(obj, key, file);
  if (!v) Malformed(file, "missing \"" + key + "\"");
  return *v;
}

std::string Text(const Json& obj, const std::string& key, const fs::path& file) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return "";
  if (!v->is_string()) Malformed(file, "\"" + key + "\" is not a string");
  return v->get<std::string>();
}

// obj[key] as an object, or an empty object when absent.
const Json& Object(const Json& obj, const std::string& key, const fs::path& file) {
  static const Json kEmpty = Json::object();
  const Json* v = Find(obj, key);
  if (v == nullptr) return kEmpty;
  if (!v->is_object()) Malformed(file, "\"" + key + "\" is not an object");
  return *v;
}

// obj[key] as an array, or an empty array when absent.
const Json& Array(const Json& obj, const std::string& key, const fs::path& file) {
  static const Json kEmpty = Json::array();
  const Json* v = Find(obj, key);
  if (v == nullptr) return kEmpty;
  if (!v->is_array()) Malformed(file, "\"" + key + "\" is not an array");
  return *v;
}

std::vector<double> Numbers(const Json& obj, const std::string& key, const fs::path& file) {
  std::vector<double> values;
  for (const Json& v : Array(obj, key, file)) {
    if (!v.is_number()) Malformed(file, "\"" + key + "\" holds a value that is not a number");
    values.push_back(v.get<double>());
  }
  return values;
}

std::vector<std::pair<std::string, int64_t>> Counts(const Json& obj, const fs::path& file) {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const auto& [reason, value] : obj.items())
    counts.emplace_back(reason, Count(obj, reason, file));
  return counts;
}

std::vector<std::pair<std::string, int64_t>> IntegerFields(const Json* obj) {
  std::vector<std::pair<std::string, int64_t>> fields;
  if (obj == nullptr || !obj->is_object()) return fields;
  for (const auto& [key, value] : obj->items()) {
    if (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0)) {
      fields.emplace_back(key, value.get<int64_t>());
    }
  }
  return fields;
}

}  // namespace ntm::report_json
