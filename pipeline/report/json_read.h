// Typed access to the JSON files `ntm report` reads, with errors that name the
// file and the field ("scores/timings.json: \"documents\" is not a number")
// and never echo file contents.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ntm::report_json {

// Ordered, so reject reasons and methods keep the order they were written in.
using Json = nlohmann::ordered_json;

// Throws InputError "<file>: <problem>".
[[noreturn]] void Malformed(const std::filesystem::path& file, const std::string& problem);
// Parses `text`; InputError naming `file` (and `where`, e.g. "line 3: ") and the byte offset.
Json ParseJson(std::string_view text, const std::filesystem::path& file,
               const std::string& where = "");
// Reads and parses a file whose top level must be an object; MissingInputError if absent.
Json ReadJsonObject(const std::filesystem::path& file);

// obj[key], or nullptr when obj is not an object or the key is absent or null.
const Json* Find(const Json& obj, const std::string& key);
// An optional number field.
std::optional<double> OptNumber(const Json& obj, const std::string& key,
                                const std::filesystem::path& file);
// A required number field.
double Number(const Json& obj, const std::string& key, const std::filesystem::path& file);
// An optional non-negative integer field.
std::optional<int64_t> OptCount(const Json& obj, const std::string& key,
                                const std::filesystem::path& file);
// A required non-negative integer field.
int64_t Count(const Json& obj, const std::string& key, const std::filesystem::path& file);
// An optional string field ("" when absent).
std::string Text(const Json& obj, const std::string& key, const std::filesystem::path& file);
// An object field, or an empty object when absent.
const Json& Object(const Json& obj, const std::string& key, const std::filesystem::path& file);
// An array field, or an empty array when absent.
const Json& Array(const Json& obj, const std::string& key, const std::filesystem::path& file);
// An array of numbers (empty when absent).
std::vector<double> Numbers(const Json& obj, const std::string& key,
                            const std::filesystem::path& file);
// Every field of an object of counts, in file order: {"empty": 3} -> [("empty", 3)].
std::vector<std::pair<std::string, int64_t>> Counts(const Json& obj,
                                                    const std::filesystem::path& file);

// The fields of `obj` that hold non-negative integers, in file order; others
// are skipped (for optional extras outside the documented schema).
std::vector<std::pair<std::string, int64_t>> IntegerFields(const Json* obj);

}  // namespace ntm::report_json
