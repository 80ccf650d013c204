// The built-in word lists of the segmenter. The English stop words are the
// scikit-learn ENGLISH_STOP_WORDS list (318 words, from the Glasgow Information
// Retrieval Group); the clinical ones, units and month names are ours.
#include <string>
#include <vector>

#include "tokenizer/segmenter.h"

namespace ntm {

const std::vector<std::string>& EnglishStopWords() {
  static const std::vector<std::string> words = {
      "a",          "about",      "above",      "across",       "after",      "afterwards",
      "again",      "against",    "all",        "almost",       "alone",      "along",
      "already",    "also",       "although",   "always",       "am",         "among",
      "amongst",    "amoungst",   "amount",     "an",           "and",        "another",
      "any",        "anyhow",     "anyone",     "anything",     "anyway",     "anywhere",
      "are",        "around",     "as",         "at",           "back",       "be",
      "became",     "because",    "become",     "becomes",      "becoming",   "been",
      "before",     "beforehand", "behind",     "being",        "below",      "beside",
      "besides",    "between",    "beyond",     "bill",         "both",       "bottom",
      "but",        "by",         "call",       "can",          "cannot",     "cant",
      "co",         "con",        "could",      "couldnt",      "cry",        "de",
      "describe",   "detail",     "do",         "done",         "down",       "due",
      "during",     "each",       "eg",         "eight",        "either",     "eleven",
      "else",       "elsewhere",  "empty",      "enough",       "etc",        "even",
      "ever",       "every",      "everyone",   "everything",   "everywhere", "except",
      "few",        "fifteen",    "fifty",      "fill",         "find",       "fire",
      "first",      "five",       "for",        "former",       "formerly",   "forty",
      "found",      "four",       "from",       "front",        "full",       "further",
      "get",        "give",       "go",         "had",          "has",        "hasnt",
      "have",       "he",         "hence",      "her",          "here",       "hereafter",
      "hereby",     "herein",     "hereupon",   "hers",         "herself",    "him",
      "himself",    "his",        "how",        "however",      "hundred",    "i",
      "ie",         "if",         "in",         "inc",          "indeed",     "interest",
      "into",       "is",         "it",         "its",          "itself",     "keep",
      "last",       "latter",     "latterly",   "least",        "less",       "ltd",
      "made",       "many",       "may",        "me",           "meanwhile",  "might",
      "mill",       "mine",       "more",       "moreover",     "most",       "mostly",
      "move",       "much",       "must",       "my",           "myself",     "name",
      "namely",     "neither",    "never",      "nevertheless", "next",       "nine",
      "no",         "nobody",     "none",       "noone",        "nor",        "not",
      "nothing",    "now",        "nowhere",    "of",           "off",        "often",
      "on",         "once",       "one",        "only",         "onto",       "or",
      "other",      "others",     "otherwise",  "our",          "ours",       "ourselves",
      "out",        "over",       "own",        "part",         "per",        "perhaps",
      "please",     "put",        "rather",     "re",           "same",       "see",
      "seem",       "seemed",     "seeming",    "seems",        "serious",    "several",
      "she",        "should",     "show",       "side",         "since",      "sincere",
      "six",        "sixty",      "so",         "some",         "somehow",    "someone",
      "something",  "sometime",   "sometimes",  "somewhere",    "still",      "such",
      "system",     "take",       "ten",        "than",         "that",       "the",
      "their",      "them",       "themselves", "then",         "thence",     "there",
      "thereafter", "thereby",    "therefore",  "therein",      "thereupon",  "these",
      "they",       "thick",      "thin",       "third",        "this",       "those",
      "though",     "three",      "through",    "throughout",   "thru",       "thus",
      "to",         "together",   "too",        "top",          "toward",     "towards",
      "twelve",     "twenty",     "two",        "un",           "under",      "until",
      "up",         "upon",       "us",         "very",         "via",        "was",
      "we",         "well",       "were",       "what",         "whatever",   "when",
      "whence",     "whenever",   "where",      "whereafter",   "whereas",    "whereby",
      "wherein",    "whereupon",  "wherever",   "whether",      "which",      "while",
      "whither",    "who",        "whoever",    "whole",        "whom",       "whose",
      "why",        "will",       "with",       "within",       "without",    "would",
      "yet",        "you",        "your",       "yours",        "yourself",   "yourselves",
  };
  return words;
}

const std::vector<std::string>& ClinicalStopWords() {
  // Words in nearly every note whatever its topic: titles, "patient",
  // boilerplate verbs of dictation. Kept short on purpose: max_df pruning of
  // the vocabulary removes the rest of the corpus-specific filler.
  static const std::vector<std::string> words = {
      "patient", "patients", "pt",    "history", "mr",      "mrs",      "ms",
      "dr",      "md",       "noted", "notes",   "reports", "reported", "states",
      "stated",  "today",    "year",  "old",     "e.g.",    "i.e.",     "etc"};
  return words;
}

const std::vector<std::string>& DefaultUnits() {
  // Units that turn a preceding number into <measure>: mass, volume, length,
  // concentration, pressure, rate and a few time units. Compared after
  // normalization (lower case); "%" also counts when written "50%".
  static const std::vector<std::string> units = {
      "mg",  "mcg",  "ug",   "g",     "gm",  "gram", "grams", "kg",   "lb",   "lbs", "oz",
      "ml",  "cc",   "l",    "dl",    "mm",  "cm",   "m",     "ft",   "mmhg", "meq", "mmol",
      "mol", "iu",   "unit", "units", "bpm", "hz",   "cal",   "kcal", "h",    "hr",  "hrs",
      "min", "mins", "sec",  "ms",    "gy",  "cgy",  "mev",   "kv"};
  return units;
}

const std::vector<std::string>& MonthNames() {
  // "month" is the literal de-identification placeholder (Month DD, YYYY).
  static const std::vector<std::string> months = {
      "january", "february", "march",    "april", "may", "june", "july", "august", "september",
      "october", "november", "december", "jan",   "feb", "mar",  "apr",  "jun",    "jul",
      "aug",     "sep",      "sept",     "oct",   "nov", "dec",  "month"};
  return months;
}

}  // namespace ntm
